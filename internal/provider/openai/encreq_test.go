package openai

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/provider"
)

// toChatRequestJSON is ToChatRequest by json.Marshal, the reference the
// appended bytes must equal.
func toChatRequestJSON(r *provider.ChatRequest) ([]byte, error) {
	out := chatRequest{Model: r.Model, Temperature: r.Temperature, TopP: r.TopP, Stream: r.Stream, User: r.User,
		ParallelToolCalls: r.ParallelToolCalls, ReasoningEffort: chatEffort(r)}
	if r.TopK != nil {
		return nil, provider.Unsupported(Name, "top_k", "OpenAI chat completions have no top_k; remove it")
	}
	if len(r.Unmapped) > 0 {
		return nil, provider.Unsupported(Name, r.Unmapped[0], "")
	}
	if r.MaxTokens > 0 {
		n := r.MaxTokens
		out.MaxCompletionTokens = &n
	}
	if len(r.Stop) > 0 {
		out.Stop, _ = json.Marshal(r.Stop)
	}
	if r.Stream {
		out.StreamOptions = &streamOptions{IncludeUsage: true}
	}
	for _, t := range r.Tools {
		ct := chatTool{Type: "function"}
		ct.Function.Name, ct.Function.Description, ct.Function.Parameters = t.Name, t.Description, t.Parameters
		out.Tools = append(out.Tools, ct)
	}
	if tc := r.ToolChoice; tc != nil {
		switch tc.Mode {
		case provider.ToolNamed:
			out.ToolChoice, _ = json.Marshal(map[string]any{"type": "function", "function": map[string]string{"name": tc.Name}})
		default:
			out.ToolChoice, _ = json.Marshal(tc.Mode)
		}
	}
	if f := r.ResponseFormat; f != nil {
		rf := &responseFormat{Type: f.Type}
		if f.Type == "json_schema" {
			rf.JSONSchema = &jsonSchema{Name: f.Name, Schema: f.Schema, Strict: f.Strict}
			if rf.JSONSchema.Name == "" {
				rf.JSONSchema.Name = "response"
			}
		}
		out.ResponseFormat = rf
	}
	for _, m := range r.Messages {
		cm := chatMessage{Role: m.Role, ToolCallID: m.ToolCallID}
		if m.Role == provider.RoleTool {
			text := m.Text()
			if m.IsError && !strings.HasPrefix(text, "Error") {
				text = "Error: " + text
			}
			cm.Content, _ = json.Marshal(text)
			out.Messages = append(out.Messages, cm)
			continue
		}
		onlyText := true
		for _, p := range m.Parts {
			if p.Type != provider.PartText {
				onlyText = false
			}
		}
		switch {
		case len(m.Parts) == 0:
			if len(m.ToolCalls) == 0 {
				cm.Content = json.RawMessage(`""`)
			}
		case onlyText:
			cm.Content, _ = json.Marshal(m.Text())
		default:
			var parts []map[string]any
			for _, p := range m.Parts {
				if p.Type == provider.PartText {
					parts = append(parts, map[string]any{"type": "text", "text": p.Text})
				} else {
					parts = append(parts, map[string]any{"type": "image_url", "image_url": map[string]string{"url": imageURL(p)}})
				}
			}
			cm.Content, _ = json.Marshal(parts)
		}
		for _, tc := range m.ToolCalls {
			c := chatToolCall{ID: tc.ID, Type: "function"}
			c.Function.Name, c.Function.Arguments = tc.Name, tc.Arguments
			cm.ToolCalls = append(cm.ToolCalls, c)
		}
		out.Messages = append(out.Messages, cm)
	}
	return json.Marshal(out)
}

