package mockupstream

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// call sends a request with the given headers to the combined mock.
func call(t *testing.T, base, method, path string, h map[string]string, body string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// One mock serves every route the gateway serves, each in its vendor's
// shape and behind its vendor's credential header. (It answered
// /v1/responses, /v1/messages and /v1beta/… with "Invalid URL".)
func TestEveryVendorRoute(t *testing.T) {
	srv := newTestServer(t, Options{APIKey: testKey})
	oa := map[string]string{"Authorization": "Bearer " + testKey}
	an := map[string]string{"X-Api-Key": testKey, "Anthropic-Version": "2023-06-01"}
	ge := map[string]string{"X-Goog-Api-Key": testKey}
	cases := []struct {
		name, method, path string
		h                  map[string]string
		body               string
		want               []string
	}{
		{"responses", "POST", "/v1/responses", oa, `{"model":"mock-gpt","input":"hi there"}`,
			[]string{`"object":"response"`, `"status":"completed"`, `"output_text"`, "You said: hi there", `"input_tokens":`}},
		{"responses tool", "POST", "/v1/responses", oa,
			`{"model":"mock-gpt","input":"Lima","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}`,
			[]string{`"type":"function_call"`, `"name":"get_weather"`, `"call_id":"call_`, `\"query\":\"Lima\"`}},
		{"responses tool output", "POST", "/v1/responses", oa,
			`{"model":"mock-gpt","input":[{"role":"user","content":"Lima"},{"type":"function_call","call_id":"c1","name":"get_weather","arguments":"{}"},{"type":"function_call_output","call_id":"c1","output":"cloudy"}],"tools":[{"type":"function","name":"get_weather"}]}`,
			[]string{"The tool said: cloudy"}},
		{"chat tool", "POST", "/v1/chat/completions", oa,
			`{"model":"mock-gpt","messages":[{"role":"user","content":"Lima"}],"tools":[{"type":"function","function":{"name":"get_weather"}}]}`,
			[]string{`"tool_calls":[`, `"finish_reason":"tool_calls"`, `"name":"get_weather"`}},
		{"messages", "POST", "/v1/messages", an, `{"model":"claude-mock","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}`,
			[]string{`"type":"message"`, "You said: hi"}},
		{"count_tokens", "POST", "/v1/messages/count_tokens", an, `{"model":"claude-mock","messages":[{"role":"user","content":"hi"}]}`,
			[]string{`"input_tokens":`}},
		{"anthropic models", "GET", "/v1/models", an, "", []string{`"type":"model"`, `"has_more":false`}},
		{"openai models", "GET", "/v1/models", oa, "", []string{`"object":"list"`, `"id":"mock-gpt"`}},
		{"generateContent", "POST", "/v1beta/models/gemini-mock:generateContent", ge, `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`,
			[]string{`"candidates"`, "You said: hi", `"usageMetadata"`}},
		{"countTokens", "POST", "/v1beta/models/gemini-mock:countTokens", ge, `{"contents":[{"parts":[{"text":"hi"}]}]}`, []string{`"totalTokens":`}},
		{"embedContent", "POST", "/v1beta/models/gemini-mock-embed:embedContent", ge, `{"content":{"parts":[{"text":"hi"}]}}`, []string{`"embedding":{"values":[`}},
		{"batchEmbedContents", "POST", "/v1beta/models/gemini-mock-embed:batchEmbedContents", ge,
			`{"requests":[{"model":"models/gemini-mock-embed","content":{"parts":[{"text":"a"}]}},{"model":"models/gemini-mock-embed","content":{"parts":[{"text":"b"}]}}]}`,
			[]string{`"embeddings":[{"values":[`}},
		{"gemini models", "GET", "/v1beta/models", ge, "", []string{`"name":"models/gemini-mock"`, `"supportedGenerationMethods"`}},
		{"gemini model", "GET", "/v1beta/models/gemini-mock", ge, "", []string{`"name":"models/gemini-mock"`}},
		{"gemini key in query", "GET", "/v1beta/models?key=" + testKey, nil, "", []string{`"models"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, _, b := call(t, srv.URL, c.method, c.path, c.h, c.body)
			if st != 200 {
				t.Fatalf("status %d: %s", st, b)
			}
			for _, w := range c.want {
				if !strings.Contains(string(b), w) {
					t.Fatalf("answer lacks %s:\n%s", w, b)
				}
			}
		})
	}
	// Each vendor's credential header, and its error shape.
	if st, _, b := call(t, srv.URL, "POST", "/v1/messages", map[string]string{"Authorization": "Bearer " + testKey, "Anthropic-Version": "2023-06-01"}, `{}`); st != 401 || !strings.Contains(string(b), `"type":"authentication_error"`) {
		t.Fatalf("messages without x-api-key: %d %s", st, b)
	}
	if st, _, b := call(t, srv.URL, "POST", "/v1beta/models/gemini-mock:generateContent", oa, `{}`); st != 400 || !strings.Contains(string(b), `"status":"INVALID_ARGUMENT"`) {
		t.Fatalf("gemini without x-goog-api-key: %d %s", st, b)
	}
}

// A Responses stream follows OpenAI's event grammar: sequence numbers in
// order, text deltas, and response.completed with usage as the last event,
// with no [DONE]; mock-stream-cut stops before the terminal event.
func TestResponsesStream(t *testing.T) {
	srv := newTestServer(t, Options{})
	for _, model := range []string{"mock-gpt", "mock-stream-cut"} {
		_, _, b := call(t, srv.URL, "POST", "/v1/responses", nil, `{"model":"`+model+`","input":"stream me","stream":true}`)
		var types []string
		var text strings.Builder
		var last map[string]any
		for i, ev := range strings.Split(strings.TrimSpace(string(b)), "\n\n") {
			typ, data, ok := strings.Cut(ev, "\ndata: ")
			if !ok || !strings.HasPrefix(typ, "event: ") {
				t.Fatalf("%s: event %d is not event+data: %q", model, i, ev)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				t.Fatal(err)
			}
			if m["type"] != strings.TrimPrefix(typ, "event: ") || m["sequence_number"] != float64(i) {
				t.Fatalf("%s: event %d: %s", model, i, data)
			}
			if d, ok := m["delta"].(string); ok {
				text.WriteString(d)
			}
			types, last = append(types, m["type"].(string)), m
		}
		if strings.Contains(string(b), "[DONE]") {
			t.Fatalf("a Responses stream has no [DONE]: %s", b)
		}
		if model == "mock-stream-cut" {
			if types[len(types)-1] == "response.completed" {
				t.Fatalf("stream-cut completed: %v", types)
			}
			continue
		}
		resp, _ := last["response"].(map[string]any)
		if types[0] != "response.created" || types[len(types)-1] != "response.completed" || resp["usage"] == nil ||
			!strings.Contains(text.String(), "You said: stream me") {
			t.Fatalf("events %v, text %q", types, text.String())
		}
	}
}
