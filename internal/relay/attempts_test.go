package relay

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/catalog"
)

// Each attempt is recorded for the request's evidence: channel, upstream
// status, error code and the upstream's words (credential scrubbed).
func TestAttemptDetails(t *testing.T) {
	dead := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	deadURL := dead.URL
	dead.Close()
	authFail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, `{"error":{"message":"Incorrect API key provided: sk-channel-secret-0000"}}`)
	}))
	defer authFail.Close()
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}`)
	}))
	defer good.Close()
	rl := newRelay()

	var res Result
	req := &Request{Path: "/chat/completions", Body: []byte(`{}`), Model: "m", BodyModel: "m",
		Channels: []*catalog.Channel{channel(t, "dead", deadURL, 20), channel(t, "bad-cred", authFail.URL, 10), channel(t, "good", good.URL, 0)}}
	if err := rl.Do(context.Background(), httptest.NewRecorder(), req, &res); err != nil {
		t.Fatal(err)
	}
	d := res.AttemptDetails()
	if len(d) != 3 {
		t.Fatalf("%d attempts recorded, want 3: %+v", len(d), d)
	}
	if d[0].Channel != "dead" || d[0].Status != 0 || d[0].Code != "upstream_unavailable" || !strings.Contains(d[0].Error, "connect") {
		t.Errorf("attempt 1 = %+v", d[0])
	}
	if d[1].Channel != "bad-cred" || d[1].Status != 401 || d[1].Code != "upstream_auth_failed" || !strings.Contains(d[1].Error, "Incorrect API key") {
		t.Errorf("attempt 2 = %+v", d[1])
	}
	if strings.Contains(d[1].Error, "sk-channel-secret-0000") {
		t.Errorf("attempt 2 holds the channel credential: %q", d[1].Error)
	}
	if d[2].Channel != "good" || d[2].Status != 200 || d[2].Code != "" || d[2].Error != "" || d[2].Duration <= 0 {
		t.Errorf("attempt 3 = %+v", d[2])
	}
	if res.Status != 200 {
		t.Errorf("final status %d", res.Status)
	}
}

// Recording attempts costs no allocation up to the inline capacity; more
// spill over and are kept in order.
func TestAttemptRecordingAllocations(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		var r Result
		for i := 0; i < inlineAttempts; i++ {
			r.Attempts++
			r.record(Attempt{Channel: "c", Status: 200, Duration: time.Millisecond})
		}
		if len(r.AttemptDetails()) != inlineAttempts {
			t.Fatal("lost an attempt")
		}
	})
	if allocs != 0 {
		t.Errorf("recording %d attempts allocates %.0f times, want 0", inlineAttempts, allocs)
	}
	var r Result
	for i := 0; i < inlineAttempts+2; i++ {
		r.Attempts++
		r.record(Attempt{Status: 500 + i})
	}
	d := r.AttemptDetails()
	if len(d) != inlineAttempts+2 {
		t.Fatalf("%d attempts, want %d", len(d), inlineAttempts+2)
	}
	for i, a := range d {
		if a.Status != 500+i {
			t.Errorf("attempt %d has status %d", i+1, a.Status)
		}
	}
}
