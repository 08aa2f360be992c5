package httpapi

import (
	"encoding/json"
	"strings"
	"testing"
)

// benchBodies are request bodies the gateway reads its few fields from: the
// benchmark's tiny chat call, and a long conversation (about 16 KiB of
// messages, with "model" and "stream" after them, as some SDKs send them).
var benchBodies = map[string][]byte{
	"small": []byte(`{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`),
	"16KiB": []byte(`{"messages":[` + strings.Repeat(`{"role":"user","content":"Summarise the following paragraph in one sentence, keeping the names \"as is\": lorem ipsum dolor sit amet, consectetur adipiscing elit."},`, 100) +
		`{"role":"user","content":"thanks"}],"temperature":0.2,"max_tokens":256,"model":"mock-gpt","stream":true}`),
}

var sinkInbound inbound

// BenchmarkModelExtraction is reading the model, the stream flag and the
// output caps out of a request body: parseInbound as the handler does it,
// and encoding/json's full decode for comparison.
func BenchmarkModelExtraction(b *testing.B) {
	decoders := []struct {
		name string
		fn   func([]byte, *inbound) error
	}{
		{"parseInbound", parseInbound},
		{"encoding-json", func(b []byte, in *inbound) error { return json.Unmarshal(b, in) }},
	}
	for _, d := range decoders {
		for _, name := range []string{"small", "16KiB"} {
			body := benchBodies[name]
			b.Run(d.name+"/"+name, func(b *testing.B) {
				b.SetBytes(int64(len(body)))
				b.ReportAllocs()
				for b.Loop() {
					var in inbound
					if err := d.fn(body, &in); err != nil {
						b.Fatal(err)
					}
					if in.Model != "mock-gpt" {
						b.Fatalf("model %q", in.Model)
					}
					sinkInbound = in
				}
			})
		}
	}
}
