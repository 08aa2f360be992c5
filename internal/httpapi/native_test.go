package httpapi_test

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

// threeVendors has a channel of each type, all on the one mock upstream
// (it serves every vendor's routes).
const threeVendors = `
groups: [{name: default, models: ["*"]}]
projects: [{name: demo}]
channels:
  - name: oa
    type: openai
    base_url: "{{UPSTREAM}}/v1"
    api_key_env: KEYGATE_TEST_UPSTREAM_KEY
    models: [mock-gpt, mock-embed, gpt-missing]
  - name: an
    type: anthropic
    base_url: "{{UPSTREAM}}/v1"
    api_key_env: KEYGATE_TEST_UPSTREAM_KEY
    models: [claude-mock]
  - name: ge
    type: gemini
    base_url: "{{UPSTREAM}}/v1beta"
    api_key_env: KEYGATE_TEST_UPSTREAM_KEY
    models: [gemini-mock, gemini-mock-embed]
models:
  - {name: mock-embed, input_per_mtok: 0.02}
`

func errorFields(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var env struct {
		Type  string         `json:"type"`
		Error map[string]any `json:"error"`
	}
	if err := json.Unmarshal(b, &env); err != nil || env.Error == nil {
		t.Fatalf("not an error envelope: %s", b)
	}
	return env.Error
}

// An upstream 4xx is answered in our envelope: code, hint, docs and request
// id, the upstream's own words and status kept. (It was passed on raw: the
// upstream's body, without hint or request id.)
func TestUpstream4xxGetsOurEnvelope(t *testing.T) {
	g := testgw.Start(t, testgw.Options{Config: threeVendors})
	k := g.CreateKey(nil)
	resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"gpt-missing","messages":[{"role":"user","content":"hi"}]}`)
	e := errorFields(t, b)
	if resp.StatusCode != 404 || e["code"] != "model_not_found" || e["docs"] != "/docs/errors/invalid_request" || e["hint"] == "" || e["request_id"] != resp.Header.Get("X-Request-Id") ||
		!strings.Contains(e["message"].(string), "gpt-missing") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}

// Claude clients get Anthropic's error shape with our fields inside
// "error", and a request-id header beside x-request-id.
func TestAnthropicErrorShape(t *testing.T) {
	g := testgw.Start(t, testgw.Options{Config: threeVendors})
	h := http.Header{"X-Api-Key": {"kg_live_not-a-key"}, "Anthropic-Version": {"2023-06-01"}}
	resp, b := g.Do("POST", "/v1/messages", h, `{"model":"claude-mock","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`)
	var env struct {
		Type  string         `json:"type"`
		Error map[string]any `json:"error"`
	}
	_ = json.Unmarshal(b, &env)
	if resp.StatusCode != 401 || env.Type != "error" || env.Error["type"] != "authentication_error" || env.Error["code"] != "invalid_api_key_format" ||
		env.Error["hint"] == "" || env.Error["request_id"] == "" || resp.Header.Get("Request-Id") != resp.Header.Get("X-Request-Id") {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, b)
	}
}

