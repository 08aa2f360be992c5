package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
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
