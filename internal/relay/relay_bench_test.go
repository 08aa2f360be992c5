package relay

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/usage"
)

// cannedUpstream answers every request with the same bytes, in memory: the
// benchmarks measure the relay, not a network.
type cannedUpstream struct {
	contentType string
	body        []byte
}

func (u *cannedUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {u.contentType}},
		Body: io.NopCloser(bytes.NewReader(u.body)), ContentLength: int64(len(u.body)), Request: r}, nil
}

// discardWriter is a ResponseWriter that flushes to nowhere.
type discardWriter struct {
	h       http.Header
	n       int
	flushes int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(int)             {}
func (w *discardWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }
func (w *discardWriter) Flush()                      { w.flushes++ }

// sseStream builds an OpenAI chat stream of n content chunks, the usage
// chunk and [DONE].
func sseStream(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"mock-gpt\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"tok%d \"},\"finish_reason\":null}]}\n\n", i)
	}
	b.WriteString("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"mock-gpt\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21}}\n\n")
	b.WriteString("data: [DONE]\n\n")
	return b.Bytes()
}

func benchRelay(b testing.TB, up *cannedUpstream) (*Relay, []*catalog.Channel) {
	b.Helper()
	rl := newRelay()
	rl.Client = &http.Client{Transport: up}
	u, _ := url.Parse("http://upstream.invalid/v1")
	return rl, []*catalog.Channel{{Channel: store.Channel{Name: "c", Weight: 1, Enabled: true}, APIKey: "sk-channel-secret-0000", URL: u}}
}

// BenchmarkRelayStream relays whole streams of 10, 100 and 1000 chunks
// through Relay.Do. The per-chunk figures (ns/chunk, allocs/chunk) must not
// grow with the chunk count: a stream is relayed line by line through one
// pooled buffer, never accumulated. With -benchmem, allocs/op of the three
// sizes should be (nearly) equal: the per-call cost, and no per-chunk one.
func BenchmarkRelayStream(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("chunks=%d", n), func(b *testing.B) {
			up := &cannedUpstream{contentType: "text/event-stream", body: sseStream(n)}
			rl, chs := benchRelay(b, up)
			rl.Client = NewClient(up) // as the gateway's: send's RoundTrip, not Client.Do's copy of the header
			body := []byte(`{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`)
			w := &discardWriter{h: http.Header{}}
			ctx := context.Background()
			b.SetBytes(int64(len(up.body)))
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				req := Request{Path: "/chat/completions", Body: body, Model: "mock-gpt", BodyModel: "mock-gpt", Stream: true, Channels: chs}
				var res Result
				if err := rl.Do(ctx, w, &req, &res); err != nil || !res.Completed || !res.HasUsage {
					b.Fatalf("relay: %v, completed %v, usage %v", err, res.Completed, res.HasUsage)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/chunk")
		})
	}
}

// BenchmarkRelayJSON relays a plain (non-streaming) chat answer.
func BenchmarkRelayJSON(b *testing.B) {
	up := &cannedUpstream{contentType: "application/json", body: []byte(`{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"mock-gpt","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the mock upstream. You said: hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18}}`)}
	rl, chs := benchRelay(b, up)
	body := []byte(`{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`)
	w := &discardWriter{h: http.Header{}}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		req := Request{Path: "/chat/completions", Body: body, Model: "mock-gpt", BodyModel: "mock-gpt", Channels: chs}
		var res Result
		if err := rl.Do(ctx, w, &req, &res); err != nil || !res.HasUsage {
			b.Fatalf("relay: %v, usage %v", err, res.HasUsage)
		}
	}
}

// BenchmarkUsageFromStream reads usage the way the relay does for a stream:
// every data line is looked at, only the usage chunk is decoded.
func BenchmarkUsageFromStream(b *testing.B) {
	lines := bytes.Split(sseStream(20), []byte("\n"))
	b.ReportAllocs()
	for b.Loop() {
		var u usage.Usage
		out := 0
		for _, line := range lines {
			if !bytes.HasPrefix(line, dataPrefix) {
				continue
			}
			p := bytes.TrimSpace(line[len(dataPrefix):])
			if bytes.Contains(p, []byte(`"usage"`)) {
				u, _ = usage.FromJSON(p)
			}
			out += usage.GeneratedBytes(p)
		}
		if u.OutputTokens != 12 || out == 0 {
			b.Fatal("usage not found")
		}
	}
}
