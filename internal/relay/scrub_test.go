package relay

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/anthropic"
)

// scrubCred has the characters that JSON, URL and base64 encodings change.
const scrubCred = "sk-proj-Ab/cd+efGH12/ijkl=MNOP34"

// No form of the channel credential reaches the client, the failure reason
// (the log row, evidence, the WAL) or the channel's last error, whatever
// path carried the upstream's words.
func TestChannelCredentialScrubbedOnEveryPath(t *testing.T) {
	cases := map[string]struct {
		status int
		body   string
	}{
		"4xx relayed to the client":   {400, `{"error":{"message":"key ` + scrubCred + ` may not use this model"}}`},
		"5xx json-escaped":            {500, `{"error":{"message":"upstream key ` + strings.ReplaceAll(scrubCred, "/", `\/`) + ` overloaded"}}`},
		"5xx url-encoded":             {503, `proxy error calling https://api.example/v1?key=` + url.QueryEscape(scrubCred)},
		"401 base64 basic credential": {401, `bad Authorization: Basic ` + base64.StdEncoding.EncodeToString([]byte("user:"+scrubCred))},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(c.status)
				io.WriteString(w, c.body)
			}))
			defer up.Close()
			ch := channel(t, "echo", up.URL, 0)
			ch.APIKey = scrubCred
			rec := httptest.NewRecorder()
			var res Result
			err := newRelay().Do(context.Background(), rec, &Request{Path: "/chat/completions", Body: []byte(`{}`),
				Model: "m", BodyModel: "m", Channels: []*catalog.Channel{ch}}, &res)
			client := rec.Body.String()
			if err != nil { // an upstream 4xx is answered in our envelope by the caller
				client += apierr.From(err).Message
			}
			texts := map[string]string{"client body": client, "failure reason": res.FailureReason, "last error": ch.LastError()}
			if err != nil {
				texts["error"] = err.Error()
			}
			for _, a := range res.AttemptDetails() {
				texts["attempt"] += a.Error
			}
			for where, s := range texts {
				assertNoCredential(t, where, s)
			}
			if c.status == 400 && !strings.Contains(client, "may not use this model") {
				t.Fatalf("the upstream's words did not reach the client: %s", client)
			}
		})
	}
}

// A pass-through stream that breaks with an error naming the credential
// (a proxy's message, a URL with ?key=) does not carry it into the reason.
func TestStreamBreakReasonScrubbed(t *testing.T) {
	for _, native := range []bool{false, true} {
		rl := newRelay()
		rl.Client = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}}, Request: r,
				Body: io.NopCloser(io.MultiReader(strings.NewReader("data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"),
					errReader{errors.New("read from https://api.example/v1?key=" + url.QueryEscape(scrubCred) + ": connection reset")}))}, nil
		})}
		ch := channel(t, "c", "http://127.0.0.1:1", 0)
		ch.APIKey = scrubCred
		req := &Request{Path: "/chat/completions", Body: []byte(`{}`), Model: "m", BodyModel: "m", Stream: true, Channels: []*catalog.Channel{ch}}
		if native {
			ch.Type = TypeAnthropic
			req.Native = &Native{ChannelType: TypeAnthropic, NewDecoder: func() provider.Decoder { return nopDecoder{} }}
		}
		var res Result
		_ = rl.Do(context.Background(), httptest.NewRecorder(), req, &res)
		if !strings.Contains(res.FailureReason, "connection reset") {
			t.Fatalf("native=%v: reason %q", native, res.FailureReason)
		}
		assertNoCredential(t, "stream break reason", res.FailureReason)
		assertNoCredential(t, "last error", ch.LastError())
	}
}

func assertNoCredential(t *testing.T, where, s string) {
	t.Helper()
	for _, f := range []string{scrubCred, strings.ReplaceAll(scrubCred, "/", `\/`), url.QueryEscape(scrubCred), scrubCred[:12],
		url.QueryEscape(scrubCred)[:14], base64.StdEncoding.EncodeToString([]byte("user:" + scrubCred))[8:24]} {
		if strings.Contains(s, f) {
			t.Fatalf("the channel credential (as %q) is in the %s: %q", f, where, s)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type nopDecoder struct{}

func (nopDecoder) Decode(string, []byte) (*provider.ChatChunk, error) { return nil, nil }
func (nopDecoder) Done() bool                                         { return false }
func (nopDecoder) Usage() (provider.Usage, bool)                      { return provider.Usage{}, false }

// An error event in a passed-through stream that quotes the channel
// credential reaches the client scrubbed.
func TestStreamErrorEventScrubbed(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"+
			"data: {\"error\":{\"message\":\"quota of key "+strings.ReplaceAll(scrubCred, "/", `\/`)+" exceeded\",\"type\":\"server_error\"}}\n\n"+
			"data: [DONE]\n\n")
	}))
	defer up.Close()
	ch := channel(t, "c", up.URL, 0)
	ch.APIKey = scrubCred
	rec := httptest.NewRecorder()
	var res Result
	_ = newRelay().Do(context.Background(), rec, &Request{Path: "/chat/completions", Body: []byte(`{}`), Model: "m", BodyModel: "m",
		Stream: true, Channels: []*catalog.Channel{ch}}, &res)
	if !strings.Contains(rec.Body.String(), "[channel credential]") || !strings.Contains(rec.Body.String(), "exceeded") {
		t.Fatalf("client stream: %s", rec.Body.String())
	}
	assertNoCredential(t, "client stream", rec.Body.String())
}

// A native stream (an Anthropic client on an Anthropic channel) is passed
// through as the upstream wrote it, except that an error event quoting the
// channel credential, raw or JSON-escaped, reaches the client scrubbed; the
// events around it are untouched.
func TestNativeStreamErrorEventScrubbed(t *testing.T) {
	before := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":3}}}\n\n" +
		": keep-alive\n\n"
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, before+
			"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"key "+scrubCred+
			" or "+strings.ReplaceAll(scrubCred, "/", `\/`)+" is overloaded\"}}\n\n")
	}))
	defer up.Close()
	ch := channel(t, "c", up.URL, 0)
	ch.Type = TypeAnthropic
	ch.APIKey = scrubCred
	rec := httptest.NewRecorder()
	var res Result
	_ = newRelay().Do(context.Background(), rec, &Request{Path: "/messages", Body: []byte(`{"model":"m"}`), Model: "m", BodyModel: "m",
		Stream: true, Channels: []*catalog.Channel{ch},
		Native: &Native{ChannelType: TypeAnthropic, ModelInBody: true,
			URL:        func(base *url.URL, _ string) string { return base.String() + "/v1/messages" },
			NewDecoder: func() provider.Decoder { return &anthropic.StreamDecoder{} }}}, &res)
	got := rec.Body.String()
	if !strings.HasPrefix(got, before) {
		t.Fatalf("the events before the error were not passed through as written:\n%s", got)
	}
	if strings.Count(got, "[channel credential]") != 2 || !strings.Contains(got, "is overloaded") {
		t.Fatalf("client stream: %s", got)
	}
	assertNoCredential(t, "client stream", got)
}
