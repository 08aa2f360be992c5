package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/testgw"
)

// Preflight is answered for listed origins only (it was a 405 for all),
// and their answers may be read; with no KEYGATE_CORS_ORIGINS, nothing
// changes.
func TestCORS(t *testing.T) {
	g := testgw.Start(t, testgw.Options{Configure: func(c *config.Config) { c.CORSOrigins = "https://app.example.com" }})
	pre := http.Header{"Origin": {"https://app.example.com"}, "Access-Control-Request-Method": {"POST"},
		"Access-Control-Request-Headers": {"authorization, content-type, x-stainless-os"}}
	resp, _ := g.Do("OPTIONS", "/v1/chat/completions", pre, "")
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		resp.Header.Get("Access-Control-Allow-Headers") != "authorization, content-type, x-stainless-os" ||
		resp.Header.Get("Access-Control-Allow-Methods") == "" {
		t.Fatalf("listed origin: %d %v", resp.StatusCode, resp.Header)
	}
	other := http.Header{"Origin": {"https://evil.example"}, "Access-Control-Request-Method": {"POST"}}
	resp, _ = g.Do("OPTIONS", "/v1/chat/completions", other, "")
	if resp.Header.Get("Access-Control-Allow-Origin") != "" || resp.StatusCode == 204 {
		t.Fatalf("unlisted origin: %d %v", resp.StatusCode, resp.Header)
	}
	// A real call from the listed origin may read the answer and its request id.
	k := g.CreateKey(nil)
	h := testgw.Bearer(k.Key)
	h.Set("Origin", "https://app.example.com")
	resp, _ = g.Do("POST", "/v1/chat/completions", h, `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("call: %d %v", resp.StatusCode, resp.Header)
	}
	// The admin API is not opened to browsers.
	resp, _ = g.Do("OPTIONS", "/admin/v1/keys", pre, "")
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("admin: %v", resp.Header)
	}
	// Off by default.
	g2 := testgw.Start(t, testgw.Options{})
	resp, _ = g2.Do("OPTIONS", "/v1/chat/completions", pre, "")
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("default: %v", resp.Header)
	}
}
