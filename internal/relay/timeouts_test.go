package relay

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
)

// A channel that does not answer within its first-byte timeout costs a
// retry on the next channel, and the attempt says which timeout fired.
func TestFirstByteTimeoutFailsOver(t *testing.T) {
	done := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}))
	defer slow.Close()
	defer close(done)
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}`)
	}))
	defer good.Close()
	mk := func(name, u string, prio int) *catalog.Channel {
		c := &catalog.Channel{}
		c.Name, c.Type, c.Priority, c.Weight = name, "openai", prio, 1
		c.URL, _ = url.Parse(u)
		return c
	}
	s := mk("slow", slow.URL, 10)
	s.FirstByteTimeout = 100 * time.Millisecond
	rl := newRelay()
	rec := httptest.NewRecorder()
	var res Result
	req := &Request{Path: "/chat/completions", Body: []byte(`{"model":"m"}`), Model: "m", BodyModel: "m",
		Channels: []*catalog.Channel{s, mk("good", good.URL, 0)}}
	start := time.Now()
	if err := rl.Do(context.Background(), rec, req, &res); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 2*time.Second || res.Channel != "good" || res.Attempts != 2 {
		t.Fatalf("took %s, result %+v", time.Since(start), res)
	}
	a := res.AttemptDetails()[0]
	if a.Code != string(apierr.UpstreamTimeout) || a.Error == "" {
		t.Fatalf("first attempt: %+v", a)
	}
}
