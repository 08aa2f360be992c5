package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

// benchGateway is a real gateway (app.New: SQLite, catalog, limiter,
// ledger, async request log) in front of the in-process mock upstream, with
// a key whose rate limits and budget are on but far from reached, and
// whose project has a budget too: every call is admitted, reserved,
// settled and logged, as in production.
func benchGateway(b *testing.B) (*testgw.Gateway, string) {
	b.Helper()
	g := testgw.Start(b, testgw.Options{Config: `
groups: [{name: default, models: ["*"]}]
projects: [{name: demo, budget: {limit_usd: 1000000, period: monthly}}]
channels:
  - {name: mock, type: openai, base_url: "{{UPSTREAM}}/v1", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [mock-gpt], groups: [default]}
models:
  - {name: mock-gpt, input_per_mtok: 0.15, output_per_mtok: 0.60}
`})
	k := g.CreateKey(map[string]any{"name": "bench", "group": "default", "rpm": 100_000_000, "tpm": 1_000_000_000,
		"budget": map[string]any{"limit_usd": 1_000_000, "period": "monthly"}})
	return g, k.Key
}

// BenchmarkAuthenticate is the authentication step on a request: the
// credential taken from the Authorization header (format and checksum
// checked), hashed, looked up in the key cache, and its state, expiry and
// networks checked.
func BenchmarkAuthenticate(b *testing.B) {
	g, key := benchGateway(b)
	r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	r.Header.Set("Authorization", "Bearer "+key)
	s := g.App.Server
	b.ReportAllocs()
	for b.Loop() {
		if err := s.AuthenticateForBench(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandler is one whole call through Server.Handler: request id,
// authentication, body read and model extraction, authorization, rate limit
// and budget reservation, relay to the mock upstream over loopback, usage
// and cost, settlement and the request log row. The upstream's own work is
// included; compare runs of this benchmark, not its absolute time.
func BenchmarkHandler(b *testing.B) {
	for _, tc := range []struct{ name, body string }{
		{"json", `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`},
		{"stream", `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			g, key := benchGateway(b)
			h := g.App.Server.Handler()
			body := []byte(tc.body)
			auth := "Bearer " + key
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", bytes.NewReader(body))
				r.Header.Set("Authorization", auth)
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != 200 {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				_, _ = io.Copy(io.Discard, w.Body)
			}
		})
	}
}
