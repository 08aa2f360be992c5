package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

// BenchmarkHandlerConverted is BenchmarkHandler's whole call on the paths
// `keygate bench --convert` measures: pass-through, an Anthropic and a
// Gemini channel behind /v1/chat/completions, and an OpenAI channel behind
// /v1/messages, each answered by the in-process mock. The upstream's work
// is included; the subtests' difference is the conversion's cost in the
// whole call (compare them with benchstat, or profile one with
// -cpuprofile and leave the mock's frames out).
func BenchmarkHandlerConverted(b *testing.B) {
	g := testgw.Start(b, testgw.Options{Config: `
groups: [{name: default, models: ["*"]}]
projects: [{name: demo, budget: {limit_usd: 1000000, period: monthly}}]
channels:
  - {name: mock, type: openai, base_url: "{{UPSTREAM}}/v1", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [mock-gpt], groups: [default]}
  - {name: mock-anthropic, type: anthropic, base_url: "{{UPSTREAM}}", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [mock-claude], groups: [default]}
  - {name: mock-gemini, type: gemini, base_url: "{{UPSTREAM}}", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [mock-gemini], groups: [default]}
models:
  - {name: mock-gpt, input_per_mtok: 0.15, output_per_mtok: 0.60}
  - {name: mock-claude, input_per_mtok: 0.15, output_per_mtok: 0.60}
  - {name: mock-gemini, input_per_mtok: 0.15, output_per_mtok: 0.60}
`})
	k := g.CreateKey(map[string]any{"name": "bench", "group": "default", "rpm": 100_000_000, "tpm": 1_000_000_000,
		"budget": map[string]any{"limit_usd": 1_000_000, "period": "monthly"}})
	h := g.App.Server.Handler()
	for _, tc := range []struct{ name, path, body string }{
		{"pass-through", "/v1/chat/completions", `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`},
		{"anthropic", "/v1/chat/completions", `{"model":"mock-claude","messages":[{"role":"user","content":"hi"}]}`},
		{"gemini", "/v1/chat/completions", `{"model":"mock-gemini","messages":[{"role":"user","content":"hi"}]}`},
		{"messages", "/v1/messages", `{"model":"mock-gpt","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			body := []byte(tc.body)
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, tc.path, bytes.NewReader(body))
				if tc.path == "/v1/messages" {
					r.Header.Set("X-Api-Key", k.Key)
					r.Header.Set("Anthropic-Version", "2023-06-01")
				} else {
					r.Header.Set("Authorization", "Bearer "+k.Key)
				}
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
