package openai

import (
	"context"
	"io"
	"net/http"

	"github.com/keygate/keygate/internal/provider"
)

// Client calls the chat completions endpoint of an OpenAI-compatible
// channel, for clients that speak another format.
type Client struct {
	HTTP *http.Client
}

var _ provider.Provider = (*Client)(nil)

// Header returns the authentication headers of an OpenAI call.
func Header(c provider.Credential) http.Header {
	h := make(http.Header, 5) // and what provider.Post adds
	if c.APIKey != "" {
		h["Authorization"] = []string{"Bearer " + c.APIKey}
	}
	return h
}

var _ provider.PlainCaller = (*Client)(nil)

// Chat sends one non-streaming chat completion request.
func (cl *Client) Chat(ctx context.Context, c provider.Credential, r *provider.ChatRequest) (*provider.ChatResponse, error) {
	path, body, err := cl.PlainRequest(r)
	if err != nil {
		return nil, err
	}
	resp, err := provider.Post(ctx, cl.HTTP, c.BaseURL.String()+path, c, Header(c), body, false, ParseError)
	if err != nil {
		return nil, err
	}
	b, err := provider.ReadBody(resp)
	if err != nil {
		return nil, err
	}
	return cl.PlainAnswer(r, b)
}

// PlainRequest is the path and body of r's non-streaming chat completion.
func (*Client) PlainRequest(r *provider.ChatRequest) (string, []byte, error) {
	rr := *r
	rr.Stream = false
	body, err := ToChatRequest(&rr)
	return "/chat/completions", body, err
}

// PlainAnswer reads a chat completion.
func (*Client) PlainAnswer(_ *provider.ChatRequest, body []byte) (*provider.ChatResponse, error) {
	return ParseResponse(body)
}

// PlainError is the error of a non-2xx answer, in OpenAI's envelope.
func (*Client) PlainError(status int, body []byte, retryAfter, apiKey string) error {
	return provider.StatusError(status, body, retryAfter, apiKey, ParseError)
}

// ChatStream sends a streaming chat completion request (always asking for
// usage in the last chunk, so the gateway can bill it).
func (cl *Client) ChatStream(ctx context.Context, c provider.Credential, r *provider.ChatRequest) (provider.ChatStream, error) {
	path, body, err := cl.StreamRequest(r)
	if err != nil {
		return nil, err
	}
	resp, err := provider.Post(ctx, cl.HTTP, c.BaseURL.String()+path, c, Header(c), body, true, ParseError)
	if err != nil {
		return nil, err
	}
	return cl.NewStream(resp.Body), nil
}

var _ provider.StreamCaller = (*Client)(nil)

// StreamRequest is the path and body of r's streaming chat completion.
func (*Client) StreamRequest(r *provider.ChatRequest) (string, []byte, error) {
	rr := *r
	rr.Stream = true
	body, err := ToChatRequest(&rr)
	return "/chat/completions", body, err
}

// NewStream reads a chat completion chunk stream.
func (*Client) NewStream(body io.ReadCloser) provider.ChatStream {
	return provider.NewSSEStream(body, &StreamDecoder{})
}
