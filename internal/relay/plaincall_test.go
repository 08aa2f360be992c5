package relay

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"

	"github.com/keygate/keygate/internal/provider"
)

// seenRequest is what an upstream got: the parts a converted call sets.
type seenRequest struct {
	Method, Path, Query string
	Header              http.Header
	Body                string
}

// upAnswer is what a recordingUpstream answers.
type upAnswer struct {
	status int
	header map[string]string
	body   string
}

// recordingUpstream answers every request with the answer last set and
// records what it got, so a test can send one call two ways and compare.
type recordingUpstream struct {
	*httptest.Server
	mu      sync.Mutex
	seen    []seenRequest
	current upAnswer
}

func newRecordingUpstream(t *testing.T) *recordingUpstream {
	u := &recordingUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h := r.Header.Clone()
		delete(h, "Accept-Encoding") // the transport's own
		u.mu.Lock()
		u.seen = append(u.seen, seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, h, string(b)})
		a := u.current
		u.mu.Unlock()
		for k, v := range a.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(a.status)
		io.WriteString(w, a.body)
	}))
	t.Cleanup(u.Close)
	return u
}

// answer sets what the upstream answers from now on and forgets what it
// got.
func (u *recordingUpstream) answer(a upAnswer) {
	u.mu.Lock()
	u.current, u.seen = a, nil
	u.mu.Unlock()
}

// sameTwice fails unless the upstream got exactly two requests, and the
// same one twice: the relay's, then the adapter's own (called other).
func (u *recordingUpstream) sameTwice(t *testing.T, other string) {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.seen) != 2 {
		t.Fatalf("upstream got %d requests, want 2", len(u.seen))
	}
	if !reflect.DeepEqual(u.seen[0], u.seen[1]) {
		t.Fatalf("upstream got\n%+v\nfrom the relay and\n%+v\nfrom %s", u.seen[0], u.seen[1], other)
	}
}

// sameError fails unless the relay's error errRelay is the adapter's own
// (errOther, from other): a redirect (only for the case named "redirect")
// as the relay reads it, any other error by type and text, an upstream
// error field by field.
func sameError(t *testing.T, name string, errRelay, errOther error, other string) {
	t.Helper()
	if re, ok := asRedirect(errRelay); ok != (name == "redirect") {
		t.Fatalf("redirect error %v (%v) for %s", re, ok, name)
	} else if ok {
		// What the relay reads of it (redirected): Client.Do's url.Error
		// names the target, send's the request's URL.
		if rc, _ := asRedirect(errOther); !reflect.DeepEqual(re, rc) {
			t.Fatalf("redirect %+v, %s's %+v", re, other, rc)
		}
	} else if fmt.Sprintf("%T %v", errRelay, errRelay) != fmt.Sprintf("%T %v", errOther, errOther) {
		t.Fatalf("error %T %v, %s's %T %v", errRelay, errRelay, other, errOther, errOther)
	}
	if ue, ok := errRelay.(*provider.UpstreamError); ok && !reflect.DeepEqual(ue, errOther) {
		t.Fatalf("upstream error %+v, %s's %+v", ue, other, errOther)
	}
}

// A converted plain call the relay sends itself (plainCall: the channel's
// request template, send, a pooled answer buffer) is the adapter's own
// Chat: the upstream gets the same request — path, credential and other
// headers, body — and the caller the same answer or the same error, for
// every adapter and for answers, vendor errors (Gemini's refused key made
// a 401), rate limits with Retry-After, bodies that are not JSON and
// redirects.
func TestPlainCallIsChat(t *testing.T) {
	answers := map[string]string{
		TypeAnthropic: `{"id":"msg_1","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"hello"},{"type":"tool_use","id":"tu_1","name":"f","input":{"a":1}}],"stop_reason":"tool_use","usage":{"input_tokens":3,"output_tokens":4}}`,
		TypeGemini:    `{"candidates":[{"content":{"role":"model","parts":[{"text":"hello"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":4,"totalTokenCount":7}}`,
		TypeOpenAI:    `{"id":"chatcmpl-1","object":"chat.completion","created":7,"model":"gpt-x","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`,
	}
	cases := map[string]func(typ string) upAnswer{
		"answer": func(typ string) upAnswer {
			return upAnswer{200, map[string]string{"Content-Type": "application/json"}, answers[typ]}
		},
		"vendor error": func(string) upAnswer {
			return upAnswer{400, nil, `{"type":"error","error":{"type":"invalid_request_error","message":"bad sk-channel-secret-0000 thing"}}`}
		},
		"gemini refused key": func(string) upAnswer {
			return upAnswer{400, nil, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`}
		},
		"rate limited": func(string) upAnswer {
			return upAnswer{429, map[string]string{"Retry-After": "7"}, `{"error":{"message":"slow down"}}`}
		},
		"not JSON": func(string) upAnswer { return upAnswer{502, nil, "<html>bad gateway</html>"} },
		"not JSON 200": func(string) upAnswer {
			return upAnswer{200, nil, "<html>oops</html>"}
		},
		"redirect": func(string) upAnswer {
			return upAnswer{307, map[string]string{"Location": "http://127.0.0.1:1/elsewhere?sig=x"}, ""}
		},
		"redirect without Location": func(string) upAnswer { return upAnswer{302, nil, "moved"} },
	}
	up := newRecordingUpstream(t)

	rl := newRelay()
	rl.Client = NewClient(NewTransport())
	cr := &provider.ChatRequest{Model: "up-model", MaxTokens: 64, User: "u1",
		Messages: []provider.Message{{Role: provider.RoleSystem, Parts: []provider.Part{{Type: provider.PartText, Text: "be brief"}}},
			{Role: provider.RoleUser, Parts: []provider.Part{{Type: provider.PartText, Text: "hi <there>"}}}}}
	for _, typ := range []string{TypeAnthropic, TypeGemini, TypeOpenAI} {
		p := rl.provider(typ)
		pc, ok := p.(provider.PlainCaller)
		if !ok || !rl.ownProviders {
			t.Fatalf("%s adapter: PlainCaller %v, own providers %v", typ, ok, rl.ownProviders)
		}
		for name, mk := range cases {
			t.Run(typ+"/"+name, func(t *testing.T) {
				up.answer(mk(typ))
				ch := channel(t, "c", up.URL+"/v1", 0)
				ch.Type = typ
				viaRelay, errRelay := rl.plainCall(context.Background(), ch, pc, cr)
				viaChat, errChat := p.Chat(context.Background(), provider.Credential{BaseURL: ch.URL, APIKey: ch.APIKey}, cr)
				if !reflect.DeepEqual(viaRelay, viaChat) {
					t.Fatalf("answer %+v, Chat's %+v", viaRelay, viaChat)
				}
				sameError(t, name, errRelay, errChat, "Chat")
				up.sameTwice(t, "Chat")
			})
		}
	}
}
