package openai

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/provider"
)

// codexBody is Codex 0.169.0's first request of `codex exec` (recorded),
// optionally without its web_search tool (Codex's web_search = "disabled").
func codexBody(t *testing.T, withWebSearch bool) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/clients/codex-0.169.0-exec.json")
	if err != nil {
		t.Fatal(err)
	}
	if withWebSearch {
		return b
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	var tools []map[string]any
	_ = json.Unmarshal(m["tools"], &tools)
	kept := tools[:0]
	for _, tl := range tools {
		if tl["type"] != "web_search" {
			kept = append(kept, tl)
		}
	}
	m["tools"], _ = json.Marshal(kept)
	out, _ := json.Marshal(m)
	return out
}

// Codex's request converts for other providers: the namespace's functions
// flattened, client_metadata dropped, reasoning.summary mapped; its
// web_search tool is refused with the tool and the Codex setting named.
// (namespace, client_metadata and reasoning were all refused before.)
func TestCodexRequestConverts(t *testing.T) {
	_, err := ParseResponsesRequest(codexBody(t, true))
	var bt *provider.BuiltinToolError
	if !errors.As(err, &bt) || bt.Tool != "web_search" || !strings.Contains(bt.Setting, `web_search = "disabled"`) {
		t.Fatalf("web_search: %v", err)
	}
	r, err := ParseResponsesRequest(codexBody(t, false))
	if err != nil {
		t.Fatalf("Codex's request refused: %v", err)
	}
	if len(r.Unmapped) != 0 || !r.IncludeThoughts {
		t.Fatalf("unmapped %v, include thoughts %v", r.Unmapped, r.IncludeThoughts)
	}
	names := map[string]bool{}
	for _, tl := range r.Tools {
		names[tl.Name] = true
	}
	if !names["exec_command"] || !names["multi_agent_v1__spawn_agent"] || names["multi_agent_v1"] {
		t.Fatalf("tools: %v", names)
	}
	// A call to the flattened name is rendered back namespaced.
	ns := Namespaces(codexBody(t, false))
	c := ResponsesCodec{Namespaces: ns}
	b := c.Response(&provider.ChatResponse{ID: "r1", ToolCalls: []provider.ToolCall{{ID: "call_1", Name: "multi_agent_v1__spawn_agent", Arguments: "{}"}}})
	if !strings.Contains(string(b), `"name":"spawn_agent"`) || !strings.Contains(string(b), `"namespace":"multi_agent_v1"`) {
		t.Fatalf("%s", b)
	}
	enc := c.NewStream("r1", "m")
	out := enc.Chunk(nil, &provider.ChatChunk{ToolCalls: []provider.ToolCallDelta{{Index: 0, ID: "call_1", Name: "multi_agent_v1__spawn_agent", Arguments: "{}"}}})
	out = enc.Finish(out, provider.Usage{})
	if !strings.Contains(string(out), `"namespace":"multi_agent_v1"`) {
		t.Fatalf("%s", out)
	}
	// And a namespaced call in the input goes out under the flat name.
	r, err = ParseResponsesRequest([]byte(`{"model":"m","input":[{"type":"function_call","call_id":"c","namespace":"multi_agent_v1","name":"spawn_agent","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"ok"}]}`))
	if err != nil || r.Messages[0].ToolCalls[0].Name != "multi_agent_v1__spawn_agent" {
		t.Fatalf("%+v %v", r, err)
	}
}

// Upstream reasoning reaches Responses clients (Codex shows it) as a
// reasoning item with a summary, streamed before the message.
func TestReasoningAsResponsesSummary(t *testing.T) {
	enc := ResponsesCodec{}.NewStream("r1", "m")
	out := enc.Chunk(nil, &provider.ChatChunk{Reasoning: "Thinking"})
	out = enc.Chunk(out, &provider.ChatChunk{Reasoning: " more"})
	out = enc.Chunk(out, &provider.ChatChunk{Text: "Answer"})
	out = enc.Finish(out, provider.Usage{})
	s := string(out)
	for _, want := range []string{"event: response.reasoning_summary_text.delta", `"delta":"Thinking"`,
		`"summary":[{"text":"Thinking more","type":"summary_text"}]`, `"output_index":1`} {
		if !strings.Contains(s, want) {
			t.Fatalf("lacks %s:\n%s", want, s)
		}
	}
	if i, j := strings.Index(s, "reasoning_summary_text.delta"), strings.Index(s, "output_text.delta"); i < 0 || j < i {
		t.Fatalf("reasoning must come first:\n%s", s)
	}
	b := ResponsesCodec{}.Response(&provider.ChatResponse{ID: "r1", Text: "A", Reasoning: "R"})
	if !strings.Contains(string(b), `"type":"reasoning"`) {
		t.Fatalf("%s", b)
	}
}
