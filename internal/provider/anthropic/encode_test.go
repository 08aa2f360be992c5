package anthropic

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/openai"
)

// toRequestJSON is ToRequest by json.Marshal of the request struct, the
// reference the appended bytes must equal.
func toRequestJSON(r *provider.ChatRequest) ([]byte, error) {
	if len(r.Unmapped) > 0 {
		return nil, provider.Unsupported(Name, r.Unmapped[0], "")
	}
	var oc *outputConfig
	if f := r.ResponseFormat; f != nil {
		if f.Type != "json_schema" || len(f.Schema) == 0 {
			return nil, provider.Unsupported(Name, "response_format",
				fmt.Sprintf("Anthropic structured outputs need a JSON schema; type %q has none (use json_schema)", f.Type))
		}
		oc = &outputConfig{}
		oc.Format = &struct {
			Type   string          `json:"type"`
			Schema json.RawMessage `json:"schema,omitempty"`
		}{Type: "json_schema", Schema: f.Schema}
	}
	if r.Temperature != nil && (*r.Temperature < 0 || *r.Temperature > 1) {
		return nil, provider.Unsupported(Name, "temperature", fmt.Sprintf("Anthropic accepts 0 to 1, not %g", *r.Temperature))
	}
	out := request{Model: r.Model, MaxTokens: r.MaxTokens, Temperature: r.Temperature, TopP: r.TopP, TopK: r.TopK,
		StopSequences: r.Stop, Stream: r.Stream, OutputConfig: oc}
	if out.MaxTokens <= 0 {
		out.MaxTokens = r.DefaultMaxTokens
	}
	if out.MaxTokens <= 0 {
		out.MaxTokens = fallbackMaxTokens
	}
	if r.User != "" {
		out.Metadata = &metadata{UserID: r.User}
	}
	for _, t := range r.Tools {
		s := t.Parameters
		if len(s) == 0 || string(s) == "null" {
			s = emptySchema
		}
		out.Tools = append(out.Tools, tool{Name: t.Name, Description: t.Description, InputSchema: s})
	}
	if tc := r.ToolChoice; tc != nil {
		switch tc.Mode {
		case provider.ToolAuto:
			out.ToolChoice = &toolChoice{Type: "auto"}
		case provider.ToolNone:
			out.ToolChoice = &toolChoice{Type: "none"}
		case provider.ToolRequired:
			out.ToolChoice = &toolChoice{Type: "any"}
		case provider.ToolNamed:
			out.ToolChoice = &toolChoice{Type: "tool", Name: tc.Name}
		}
	}
	if r.ParallelToolCalls != nil && !*r.ParallelToolCalls && len(r.Tools) > 0 {
		if out.ToolChoice == nil {
			out.ToolChoice = &toolChoice{Type: "auto"}
		}
		if out.ToolChoice.Type != "none" {
			t := true
			out.ToolChoice.DisableParallelToolUse = &t
		}
	}
	var system []block
	for i, m := range r.Messages {
		if m.Role == provider.RoleSystem {
			for _, p := range m.Parts {
				if p.Type != provider.PartText {
					return nil, provider.Unsupported(Name, fmt.Sprintf("messages[%d].content", i), "system content must be text")
				}
				if p.Text != "" {
					system = append(system, block{Type: "text", Text: str(p.Text)})
				}
			}
			continue
		}
		role := m.Role
		var blocks []block
		switch m.Role {
		case provider.RoleTool:
			role = "user"
			text := m.Text()
			b := block{Type: "tool_result", ToolUseID: m.ToolCallID, IsError: m.IsError}
			if text != "" {
				b.Content, _ = json.Marshal(text)
			}
			blocks = append(blocks, b)
		case provider.RoleUser, provider.RoleAssistant:
			for _, p := range m.Parts {
				switch p.Type {
				case provider.PartText:
					if p.Text != "" {
						blocks = append(blocks, block{Type: "text", Text: str(p.Text)})
					}
				case provider.PartImage:
					if p.URL != "" {
						blocks = append(blocks, block{Type: "image", Source: &source{Type: "url", URL: p.URL}})
					} else {
						blocks = append(blocks, block{Type: "image", Source: &source{Type: "base64", MediaType: p.MediaType, Data: p.Data}})
					}
				}
			}
			for j, tc := range m.ToolCalls {
				in := json.RawMessage(tc.Arguments)
				if strings.TrimSpace(tc.Arguments) == "" {
					in = json.RawMessage(`{}`)
				}
				var obj map[string]json.RawMessage
				if err := json.Unmarshal(in, &obj); err != nil {
					return nil, provider.Invalid(fmt.Sprintf("messages[%d].tool_calls[%d].function.arguments", i, j),
						"messages[%d].tool_calls[%d].function.arguments is not a JSON object; Anthropic needs tool input as an object", i, j)
				}
				blocks = append(blocks, block{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: in})
			}
		default:
			return nil, provider.Invalid(fmt.Sprintf("messages[%d].role", i), "messages[%d] has role %q", i, m.Role)
		}
		if len(blocks) == 0 {
			if role == "assistant" {
				continue // an empty assistant turn carries nothing
			}
			blocks = []block{{Type: "text", Text: str(" ")}}
		}
		// Consecutive turns of one role are merged: tool results that
		// answer parallel calls belong in one user turn.
		if n := len(out.Messages); n > 0 && out.Messages[n-1].Role == role {
			var prev []block
			_ = json.Unmarshal(out.Messages[n-1].Content, &prev)
			blocks = append(prev, blocks...)
			out.Messages[n-1].Content, _ = json.Marshal(blocks)
			continue
		}
		c, _ := json.Marshal(blocks)
		out.Messages = append(out.Messages, message{Role: role, Content: c})
	}
	if len(system) > 0 {
		if len(system) == 1 {
			out.System, _ = json.Marshal(*system[0].Text)
		} else {
			out.System, _ = json.Marshal(system)
		}
	}
	if len(out.Messages) == 0 {
		return nil, provider.Invalid("messages", "the request has no user or assistant message; Anthropic needs at least one")
	}
	return json.Marshal(out)
}

