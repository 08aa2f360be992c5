package relay

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/metrics"
	"github.com/keygate/keygate/internal/provider"
)

// An upstream's redirect is never followed, on any channel type and on the
// pass-through and converted paths alike: the redirect target sees no
// request (so neither the body nor x-api-key / x-goog-api-key /
// Authorization), and the caller gets 502 upstream_error naming where the
// upstream pointed, without the target's query.
func TestUpstreamRedirectIsNotFollowed(t *testing.T) {
	var reached atomic.Int32
	var leaked atomic.Value
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		leaked.Store(r.Header.Get("X-Api-Key") + r.Header.Get("X-Goog-Api-Key") + r.Header.Get("Authorization"))
		w.WriteHeader(200)
	}))
	defer target.Close()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/collect/path?sig=signed-secret", http.StatusTemporaryRedirect)
	}))
	defer up.Close()

	zero := func() float64 { return 0 }
	rl := &Relay{Client: NewClient(NewTransport()), Metrics: metrics.New(zero, zero, zero),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Cooldown: time.Minute}
	chat := func() (*provider.ChatRequest, error) {
		return &provider.ChatRequest{Model: "m", Messages: []provider.Message{{Role: provider.RoleUser, Parts: []provider.Part{{Type: provider.PartText, Text: "hi"}}}}}, nil
	}
	for name, c := range map[string]struct {
		typ    string
		native *Native
	}{
		"openai pass-through":    {typ: TypeOpenAI},
		"anthropic pass-through": {typ: TypeAnthropic, native: &Native{ChannelType: TypeAnthropic, ModelInBody: true}},
		"gemini pass-through": {typ: TypeGemini, native: &Native{ChannelType: TypeGemini,
			URL: func(base *url.URL, model string) string {
				return base.String() + "/models/" + model + ":generateContent"
			}}},
		"anthropic converted": {typ: TypeAnthropic},
		"gemini converted":    {typ: TypeGemini},
	} {
		t.Run(name, func(t *testing.T) {
			ch := channel(t, "redir", up.URL, 0)
			ch.Type = c.typ
			req := &Request{Path: "/chat/completions", Body: []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`),
				Model: "m", BodyModel: "m", Channels: []*catalog.Channel{ch}, Native: c.native, Route: "/v1/chat/completions"}
			if c.native == nil && c.typ != TypeOpenAI {
				req.Convert, req.Codec = chat, passCodec{}
			}
			rec := httptest.NewRecorder()
			var res Result
			err := rl.Do(context.Background(), rec, req, &res)
			if n := reached.Load(); n != 0 {
				t.Fatalf("the redirect target got %d request(s), credential headers %q", n, leaked.Load())
			}
			e := apierr.From(err)
			if e.Code != apierr.UpstreamError || e.HTTPStatus() != 502 {
				t.Fatalf("error = %v (%s %d), want 502 upstream_error", err, e.Code, e.HTTPStatus())
			}
			if !strings.Contains(e.Message, "redirect") || !strings.Contains(e.Message, target.URL+"/collect/path") || strings.Contains(e.Message, "signed-secret") {
				t.Fatalf("message %q must say the upstream redirected and where, without the query", e.Message)
			}
			if !strings.Contains(res.FailureReason, "redirected (307)") || strings.Contains(res.FailureReason, "signed-secret") {
				t.Fatalf("failure reason %q", res.FailureReason)
			}
		})
	}
}
