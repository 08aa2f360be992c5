package gemini

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/keygate/keygate/internal/provider"
)

// Client calls generateContent / streamGenerateContent of a Gemini channel.
type Client struct {
	HTTP *http.Client
}

var _ provider.Provider = (*Client)(nil)

// Header returns the authentication headers of a Gemini call: the key goes
// in x-goog-api-key, never in the URL (URLs end up in logs).
func Header(c provider.Credential) http.Header {
	h := make(http.Header, 5) // and what provider.Post adds
	if c.APIKey != "" {
		h["X-Goog-Api-Key"] = []string{c.APIKey}
	}
	return h
}

// URL returns the method URL for model below the channel's base URL.
func URL(base *url.URL, model, method string) string {
	return base.String() + methodPath(model, method)
}

// methodPath is the path of model's method below the base URL.
func methodPath(model, method string) string {
	return "/models/" + url.PathEscape(model) + ":" + method
}

var _ provider.PlainCaller = (*Client)(nil)

// Chat sends one generateContent request.
func (cl *Client) Chat(ctx context.Context, c provider.Credential, r *provider.ChatRequest) (*provider.ChatResponse, error) {
	path, body, err := cl.PlainRequest(r)
	if err != nil {
		return nil, err
	}
	resp, err := provider.Post(ctx, cl.HTTP, c.BaseURL.String()+path, c, Header(c), body, false, ParseError)
	if err != nil {
		return nil, authStatus(err)
	}
	b, err := provider.ReadBody(resp)
	if err != nil {
		return nil, err
	}
	return cl.PlainAnswer(r, b)
}

// PlainRequest is the path (the model's generateContent method) and body
// of r's call.
func (*Client) PlainRequest(r *provider.ChatRequest) (string, []byte, error) {
	body, err := ToRequest(r)
	return methodPath(r.Model, "generateContent"), body, err
}

// PlainAnswer reads a GenerateContentResponse; one that names no model
// was answered by r's.
func (*Client) PlainAnswer(r *provider.ChatRequest, body []byte) (*provider.ChatResponse, error) {
	out, err := ParseResponse(body)
	if err == nil && out.Model == "" {
		out.Model = r.Model
	}
	return out, err
}

// PlainError is the error of a non-2xx answer, in Google's envelope (a
// refused key is a 401: authStatus).
func (*Client) PlainError(status int, body []byte, retryAfter, apiKey string) error {
	return authStatus(provider.StatusError(status, body, retryAfter, apiKey, ParseError))
}

// ChatStream sends a streamGenerateContent?alt=sse request.
func (cl *Client) ChatStream(ctx context.Context, c provider.Credential, r *provider.ChatRequest) (provider.ChatStream, error) {
	path, body, err := cl.StreamRequest(r)
	if err != nil {
		return nil, err
	}
	resp, err := provider.Post(ctx, cl.HTTP, c.BaseURL.String()+path, c, Header(c), body, true, ParseError)
	if err != nil {
		return nil, authStatus(err)
	}
	return cl.NewStream(resp.Body), nil
}

var _ provider.StreamCaller = (*Client)(nil)

// StreamRequest is the path (the model's streamGenerateContent method, as
// SSE) and body of r's streaming call.
func (*Client) StreamRequest(r *provider.ChatRequest) (string, []byte, error) {
	body, err := ToRequest(r)
	return methodPath(r.Model, "streamGenerateContent") + "?alt=sse", body, err
}

// NewStream reads a streamGenerateContent SSE stream.
func (*Client) NewStream(body io.ReadCloser) provider.ChatStream {
	return provider.NewSSEStream(body, &StreamDecoder{})
}

// authStatus turns Gemini's answer to a bad key — 400 INVALID_ARGUMENT
// "API key not valid" — into the 401 it means, so the gateway treats it as
// the channel's credential failing, not as the caller's mistake.
func authStatus(err error) error {
	var ue *provider.UpstreamError
	if errors.As(err, &ue) && ue.Status == 400 && (ue.Type == "API_KEY_INVALID" || strings.Contains(ue.Message, "API key not valid")) {
		ue.Status = 401
	}
	return err
}
