package anthropic

import (
	"reflect"
	"testing"
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
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := []byte(`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}`)
		fast, slow := &StreamDecoder{}, &StreamDecoder{}
		_, _ = fast.decodeEvent(start)
		_, _ = slow.decodeEvent(start)
		c1, err1 := fast.Decode("", data)
		c2, err2 := slow.decodeEvent(data)
		if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: Decode %+v, %v; encoding/json %+v, %v", data, c1, err1, c2, err2)
		}
	})
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
