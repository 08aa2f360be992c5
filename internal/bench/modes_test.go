package bench

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/mockupstream"
)

// An Anthropic client's stream ends at message_stop, not [DONE]: the
// messages target must count such a stream as complete, send the
// Anthropic headers and body, and still call a stream that stops short an
// error.
func TestMessagesTargetStream(t *testing.T) {
	var gotKey, gotVersion, gotBody string
	cut := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotKey, gotVersion = r.Header.Get("x-api-key"), r.Header.Get("anthropic-version")
		b := make([]byte, 512)
		n, _ := r.Body.Read(b)
		gotBody = string(b[:n])
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write([]byte("event: message_start\ndata: {}\n\n"))
		if !cut {
			_, _ = w.Write([]byte("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
		}
	}))
	defer srv.Close()
	tg := convertedTarget(ConvertMessages, srv.URL, "kg_test_key")
	tg.URL = srv.URL
	l := NewLoader(tg, 1, true)
	defer l.Close()
	w := worker{l: l, br: newReader(), errors: map[string]int{}, samples: map[string]string{}}
	if _, kind, sample := w.once(context.Background(), time.Now()); kind != "" {
		t.Fatalf("complete Anthropic stream: %s: %s", kind, sample)
	}
	if gotKey != "kg_test_key" || gotVersion == "" || !strings.Contains(gotBody, `"max_tokens"`) {
		t.Fatalf("request: x-api-key %q, anthropic-version %q, body %s", gotKey, gotVersion, gotBody)
	}
	cut = true
	if _, kind, _ := w.once(context.Background(), time.Now()); kind != "stream_without_done" {
		t.Fatalf("stream without message_stop: kind %q, want stream_without_done", kind)
	}
}

// The chat-converted targets differ from pass-through only in the model,
// which routes them to the Anthropic or Gemini channel.
func TestConvertedChatTargets(t *testing.T) {
	for path, model := range map[string]string{ConvertAnthropic: "mock-claude", ConvertGemini: "mock-gemini"} {
		tg := convertedTarget(path, "http://gw", "k")
		if tg.URL != "http://gw/v1/chat/completions" || !strings.Contains(string(tg.Body), `"model":"`+model+`"`) ||
			!strings.Contains(string(tg.StreamBody), `"stream":true`) || tg.Auth != "Bearer k" {
			t.Errorf("%s: %+v", path, tg)
		}
	}
}

func TestConvertAndOpenStreamsValidated(t *testing.T) {
	base := DefaultConfig()
	base.Executable = "keygate"
	for name, mod := range map[string]func(*Config){
		"unknown path":          func(c *Config) { c.Convert = []string{"bedrock"} },
		"convert without gw":    func(c *Config) { c.Convert = []string{ConvertGemini}; c.Targets = []string{TargetProxy} },
		"negative open streams": func(c *Config) { c.OpenStreams = -1 },
		"open streams + convert": func(c *Config) {
			c.OpenStreams = 10
			c.Convert = []string{ConvertAnthropic}
		},
	} {
		c := base
		mod(&c)
		if c.validate() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// holdStreams keeps every stream open until released: a mock with a long
// pause between chunks answers each first line, then the streams wait.
func TestHoldStreams(t *testing.T) {
	srv := httptest.NewServer(mockupstream.New(mockupstream.Options{ChunkDelay: time.Minute}))
	defer srv.Close()
	var res openResult
	release := holdStreams(context.Background(), Target{URL: srv.URL + "/v1/chat/completions"}, 20, &res)
	if res.opened != 20 || res.failed != 0 {
		release()
		t.Fatalf("opened %d, failed %d (%s)", res.opened, res.failed, res.sample)
	}
	release() // returns only once every stream's goroutine ended
}
