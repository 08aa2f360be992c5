package relay

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/metrics"
	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/openai"
	"github.com/keygate/keygate/internal/store"
)

func newRelay() *Relay {
	zero := func() float64 { return 0 }
	return &Relay{Client: &http.Client{Transport: NewTransport()}, Metrics: metrics.New(zero, zero, zero),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Cooldown: time.Minute}
}

func channel(t *testing.T, name, base string, prio int) *catalog.Channel {
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return &catalog.Channel{Channel: store.Channel{Name: name, Priority: prio, Weight: 1, Enabled: true}, APIKey: "sk-channel-secret-0000", URL: u}
}

// The first event reaches the client before the upstream sends the second:
// events are flushed one by one, never buffered.
func TestStreamFlushesEachEvent(t *testing.T) {
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"one\"}}]}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"two\"}}]}\n\n")
		io.WriteString(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\n")
		io.WriteString(w, "data: [DONE]\n\n")
	}))
	defer up.Close()
	rl := newRelay()
	var res Result
	done := make(chan error, 1)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := &Request{Path: "/chat/completions", Body: []byte(`{"model":"m"}`), Model: "m", BodyModel: "m", Stream: true,
			StripUsage: true, Channels: []*catalog.Channel{channel(t, "c", up.URL, 0)}}
		done <- rl.Do(r.Context(), w, req, &res)
	}))
	defer gw.Close()
	resp, err := http.Post(gw.URL, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	first, err := br.ReadString('\n')
	if err != nil || !strings.Contains(first, "one") {
		t.Fatalf("first event %q, %v", first, err)
	}
	close(release)
	rest, _ := io.ReadAll(br)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(rest), "usage") {
		t.Fatalf("the usage chunk the client did not ask for was relayed: %s", rest)
	}
	if !strings.Contains(string(rest), "[DONE]") || !strings.Contains(string(rest), "two") {
		t.Fatalf("stream incomplete: %s", rest)
	}
	if !res.HasUsage || res.Usage.InputTokens != 3 || res.Usage.OutputTokens != 2 || !res.Completed {
		t.Fatalf("result: %+v", res)
	}
}

func TestStreamCutIsReportedToTheClient(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"partial\"}}]}\n\n")
	}))
	defer up.Close()
	rl := newRelay()
	rec := httptest.NewRecorder()
	var res Result
	req := &Request{Path: "/chat/completions", Body: []byte(`{}`), Model: "m", BodyModel: "m", Stream: true,
		Channels: []*catalog.Channel{channel(t, "c", up.URL, 0)}}
	if err := rl.Do(context.Background(), rec, req, &res); err != nil {
		t.Fatal(err)
	}
	if res.Completed || !strings.Contains(res.FailureReason, "[DONE]") {
		t.Fatalf("result: %+v", res)
	}
	if !strings.Contains(rec.Body.String(), `"code":"upstream_error"`) {
		t.Fatalf("client was not told the stream broke: %s", rec.Body.String())
	}
	if res.OutputBytes != len("partial") {
		t.Fatalf("output bytes for the estimate = %d", res.OutputBytes)
	}
}

func TestClientDisconnectCancelsUpstream(t *testing.T) {
	cancelled := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < 100; i++ {
			if _, err := io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"); err != nil {
				break
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				close(cancelled)
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}))
	defer up.Close()
	rl := newRelay()
	ctx, cancel := context.WithCancel(context.Background())
	var res Result
	done := make(chan error, 1)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := &Request{Path: "/x", Body: []byte(`{}`), Model: "m", BodyModel: "m", Stream: true,
			Channels: []*catalog.Channel{channel(t, "c", up.URL, 0)}}
		done <- rl.Do(r.Context(), w, req, &res)
	}))
	defer gw.Close()
	hreq, _ := http.NewRequestWithContext(ctx, "POST", gw.URL, strings.NewReader("{}"))
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("upstream request was not cancelled after the client left")
	}
	if err := <-done; !IsClientGone(err) {
		t.Fatalf("Do = %v, want client gone", err)
	}
}

