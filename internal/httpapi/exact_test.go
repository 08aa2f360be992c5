package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/keygate/keygate/internal/metrics"
)

// exactFirst serves only a POST to an exact, unescaped path itself, with
// the pattern the mux would have set; everything else goes to the mux.
func TestExactFirst(t *testing.T) {
	var got string
	exact := map[string]exactRoute{"/v1/chat/completions": {pattern: "POST /v1/chat/completions",
		h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = "exact " + r.Pattern })}}
	h := exactFirst(exact, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = "next" }))
	for _, c := range []struct{ method, target, want string }{
		{"POST", "/v1/chat/completions", "exact POST /v1/chat/completions"},
		{"GET", "/v1/chat/completions", "next"},
		{"POST", "/v1/chat/completions/", "next"},
		{"POST", "/v1/chat%2Fcompletions", "next"},
		{"POST", "/v1/chat/completion%73", "next"},
		{"POST", "/v1//chat/completions", "next"},
		{"POST", "/v1/embeddings", "next"},
	} {
		got = ""
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(c.method, c.target, nil))
		if got != c.want {
			t.Errorf("%s %s: served by %q, want %q", c.method, c.target, got, c.want)
		}
	}
}

// The relayed POST routes every client hits on each call — OpenAI's and
// Claude's /v1/messages — are served by exact path, each with the same
// pattern the mux holds for it.
func TestRelayedRoutesServedByExactPath(t *testing.T) {
	zero := func() float64 { return 0 }
	s := &Server{Metrics: metrics.New(zero, zero, zero)}
	exact := s.routes(http.NewServeMux())
	for _, path := range []string{"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses",
		"/v1/messages", "/v1/messages/count_tokens"} {
		e, ok := exact[path]
		if !ok {
			t.Errorf("POST %s goes through the mux's pattern matching on every call", path)
			continue
		}
		if e.pattern != "POST "+path || e.h == nil {
			t.Errorf("POST %s: exact route %q", path, e.pattern)
		}
	}
}
