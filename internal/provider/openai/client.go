package openai

import (
	"context"
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

// Chat sends one non-streaming chat completion request.
func (cl *Client) Chat(ctx context.Context, c provider.Credential, r *provider.ChatRequest) (*provider.ChatResponse, error) {
	rr := *r
	rr.Stream = false
	body, err := ToChatRequest(&rr)
	if err != nil {
		return nil, err
	}
	resp, err := provider.Post(ctx, cl.HTTP, c.BaseURL.String()+"/chat/completions", c, Header(c), body, false, ParseError)
	if err != nil {
		return nil, err
	}
	b, err := provider.ReadBody(resp)
	if err != nil {
		return nil, err
	}
	return ParseResponse(b)
}

// ChatStream sends a streaming chat completion request (always asking for
// usage in the last chunk, so the gateway can bill it).
func (cl *Client) ChatStream(ctx context.Context, c provider.Credential, r *provider.ChatRequest) (provider.ChatStream, error) {
	rr := *r
	rr.Stream = true
	body, err := ToChatRequest(&rr)
	if err != nil {
		return nil, err
	}
	resp, err := provider.Post(ctx, cl.HTTP, c.BaseURL.String()+"/chat/completions", c, Header(c), body, true, ParseError)
	if err != nil {
		return nil, err
	}
	return provider.NewSSEStream(resp.Body, &StreamDecoder{}), nil
}