func TestFailoverAndUpstreamAuth(t *testing.T) {
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	deadURL := dead.URL
	dead.Close() // connection refused
	authFail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"message":"Incorrect API key provided: sk-channel-secret-0000"}}`)
	}))
	defer authFail.Close()
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer sk-channel-secret-0000" {
			t.Errorf("upstream got Authorization %q", r.Header.Get("Authorization"))
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}`)
	}))
	defer good.Close()

	rl := newRelay()
	t.Run("dead first channel costs a retry, not an error", func(t *testing.T) {
		rec := httptest.NewRecorder()
		var res Result
		req := &Request{Path: "/chat/completions", Body: []byte(`{}`), Model: "m", BodyModel: "m",
			Channels: []*catalog.Channel{channel(t, "dead", deadURL, 10), channel(t, "good", good.URL, 0)}}
		if err := rl.Do(context.Background(), rec, req, &res); err != nil {
			t.Fatal(err)
		}
		if rec.Code != 200 || res.Channel != "good" || res.Attempts != 2 {
			t.Fatalf("code %d, result %+v", rec.Code, res)
		}
	})
	t.Run("upstream 401 is the operator's problem", func(t *testing.T) {
		rec := httptest.NewRecorder()
		var res Result
		ch := channel(t, "bad-cred", authFail.URL, 0)
		req := &Request{Path: "/chat/completions", Body: []byte(`{}`), Model: "m", BodyModel: "m", Channels: []*catalog.Channel{ch}}
		err := rl.Do(context.Background(), rec, req, &res)
		if apierr.CodeOf(err) != apierr.UpstreamAuthFailed || apierr.From(err).HTTPStatus() != 502 {
			t.Fatalf("err = %v", err)
		}
		if ch.Healthy() {
			t.Fatal("channel with a rejected credential still healthy")
		}
		if strings.Contains(res.FailureReason, "sk-channel-secret-0000") || strings.Contains(ch.LastError(), "sk-channel-secret-0000") {
			t.Fatalf("the channel credential leaked into the failure reason: %s", res.FailureReason)
		}
	})
}

// EnsureStreamUsage writes include_usage:true whatever the client sent, by
// editing the bytes in place: key order, spacing and escapes stay the
// client's (the old version re-encoded the body: sorted keys, "<" became
// "\u003c").
func TestEnsureStreamUsage(t *testing.T) {
	cases := map[string]struct {
		body string
		want string
	}{
		"no options":       {`{"model":"m","stream":true}`, `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`},
		"trailing newline": {"{\"model\":\"m\"}\n", `{"model":"m","stream_options":{"include_usage":true}}`},
		"already asked":    {`{"stream_options":{"include_usage":true}}`, `{"stream_options":{"include_usage":true}}`},
		"options without":  {`{"z":"<b>","stream_options":{"include_obfuscation":false},"a":1}`, `{"z":"<b>","stream_options":{"include_usage":true,"include_obfuscation":false},"a":1}`},
		"asked false":      {`{"z":"<b>", "stream_options" : { "include_usage" : false } ,"a":1}`, `{"z":"<b>", "stream_options" : { "include_usage" : true } ,"a":1}`},
		"asked null":       {`{"stream_options":{"include_usage":null},"model":"m"}`, `{"stream_options":{"include_usage":true},"model":"m"}`},
		"options null":     {`{"stream_options":null,"model":"m"}`, `{"stream_options":{"include_usage":true},"model":"m"}`},
		"empty options":    {`{"stream_options":{ },"model":"m"}`, `{"stream_options":{"include_usage":true },"model":"m"}`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			at := strings.Index(c.body, `"stream_options"`)
			if at >= 0 {
				at += len(`"stream_options"`)
				at += strings.IndexAny(c.body[at:], "{n")
			}
			got, err := EnsureStreamUsage([]byte(c.body), at)
			if err != nil || string(got) != c.want {
				t.Fatalf("got %s, %v; want %s", got, err, c.want)
			}
		})
	}
	if _, err := EnsureStreamUsage([]byte(`[1]`), -1); err == nil {
		t.Fatal("want an error for a non-object body")
	}
	if _, err := EnsureStreamUsage([]byte(`{"stream_options":"x"}`), 18); err == nil {
		t.Fatal("want an error for stream_options that is not an object")
	}
}