// Anthropic's count_tokens: forwarded to an Anthropic channel, estimated
// for a model on another provider; the header says which. GET /v1/models
// with anthropic-version answers in Anthropic's list format.
func TestAnthropicCountTokensAndModels(t *testing.T) {
	g := testgw.Start(t, testgw.Options{Config: threeVendors})
	k := g.CreateKey(nil)
	h := http.Header{"X-Api-Key": {k.Key}, "Anthropic-Version": {"2023-06-01"}}
	for model, source := range map[string]string{"claude-mock": "upstream", "mock-gpt": "estimate", "gemini-mock": "estimate"} {
		resp, b := g.Do("POST", "/v1/messages/count_tokens", h, `{"model":"`+model+`","messages":[{"role":"user","content":"count these words please"}]}`)
		var out struct {
			InputTokens int `json:"input_tokens"`
		}
		_ = json.Unmarshal(b, &out)
		if resp.StatusCode != 200 || out.InputTokens == 0 || resp.Header.Get("Keygate-Token-Count") != source {
			t.Fatalf("%s: %d %s %v", model, resp.StatusCode, b, resp.Header)
		}
	}
	resp, b := g.Do("GET", "/v1/models", h, "")
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"type":"model"`) || !strings.Contains(string(b), `"has_more":false`) ||
		!strings.Contains(string(b), `"id":"claude-mock"`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	// OpenAI clients still get OpenAI's list.
	_, b = g.Do("GET", "/v1/models", testgw.Bearer(k.Key), "")
	if !strings.Contains(string(b), `"object":"list"`) {
		t.Fatalf("%s", b)
	}
}

// Gemini clients: model list and get, countTokens, embedContent and
// batchEmbedContents (natively and converted to an OpenAI-compatible
// channel), errors in Google's shape.
func TestGeminiRoutes(t *testing.T) {
	g := testgw.Start(t, testgw.Options{Config: threeVendors})
	k := g.CreateKey(nil)
	h := http.Header{"X-Goog-Api-Key": {k.Key}}
	cases := []struct{ method, path, body, want string }{
		{"GET", "/v1beta/models", "", `"name":"models/gemini-mock"`},
		{"GET", "/v1beta/models/gemini-mock", "", `"supportedGenerationMethods"`},
		{"POST", "/v1beta/models/gemini-mock:countTokens", `{"contents":[{"parts":[{"text":"hello"}]}]}`, `"totalTokens":`},
		{"POST", "/v1beta/models/mock-gpt:countTokens", `{"contents":[{"parts":[{"text":"hello"}]}]}`, `"totalTokens":`},
		{"POST", "/v1beta/models/gemini-mock-embed:embedContent", `{"content":{"parts":[{"text":"hello"}]}}`, `"embedding":{"values":[`},
		{"POST", "/v1beta/models/mock-embed:embedContent", `{"content":{"parts":[{"text":"hello"}]}}`, `"embedding":{"values":[`},
		{"POST", "/v1beta/models/mock-embed:batchEmbedContents", `{"requests":[{"content":{"parts":[{"text":"a"}]}},{"content":{"parts":[{"text":"b"}]}}]}`, `"embeddings":[{"values":[`},
	}
	for _, c := range cases {
		resp, b := g.Do(c.method, c.path, h, c.body)
		if resp.StatusCode != 200 || !strings.Contains(string(b), c.want) {
			t.Fatalf("%s %s: %d %s", c.method, c.path, resp.StatusCode, b)
		}
	}
	resp, b := g.Do("POST", "/v1beta/models/nope:generateContent", h, `{"contents":[]}`)
	e := errorFields(t, b)
	if resp.StatusCode != 404 || e["status"] != "NOT_FOUND" || e["code"] != float64(404) || e["reason"] != "model_not_found" || e["request_id"] == "" {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}

// Anthropic and Gemini channels take their vendors' documented host-only
// base URLs (they posted to {host}/messages and got a 404).
func TestHostOnlyBaseURLs(t *testing.T) {
	cfg := strings.NewReplacer(`"{{UPSTREAM}}/v1"
    api_key_env: KEYGATE_TEST_UPSTREAM_KEY
    models: [claude-mock]`, `"{{UPSTREAM}}"
    api_key_env: KEYGATE_TEST_UPSTREAM_KEY
    models: [claude-mock]`, `"{{UPSTREAM}}/v1beta"`, `"{{UPSTREAM}}/"`).Replace(threeVendors)
	g := testgw.Start(t, testgw.Options{Config: cfg})
	k := g.CreateKey(nil)
	for _, model := range []string{"claude-mock", "gemini-mock"} {
		resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != 200 || !strings.Contains(string(b), "You said: hi") {
			t.Fatalf("%s: %d %s", model, resp.StatusCode, b)
		}
	}
}

// The wrong-base-URL diagnosis knows the native routes: each gets the base
// URL its own client needs, not OpenAI's.
func TestNativeWrongBaseURL(t *testing.T) {
	g := testgw.Start(t, testgw.Options{Config: threeVendors})
	cases := map[string]string{
		"/v1/v1/messages":  "ANTHROPIC_BASE_URL",
		"/api/v1/messages": "ANTHROPIC_BASE_URL",
		"/messages":        "ANTHROPIC_BASE_URL",
		"/v1beta/v1beta/models/gemini-mock:generateContent": "Gemini",
		"/v1/v1beta/models/gemini-mock:generateContent":     "Gemini",
	}
	for path, who := range cases {
		resp, b := g.Do("POST", path, nil, `{}`)
		e := errorFields(t, b)
		hint, _ := e["hint"].(string)
		if resp.StatusCode != 404 || e["code"] != "unknown_endpoint" || !strings.Contains(hint, who) || !strings.Contains(hint, g.URL+" ") ||
			strings.Contains(hint, g.URL+"/v1") {
			t.Errorf("%s: %d %s", path, resp.StatusCode, b)
		}
	}
}

// Claude Code's recorded request through /v1/messages to a model on an
// OpenAI and on a Gemini channel, streamed: answered (before, refused for
// the system message in messages, context_management, output_config.effort
// and thinking), the upstream's reasoning shown as a thinking block before
// the text, and the dropped feature named in a header.
func TestClaudeCodeThroughEveryChannel(t *testing.T) {
	fixture, err := os.ReadFile("../provider/anthropic/testdata/clients/claude-code-2.1.328-p.json")
	if err != nil {
		t.Fatal(err)
	}
	g := testgw.Start(t, testgw.Options{Config: threeVendors})
	k := g.CreateKey(nil)
	h := http.Header{"X-Api-Key": {k.Key}, "Anthropic-Version": {"2023-06-01"},
		"Anthropic-Beta": {"claude-code-20250219,context-management-2025-06-27,effort-2025-11-24"}}
	for _, model := range []string{"mock-gpt", "gemini-mock", "claude-mock"} {
		body := strings.Replace(string(fixture), `"model":"claude-mock"`, `"model":"`+model+`"`, 1)
		resp, b := g.Do("POST", "/v1/messages", h, body)
		s := string(b)
		if resp.StatusCode != 200 || !strings.Contains(s, "event: message_stop") || !strings.Contains(s, `"text":"Hello"`) {
			t.Fatalf("%s: %d %s", model, resp.StatusCode, b)
		}
		if model == "claude-mock" {
			continue // passed through as it is
		}
		if got := resp.Header.Get("Keygate-Dropped-Features"); got != "context_management" {
			t.Errorf("%s: dropped header %q", model, got)
		}
		if i, j := strings.Index(s, `"type":"thinking_delta"`), strings.Index(s, `"type":"text_delta"`); i < 0 || j < i {
			t.Errorf("%s: no thinking block before the text:\n%s", model, s)
		}
	}
}

// Codex's recorded request on models of Anthropic and Gemini channels: its
// web_search tool is refused with a 400 that names the tool and the Codex
// setting; without it the stream completes in the Responses grammar.
func TestCodexThroughConvertedChannels(t *testing.T) {
	fixture, err := os.ReadFile("../provider/openai/testdata/clients/codex-0.169.0-exec.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(fixture, &m)
	g := testgw.Start(t, testgw.Options{Config: threeVendors})
	k := g.CreateKey(nil)
	for _, model := range []string{"claude-mock", "gemini-mock"} {
		m["model"] = model
		b, _ := json.Marshal(m)
		resp, out := g.Do("POST", "/v1/responses", testgw.Bearer(k.Key), string(b))
		e := errorFields(t, out)
		if hint, _ := e["hint"].(string); resp.StatusCode != 400 || !strings.Contains(e["message"].(string), `"web_search"`) ||
			!strings.Contains(hint, `web_search = "disabled"`) || e["param"] != "tools[8]" {
			t.Fatalf("%s with web_search: %d %s", model, resp.StatusCode, out)
		}
		var tools []any
		for _, tl := range m["tools"].([]any) {
			if tl.(map[string]any)["type"] != "web_search" {
				tools = append(tools, tl)
			}
		}
		m2 := map[string]any{}
		for k, v := range m {
			m2[k] = v
		}
		m2["tools"] = tools
		b, _ = json.Marshal(m2)
		resp, out = g.Do("POST", "/v1/responses", testgw.Bearer(k.Key), string(b))
		if resp.StatusCode != 200 || !strings.Contains(string(out), "event: response.completed") || strings.Contains(string(out), "[DONE]") {
			t.Fatalf("%s without web_search: %d %s", model, resp.StatusCode, out)
		}
	}
}
