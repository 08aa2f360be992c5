package gemini

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/keygate/keygate/internal/provider"
)

// decodeJSON is Decode reading every chunk with encoding/json, the
// reference for the scanner.
func decodeJSON(d *StreamDecoder, data []byte) (*provider.ChatChunk, error) {
	var in response
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, decodeErr(data, err)
	}
	return d.chunk(&in), nil
}

// Decode reads text chunks with jsonscan and the rest with encoding/json;
// for any bytes it gives what encoding/json's reading gives.
func FuzzDecodeScan(f *testing.F) {
	for _, s := range []string{
		`{"candidates":[{"content":{"parts":[{"text":"Hello"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":2,"totalTokenCount":11},"modelVersion":"gemini-2.0-flash","responseId":"r1"}`,
		`{"candidates":[{"content":{"parts":[{"text":"think","thought":true},{"text":"\u00e9 \xff"}]},"finishReason":"STOP"}]}`,
		`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":1}}}]}}]}`,
		`{"candidates":[{"content":{"parts":[{"Text":"x"}]}}]}`,
		`{"candidates":[{"content":{"parts":[{"text":"a","text":"b"}]}}]}`,
		`{"candidates":[],"promptFeedback":{"blockReason":"SAFETY"}}`,
		`{"candidates":null,"usageMetadata":{"promptTokenCount":1}}`,
		`{"candidates":[{"content":{"parts":[{"text":null}]}}]} x`,
		`{"usageMetadata":{"promptTokenCount":1e3}}`,
		`{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"candidates":[{"content":{"parts":[{"text":"a","thought":true},{"text":"b"},{"text":"c"}],"role":"model"}}],"modelVersion":"m","responseId":"r"}` + "\n" +
		`{"candidates":[{"content":{"parts":[{"text":"d"}]}}],"usageMetadata":{"promptTokenCount":1}}` + "\n" +
		`{"candidates":[{"content":{"role":"user"},"finishReason":"STOP"},{"content":{"parts":[{"text":"e"}]}}],"modelVersion":"m2"}`))
	// Each line is one chunk, decoded in turn by both readers: the
	// scanner's reused parts must never show through from one to the next.
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, started := range []bool{false, true} {
			fast, slow := &StreamDecoder{started: started}, &StreamDecoder{started: started}
			for _, ev := range bytes.Split(data, []byte("\n")) {
				c1, err1 := fast.Decode("", ev)
				c2, err2 := decodeJSON(slow, ev)
				state := *fast
				state.last = repeated{} // the scanner's own memory of the previous chunk
				if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(state, *slow) {
					t.Fatalf("%q: Decode %+v, %v; encoding/json %+v, %v", ev, c1, err1, c2, err2)
				}
			}
		}
	})
}

// Each chunk of a stream has its own model version and response id, when
// they repeat the previous chunk's and when they change.
func TestDecodeRepeatedStrings(t *testing.T) {
	d := &StreamDecoder{}
	for _, w := range []struct{ model, id string }{{"m1", "r1"}, {"m1", "r1"}, {"m2", "r1"}, {"m2", "r2"}, {"", ""}, {"m1", "r1"}} {
		data := `{"candidates":[{"content":{"parts":[{"text":"x"}],"role":"model"}}]`
		if w.model != "" {
			data += `,"modelVersion":"` + w.model + `","responseId":"` + w.id + `"`
		}
		c, err := d.Decode("", []byte(data+"}"))
		if err != nil || c.Model != w.model || c.ID != w.id || c.Text != "x" {
			t.Fatalf("%s}: %+v, %v; want model %q, id %q", data, c, err, w.model, w.id)
		}
	}
}

func BenchmarkDecodeText(b *testing.B) {
	data := []byte(`{"candidates":[{"content":{"parts":[{"text":"Hello, world"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":2,"totalTokenCount":11},"modelVersion":"gemini-2.0-flash","responseId":"r1"}`)
	d := &StreamDecoder{started: true}
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

// parseResponseJSON is ParseResponse reading with encoding/json only, the
// reference for the scanner.
func parseResponseJSON(body []byte) (*provider.ChatResponse, error) {
	var in response
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, err
	}
	return answer(&in), nil
}