func chatRequestCases() []*provider.ChatRequest {
	f, t, k, neg := 0.25, true, 5, -1e-7
	ff := false
	return []*provider.ChatRequest{
		{Model: "m", Messages: []provider.Message{{Role: "user", Parts: []provider.Part{{Type: "text", Text: "hi"}}}}},
		{Model: "m"},
		{Model: "m <&>", MaxTokens: 9, Temperature: &f, TopP: &neg, Stop: []string{"a", "</s>"}, Stream: true, User: "u\u2028",
			ParallelToolCalls: &ff, ToolChoice: &provider.ToolChoice{Mode: provider.ToolNamed, Name: "f<"}, ThinkingBudget: 30000,
			ResponseFormat: &provider.ResponseFormat{Type: "json_schema", Schema: json.RawMessage(`{ "type" : "object" , "a":"<b>" }`), Strict: true},
			Tools:          []provider.Tool{{Name: "f", Description: "d", Parameters: json.RawMessage(`{"type":"object"}`)}, {Name: "g"}},
			Messages: []provider.Message{
				{Role: "system", Parts: []provider.Part{{Type: "text", Text: "s1"}, {Type: "text", Text: "s2"}}},
				{Role: "user", Parts: []provider.Part{{Type: "text", Text: "look"}, {Type: "image", URL: "https://x/y.png"}, {Type: "image", MediaType: "image/png", Data: "AAA"}}},
				{Role: "assistant", ToolCalls: []provider.ToolCall{{ID: "c1", Name: "f", Arguments: `{"a": [1, 2]}`}, {ID: "c2", Name: "f", Arguments: " "}}},
				{Role: "tool", ToolCallID: "c1", Parts: []provider.Part{{Type: "text", Text: "<ok>"}}},
				{Role: "tool", ToolCallID: "c2", IsError: true},
				{Role: "user"},
				{Role: "assistant"},
			}},
		{Model: "m", ReasoningEffort: "max", ToolChoice: &provider.ToolChoice{Mode: provider.ToolRequired}, ResponseFormat: &provider.ResponseFormat{Type: "json_object"}},
		{Model: "m", ParallelToolCalls: &t, ResponseFormat: &provider.ResponseFormat{Type: "json_schema"}},
		{Model: "m", TopK: &k},
		{Model: "m", Unmapped: []string{"x"}},
	}
}

func sameChatRequest(t *testing.T, what string, r *provider.ChatRequest) {
	t.Helper()
	r2 := *r
	got, err1 := ToChatRequest(r)
	want, err2 := toChatRequestJSON(&r2)
	if (err1 == nil) != (err2 == nil) || string(got) != string(want) || (err1 != nil && err1.Error() != err2.Error() && !strings.HasPrefix(err2.Error(), "json: ")) {
		t.Fatalf("%s:\n got %s %v\nwant %s %v", what, got, err1, want, err2)
	}
}

func TestToChatRequestAsMarshalled(t *testing.T) {
	for i, r := range chatRequestCases() {
		sameChatRequest(t, fmt.Sprint(i), r)
		for _, s := range []bool{false, true} {
			r := *r
			r.Stream = s
			sameChatRequest(t, fmt.Sprint(i, s), &r)
		}
	}
}

// ToChatRequest appends the bytes json.Marshal gave, for the neutral form
// of any OpenAI client's request (Claude clients' are tested where their
// parser lives).
func FuzzToChatRequest(f *testing.F) {
	requestSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		if r, err := ParseChatRequest(body); err == nil {
			r.Unmapped = nil
			sameChatRequest(t, string(body), r)
		}
	})
}

// parseResponseJSON is ParseResponse reading with encoding/json only.
func parseResponseJSON(body []byte) (*provider.ChatResponse, error) {
	var in upstreamResponse
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	return answer(&in), nil
}

// ParseResponse reads completions with jsonscan; for any bytes it gives
// what encoding/json's reading gives.
func FuzzParseResponseScan(f *testing.F) {
	for _, glob := range []string{"../*/testdata/response/*.openai.json", "../*/testdata/render/*.openai.json"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	for _, s := range []string{
		`{"id":"chatcmpl-1f3a213bcd9c2","object":"chat.completion","created":1796136642,"model":"mock-gpt","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the mock upstream. You said: hi","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":8,"completion_tokens":8,"total_tokens":16,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_keygate_mock"}`,
		`{"id":"c","choices":[{"index":0,"message":{"role":"assistant","content":null,"reasoning_content":"hm","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},{"index":1,"function":null}]},"finish_reason":"tool_calls"}]}`,
		`{"id":"c","choices":[{"index":0,"message":{"content":null,"refusal":"no \u00e9 \xff","reasoning":"r"}}]}`,
		`{"id":"c","choices":[{"Message":{"content":"x"}}]}`,
		`{"id":"c","choices":[{"message":{"content":"x"},"message":null}]}`,
		`{"id":"c","choices":[{"message":{"tool_calls":[null]}}]}`,
		`{"id":"c","choices":[{"message":null,"delta":{"content":"d"}}]}`,
		`{"error":{"message":"x","type":"y"}}`,
		`{"choices":[{"message":{"content":1}}]}`,
		`{} x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r1, err1 := ParseResponse(data)
		r2, err2 := parseResponseJSON(data)
		if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(r1, r2) {
			t.Fatalf("%q: ParseResponse %+v, %v; encoding/json %+v, %v", data, r1, err1, r2, err2)
		}
	})
}