// setModel replaces only the model value's bytes (the old version decoded
// and re-encoded the body: keys sorted, "<" as "\u003c", spacing lost).
func TestSetModelIsByteExact(t *testing.T) {
	cases := map[string]string{
		`{"z":"<b>&", "model" : "alias" ,"a":[1, 2],"n":1.50}`: `{"z":"<b>&", "model" : "real-model" ,"a":[1, 2],"n":1.50}`,
		`{"mod\u0065l":"alias","x":1}`:                         `{"mod\u0065l":"real-model","x":1}`,
		`{"messages":[{"model":"inner"}]}`:                     `{"model":"real-model","messages":[{"model":"inner"}]}`,
		`{ }`:                                                  `{"model":"real-model" }`,
	}
	for in, want := range cases {
		got, err := setModel([]byte(in), "real-model")
		if err != nil || string(got) != want {
			t.Errorf("setModel(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	if got, _ := setModel([]byte(`{"model":"a"}`), `we"ird`); string(got) != `{"model":"we\"ird"}` {
		t.Errorf("a model name with a quote: %s", got)
	}
	if _, err := setModel([]byte(`{"model":"a"`), "b"); err == nil {
		t.Error("invalid body accepted")
	}
}

// SetCap lowers every cap member in place, or adds the first name.
func TestSetCap(t *testing.T) {
	chat := []string{"max_tokens", "max_completion_tokens"}
	cases := map[string]string{
		`{"model":"<m>", "max_tokens" : 4096,"x":1}`:             `{"model":"<m>", "max_tokens" : 125,"x":1}`,
		`{"max_completion_tokens":null,"max_tokens":9,"y":[1 ]}`: `{"max_completion_tokens":125,"max_tokens":125,"y":[1 ]}`,
		`{"model":"m","messages":[{"max_tokens":1}]}`:            `{"max_tokens":125,"model":"m","messages":[{"max_tokens":1}]}`,
	}
	for in, want := range cases {
		if got, err := SetCap([]byte(in), chat, 125); err != nil || string(got) != want {
			t.Errorf("SetCap(%s) = %s, %v; want %s", in, got, err, want)
		}
	}
	if _, err := SetCap([]byte(`[1]`), chat, 1); err == nil {
		t.Error("a body that is not an object was accepted")
	}
}

// A passed-through body reaches the upstream with only the model changed,
// through the whole relay.
func TestPassThroughBodyIsByteExact(t *testing.T) {
	got := make(chan []byte, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}`)
	}))
	defer up.Close()
	ch := channel(t, "mapped", up.URL, 0)
	ch.ModelMap = map[string]string{"m": "upstream-m"}
	body := `{"messages":[{"role":"user","content":"<b>é</b>"}], "model":"m","temperature":0.50}`
	var res Result
	if err := newRelay().Do(context.Background(), httptest.NewRecorder(), &Request{Path: "/chat/completions", Body: []byte(body),
		Model: "m", BodyModel: "m", Channels: []*catalog.Channel{ch}}, &res); err != nil {
		t.Fatal(err)
	}
	if b, want := <-got, strings.Replace(body, `"m"`, `"upstream-m"`, 1); string(b) != want {
		t.Fatalf("upstream got %s\nwant %s", b, want)
	}
}

// A 200 whose body is not JSON is an upstream failure: 502 upstream_error,
// nothing relayed (so nothing charged), the reason recorded.
func TestNonJSON200IsAnUpstreamError(t *testing.T) {
	for name, body := range map[string]string{"html": "<html><body>Welcome to nginx!</body></html>", "cut": `{"choices":[{"message":{"content":"hi`, "empty": ""} {
		t.Run(name, func(t *testing.T) {
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				io.WriteString(w, body)
			}))
			defer up.Close()
			rec := httptest.NewRecorder()
			var res Result
			err := newRelay().Do(context.Background(), rec, &Request{Path: "/chat/completions", Body: []byte(`{"model":"m"}`),
				Model: "m", BodyModel: "m", Channels: []*catalog.Channel{channel(t, "html", up.URL, 0)}}, &res)
			var ae *apierr.Error
			if !errors.As(err, &ae) || ae.Code != apierr.UpstreamError || ae.HTTPStatus() != 502 {
				t.Fatalf("err %v, want 502 upstream_error", err)
			}
			if res.Written || rec.Body.Len() > 0 {
				t.Fatalf("the body was relayed: %q", rec.Body.String())
			}
			if !strings.Contains(res.FailureReason, "not JSON") {
				t.Fatalf("failure reason %q", res.FailureReason)
			}
		})
	}
}

