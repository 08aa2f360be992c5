package channelcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/keygate/keygate/internal/mockupstream"
)

const goodKey = "sk-mock-0123456789abcdef0123456789abcdef"

func mock(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(mockupstream.New(mockupstream.Options{APIKey: goodKey}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// noSecret fails when the report, as the API would show it, carries the
// channel's credential.
func noSecret(t *testing.T, r Report, secret string) {
	t.Helper()
	b, _ := json.Marshal(r)
	if strings.Contains(string(b), secret) {
		t.Fatalf("report echoes the credential: %s", b)
	}
}

func TestCheckAgainstTheMock(t *testing.T) {
	base := mock(t)
	k := &Checker{}
	ctx := context.Background()

	t.Run("good channel", func(t *testing.T) {
		r := k.Run(ctx, Channel{Name: "m", BaseURL: base + "/v1", APIKey: goodKey, Models: []string{"mock-gpt", "mock-embed"}}, Options{})
		if !r.OK || !r.Reachable.OK || !r.Credential.OK || !r.Models.OK || len(r.Calls) != 2 {
			t.Fatalf("good channel: %+v", r)
		}
		for _, c := range r.Calls {
			if !c.OK || c.Status != 200 {
				t.Fatalf("call %+v", c)
			}
		}
	})

	t.Run("only the asked model is called", func(t *testing.T) {
		r := k.Run(ctx, Channel{Name: "m", BaseURL: base + "/v1", APIKey: goodKey, Models: []string{"mock-gpt", "mock-embed"}},
			Options{Model: "mock-embed"})
		if len(r.Calls) != 1 || r.Calls[0].Model != "mock-embed" || !r.Calls[0].OK {
			t.Fatalf("calls %+v", r.Calls)
		}
	})

	t.Run("base URL without /v1", func(t *testing.T) {
		r := k.Run(ctx, Channel{Name: "m", BaseURL: base, APIKey: goodKey, Models: []string{"mock-gpt"}}, Options{})
		if r.OK || r.Reachable.OK || !strings.Contains(r.Reachable.Detail, "404") || !strings.Contains(r.Reachable.Fix, "/v1") {
			t.Fatalf("wrong base URL: %+v", r.Reachable)
		}
		if len(r.Calls) != 0 {
			t.Fatalf("calls made on a wrong base URL: %+v", r.Calls)
		}
	})

	t.Run("nothing listens", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		r := k.Run(ctx, Channel{Name: "m", BaseURL: "http://" + addr + "/v1", APIKey: goodKey, Models: []string{"mock-gpt"}}, Options{})
		if r.OK || r.Reachable.OK || !strings.Contains(r.Reachable.Detail, "refused") || r.Reachable.Fix == "" {
			t.Fatalf("unreachable: %+v", r.Reachable)
		}
	})

	t.Run("wrong credential", func(t *testing.T) {
		wrong := "sk-wrong-9876543210fedcba9876543210fedcba"
		r := k.Run(ctx, Channel{Name: "m", BaseURL: base + "/v1", APIKey: wrong, Models: []string{"mock-gpt"},
			CredentialFrom: "api_key_env MOCK_KEY"}, Options{})
		if r.OK || !r.Reachable.OK || r.Credential.OK || !strings.Contains(r.Credential.Detail, "401") ||
			!strings.Contains(r.Credential.Fix, "api_key_env MOCK_KEY") {
			t.Fatalf("wrong credential: %+v", r.Credential)
		}
		noSecret(t, r, wrong)
	})

	t.Run("model the upstream lacks", func(t *testing.T) {
		r := k.Run(ctx, Channel{Name: "m", BaseURL: base + "/v1", APIKey: goodKey, Models: []string{"mock-gpt", "gpt-9"}}, Options{})
		if r.OK || r.Models.OK || !slices.Equal(r.Models.Missing, []string{"gpt-9"}) || !strings.Contains(r.Models.Detail, "gpt-9") {
			t.Fatalf("missing model: %+v", r.Models)
		}
		var bad *ModelCall
		for i := range r.Calls {
			if r.Calls[i].Model == "gpt-9" {
				bad = &r.Calls[i]
			}
		}
		if bad == nil || bad.OK || bad.Status != 404 {
			t.Fatalf("call to the missing model: %+v", r.Calls)
		}
		noSecret(t, r, goodKey)
	})
}

// An upstream that echoes the credential in its error never gets it into
// the report.
func TestUpstreamWordsAreScrubbed(t *testing.T) {
	key := "sk-live-abcdefghijklmnop"
	got := upstreamWords([]byte(`{"error":{"message":"key `+key+` is revoked"}}`), key)
	if strings.Contains(got, key) || !strings.Contains(got, "revoked") {
		t.Fatalf("upstreamWords = %q", got)
	}
}

func TestDiffModels(t *testing.T) {
	d := DiffModels([]string{"a", "b", "x"}, []string{"c", "a", "b", "a"})
	if !slices.Equal(d.New, []string{"c"}) || !slices.Equal(d.Missing, []string{"x"}) || !slices.Equal(d.Listed, []string{"a", "b", "c"}) {
		t.Fatalf("diff %+v", d)
	}
}

func TestParseListShapes(t *testing.T) {
	ids, more, err := parseList("gemini", []byte(`{"models":[{"name":"models/gemini-x"}],"nextPageToken":"p2"}`))
	if err != nil || !slices.Equal(ids, []string{"gemini-x"}) || more != "p2" {
		t.Fatalf("gemini: %v %q %v", ids, more, err)
	}
	ids, more, err = parseList("anthropic", []byte(`{"data":[{"id":"claude-x","type":"model"}],"has_more":true,"last_id":"claude-x"}`))
	if err != nil || !slices.Equal(ids, []string{"claude-x"}) || more != "claude-x" {
		t.Fatalf("anthropic: %v %q %v", ids, more, err)
	}
	if _, _, err := parseList("openai", []byte(`<html>hello</html>`)); err == nil {
		t.Fatal("an HTML page was taken for a model list")
	}
	if _, _, err := parseList("gemini", []byte(`{"object":"list","data":[]}`)); err == nil {
		t.Fatal("an OpenAI list was taken for a Gemini one")
	}
}

// An azure channel is checked on its resource (the model list answers for
// the endpoint and key) and on each deployment by a 1-token call.
func TestCheckAzureChannel(t *testing.T) {
	const key = "azure-check-key-0123456789abcdef"
	var mu sync.Mutex
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		if r.Header.Get("Api-Key") != key {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":{"code":"401","message":"Access denied due to invalid subscription key or wrong API endpoint."}}`)
			return
		}
		switch r.URL.Path {
		case "/openai/models":
			io.WriteString(w, `{"data":[{"id":"gpt-4o","object":"model"}],"object":"list"}`)
		case "/openai/deployments/prod-4o/chat/completions":
			io.WriteString(w, `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"p"},"finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}`)
		default:
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"code":"DeploymentNotFound","message":"The API deployment for this resource does not exist."}}`)
		}
	}))
	defer srv.Close()
	k := &Checker{}
	ch := Channel{Name: "az", Type: "azure", BaseURL: srv.URL, APIKey: key, APIVersion: "2025-01-01",
		Models: []string{"gpt-4o", "gpt-4o-mini"}, ModelMap: map[string]string{"gpt-4o": "prod-4o", "gpt-4o-mini": "missing-dep"}}
	r := k.Run(context.Background(), ch, Options{})
	if !r.Reachable.OK || !r.Credential.OK || !r.Models.OK || len(r.Calls) != 2 || !r.Calls[0].OK || r.Calls[1].OK ||
		!strings.Contains(r.Calls[1].Error, "does not exist") || r.OK {
		t.Fatalf("azure check: %+v", r)
	}
	mu.Lock()
	seen := append([]string(nil), paths...)
	mu.Unlock()
	if seen[0] != "/openai/models?api-version=2025-01-01" || seen[1] != "/openai/deployments/prod-4o/chat/completions?api-version=2025-01-01" {
		t.Fatalf("paths %v", seen)
	}
	ch.APIKey = "wrong-azure-key-0000000000000000"
	if r := k.Run(context.Background(), ch, Options{}); r.Credential.OK || len(r.Calls) != 0 || strings.Contains(fmt.Sprint(r), ch.APIKey) {
		t.Fatalf("azure check with a wrong key: %+v", r)
	}
}

// Anthropic and Gemini channels are checked in their own shapes, against
// the built-in fakes: list, credential (Google refuses a key with a 400),
// and a 1-token call per model (an embeddings model gets embedContent).
func TestCheckAnthropicAndGemini(t *testing.T) {
	for _, tc := range []struct {
		typ     string
		handler http.Handler
		base    string
		models  []string
	}{
		{"anthropic", mockupstream.NewAnthropic(mockupstream.Options{APIKey: goodKey}), "/v1", []string{"claude-mock"}},
		{"gemini", mockupstream.NewGemini(mockupstream.Options{APIKey: goodKey}), "/v1beta", []string{"gemini-mock", "gemini-mock-embed"}},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			k := &Checker{}
			ch := Channel{Name: tc.typ, Type: tc.typ, BaseURL: srv.URL + tc.base, APIKey: goodKey, Models: tc.models}
			if r := k.Run(context.Background(), ch, Options{}); !r.OK || len(r.Calls) != len(tc.models) {
				t.Fatalf("good %s channel: %+v", tc.typ, r)
			}
			bad := ch
			bad.APIKey = "wrong-key-for-the-fake-0123456789"
			r := k.Run(context.Background(), bad, Options{})
			if r.OK || !r.Reachable.OK || r.Credential.OK || len(r.Calls) != 0 {
				t.Fatalf("%s with a wrong key: %+v", tc.typ, r)
			}
			noSecret(t, r, bad.APIKey)
			lacking := ch
			lacking.Models = append([]string{"no-such-model"}, ch.Models...)
			if r := k.Run(context.Background(), lacking, Options{}); r.OK || !slices.Equal(r.Models.Missing, []string{"no-such-model"}) {
				t.Fatalf("%s with a model it lacks: %+v", tc.typ, r.Models)
			}
		})
	}
}
