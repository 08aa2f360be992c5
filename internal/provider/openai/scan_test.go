package openai

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/keygate/keygate/internal/provider"
)

// decodeJSON is StreamDecoder.Decode reading every chunk with
// encoding/json, the reference for the scanner.
func decodeJSON(d *StreamDecoder, data []byte) (*provider.ChatChunk, error) {
	data = bytes.TrimSpace(data)
	if string(data) == "[DONE]" {
		d.done = true
		return nil, nil
	}
	var in upstreamResponse
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, err
	}
	return d.chunk(&in)
}

// Decode reads text chunks with jsonscan and the rest with encoding/json;
// for any bytes it gives what encoding/json's reading gives.
func FuzzStreamDecodeScan(f *testing.F) {
	for _, s := range []string{
		`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","system_fingerprint":"fp","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}`,
		`{"id":"c","created":-12,"choices":[{"index":0,"delta":{"content":"\u00e9 \xff"},"finish_reason":"stop"}]}`,
		`{"id":"c","choices":[{"index":0,"delta":{"reasoning_content":"hm","reasoning":"x"}}]}`,
		`{"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{}"}}]}}]}`,
		`{"id":"c","choices":[{"index":0,"Delta":{"content":"x"}}]}`,
		`{"id":"c","choices":[{"index":0,"delta":{"content":"a","content":"b"}}]}`,
		`{"id":"c","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}`,
		`{"error":{"type":"server_error","message":"boom"}}`,
		`{"id":"c","created":1.5,"choices":[]}`,
		`{"id":"c","choices":[{"delta":null}]} x`,
		`[DONE]`,
	} {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"x"}}]}` + "\n" +
		`{"id":"b","model":"m","choices":[{"index":0,"delta":{"content":"y","refusal":"no"},"finish_reason":"stop"},{"index":1,"delta":{"content":"z"},"finish_reason":null}]}` + "\n" +
		`{"id":"b","model":"m2","choices":[{"index":0,"delta":{"role":"assistant"}}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":null}}` + "\n" +
		`{"id":"b","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"completion_tokens_details":{"reasoning_tokens":2,"audio_tokens":0}}}`))
	f.Add([]byte(`{"choices":[],"usage":{"prompt_tokens":1,"prompt_tokens":2}}` + "\n" + `{"choices":[],"u\u017fage":{"prompt_tokens":1}}` + "\n" + `{"choices":[],"usage":{"Prompt_Tokens":1}}`))
	// Each line is one event, decoded in turn by both readers: the
	// scanner's reused parts must never show through from one to the next.
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, slow := &StreamDecoder{}, &StreamDecoder{}
		for _, ev := range bytes.Split(data, []byte("\n")) {
			c1, err1 := fast.Decode("", ev)
			c2, err2 := decodeJSON(slow, ev)
			if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(c1, c2) ||
				fast.done != slow.done || fast.usage != slow.usage || fast.hasUsage != slow.hasUsage {
				t.Fatalf("%q: Decode %+v, %v; encoding/json %+v, %v", ev, c1, err1, c2, err2)
			}
		}
	})
}

func BenchmarkStreamDecode(b *testing.B) {
	data := []byte(`{"id":"chatcmpl-0123456789","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"content":"Hello, world"},"logprobs":null,"finish_reason":null}]}`)
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
			_, _ = decodeJSON(d, data)
		}
	})
}
