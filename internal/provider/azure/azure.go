// Package azure is the Azure OpenAI channel type: the OpenAI chat format
// sent to a resource's deployments. A channel's base_url is the resource
// endpoint (https://RESOURCE.openai.azure.com); each catalogue model maps
// to a deployment name through the channel's model_map (a model without an
// entry is called as a deployment of its own name); the api-version comes
// from the channel's api_version (carried as the base URL's api-version
// query); the credential goes in the api-key header. Azure's errors — a
// missing deployment, the content filter — are rewritten into words an
// operator or a caller can act on.
package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/openai"
)

// DefaultAPIVersion is used when a channel names none: a generally
// available version of the data-plane API.
const DefaultAPIVersion = "2024-10-21"

// Client calls Azure OpenAI chat completions.
type Client struct {
	HTTP *http.Client
}

var _ provider.Provider = (*Client)(nil)

// Header returns the authentication headers of an Azure OpenAI call.
func Header(c provider.Credential) http.Header {
	h := http.Header{}
	if c.APIKey != "" {
		h.Set("Api-Key", c.APIKey)
	}
	return h
}

// APIVersion is the api-version a channel's base URL carries, or the default.
func APIVersion(base *url.URL) string {
	if v := base.Query().Get("api-version"); v != "" {
		return v
	}
	return DefaultAPIVersion
}

// URL returns the URL of operation (e.g. "chat/completions") on a
// deployment of the resource at base.
func URL(base *url.URL, deployment, operation string) string {
	root := *base
	root.RawQuery, root.Fragment = "", ""
	s := strings.TrimSuffix(strings.TrimRight(root.String(), "/"), "/openai")
	return s + "/openai/deployments/" + url.PathEscape(deployment) + "/" + operation +
		"?api-version=" + url.QueryEscape(APIVersion(base))
}

// Chat sends one non-streaming chat completion to the deployment named by
// r.Model.
func (cl *Client) Chat(ctx context.Context, c provider.Credential, r *provider.ChatRequest) (*provider.ChatResponse, error) {
	rr := *r
	rr.Stream = false
	body, err := openai.ToChatRequest(&rr)
	if err != nil {
		return nil, err
	}
	resp, err := provider.Post(ctx, cl.HTTP, URL(c.BaseURL, r.Model, "chat/completions"), c, Header(c), body, false, ParseError)
	if err != nil {
		return nil, mapError(err, r.Model)
	}
	b, err := provider.ReadBody(resp)
	if err != nil {
		return nil, err
	}
	return openai.ParseResponse(b)
}

// ChatStream sends a streaming chat completion; Azure streams in OpenAI's
// chunk format (its prompt_filter_results chunks carry no choices).
func (cl *Client) ChatStream(ctx context.Context, c provider.Credential, r *provider.ChatRequest) (provider.ChatStream, error) {
	rr := *r
	rr.Stream = true
	body, err := openai.ToChatRequest(&rr)
	if err != nil {
		return nil, err
	}
	resp, err := provider.Post(ctx, cl.HTTP, URL(c.BaseURL, r.Model, "chat/completions"), c, Header(c), body, true, ParseError)
	if err != nil {
		return nil, mapError(err, r.Model)
	}
	return provider.NewSSEStream(resp.Body, &openai.StreamDecoder{}), nil
}

// mapError turns Azure's "no such deployment" into a channel failure (the
// operator's model_map names a deployment the resource lacks; another
// channel may serve the model) instead of the caller's 404.
func mapError(err error, deployment string) error {
	var ue *provider.UpstreamError
	if errors.As(err, &ue) && ue.Type == "DeploymentNotFound" {
		return &provider.UpstreamError{Status: http.StatusBadGateway, Type: ue.Type, RetryAfter: ue.RetryAfter,
			Message: fmt.Sprintf("Azure answered 404 DeploymentNotFound: the resource has no deployment %q; map the model to an existing deployment in the channel's model_map (%s)",
				deployment, ue.Message)}
	}
	return err
}

// ParseError reads an Azure error body: OpenAI's envelope with Azure's
// codes, and for the content filter the categories that tripped it.
func ParseError(body []byte) (typ, msg string) {
	var e struct {
		Error struct {
			Code       any    `json:"code"`
			Type       string `json:"type"`
			Message    string `json:"message"`
			InnerError struct {
				Code   string                     `json:"code"`
				Result map[string]json.RawMessage `json:"content_filter_result"`
			} `json:"innererror"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Message == "" {
		return openai.ParseError(body)
	}
	typ = e.Error.Type
	if s, ok := e.Error.Code.(string); ok && s != "" {
		typ = s
	}
	msg = e.Error.Message
	if typ == "content_filter" || e.Error.InnerError.Code == "ResponsibleAIPolicyViolation" {
		typ = "content_filter"
		var hits []string
		for cat, raw := range e.Error.InnerError.Result {
			var r struct {
				Filtered bool   `json:"filtered"`
				Detected bool   `json:"detected"`
				Severity string `json:"severity"`
			}
			if json.Unmarshal(raw, &r) == nil && r.Filtered {
				if r.Severity != "" {
					hits = append(hits, cat+": "+r.Severity)
				} else {
					hits = append(hits, cat)
				}
			}
		}
		slices.Sort(hits)
		what := "Azure's content filter refused the prompt"
		if len(hits) > 0 {
			what += " (" + strings.Join(hits, "; ") + ")"
		}
		msg = what + ": " + msg
	}
	return typ, msg
}
