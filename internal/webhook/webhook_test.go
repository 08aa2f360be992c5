package webhook

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type failures struct {
	mu   sync.Mutex
	evs  []Event
	n    []int
	errs []error
}

func (f *failures) record(ev Event, n int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.evs, f.n, f.errs = append(f.evs, ev), append(f.n, n), append(f.errs, err)
}

func (f *failures) len() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.evs) }

func TestSignVerify(t *testing.T) {
	body := []byte(`{"type":"key.disabled"}`)
	sig := Sign("s3cret", body)
	if !Verify("s3cret", body, sig) {
		t.Fatal("own signature does not verify")
	}
	if Verify("other", body, sig) || Verify("s3cret", []byte(`{"type":"key.rotated"}`), sig) || Verify("s3cret", body, "sha256=00") {
		t.Fatal("a wrong secret, body or signature verified")
	}
}

func TestDeliverRetriesThenSucceeds(t *testing.T) {
	var calls atomic.Int32
	got := make(chan *http.Request, 10)
	bodies := make(chan []byte, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if calls.Add(1) < 3 {
			w.WriteHeader(503)
			return
		}
		got <- r
		bodies <- b
	}))
	defer srv.Close()
	var f failures
	s := New(Options{URL: srv.URL, Secret: "k", Backoff: time.Millisecond, OnFailure: f.record})
	s.Notify(Event{ID: "evt_1", Type: KeyDisabled, Time: time.Now(), Data: map[string]any{"key_id": "key_1"}})
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || f.len() != 0 {
		t.Fatalf("calls %d, failures %d; want 3 calls and no failure", calls.Load(), f.len())
	}
	r, b := <-got, <-bodies
	if r.Header.Get(HeaderEvent) != KeyDisabled || r.Header.Get(HeaderDelivery) != "evt_1" || !Verify("k", b, r.Header.Get(HeaderSignature)) {
		t.Fatalf("headers %v", r.Header)
	}
}

func TestDeliverGivesUpAndReports(t *testing.T) {
	for name, c := range map[string]struct {
		status   int
		attempts int
	}{
		"permanent 400 is not retried": {400, 1},
		"500 is retried until the end": {500, 4},
	} {
		t.Run(name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.WriteHeader(c.status)
			}))
			defer srv.Close()
			var f failures
			s := New(Options{URL: srv.URL + "/hook?token=receiver-secret", Secret: "k", Attempts: 4, Backoff: time.Millisecond, OnFailure: f.record})
			s.Notify(Event{ID: "evt_2", Type: KeyLeaked})
			_ = s.Close(context.Background())
			if int(calls.Load()) != c.attempts || f.len() != 1 || f.n[0] != c.attempts {
				t.Fatalf("calls %d, failures %v; want %d attempts and one failure", calls.Load(), f.n, c.attempts)
			}
			if msg := f.errs[0].Error(); containsAny(msg, "receiver-secret") {
				t.Fatalf("error leaks the receiver's URL token: %s", msg)
			}
		})
	}
}

func TestTransportErrorHidesURLToken(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens: the POST fails in transport
	var f failures
	s := New(Options{URL: srv.URL + "/hook?token=receiver-secret", Secret: "k", Attempts: 2, Backoff: time.Millisecond, OnFailure: f.record})
	s.Notify(Event{ID: "evt_3", Type: KeyLeaked})
	_ = s.Close(context.Background())
	if f.len() != 1 {
		t.Fatalf("%d failures reported, want 1", f.len())
	}
	if msg := f.errs[0].Error(); containsAny(msg, "receiver-secret") {
		t.Fatalf("error leaks the receiver's URL token: %s", msg)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		for i := 0; i+len(x) <= len(s); i++ {
			if s[i:i+len(x)] == x {
				return true
			}
		}
	}
	return false
}

func TestQueueFullIsReported(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	var f failures
	s := New(Options{URL: srv.URL, Secret: "k", QueueSize: 2, OnFailure: f.record})
	for i := 0; i < 10; i++ {
		s.Notify(Event{ID: "evt", Type: KeyRotated})
	}
	// One is in flight, two wait; the rest were dropped and reported.
	if n := f.len(); n < 7 {
		t.Fatalf("%d failures reported, want ≥ 7", n)
	}
	if !errors.Is(f.errs[0], ErrQueueFull) {
		t.Fatalf("failure %v, want ErrQueueFull", f.errs[0])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Close(ctx); err == nil {
		t.Fatal("Close with a stuck receiver should report the deadline")
	}
}
