// Package webhook delivers keygate's security notifications (key disabled,
// leaked, rotated, expiring, anomaly) to an operator's HTTP endpoint.
//
// Each body is signed with HMAC-SHA256 under a shared secret, in the
// X-Keygate-Signature-256 header as "sha256=<hex>", the way code hosts sign
// their webhooks, so receivers can reuse their verification code. Events
// wait in a bounded queue and are delivered by one worker with exponential
// backoff; an event that cannot be delivered (or finds the queue full) is
// handed to OnFailure, which the gateway records in the audit log. Nothing
// here ever blocks the caller.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Event types.
const (
	KeyDisabled = "key.disabled"
	KeyLeaked   = "key.leaked"
	KeyRotated  = "key.rotated"
	KeyExpiring = "key.expiring"
	KeyAnomaly  = "key.anomaly"
)

// Header names.
const (
	HeaderSignature = "X-Keygate-Signature-256"
	HeaderEvent     = "X-Keygate-Event"
	HeaderDelivery  = "X-Keygate-Delivery"
)

// Event is one notification. Data holds display forms and ids only, never
// a key.
type Event struct {
	ID   string         `json:"id"`
	Type string         `json:"type"`
	Time time.Time      `json:"created_at"`
	Data map[string]any `json:"data"`
}

// ErrQueueFull is passed to OnFailure for an event dropped because the
// queue was full.
var ErrQueueFull = errors.New("webhook queue is full")

// Options configures a Sender.
type Options struct {
	URL    string
	Secret string
	Client *http.Client // default: 10 s timeout
	// QueueSize bounds the events waiting for delivery (default 1000).
	QueueSize int
	// Attempts is how many times one event is tried (default 5).
	Attempts int
	// Backoff is the wait before the first retry; it doubles up to
	// MaxBackoff (defaults 1 s and 30 s).
	Backoff    time.Duration
	MaxBackoff time.Duration
	// OnFailure is told about every event that was not delivered.
	OnFailure func(ev Event, attempts int, err error)
	Log       *slog.Logger
}

// Sender queues and delivers events.
type Sender struct {
	o      Options
	ch     chan Event
	done   chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once
	mu     sync.RWMutex // guards closed against Notify racing Close
	closed bool
}

// New starts a sender's worker; stop it with Close.
func New(o Options) *Sender {
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 1000
	}
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Sender{o: o, ch: make(chan Event, o.QueueSize), done: make(chan struct{}), ctx: ctx, cancel: cancel}
	go s.loop()
	return s
}

// Notify queues ev for delivery without waiting.
func (s *Sender) Notify(ev Event) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.fail(ev, 0, errors.New("webhook sender is shut down"))
		return
	}
	select {
	case s.ch <- ev:
	default:
		s.fail(ev, 0, ErrQueueFull)
	}
}

// Close stops accepting events and waits for the queue to drain until ctx
// ends; events still queued then are reported to OnFailure.
func (s *Sender) Close(ctx context.Context) error {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.ch)
		s.mu.Unlock()
	})
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		s.cancel()
		<-s.done
		return ctx.Err()
	}
}

func (s *Sender) loop() {
	defer close(s.done)
	for ev := range s.ch {
		if s.ctx.Err() != nil {
			s.fail(ev, 0, errors.New("gateway shut down before the event could be sent"))
			continue
		}
		n, err := s.deliver(s.ctx, ev)
		if err != nil {
			s.fail(ev, n, err)
		}
	}
}

func (s *Sender) fail(ev Event, attempts int, err error) {
	s.o.Log.Warn("webhook not delivered", "event", ev.Type, "delivery", ev.ID, "attempts", attempts, "err", err)
	if s.o.OnFailure != nil {
		s.o.OnFailure(ev, attempts, err)
	}
}

// deliver posts ev until it is accepted, a permanent error occurs or the
// attempts run out; it returns the number of attempts made.
func (s *Sender) deliver(ctx context.Context, ev Event) (int, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return 0, fmt.Errorf("encode event: %w", err)
	}
	sig := Sign(s.o.Secret, body)
	wait := s.o.Backoff
	var last error
	for attempt := 1; attempt <= s.o.Attempts; attempt++ {
		retry, err := s.post(ctx, ev, body, sig)
		if err == nil {
			return attempt, nil
		}
		last = err
		if !retry || attempt == s.o.Attempts {
			return attempt, last
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return attempt, fmt.Errorf("%w (gave up at shutdown)", last)
		case <-t.C:
		}
		wait = min(wait*2, s.o.MaxBackoff)
	}
	return s.o.Attempts, last
}

// post makes one attempt; retry says whether another attempt may succeed.
func (s *Sender) post(ctx context.Context, ev Event, body []byte, sig string) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.o.URL, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("build request to KEYGATE_WEBHOOK_URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "keygate-webhook/1")
	req.Header.Set(HeaderEvent, ev.Type)
	req.Header.Set(HeaderDelivery, ev.ID)
	req.Header.Set(HeaderSignature, sig)
	resp, err := s.o.Client.Do(req)
	if err != nil {
		// *url.Error repeats the whole URL, query token and all.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return true, fmt.Errorf("POST %s: %w", redactURL(s.o.URL), err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return true, fmt.Errorf("POST %s: receiver answered %s", redactURL(s.o.URL), resp.Status)
	default:
		return false, fmt.Errorf("POST %s: receiver answered %s (not retried: fix the receiver or KEYGATE_WEBHOOK_URL)", redactURL(s.o.URL), resp.Status)
	}
}

// Sign returns the signature header value of body: "sha256=" and the hex
// HMAC-SHA256 of body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature header value against body in constant time;
// receivers written in Go can use it directly.
func Verify(secret string, body []byte, header string) bool {
	want := Sign(secret, body)
	return hmac.Equal([]byte(want), []byte(strings.TrimSpace(header)))
}

// redactURL drops the query and user info of a webhook URL, which often
// carry a receiver's own token.
func redactURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.Index(u[i+3:], "@"); j >= 0 {
			u = u[:i+3] + u[i+3+j+1:]
		}
	}
	return u
}