// With no usage from the upstream, the estimate counts every generated text
// (reasoning, tool-call arguments, not only "content"), however the JSON is
// spaced.
func TestStreamEstimateCountsAllGeneratedText(t *testing.T) {
	stream := "data: {\"choices\":[{\"delta\": {\"reasoning_content\": \"thinking hard\"}}]}\n\n" +
		"data: {\"choices\":[{\"delta\":{\"content\": null,\"tool_calls\":[{\"index\":0,\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}}]}}]}\n\n" +
		"data: {\"choices\":[{\"delta\": {\"content\" : \"hello\"}}]}\n\n" +
		"data: [DONE]\n\n"
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, stream)
	}))
	defer up.Close()
	var res Result
	if err := newRelay().Do(context.Background(), httptest.NewRecorder(), &Request{Path: "/chat/completions", Body: []byte(`{"model":"m","stream":true}`),
		Model: "m", BodyModel: "m", Stream: true, Channels: []*catalog.Channel{channel(t, "s", up.URL, 0)}}, &res); err != nil {
		t.Fatal(err)
	}
	// "thinking hard" (13) + `{\"a\":1}` as sent (9) + "hello" (5)
	if res.HasUsage || res.OutputBytes != 13+9+5 {
		t.Fatalf("output bytes %d (usage %v), want %d", res.OutputBytes, res.HasUsage, 13+9+5)
	}
}

// An upstream that echoes the channel credential right where the error text
// is cut must not leave half of it in the log or the channel's last error.
func TestCredentialEchoedAtTheCutIsRemoved(t *testing.T) {
	const cred = "sk-channel-secret-0000"
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, strings.Repeat("x", 480)+" bad key "+cred+" rejected")
	}))
	defer up.Close()
	rl := newRelay()
	ch := channel(t, "echo", up.URL, 0)
	var res Result
	_ = rl.Do(context.Background(), httptest.NewRecorder(), &Request{Path: "/chat/completions", Body: []byte(`{}`),
		Model: "m", BodyModel: "m", Channels: []*catalog.Channel{ch}}, &res)
	for _, s := range []string{res.FailureReason, ch.LastError()} {
		if strings.Contains(s, cred[:8]) {
			t.Fatalf("part of the channel credential survived: %q", s[len(s)-40:])
		}
	}
}

// estProvider answers converted calls with no usage, so the estimate is
// what the relay counted.
type estProvider struct{ chunks []*provider.ChatChunk }

func (p *estProvider) Chat(context.Context, provider.Credential, *provider.ChatRequest) (*provider.ChatResponse, error) {
	return &provider.ChatResponse{Text: "hello", Reasoning: "thinking", ToolCalls: []provider.ToolCall{{Name: "f", Arguments: `{"a":1}`}}}, nil
}

func (p *estProvider) ChatStream(context.Context, provider.Credential, *provider.ChatRequest) (provider.ChatStream, error) {
	return &estStream{chunks: p.chunks}, nil
}

type estStream struct{ chunks []*provider.ChatChunk }

func (s *estStream) Recv() (*provider.ChatChunk, error) {
	if len(s.chunks) == 0 {
		return nil, io.EOF
	}
	c := s.chunks[0]
	s.chunks = s.chunks[1:]
	return c, nil
}
func (s *estStream) Usage() (provider.Usage, bool) { return provider.Usage{}, false }
func (s *estStream) Close() error                  { return nil }

// A converted answer with no usage is estimated from every generated text:
// reasoning and tool-call arguments too (the old count was the stream's
// text and arguments only, and 0 for a non-stream answer).
func TestConvertedEstimateCountsAllGeneratedText(t *testing.T) {
	chunks := []*provider.ChatChunk{{Reasoning: "thinking"}, {Text: "hello"}, {ToolCalls: []provider.ToolCallDelta{{Arguments: `{"a":1}`}}}}
	for _, stream := range []bool{false, true} {
		rl := newRelay()
		rl.Providers = provider.Registry{TypeAnthropic: &estProvider{chunks: chunks}}
		ch := channel(t, "claude", "http://127.0.0.1:1", 0)
		ch.Type = TypeAnthropic
		var res Result
		req := &Request{Path: "/chat/completions", Body: []byte(`{"model":"m"}`), Model: "m", BodyModel: "m", Stream: stream,
			Channels: []*catalog.Channel{ch}, Convert: func() (*provider.ChatRequest, error) { return &provider.ChatRequest{}, nil },
			Codec: &openai.Codec{}}
		if err := rl.Do(context.Background(), httptest.NewRecorder(), req, &res); err != nil {
			t.Fatal(err)
		}
		if want := len("thinking") + len("hello") + len(`{"a":1}`); res.HasUsage || res.OutputBytes != want {
			t.Errorf("stream %v: output bytes %d (usage %v), want %d", stream, res.OutputBytes, res.HasUsage, want)
		}
	}
}
