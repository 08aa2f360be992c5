package relay

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/mockupstream"
	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/anthropic"
	"github.com/keygate/keygate/internal/provider/openai"
	"github.com/keygate/keygate/internal/store"
)

// The bodies `keygate bench` sends on its pass-through and converted paths.
const (
	benchChatBody       = `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`
	benchChatStream     = `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`
	benchMessagesBody   = `{"model":"mock-gpt","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`
	benchMessagesStream = `{"model":"mock-gpt","max_tokens":64,"messages":[{"role":"user","content":"hi"}],"stream":true}`
)

// mockAnswer records what the built-in mock upstream answers to one
// request, so a benchmark replays the very bytes the bench's upstream sends
// without paying for the mock.
func mockAnswer(tb testing.TB, path string, header http.Header, body string) *cannedUpstream {
	tb.Helper()
	h := mockupstream.New(mockupstream.Options{APIKey: "mock-key"})
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	for k, v := range header {
		r.Header[k] = v
	}
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		tb.Fatalf("mock %s: %d %s", path, w.Code, w.Body.Bytes())
	}
	return &cannedUpstream{contentType: w.Header().Get("Content-Type"), body: bytes.Clone(w.Body.Bytes())}
}

// convertedCase is one of the bench's paths, as the handler sets it up.
type convertedCase struct {
	name     string
	chType   string
	up       *cannedUpstream
	stream   bool
	request  func() Request
	wantDone []byte // the client's stream ends with this
}

func convertedCases(tb testing.TB) []convertedCase {
	bearer := http.Header{"Authorization": {"Bearer mock-key"}}
	ant := http.Header{"X-Api-Key": {"mock-key"}, "Anthropic-Version": {"2023-06-01"}}
	goog := http.Header{"X-Goog-Api-Key": {"mock-key"}}
	geminiBody := `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`
	antBody := `{"model":"mock-claude","max_tokens":4096,"messages":[{"role":"user","content":"hi"}]}`
	chat := func(body string, stream bool) func() Request {
		return func() Request {
			codec := &openai.Codec{Created: 1}
			b := []byte(body)
			return Request{Path: "/chat/completions", Body: b, Model: "mock-gpt", BodyModel: "mock-gpt", Stream: stream,
				Route: "/v1/chat/completions", StripUsage: false,
				Convert: func() (*provider.ChatRequest, error) {
					c, err := openai.ParseChatRequest(b)
					if err == nil {
						codec.IncludeUsage = c.IncludeUsage
					}
					return c, err
				},
				Codec: codec}
		}
	}
	messages := func(body string, stream bool) func() Request {
		return func() Request {
			b := []byte(body)
			return Request{Body: b, Model: "mock-gpt", BodyModel: "mock-gpt", Stream: stream, Route: "/v1/messages", DefaultMaxTokens: 4096,
				Native: &Native{ChannelType: TypeAnthropic, URL: func(*url.URL, string) string { return "" }, ModelInBody: true,
					NewDecoder: func() provider.Decoder { return &anthropic.StreamDecoder{} }},
				Convert: func() (*provider.ChatRequest, error) { return anthropic.ParseRequest(b) },
				Codec:   anthropic.Codec{}}
		}
	}
	return []convertedCase{
		{name: "stream/pass-through", chType: TypeOpenAI, stream: true, request: chat(benchChatStream, true),
			up: mockAnswer(tb, "/v1/chat/completions", bearer, benchChatStream), wantDone: []byte("data: [DONE]\n\n")},
		{name: "stream/anthropic", chType: TypeAnthropic, stream: true, request: chat(benchChatStream, true),
			up: mockAnswer(tb, "/v1/messages", ant, `{"model":"mock-claude","max_tokens":4096,"messages":[{"role":"user","content":"hi"}],"stream":true}`), wantDone: []byte("data: [DONE]\n\n")},
		{name: "stream/gemini", chType: TypeGemini, stream: true, request: chat(benchChatStream, true),
			up: mockAnswer(tb, "/v1beta/models/mock-gemini:streamGenerateContent?alt=sse", goog, geminiBody), wantDone: []byte("data: [DONE]\n\n")},
		{name: "stream/messages", chType: TypeOpenAI, stream: true, request: messages(benchMessagesStream, true),
			up: mockAnswer(tb, "/v1/chat/completions", bearer, benchChatStream), wantDone: []byte(`{"type":"message_stop"}` + "\n\n")},
		{name: "json/pass-through", chType: TypeOpenAI, request: chat(benchChatBody, false),
			up: mockAnswer(tb, "/v1/chat/completions", bearer, benchChatBody)},
		{name: "json/anthropic", chType: TypeAnthropic, request: chat(benchChatBody, false),
			up: mockAnswer(tb, "/v1/messages", ant, antBody)},
		{name: "json/gemini", chType: TypeGemini, request: chat(benchChatBody, false),
			up: mockAnswer(tb, "/v1beta/models/mock-gemini:generateContent", goog, geminiBody)},
		{name: "json/messages", chType: TypeOpenAI, request: messages(benchMessagesBody, false),
			up: mockAnswer(tb, "/v1/chat/completions", bearer, benchChatBody)},
	}
}

// recordingWriter keeps what the relay wrote, for the benchmark's check.
type recordingWriter struct {
	discardWriter
	out []byte
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.out = append(w.out, b...)
	return w.discardWriter.Write(b)
}

// BenchmarkRelayConverted relays the answers of `keygate bench`'s paths —
// the pass-through stream and the converted ones (Anthropic and Gemini
// channels behind /v1/chat/completions, an OpenAI channel behind
// /v1/messages), streamed and whole — through Relay.Do from the mock
// upstream's recorded bytes. The converted paths' cost over pass-through
// is what issue 20's targets bound; compare the subtests with benchstat.
func BenchmarkRelayConverted(b *testing.B) {
	for _, c := range convertedCases(b) {
		b.Run(c.name, func(b *testing.B) {
			rl := newRelay()
			rl.Client = NewClient(c.up) // as the gateway makes it: send skips Client.Do
			u, _ := url.Parse("http://upstream.invalid/v1")
			chs := []*catalog.Channel{{Channel: store.Channel{Name: "c", Type: c.chType, Weight: 1, Enabled: true}, APIKey: "sk-channel-secret-0000", URL: u}}
			w := &recordingWriter{discardWriter: discardWriter{h: http.Header{}}}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				w.out = w.out[:0]
				req := c.request()
				req.Channels = chs
				var res Result
				if err := rl.Do(ctx, w, &req, &res); err != nil || !res.Completed || !res.HasUsage {
					b.Fatalf("relay: %v, completed %v, usage %v: %s", err, res.Completed, res.HasUsage, w.out)
				}
				if c.wantDone != nil && !bytes.HasSuffix(w.out, c.wantDone) {
					b.Fatalf("stream ends without %q: %s", c.wantDone, w.out)
				}
			}
		})
	}
}