func toRequestCases() []*provider.ChatRequest {
	f, t, k, neg := 0.25, true, 5, -1e-7
	ff := false
	return []*provider.ChatRequest{
		{Model: "m", Messages: []provider.Message{{Role: "user", Parts: []provider.Part{{Type: "text", Text: "hi"}}}}},
		{Model: "m <&>", MaxTokens: 9, Temperature: &f, TopP: &neg, TopK: &k, Stop: []string{"a", "</s>"}, Stream: true, User: "u\u2028",
			ParallelToolCalls: &ff, ToolChoice: &provider.ToolChoice{Mode: provider.ToolNamed, Name: "f"},
			ResponseFormat: &provider.ResponseFormat{Type: "json_schema", Schema: json.RawMessage(`{ "type" : "object" , "a":"<b>" }`)},
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
		{Model: "m", DefaultMaxTokens: 100, ParallelToolCalls: &ff, Tools: []provider.Tool{{Name: "f"}}, ToolChoice: &provider.ToolChoice{Mode: provider.ToolNone},
			Messages: []provider.Message{{Role: "system", Parts: []provider.Part{{Type: "text", Text: "only"}}}, {Role: "user", Parts: []provider.Part{{Type: "text", Text: "x"}}}}},
		{Model: "m", ParallelToolCalls: &t, Tools: []provider.Tool{{Name: "f", Parameters: json.RawMessage(`null`)}}, ToolChoice: &provider.ToolChoice{Mode: provider.ToolRequired},
			Messages: []provider.Message{{Role: "assistant", Parts: []provider.Part{{Type: "text", Text: "a"}}}, {Role: "assistant", Parts: []provider.Part{{Type: "text", Text: "b"}}}}},
		{Model: "m", Messages: []provider.Message{{Role: "system"}}},
		{Model: "m", Unmapped: []string{"logit_bias"}},
	}
}

func sameRequest(t *testing.T, what string, r *provider.ChatRequest) {
	t.Helper()
	r2 := *r
	got, err1 := ToRequest(r)
	want, err2 := toRequestJSON(&r2)
	if (err1 == nil) != (err2 == nil) || string(got) != string(want) || (err1 != nil && err1.Error() != err2.Error() && !strings.HasPrefix(err2.Error(), "json: ")) {
		t.Fatalf("%s:\n got %s %v\nwant %s %v", what, got, err1, want, err2)
	}
}

func TestToRequestAsMarshalled(t *testing.T) {
	for i, r := range toRequestCases() {
		sameRequest(t, fmt.Sprint(i), r)
	}
}

// ToRequest appends the bytes json.Marshal gave, for the neutral form of
// any OpenAI or Claude client's request.
func FuzzToRequest(f *testing.F) {
	for _, glob := range []string{"testdata/*/*.openai.json", "testdata/*/*.anthropic.json", "testdata/clients/*.json", "../openai/testdata/clients/*chat*.json"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if r, err := openai.ParseChatRequest(body); err == nil {
			sameRequest(t, string(body), r)
		}
		if r, err := ParseRequest(body); err == nil {
			sameRequest(t, string(body), r)
		}
	})
}

