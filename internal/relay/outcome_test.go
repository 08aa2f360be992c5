package relay

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/provider"
)

// Each attempt is one call in the channel's breaker statistics, whatever
// path served it: the relay records an outcome once (issue 12, item 13).
func TestEachAttemptCountsOnceInTheBreaker(t *testing.T) {
	cases := map[string]struct {
		status       int
		contentType  string
		body         string
		stream       bool
		wantFailures int64
	}{
		"answer":          {200, "application/json", `{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}`, false, 0},
		"stream":          {200, "text/event-stream", "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]\n\n", true, 0},
		"caller's 400":    {400, "application/json", `{"error":{"message":"bad parameter"}}`, false, 0},
		"outage":          {500, "application/json", `{"error":{"message":"overloaded"}}`, false, 1},
		"stream cut":      {200, "text/event-stream", "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n", true, 1},
		"refused channel": {401, "application/json", `{"error":{"message":"bad key"}}`, false, 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", c.contentType)
				w.WriteHeader(c.status)
				io.WriteString(w, c.body)
			}))
			defer up.Close()
			ch := channel(t, "c", up.URL, 0)
			var res Result
			_ = newRelay().Do(context.Background(), httptest.NewRecorder(), &Request{Path: "/chat/completions", Body: []byte(`{}`),
				Model: "m", BodyModel: "m", Stream: c.stream, Channels: []*catalog.Channel{ch}}, &res)
			if r := ch.Report(); r.Calls != 1 || r.Failures != c.wantFailures {
				t.Fatalf("after one attempt the breaker counts %d calls, %d failures; want 1, %d", r.Calls, r.Failures, c.wantFailures)
			}
		})
	}
}

// fakeProvider answers converted calls without a network.
type fakeProvider struct{}

func (fakeProvider) Chat(context.Context, provider.Credential, *provider.ChatRequest) (*provider.ChatResponse, error) {
	return &provider.ChatResponse{Text: "hi", FinishReason: provider.FinishStop, Usage: provider.Usage{InputTokens: 1, OutputTokens: 1}}, nil
}

func (fakeProvider) ChatStream(context.Context, provider.Credential, *provider.ChatRequest) (provider.ChatStream, error) {
	return &fakeStream{chunks: []*provider.ChatChunk{{Text: "a"}, {Text: "b", FinishReason: provider.FinishStop}}}, nil
}

type fakeStream struct{ chunks []*provider.ChatChunk }

func (s *fakeStream) Recv() (*provider.ChatChunk, error) {
	if len(s.chunks) == 0 {
		return nil, io.EOF
	}
	c := s.chunks[0]
	s.chunks = s.chunks[1:]
	return c, nil
}
func (s *fakeStream) Usage() (provider.Usage, bool) {
	return provider.Usage{InputTokens: 1, OutputTokens: 2}, true
}
func (s *fakeStream) Close() error { return nil }

// The converted path counts each success once too.
func TestConvertedAttemptCountsOnce(t *testing.T) {
	for _, stream := range []bool{false, true} {
		rl := newRelay()
		rl.Providers = provider.Registry{TypeAnthropic: fakeProvider{}}
		ch := channel(t, "claude", "http://127.0.0.1:1", 0)
		ch.Type = TypeAnthropic
		var res Result
		req := &Request{Path: "/chat/completions", Body: []byte(`{}`), Model: "m", BodyModel: "m", Stream: stream,
			Channels: []*catalog.Channel{ch}, Codec: passCodec{},
			Convert: func() (*provider.ChatRequest, error) { return &provider.ChatRequest{}, nil }}
		if err := rl.Do(context.Background(), httptest.NewRecorder(), req, &res); err != nil {
			t.Fatal(err)
		}
		if r := ch.Report(); r.Calls != 1 || r.Failures != 0 {
			t.Fatalf("stream=%v: after one converted call the breaker counts %d calls, %d failures; want 1, 0", stream, r.Calls, r.Failures)
		}
	}
}

// passCodec renders answers as plain text, for tests.
type passCodec struct{}

func (passCodec) Response(r *provider.ChatResponse) []byte          { return []byte(r.Text) }
func (passCodec) NewStream(id, model string) provider.StreamEncoder { return passEncoder{} }
func (passCodec) StreamContentType() string                         { return "text/plain" }

type passEncoder struct{}

func (passEncoder) Chunk(dst []byte, c *provider.ChatChunk) []byte { return append(dst, c.Text...) }
func (passEncoder) Finish(dst []byte, u provider.Usage) []byte     { return dst }
func (passEncoder) Fail(dst []byte, status int, msg string) []byte { return append(dst, msg...) }

// Half of the calls failing opens the breaker (BreakerErrorRate 50 %): with
// every success counted twice it took about two thirds.
func TestHalfTheCallsFailingOpensTheBreaker(t *testing.T) {
	var n atomic.Int64
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if n.Add(1)%2 == 0 {
			w.WriteHeader(503)
			io.WriteString(w, `{"error":{"message":"overloaded"}}`)
			return
		}
		io.WriteString(w, `{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}`)
	}))
	defer up.Close()
	rl := newRelay()
	ch := channel(t, "flaky", up.URL, 0)
	for range catalog.BreakerMinCalls {
		var res Result
		_ = rl.Do(context.Background(), httptest.NewRecorder(), &Request{Path: "/chat/completions", Body: []byte(`{}`),
			Model: "m", BodyModel: "m", Channels: []*catalog.Channel{ch}}, &res)
	}
	r := ch.Report()
	if r.Calls != catalog.BreakerMinCalls || r.Failures != catalog.BreakerMinCalls/2 || r.State != catalog.StateOpen {
		t.Fatalf("after %d calls, half failing: %+v; want %d calls, %d failures, open", catalog.BreakerMinCalls, r, catalog.BreakerMinCalls, catalog.BreakerMinCalls/2)
	}
	if strings.Contains(r.LastError, "sk-channel-secret") {
		t.Fatal("credential in the last error")
	}
}
