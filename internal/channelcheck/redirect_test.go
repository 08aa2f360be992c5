package channelcheck

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

// A channel test must not follow an upstream's redirect: Go's client would
// re-send x-api-key / x-goog-api-key (it strips only Authorization) to the
// other host. The checker's default client refuses, as the relay's does.
func TestCheckDoesNotFollowRedirects(t *testing.T) {
	var reached atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer elsewhere.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	for _, typ := range []string{"openai", "anthropic", "gemini"} {
		r := (&Checker{}).Run(context.Background(), Channel{Name: "r", Type: typ, BaseURL: redirector.URL, APIKey: goodKey,
			Models: []string{"m"}}, Options{})
		if r.OK {
			t.Errorf("%s: a redirecting upstream passed the check: %+v", typ, r)
		}
		noSecret(t, r, goodKey)
	}
	if n := reached.Load(); n != 0 {
		t.Fatalf("the redirect target received %d requests carrying the channel credential", n)
	}
}