// parseResponseJSON is ParseResponse reading with encoding/json only.
func parseResponseJSON(body []byte) (*provider.ChatResponse, error) {
	var in response
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	return answer(&in), nil
}

// ParseResponse reads Messages with jsonscan; for any bytes it gives what
// encoding/json's reading gives.
func FuzzParseResponseScan(f *testing.F) {
	files, _ := filepath.Glob("testdata/response/*.anthropic.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{"content":[{"text":"Hello from the mock upstream. You said: hi","type":"text"}],"id":"msg_mock000001","model":"mock-claude","role":"assistant","stop_reason":"end_turn","stop_sequence":null,"type":"message","usage":{"input_tokens":22,"output_tokens":8}}`,
		`{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"thinking","thinking":"hm","signature":"sig"},{"type":"text","text":"a \u00e9 \xff","citations":null},{"type":"tool_use","id":"t","name":"f","input":{"a": 1}},{"type":"tool_use","id":"u","name":"g","input":null}],"stop_reason":"tool_use","usage":{"input_tokens":3,"cache_creation_input_tokens":5,"cache_read_input_tokens":7,"output_tokens":1,"service_tier":"standard","cache_creation":{"ephemeral_5m_input_tokens":0}}}`,
		`{"content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA"}},{"type":"x","is_error":true,"content":[1]}]}`,
		`{"content":[null]}`,
		`{"content":null,"usage":null,"stop_reason":null}`,
		`{"Content":[]}`,
		`{"id":"a","id":"b"}`,
		`{"usage":{"input_tokens":1e3}}`,
		`{"stop_reason":5}`,
		`{"type":"error","error":{"type":"overloaded_error","message":"x"}}`,
		`{} x`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r1, err1 := ParseResponse(data)
		r2, err2 := parseResponseJSON(data)
		if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(r1, r2) {
			t.Fatalf("%q: ParseResponse %+v, %v; encoding/json %+v, %v", data, r1, err1, r2, err2)
		}
		if in, ok := scanResponse(data); ok {
			var want response
			if err := json.Unmarshal(data, &want); err != nil || !reflect.DeepEqual(in, want) {
				t.Fatalf("%q: scanned %+v; encoding/json %+v, %v", data, in, want, err)
			}
		}
	})
}

// renderResponseJSON is RenderResponse by json.Marshal of the response
// struct, the reference the appended bytes must equal.
func renderResponseJSON(r *provider.ChatResponse, model string) []byte {
	out := response{ID: messageID(r.ID), Type: "message", Role: "assistant", Model: model, Content: []block{},
		StopReason: str(stopReason(r.FinishReason)),
		Usage:      wireUsage(r.Usage)}
	if r.Reasoning != "" {
		out.Content = append(out.Content, block{Type: "thinking", Thinking: str(r.Reasoning), Signature: str("")})
	}
	if r.Text != "" {
		out.Content = append(out.Content, block{Type: "text", Text: str(r.Text)})
	}
	for _, tc := range r.ToolCalls {
		in := json.RawMessage(tc.Arguments)
		if !json.Valid(in) {
			in, _ = json.Marshal(map[string]string{"_raw_arguments": tc.Arguments})
		}
		out.Content = append(out.Content, block{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: in})
	}
	b, _ := json.Marshal(out)
	return b
}

func TestRenderResponseAsMarshalled(t *testing.T) {
	for _, r := range []*provider.ChatResponse{
		{},
		{ID: "chatcmpl-1", Model: "m", Text: "Hello <b>&amp;</b> \u2028 \xff \"q\"", Reasoning: "hm", FinishReason: "length",
			Usage: provider.Usage{InputTokens: 12, OutputTokens: 5, CachedInputTokens: 3, CacheWriteTokens: 2}},
		{ID: "msg_x", ToolCalls: []provider.ToolCall{{ID: "call_1", Name: "get", Arguments: ` {"a": [1, "<"]} `}, {Arguments: ""}, {Arguments: "{bad"}}, FinishReason: "tool_calls",
			Usage: provider.Usage{InputTokens: 1, CachedInputTokens: 5}},
	} {
		if got, want := RenderResponse(r, "claude"), renderResponseJSON(r, "claude"); string(got) != string(want) {
			t.Errorf("RenderResponse(%+v)\n got %s\nwant %s", r, got, want)
		}
	}
}

