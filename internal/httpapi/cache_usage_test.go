package httpapi_test

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

// cachingUpstream answers like OpenAI and Anthropic do when a prompt cache
// was hit: documented usage shapes, answers and streams.
func cachingUpstream(t *testing.T) *httptest.Server {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		stream := strings.Contains(string(b), `"stream":true`)
		switch {
		case r.URL.Path == "/v1/chat/completions" && !stream:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],`+
				`"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`)
		case r.URL.Path == "/v1/chat/completions":
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"o3\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n"+
				"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"model\":\"o3\",\"choices\":[],\"usage\":{\"prompt_tokens\":2006,\"completion_tokens\":1186,\"total_tokens\":3192,\"prompt_tokens_details\":{\"cached_tokens\":1920},\"completion_tokens_details\":{\"reasoning_tokens\":1024}}}\n\n"+
				"data: [DONE]\n\n")
		case r.URL.Path == "/v1/messages" && !stream:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-0","content":[{"type":"text","text":"Hi"}],"stop_reason":"end_turn","stop_sequence":null,`+
				`"usage":{"input_tokens":50,"cache_creation_input_tokens":200,"cache_read_input_tokens":1000,"output_tokens":100}}`)
		case r.URL.Path == "/v1/messages":
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude-sonnet-4-0\",\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":50,\"cache_creation_input_tokens\":200,\"cache_read_input_tokens\":1000,\"output_tokens\":1}}}\n\n"+
				"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"+
				"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"+
				"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"+
				"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":100}}\n\n"+
				"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(up.Close)
	return up
}

// Cached, cache-write and reasoning tokens are recorded in every request
// log row, priced as the provider bills them, and summed by
// /admin/v1/usage (issue 12, item 5).
func TestCachedAndReasoningTokensAreLoggedBilledAndSummed(t *testing.T) {
	up := cachingUpstream(t)
	g := testgw.Start(t, testgw.Options{Config: fmt.Sprintf(`
groups: [{name: default, models: ["*"]}]
projects: [{name: demo}]
channels:
  - {name: oai, type: openai, base_url: "%[1]s/v1", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [gpt-cached], groups: [default]}
  - {name: claude, type: anthropic, base_url: "%[1]s/v1", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [claude-cached], groups: [default]}
models:
  - {name: gpt-cached, input_per_mtok: 2.5, cached_input_per_mtok: 1.25, output_per_mtok: 10}
  - {name: claude-cached, input_per_mtok: 3, cached_input_per_mtok: 0.30, cache_write_per_mtok: 3.75, output_per_mtok: 15}
`, up.URL)})
	k := g.CreateKey(nil)
	calls := []struct {
		path, body                   string
		input, cached, write, reason float64
		cost                         float64
	}{
		{"/v1/chat/completions", `{"model":"gpt-cached","messages":[{"role":"user","content":"hi"}]}`,
			2006, 1920, 0, 0, (86*2.5 + 1920*1.25 + 300*10) / 1e6},
		{"/v1/chat/completions", `{"model":"gpt-cached","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			2006, 1920, 0, 1024, (86*2.5 + 1920*1.25 + 1186*10) / 1e6},
		{"/v1/messages", `{"model":"claude-cached","max_tokens":200,"messages":[{"role":"user","content":"hi"}]}`,
			1250, 1000, 200, 0, (50*3 + 1000*0.30 + 200*3.75 + 100*15) / 1e6},
		{"/v1/messages", `{"model":"claude-cached","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"hi"}]}`,
			1250, 1000, 200, 0, (50*3 + 1000*0.30 + 200*3.75 + 100*15) / 1e6},
	}
	var wantCost float64
	for i, c := range calls {
		resp, b := g.Do("POST", c.path, testgw.Bearer(k.Key), c.body)
		if resp.StatusCode != 200 {
			t.Fatalf("call %d: %d %s", i, resp.StatusCode, b)
		}
		var r map[string]any
		for _, row := range g.Logs(testgw.Query("key_id", k.ID), i+1) {
			if row["request_id"] == resp.Header.Get("X-Request-Id") {
				r = row
			}
		}
		if r == nil {
			t.Fatalf("call %d: no log row", i)
		}
		if r["input_tokens"] != c.input || r["cached_input_tokens"] != c.cached || r["cache_write_tokens"] != c.write ||
			r["reasoning_tokens"] != c.reason || r["usage_estimated"] != false {
			t.Fatalf("call %d (%s): log row tokens %v in, %v cached, %v written, %v reasoning", i, c.path,
				r["input_tokens"], r["cached_input_tokens"], r["cache_write_tokens"], r["reasoning_tokens"])
		}
		if cost, _ := r["cost_usd"].(float64); math.Abs(cost-c.cost) > 1e-9 {
			t.Fatalf("call %d (%s): cost $%.8f, want $%.8f", i, c.path, cost, c.cost)
		}
		wantCost += c.cost
	}
	var rep struct {
		Totals map[string]float64 `json:"totals"`
	}
	g.Admin("GET", "/admin/v1/usage?project=demo", nil, &rep)
	if rep.Totals["cached_input_tokens"] != 1920*2+1000*2 || rep.Totals["cache_write_tokens"] != 400 ||
		rep.Totals["reasoning_tokens"] != 1024 || math.Abs(rep.Totals["cost_usd"]-wantCost) > 1e-8 {
		t.Fatalf("usage totals %v; want 5840 cached, 400 written, 1024 reasoning, $%.8f", rep.Totals, wantCost)
	}
}
