package openai

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/provider"
)

// The last chunk of a converted stream carries its finish_reason with an
// empty delta, as OpenAI sends it: {} and not {"content":null}.
func TestChunkLastDeltaIsEmpty(t *testing.T) {
	enc := &StreamEncoder{ID: "chatcmpl-1", Model: "m", Created: 1}
	got := string(enc.Chunk(nil, &provider.ChatChunk{FinishReason: provider.FinishStop}))
	want := `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"system_fingerprint":null}` + "\n\n"
	if got != want {
		t.Fatalf("last chunk\n%s\nwant\n%s", got, want)
	}
}

// marshalChunk is Chunk as it was written with json.Marshal, the reference
// the appending encoder is held to (but for the empty last delta).
func marshalChunk(e *StreamEncoder, c *provider.ChatChunk) []byte {
	d := &responseMessage{Role: c.Role}
	if c.Text != "" || c.Role != "" {
		t := c.Text
		d.Content = &t
	}
	for _, tc := range c.ToolCalls {
		idx := tc.Index
		x := chatToolCall{Index: &idx, ID: tc.ID}
		if tc.ID != "" {
			x.Type = "function"
		}
		x.Function.Name, x.Function.Arguments = tc.Name, tc.Arguments
		d.ToolCalls = append(d.ToolCalls, x)
	}
	ch := chatChoice{Delta: d}
	if c.FinishReason != "" {
		fr := c.FinishReason
		ch.FinishReason = &fr
	}
	b, _ := json.Marshal(chatResponse{ID: e.ID, Object: "chat.completion.chunk", Created: e.Created, Model: e.Model, Choices: []chatChoice{ch}})
	return []byte("data: " + strings.Replace(string(b), `"delta":{"content":null}`, `"delta":{}`, 1) + "\n\n")
}

// Chunk appends the bytes json.Marshal gives for every kind of chunk, with
// any text in its strings.
func FuzzChunk(f *testing.F) {
	f.Add("chatcmpl-1", "m", int64(1), "assistant", "", "", 0, "", "", "")
	f.Add("id", "m<&>", int64(-5), "", "Hello \u2028 \xff", "", 0, "", "", "")
	f.Add("id", "m", int64(1700000000), "", "", "stop", 0, "", "", "")
	f.Add("id", "m", int64(1), "", "", "", 2, "call_1", "get_weather", `{"a":1}`)
	f.Add("id", "m", int64(1), "", "", "tool_calls", 0, "", "", `"x`)
	f.Fuzz(func(t *testing.T, id, model string, created int64, role, text, finish string, idx int, callID, name, args string) {
		c := &provider.ChatChunk{Role: role, Text: text, FinishReason: finish}
		if callID != "" || name != "" || args != "" {
			c.ToolCalls = []provider.ToolCallDelta{{Index: idx, ID: callID, Name: name, Arguments: args}, {Index: idx + 1, Arguments: args}}
		}
		e := &StreamEncoder{ID: id, Model: model, Created: created}
		want := marshalChunk(e, c)
		for range 2 { // the second from the kept head
			if got := e.Chunk([]byte("x"), c); string(got) != "x"+string(want) {
				t.Fatalf("Chunk\n%s\nwant\n%s", got[1:], want)
			}
		}
	})
}

func BenchmarkChunk(b *testing.B) {
	e := &StreamEncoder{ID: "chatcmpl-0123456789abcdef", Model: "claude-sonnet-4-5", Created: 1700000000}
	c := &provider.ChatChunk{Text: "Hello, world"}
	var buf []byte
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = e.Chunk(buf[:0], c)
		}
	})
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = marshalChunk(e, c)
		}
	})
}
