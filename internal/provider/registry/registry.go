// Package registry is the one table of channel types: for each, its
// adapter, the headers its credential goes in, its documented default base
// URL, how a base URL is completed and what the type can serve. Config
// validation, the catalogue (base URLs), the relay (auth, adapters) and the
// conversion routes read it, so a provider is described in one place.
package registry

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/anthropic"
	"github.com/keygate/keygate/internal/provider/azure"
	"github.com/keygate/keygate/internal/provider/gemini"
	"github.com/keygate/keygate/internal/provider/openai"
)

// Capabilities say which client routes a channel type serves natively
// (the body passed through); chat-shaped routes are converted for the
// others.
type Capabilities struct {
	Chat        bool // chat completions, or the type's own chat format
	Completions bool // legacy /v1/completions
	Embeddings  bool
	Responses   bool // OpenAI's Responses API
	Images      bool
	CountTokens bool // a native token-counting method
}

// Type is one channel type.
type Type struct {
	Name string
	// DefaultBaseURL is the vendor's documented base, used when a channel
	// declares none.
	DefaultBaseURL string
	// VersionPath is the API version segment the vendor's routes sit
	// below; a host-only base URL gets it appended.
	VersionPath string
	// AcceptedVersions are version segments a base URL may already end in.
	AcceptedVersions []string
	// Auth returns the headers that carry a channel credential (and any
	// header the vendor requires on every call).
	Auth func(apiKey string) http.Header
	// New returns the adapter for calls converted from another format.
	New  func(*http.Client) provider.Provider
	Caps Capabilities
	// Expects says, for docs and errors, what base_url this type takes.
	Expects string
}

// Types are the channel types, in the order they are documented.
var Types = []*Type{
	{Name: "openai", DefaultBaseURL: "https://api.openai.com/v1", VersionPath: "/v1", AcceptedVersions: []string{"/v1"},
		Auth: func(k string) http.Header { return openai.Header(provider.Credential{APIKey: k}) },
		New:  func(c *http.Client) provider.Provider { return &openai.Client{HTTP: c} },
		Caps: Capabilities{Chat: true, Completions: true, Embeddings: true, Responses: true, Images: true},
		Expects: "the URL the server documents for OpenAI SDKs, usually ending in /v1 (https://api.openai.com/v1, " +
			"https://openrouter.ai/api/v1, http://localhost:11434/v1); a host-only URL gets /v1"},
	{Name: "anthropic", DefaultBaseURL: "https://api.anthropic.com/v1", VersionPath: "/v1", AcceptedVersions: []string{"/v1"},
		Auth: func(k string) http.Header { return anthropic.Header(provider.Credential{APIKey: k}) },
		New:  func(c *http.Client) provider.Provider { return &anthropic.Client{HTTP: c} },
		Caps: Capabilities{Chat: true, CountTokens: true},
		Expects: "https://api.anthropic.com (Anthropic's documented base) or the same with /v1; " +
			"the gateway calls {base}/v1/messages"},
	{Name: "gemini", DefaultBaseURL: "https://generativelanguage.googleapis.com/v1beta", VersionPath: "/v1beta",
		AcceptedVersions: []string{"/v1beta", "/v1", "/v1alpha"},
		Auth:             func(k string) http.Header { return gemini.Header(provider.Credential{APIKey: k}) },
		New:              func(c *http.Client) provider.Provider { return &gemini.Client{HTTP: c} },
		Caps:             Capabilities{Chat: true, Embeddings: true, CountTokens: true},
		Expects: "https://generativelanguage.googleapis.com (Google's documented host) or the same with /v1beta; " +
			"the gateway calls {base}/v1beta/models/{model}:generateContent"},
	{Name: "azure", // no default: every Azure resource has its own endpoint
		Auth:    func(k string) http.Header { return azure.Header(provider.Credential{APIKey: k}) },
		New:     func(c *http.Client) provider.Provider { return &azure.Client{HTTP: c} },
		Caps:    Capabilities{Chat: true},
		Expects: "the resource endpoint https://RESOURCE.openai.azure.com (model_map maps models to deployments)"},
}

// Lookup returns the type named name ("" is openai).
func Lookup(name string) (*Type, bool) {
	if name == "" {
		name = "openai"
	}
	for _, t := range Types {
		if t.Name == name {
			return t, true
		}
	}
	return nil, false
}

// Names lists the type names.
func Names() []string {
	out := make([]string, len(Types))
	for i, t := range Types {
		out[i] = t.Name
	}
	return out
}

// BaseURL completes a channel's base URL the way the vendor documents it:
// empty → the default; host-only → with the version path; already
// versioned (or any other path: a proxy's, a compatible server's) → as is.
// A trailing slash is dropped.
func (t *Type) BaseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		raw = t.DefaultBaseURL
	}
	if raw == "" {
		return nil, fmt.Errorf("base_url is required for %s channels", t.Name)
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("base_url %q must be an http:// or https:// URL with a host", raw)
	}
	if u.Path == "" {
		u.Path = t.VersionPath
	}
	return u, nil
}

// ProvidersFor returns the adapters of every type over client.
func ProvidersFor(client *http.Client) provider.Registry {
	r := provider.Registry{}
	for _, t := range Types {
		r[t.Name] = t.New(client)
	}
	return r
}