func FuzzRenderResponse(f *testing.F) {
	f.Add("msg_1", "m", "text", "think", "stop", `{"a":1}`, 10, 2, 3, 1)
	f.Fuzz(func(t *testing.T, id, model, text, reasoning, finish, args string, in, cached, write, calls int) {
		r := &provider.ChatResponse{ID: id, Text: text, Reasoning: reasoning, FinishReason: finish,
			Usage: provider.Usage{InputTokens: in, OutputTokens: in / 3, CachedInputTokens: cached, CacheWriteTokens: write}}
		for i := range calls % 4 {
			r.ToolCalls = append(r.ToolCalls, provider.ToolCall{ID: id[:min(i, len(id))], Name: model, Arguments: args})
		}
		if got, want := RenderResponse(r, model), renderResponseJSON(r, model); string(got) != string(want) {
			t.Fatalf("RenderResponse(%+v)\n got %s\nwant %s", r, got, want)
		}
	})
}

// parseContentJSON reads content as parseInMessage did, with encoding/json.
func decodeContentJSON(raw []byte) (s string, blocks []block, isStr, ok bool) {
	if json.Unmarshal(raw, &s) == nil {
		return s, nil, true, true
	}
	if json.Unmarshal(raw, &blocks) == nil {
		return "", blocks, false, true
	}
	return "", nil, false, false
}

// The request scanner reads every Claude client's request as
// encoding/json does, or leaves it to encoding/json; content reads the same.
func FuzzScanRequest(f *testing.F) {
	for _, glob := range []string{"testdata/*/*.anthropic.json", "testdata/clients/*.json"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	for _, s := range []string{
		`{"model":"mock-gpt","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","max_tokens":1,"system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA"}},{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"r"}],"is_error":true}]},{"role":"assistant","content":[{"type":"thinking","thinking":"x","signature":"s"},{"type":"tool_use","id":"t","name":"f","input":{"a": 1}}]}],"temperature":0.5,"top_p":null,"top_k":3,"stop_sequences":["x"],"stream":true,"tools":[{"name":"f","description":"d","input_schema":{"type":"object"}},{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"auto","disable_parallel_tool_use":true},"metadata":{"user_id":"u"},"thinking":{"type":"enabled","budget_tokens":2048},"output_config":{"effort":"low","format":{"type":"json_schema","schema":{}}},"service_tier":"auto","context_management":{},"container":null}`,
		`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":null}]}`,
		`{"model":"m","max_tokens":1,"messages":[{"role":"user"}]}`,
		`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[null]}]}`,
		`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":5}]}`,
		`{"model":"m","Max_tokens":1}`,
		`{"model":"m","stop_sequences":[null]}`,
		`{"model":"m","thinking":{"type":"enabled","budget_tokens":1.5}}`,
		`{"model":"m"} x`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if in, extra, ok := scanRequest(body); ok {
			want, wantExtra, err := decodeRequest(body)
			if err != nil {
				t.Fatalf("%q: scanned, but encoding/json fails: %v", body, err)
			}
			if len(extra) == 0 && len(wantExtra) == 0 {
				extra, wantExtra = nil, nil
			}
			if !reflect.DeepEqual(in, want) || !reflect.DeepEqual(extra, wantExtra) {
				t.Fatalf("%q:\nscan %+v %q\njson %+v %q", body, in, extra, want, wantExtra)
			}
		}
		var in struct {
			System   json.RawMessage
			Messages []struct{ Content json.RawMessage }
		}
		if json.Unmarshal(body, &in) != nil {
			return
		}
		raws := []json.RawMessage{in.System}
		for _, m := range in.Messages {
			raws = append(raws, m.Content)
		}
		for _, raw := range raws {
			s1, b1, str1, ok1 := decodeContent(raw)
			s2, b2, str2, ok2 := decodeContentJSON(raw)
			if s1 != s2 || !reflect.DeepEqual(b1, b2) || str1 != str2 || ok1 != ok2 {
				t.Fatalf("%s: %q %+v %v %v; encoding/json %q %+v %v %v", raw, s1, b1, str1, ok1, s2, b2, str2, ok2)
			}
		}
	})
}
