package anthropic

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keygate/keygate/internal/provider"
)

// Decode reads content_block_delta events with jsonscan and everything else
// with encoding/json; for any bytes it gives what encoding/json's reading
// gives (the chunk, or an error).
func FuzzDecodeScan(f *testing.F) {
	for _, s := range []string{
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\u00e9\ud83d\ude00 \xff"}}`,
		`{"type":"content_block_delta","Index":3,"delta":{"type":"text_delta","text":"x"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","TEXT":"x","text":"y"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":null}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hm"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}} x`,
		`{"type":"content_block_delta","index":1e0,"delta":{"type":"text_delta","text":"a"}}`,
		`{"type":"content_block_delta","index":0,"delta":null}`,
		`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}`,
		`{"type":"ping"}`,
		`{"message":{"content":[],"id":"msg_1","model":"mock-claude","role":"assistant","stop_reason":null,"stop_sequence":null,"type":"message","usage":{"input_tokens":25,"output_tokens":1}},"type":"message_start"}`,
		`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"usage":{"input_tokens":3,"cache_creation_input_tokens":5,"cache_read_input_tokens":7,"output_tokens":1,"service_tier":"standard"}}}`,
		`{"type":"message_start","message":{"id":null,"model":"m","content":[{"type":"text","text":"x"}],"usage":null}}`,
		`{"type":"message_start","message":{"id":"a","Model":"m","usage":{"input_tokens":1}}}`,
		`{"type":"message_start","message":{"id":"a","model":"m","stop_reason":3}}`,
		`{"type":"message_start","message":null}`,
		`{"type":"message_start"}`,
		`{"type":"ping","message":{}}`,
		`{"type":"ping","usage":{"output_tokens":1}}`,
		`{"type":"message_stop","index":"x"}`,
		`{"type":"content_block_stop","index":0,"delta":[1]}`,
		`{"content_block":{"text":"","type":"text"},"index":0,"type":"content_block_start"}`,
		`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"Hi","citations":[]}}`,
		`{"type":"content_block_start","index":0,"content_block":{"type":"text","Text":"Hi"}}`,
		`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":null,"id":7}}`,
		`{"delta":{"stop_reason":"end_turn","stop_sequence":null},"type":"message_delta","usage":{"output_tokens":8}}`,
		`{"type":"message_delta","delta":{"stop_reason":"tool_use","text":5},"usage":{"input_tokens":3,"cache_read_input_tokens":100,"output_tokens":9,"server_tool_use":{}}}`,
		`{"type":"message_delta","delta":{"stop_reason":7},"usage":null}`,
		`{"type":"message_delta","delta":null,"usage":{"output_tokens":-1,"Output_tokens":2}}`,
		`{"type":"message_delta","delta":"x","usage":{"output_tokens":1e3}}`,
		`{"type":"pin\u0067"}`,
		// encoding/json reads "uſage" as usage (ſ folds to s): a number
		// there is an error, not a member to skip.
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"},"u\u017fage":5}`,
		"{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"},\"u\u017fage\":5}",
	} {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"type":"message_start","message":{"id":"m","model":"c","content":[],"usage":{"input_tokens":3}}}` + "\n" +
		`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{"}}` + "\n" +
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}` + "\n" +
		`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}`))
	// Each line is one event, decoded in turn by both readers: the chunk
	// the scanner reuses must never show through from one to the next.
	f.Fuzz(func(t *testing.T, data []byte) {
		start := []byte(`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}`)
		fast, slow := &StreamDecoder{}, &StreamDecoder{}
		_, _ = fast.decodeEvent(start)
		_, _ = slow.decodeEvent(start)
		for _, ev := range bytes.Split(data, []byte("\n")) {
			c1, err1 := fast.Decode("", ev)
			c2, err2 := slow.decodeEvent(ev)
			if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(decoderState(fast), decoderState(slow)) {
				t.Fatalf("%q: Decode %+v, %v; encoding/json %+v, %v", ev, c1, err1, c2, err2)
			}
		}
	})
}

// decoderState is d without the chunk it reuses, which is no state.
func decoderState(d *StreamDecoder) StreamDecoder {
	s := *d
	s.out, s.call = provider.ChatChunk{}, [1]provider.ToolCallDelta{}
	return s
}

func BenchmarkDecodeTextDelta(b *testing.B) {
	data := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello, world"}}`)
	d := &StreamDecoder{}
	b.Run("scan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = d.Decode("", data)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = d.decodeEvent(data)
		}
	})
}

