package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/testgw"
)

// panicProvider stands for any bug deep in a handler.
type panicProvider struct{}

func (panicProvider) Chat(context.Context, provider.Credential, *provider.ChatRequest) (*provider.ChatResponse, error) {
	panic("adapter bug")
}

func (panicProvider) ChatStream(context.Context, provider.Credential, *provider.ChatRequest) (provider.ChatStream, error) {
	return &panicStream{}, nil
}

// panicStream sends one chunk, then panics: the answer has begun.
type panicStream struct{ n int }

func (s *panicStream) Recv() (*provider.ChatChunk, error) {
	if s.n++; s.n > 1 {
		panic("stream bug")
	}
	return &provider.ChatChunk{Role: "assistant", Text: "hel"}, nil
}
func (s *panicStream) Usage() (provider.Usage, bool) { return provider.Usage{}, false }
func (s *panicStream) Close() error                  { return nil }

// A handler that panics after admission releases the key's concurrency
// slot, its budget hold and the in-flight gauge, answers 500
// internal_error with the request id, and logs the stack.
func TestPanicReleasesWhatTheCallHeld(t *testing.T) {
	var logs syncBuffer
	g := testgw.Start(t, testgw.Options{Log: &logs, Config: `
groups: [{name: default, models: ["*"]}]
projects: [{name: demo}]
channels:
  - {name: mock, type: openai, base_url: "{{UPSTREAM}}/v1", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [mock-gpt], groups: [default]}
  - {name: claude, type: anthropic, base_url: "{{UPSTREAM}}/v1", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [mock-claude], groups: [default]}
models:
  - {name: mock-gpt, input_per_mtok: 0.15, output_per_mtok: 0.60}
  - {name: mock-claude, input_per_mtok: 3, output_per_mtok: 15}
`})
	g.App.Server.Relay.Providers = provider.Registry{"anthropic": panicProvider{}}
	k := g.CreateKey(map[string]any{"concurrency": 1, "budget": map[string]any{"limit_usd": 10, "period": "monthly"}})

	resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key),
		`{"model":"mock-claude","max_tokens":16,"messages":[{"role":"user","content":"hello"}]}`)
	var e struct {
		Error struct {
			Code      string `json:"code"`
			RequestID string `json:"request_id"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &e)
	rid := resp.Header.Get("X-Request-Id")
	if resp.StatusCode != 500 || e.Error.Code != "internal_error" || rid == "" || e.Error.RequestID != rid {
		t.Fatalf("panicking handler answered %d %s (x-request-id %q)", resp.StatusCode, b, rid)
	}
	if n := g.App.Server.Ledger.Outstanding(); n != 0 {
		t.Fatalf("%d budget holds left after the panic", n)
	}
	var gauge dto.Metric
	if err := g.App.Server.Metrics.InFlight.Write(&gauge); err != nil || gauge.GetGauge().GetValue() != 0 {
		v := gauge.GetGauge().GetValue()
		t.Fatalf("in-flight gauge %v after the panic", v)
	}
	// The key's only concurrency slot is free again.
	resp, b = g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), chatBody)
	if resp.StatusCode != 200 {
		t.Fatalf("next call of the key: %d %s", resp.StatusCode, b)
	}
	out := logs.String()
	if !strings.Contains(out, "adapter bug") || !strings.Contains(out, rid) || !strings.Contains(out, "panic_test.go") {
		t.Fatalf("the panic was not logged with its request id and stack:\n%s", out)
	}
	if bytes.Contains([]byte(out), []byte(k.Key)) {
		t.Fatal("the key is in the log")
	}

	// A panic once a stream has begun cannot be answered with a 500: the
	// connection is aborted, so the client sees a failure, not a short
	// answer that looks whole — and the slot is free again too.
	req, _ := http.NewRequest("POST", g.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"mock-claude","stream":true,"messages":[{"role":"user","content":"hello"}]}`))
	req.Header.Set("Authorization", "Bearer "+k.Key)
	sresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	sb, rerr := io.ReadAll(sresp.Body)
	sresp.Body.Close()
	if rerr == nil {
		t.Fatalf("a stream whose handler panicked ended cleanly: %s", sb)
	}
	if n := g.App.Server.Ledger.Outstanding(); n != 0 {
		t.Fatalf("%d budget holds left after the stream's panic", n)
	}
	if resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), chatBody); resp.StatusCode != 200 {
		t.Fatalf("call after the stream's panic: %d %s", resp.StatusCode, b)
	}
}