// ParseResponse reads text answers with jsonscan; for any bytes it gives
// what encoding/json's reading gives.
func FuzzParseResponseScan(f *testing.F) {
	for _, s := range []string{
		`{"candidates":[{"content":{"parts":[{"text":"Hello from the mock upstream. You said: hi"}],"role":"model"},"finishReason":"STOP","index":0}],"modelVersion":"mock-gemini","responseId":"mockresp000001","usageMetadata":{"candidatesTokenCount":8,"promptTokenCount":14,"totalTokenCount":22}}`,
		`{"candidates":[{"content":{"parts":[{"text":"think","thought":true},{"text":"\u00e9 \xff"}],"role":"model"},"finishReason":"MAX_TOKENS","safetyRatings":[]}],"usageMetadata":{"promptTokenCount":9,"cachedContentTokenCount":4,"thoughtsTokenCount":3,"candidatesTokenCount":2,"totalTokenCount":14,"promptTokensDetails":[{"modality":"TEXT","tokenCount":9}]}}`,
		`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":1}}}]},"finishReason":"STOP"}]}`,
		`{"candidates":[{"content":{"parts":[{"Text":"x"}]}}]}`,
		`{"candidates":[{"content":{"parts":[{"text":"a","text":"b"}]}}]}`,
		`{"candidates":[],"promptFeedback":{"blockReason":"SAFETY"}}`,
		`{"candidates":null,"usageMetadata":{"promptTokenCount":1}}`,
		`{"candidates":[{"content":{"parts":[{"text":null}]}}]} x`,
		`{"usageMetadata":{"promptTokenCount":1e3}}`,
		`{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}`,
		`[{"candidates":[]}]`,
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

// The parts Decode reuses carry nothing from one chunk into the next: over
// chunks of more, fewer and other parts, each chunk is the one
// encoding/json's reading gives.
func TestDecodeReusedParts(t *testing.T) {
	events := []string{
		`{"candidates":[{"content":{"parts":[{"text":"hm","thought":true},{"text":"Hi"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"thoughtsTokenCount":2},"modelVersion":"m","responseId":"r"}`,
		`{"candidates":[{"content":{"parts":[{"text":" there"}],"role":"model"},"index":0}],"modelVersion":"m","responseId":"r"}`,
		`{"candidates":[{"content":{"parts":[{"text":"a"},{"text":"b"},{"text":"c","thought":false}]}},{"content":{"parts":[{"text":"other"}]}}],"modelVersion":"m","responseId":"r"}`,
		`{"candidates":[{"content":{"parts":[],"role":"model"}}],"usageMetadata":{"candidatesTokenCount":4}}`,
		`{"candidates":[{"content":{"parts":[{"text":"!"}],"role":"model"},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":5,"totalTokenCount":14},"modelVersion":"m2","responseId":"r"}`,
	}
	fast, slow := &StreamDecoder{}, &StreamDecoder{}
	var got, want []provider.ChatChunk
	for _, e := range events {
		c1, err1 := fast.Decode("", []byte(e))
		c2, err2 := decodeJSON(slow, []byte(e))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v, %v", e, err1, err2)
		}
		if c1 != nil {
			got = append(got, *c1)
		}
		if c2 != nil {
			want = append(want, *c2)
		}
		if fast.usage != slow.usage || fast.done != slow.done {
			t.Fatalf("%s: usage %+v, done %v; encoding/json %+v, %v", e, fast.usage, fast.done, slow.usage, slow.done)
		}
	}
	if !reflect.DeepEqual(got, want) || len(got) != 4 {
		t.Fatalf("Decode gave\n%+v\nencoding/json\n%+v", got, want)
	}
}