// blockDelta appends what json.Marshal of the event's map gave.
func FuzzBlockDelta(f *testing.F) {
	f.Add(0, "text_delta", "text", "Hello <&> \u2028 \xff")
	f.Add(3, "thinking_delta", "thinking", "hm")
	f.Add(-1, "input_json_delta", "partial_json", `{"a":`)
	f.Fuzz(func(t *testing.T, index int, typ, key, text string) {
		if key >= "type" || strings.ContainsAny(key+typ, "\"\\<>&") || !utf8.ValidString(key) || !utf8.ValidString(typ) || strings.ContainsFunc(key+typ, func(r rune) bool { return r < 0x20 || r == '\u2028' || r == '\u2029' }) {
			t.Skip() // the encoder's keys and types are its own constants
		}
		want := (&StreamEncoder{}).event([]byte("x"), "content_block_delta", map[string]any{"type": "content_block_delta", "index": index,
			"delta": map[string]any{"type": typ, key: text}})
		if got := blockDelta([]byte("x"), index, typ, key, text); string(got) != string(want) {
			t.Fatalf("\n%s\nwant\n%s", got, want)
		}
	})
}

// The events every stream has are appended as bytes, exactly as event
// renders them from maps through json.Marshal.
func FuzzStreamEvents(f *testing.F) {
	f.Add("chatcmpl-1", "mock-gpt", 0, 12, 9, 0, 0, "stop")
	f.Add("msg_x", "m <&> \u2028 \xff", 3, 0, 1000, 200, 30, "length")
	f.Add("", "", -1, -5, -2, 1, -1, "tool_calls")
	f.Fuzz(func(t *testing.T, id, model string, index, in, out, read, write int, finish string) {
		got := messageStart([]byte("x"), id, model)
		want := (&StreamEncoder{}).event([]byte("x"), "message_start", map[string]any{"type": "message_start",
			"message": response{ID: messageID(id), Type: "message", Role: "assistant", Model: model, Content: []block{}}})
		if string(got) != string(want) {
			t.Fatalf("message_start\n%s\nwant\n%s", got, want)
		}
		for _, thinking := range []bool{false, true} {
			cb := map[string]any{"type": "text", "text": ""}
			if thinking {
				cb = map[string]any{"type": "thinking", "thinking": "", "signature": ""}
			}
			want = (&StreamEncoder{}).event([]byte("x"), "content_block_start", map[string]any{"type": "content_block_start", "index": index, "content_block": cb})
			if got := blockStart([]byte("x"), index, thinking); string(got) != string(want) {
				t.Fatalf("content_block_start\n%s\nwant\n%s", got, want)
			}
		}
		want = (&StreamEncoder{}).event([]byte("x"), "content_block_stop", map[string]any{"type": "content_block_stop", "index": index})
		if got := blockStop([]byte("x"), index); string(got) != string(want) {
			t.Fatalf("content_block_stop\n%s\nwant\n%s", got, want)
		}
		u := wireUsage(provider.Usage{InputTokens: in, OutputTokens: out, CachedInputTokens: read, CacheWriteTokens: write})
		e := &StreamEncoder{}
		want = e.event([]byte("x"), "message_delta", map[string]any{"type": "message_delta",
			"delta": map[string]any{"stop_reason": stopReason(finish), "stop_sequence": nil}, "usage": u})
		want = e.event(want, "message_stop", map[string]any{"type": "message_stop"})
		if got := messageEnd([]byte("x"), stopReason(finish), u); string(got) != string(want) {
			t.Fatalf("message_delta, message_stop\n%s\nwant\n%s", got, want)
		}
	})
}

// The chunk Decode reuses carries nothing from one event into the next:
// over a stream of every kind the scanner reads, each chunk is the one
// encoding/json's reading gives.
func TestDecodeReusedChunk(t *testing.T) {
	events := []string{
		`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"usage":{"input_tokens":3,"output_tokens":1}}}`,
		`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"Hi"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" there"}}`,
		`{"type":"content_block_stop","index":0}`,
		`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"1}"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}`,
		`{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":9}}`,
		`{"type":"message_stop"}`,
	}
	fast, slow := &StreamDecoder{}, &StreamDecoder{}
	var got, want []provider.ChatChunk
	for _, e := range events {
		c1, err1 := fast.Decode("", []byte(e))
		c2, err2 := slow.decodeEvent([]byte(e))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v, %v", e, err1, err2)
		}
		if c1 != nil { // kept past the next Decode: a copy, its tool calls too
			c := *c1
			c.ToolCalls = slices.Clone(c.ToolCalls)
			got = append(got, c)
		}
		if c2 != nil {
			want = append(want, *c2)
		}
	}
	if !reflect.DeepEqual(got, want) || len(got) != 8 {
		t.Fatalf("Decode gave\n%+v\nencoding/json\n%+v", got, want)
	}
}
