package testgw

// Harness is the gateway the admin and httpapi lifecycle tests drive: a
// real gateway (app.New on 127.0.0.1:0, a temporary SQLite file) in front
// of the mock upstream, with a settable clock, captured logs, a webhook
// receiver, and every answer kept for the no-plaintext property tests.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/app"
	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/mockupstream"
)

// Clock is an injected, settable time source: grace windows and expiries
// are tested by moving it, never by sleeping.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock set to t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

func (c *Clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// SyncBuffer collects slog output from concurrent goroutines.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *SyncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// HookReceiver records webhook deliveries.
type HookReceiver struct {
	mu     sync.Mutex
	events []HookDelivery
	status int // answer; 0 = 204
	srv    *httptest.Server
}

// HookDelivery is one webhook delivery as received.
type HookDelivery struct {
	Header http.Header
	Body   []byte
	Event  struct {
		ID   string         `json:"id"`
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
}

// HookSecret signs the harness's webhooks.
const HookSecret = "webhook-secret-0123456789abcdef"

// NewHookReceiver starts a webhook receiver until the test ends.
func NewHookReceiver(t testing.TB) *HookReceiver {
	h := &HookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		d := HookDelivery{Header: r.Header.Clone(), Body: b}
		_ = json.Unmarshal(b, &d.Event)
		h.mu.Lock()
		h.events = append(h.events, d)
		st := h.status
		h.mu.Unlock()
		if st == 0 {
			st = 204
		}
		w.WriteHeader(st)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// URL is where the receiver listens.
func (h *HookReceiver) URL() string { return h.srv.URL }

// Wait returns the deliveries once at least n arrived (or after 15 s: a
// bound for a loaded machine, not a measure).
func (h *HookReceiver) Wait(n int) []HookDelivery { return h.WaitType("", n) }

// WaitType returns the deliveries once at least n of event type typ ("":
// any) arrived, or after 15 s.
func (h *HookReceiver) WaitType(typ string, n int) []HookDelivery {
	deadline := time.Now().Add(15 * time.Second)
	for {
		h.mu.Lock()
		out := append([]HookDelivery(nil), h.events...)
		h.mu.Unlock()
		got := 0
		for _, d := range out {
			if typ == "" || d.Event.Type == typ {
				got++
			}
		}
		if got >= n || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Harness is a running test gateway with its clock, logs and webhooks.
type Harness struct {
	t      testing.TB
	App    *app.App
	URL    string
	DBPath string
	Clock  *Clock
	Logs   *SyncBuffer
	Hooks  *HookReceiver
	Seen   []Response // every answer, for the no-plaintext property tests
	seenMu sync.Mutex // Do may run on several goroutines (concurrent-removal tests)
	closed bool
}

// StartHarness starts a harness gateway until the test ends; tweak, when
// set, adjusts the configuration first.
func StartHarness(t testing.TB, tweak func(*config.Config)) *Harness {
	t.Helper()
	up := httptest.NewServer(mockupstream.New(mockupstream.Options{APIKey: UpstreamKey}))
	t.Cleanup(up.Close)
	t.Setenv("KEYGATE_TEST_UPSTREAM_KEY", UpstreamKey)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "keygate.yaml")
	if err := os.WriteFile(cfgPath, []byte(strings.ReplaceAll(DefaultConfig, "{{UPSTREAM}}", up.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	g := &Harness{t: t, DBPath: filepath.Join(dir, "keygate.db"), Clock: NewClock(time.Now().UTC()), Logs: &SyncBuffer{},
		Hooks: NewHookReceiver(t)}
	cfg := config.Defaults()
	cfg.Listen = "127.0.0.1:0"
	cfg.Database = "sqlite:" + g.DBPath
	cfg.AdminToken = AdminToken
	cfg.SecretKey = "test-secret-key"
	cfg.ConfigFile = cfgPath
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.WebhookURL = g.Hooks.URL() + "/hook"
	cfg.WebhookSecret = HookSecret
	if tweak != nil {
		tweak(&cfg)
	}
	log := slog.New(slog.NewTextHandler(g.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(context.Background(), cfg, log, g.Logs)
	if err != nil {
		t.Fatalf("start gateway: %v", err)
	}
	a.Server.Now, a.Admin.Now = g.Clock.Now, g.Clock.Now
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("start gateway: %v", err)
	}
	g.App, g.URL = a, "http://"+a.Addr()
	t.Cleanup(g.Close)
	return g
}

// Close stops the gateway (flushing request logs); safe to call twice.
func (g *Harness) Close() {
	if g.closed {
		return
	}
	g.closed = true
	if err := g.App.Close(); err != nil {
		g.t.Errorf("close gateway: %v", err)
	}
}

// Response is one answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// ErrCode returns the error code of an error answer.
func (r Response) ErrCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// ErrMessage returns the message of an error answer.
func (r Response) ErrMessage() string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Message
}

// Do sends a request and keeps its answer in Seen.
func (g *Harness) Do(method, path string, hdr http.Header, body []byte) Response {
	g.t.Helper()
	req, err := http.NewRequest(method, g.URL+path, bytes.NewReader(body))
	if err != nil {
		g.t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if len(body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	g.seenMu.Lock()
	g.Seen = append(g.Seen, r)
	g.seenMu.Unlock()
	return r
}

// AdminCall calls the admin API with the owner token.
func (g *Harness) AdminCall(method, path string, body any) Response {
	g.t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	return g.Do(method, path, http.Header{"Authorization": {"Bearer " + AdminToken}}, b)
}

// Call uses an API key on GET /v1/models/{model} (authentication and
// authorisation without an upstream) or on GET /v1/models when model is "".
func (g *Harness) Call(key, model string) Response {
	g.t.Helper()
	path := "/v1/models"
	if model != "" {
		path += "/" + model
	}
	return g.Do("GET", path, http.Header{"Authorization": {"Bearer " + key}}, nil)
}

// Chat sends a one-message chat completion with key.
func (g *Harness) Chat(key, model string) Response {
	g.t.Helper()
	body := `{"model":"` + model + `","messages":[{"role":"user","content":"hello"}]}`
	return g.Do("POST", "/v1/chat/completions", http.Header{"Authorization": {"Bearer " + key}}, []byte(body))
}

// KeyOut is a key as the admin API answers it.
type KeyOut struct {
	ID          string     `json:"id"`
	Key         string     `json:"key"`
	Display     string     `json:"display"`
	Env         string     `json:"env"`
	State       string     `json:"state"`
	StateReason string     `json:"state_reason"`
	ReplacedBy  string     `json:"replaced_by"`
	RotatedFrom string     `json:"rotated_from"`
	GraceUntil  *time.Time `json:"grace_until"`
	Models      []string   `json:"models"`
	AllowedIPs  []string   `json:"allowed_ips"`
	ExpiresAt   *time.Time `json:"expires_at"`
	Name        string     `json:"name"`
	Group       string     `json:"group"`
	Project     string     `json:"project"`
	RPM         int        `json:"rpm"`
}

// NewKey creates a key (project demo unless body says otherwise).
func (g *Harness) NewKey(body map[string]any) KeyOut {
	g.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	if _, ok := body["project"]; !ok {
		body["project"] = "demo"
	}
	r := g.AdminCall("POST", "/admin/v1/keys", body)
	if r.Status != 201 {
		g.t.Fatalf("create key: %d %s", r.Status, r.Body)
	}
	var k KeyOut
	r.JSON(g.t, &k)
	return k
}

// Expect fails unless r has status and (when code != "") error code.
func Expect(t testing.TB, what string, r Response, status int, code string) {
	t.Helper()
	if r.Status != status || (code != "" && r.ErrCode() != code) {
		t.Fatalf("%s: got %d %s, want %d %s", what, r.Status, r.Body, status, code)
	}
}

// WaitLogs waits until the request logs hold at least n rows for key id
// with the given error code ("" = any): the log writer is asynchronous.
func (g *Harness) WaitLogs(keyID, code string, n int) {
	g.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := g.AdminCall("GET", "/admin/v1/logs?key_id="+keyID+"&error_code="+code+"&limit=1000", nil)
		var out struct {
			Data []json.RawMessage `json:"data"`
		}
		r.JSON(g.t, &out)
		if len(out.Data) >= n {
			return
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("waited 5 s for %d log rows of %s (code %q); have %d", n, keyID, code, len(out.Data))
		}
		time.Sleep(25 * time.Millisecond)
	}
}
