package admin_test

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
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/mockupstream"
	"github.com/keygate/keygate/internal/testgw"
)

// clock is an injected, settable time source: grace windows and expiries
// are tested by moving it, never by sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// syncBuffer collects slog output from concurrent goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// hookReceiver records webhook deliveries.
type hookReceiver struct {
	mu     sync.Mutex
	events []hookDelivery
	status int // answer; 0 = 204
	srv    *httptest.Server
}

type hookDelivery struct {
	Header http.Header
	Body   []byte
	Event  struct {
		ID   string         `json:"id"`
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		d := hookDelivery{Header: r.Header.Clone(), Body: b}
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

// wait returns the deliveries once at least n arrived (or after 5 s).
func (h *hookReceiver) wait(n int) []hookDelivery {
	deadline := time.Now().Add(5 * time.Second)
	for {
		h.mu.Lock()
		out := append([]hookDelivery(nil), h.events...)
		h.mu.Unlock()
		if len(out) >= n || time.Now().After(deadline) {
			return out
		}
		time.Sleep(20 * time.Millisecond)
	}
}

const hookSecret = "webhook-secret-0123456789abcdef"

// gateway is a real gateway (app.New, 127.0.0.1:0, temporary SQLite) in
// front of the mock upstream, with an injected clock, captured logs and a
// webhook receiver.
type gateway struct {
	t      *testing.T
	App    *app.App
	URL    string
	DBPath string
	Clock  *clock
	Logs   *syncBuffer
	Hooks  *hookReceiver
	Seen   []response // every answer, for the no-plaintext property test
	seenMu sync.Mutex // do may run on several goroutines (concurrent-removal tests)
	closed bool
}

func startGateway(t *testing.T, tweak func(*config.Config)) *gateway {
	t.Helper()
	up := httptest.NewServer(mockupstream.New(mockupstream.Options{APIKey: testgw.UpstreamKey}))
	t.Cleanup(up.Close)
	t.Setenv("KEYGATE_TEST_UPSTREAM_KEY", testgw.UpstreamKey)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "keygate.yaml")
	if err := os.WriteFile(cfgPath, []byte(strings.ReplaceAll(testgw.DefaultConfig, "{{UPSTREAM}}", up.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	g := &gateway{t: t, DBPath: filepath.Join(dir, "keygate.db"), Clock: &clock{t: time.Now().UTC()}, Logs: &syncBuffer{},
		Hooks: newHookReceiver(t)}
	cfg := config.Defaults()
	cfg.Listen = "127.0.0.1:0"
	cfg.Database = "sqlite:" + g.DBPath
	cfg.AdminToken = testgw.AdminToken
	cfg.SecretKey = "test-secret-key"
	cfg.ConfigFile = cfgPath
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.WebhookURL = g.Hooks.srv.URL + "/hook"
	cfg.WebhookSecret = hookSecret
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
func (g *gateway) Close() {
	if g.closed {
		return
	}
	g.closed = true
	if err := g.App.Close(); err != nil {
		g.t.Errorf("close gateway: %v", err)
	}
}

// response is one answer, kept for the no-plaintext property test.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// errCode returns the error code of an error answer.
func (r response) errCode() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

func (r response) errMessage() string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.Body, &e)
	return e.Error.Message
}

func (g *gateway) do(method, path string, hdr http.Header, body []byte) response {
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
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: b}
	g.seenMu.Lock()
	g.Seen = append(g.Seen, r)
	g.seenMu.Unlock()
	return r
}

// admin calls the admin API with the owner token.
func (g *gateway) admin(method, path string, body any) response {
	g.t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	return g.do(method, path, http.Header{"Authorization": {"Bearer " + testgw.AdminToken}}, b)
}

// call uses an API key on GET /v1/models/{model} (authentication and
// authorisation without an upstream) or on GET /v1/models when model is "".
func (g *gateway) call(key, model string) response {
	g.t.Helper()
	path := "/v1/models"
	if model != "" {
		path += "/" + model
	}
	return g.do("GET", path, http.Header{"Authorization": {"Bearer " + key}}, nil)
}

func (g *gateway) chat(key, model string) response {
	g.t.Helper()
	body := `{"model":"` + model + `","messages":[{"role":"user","content":"hello"}]}`
	return g.do("POST", "/v1/chat/completions", http.Header{"Authorization": {"Bearer " + key}}, []byte(body))
}

type keyOut struct {
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

func (g *gateway) createKey(body map[string]any) keyOut {
	g.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	if _, ok := body["project"]; !ok {
		body["project"] = "demo"
	}
	r := g.admin("POST", "/admin/v1/keys", body)
	if r.Status != 201 {
		g.t.Fatalf("create key: %d %s", r.Status, r.Body)
	}
	var k keyOut
	r.json(g.t, &k)
	return k
}

// expect fails unless r has status and (when code != "") error code.
func expect(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	if r.Status != status || (code != "" && r.errCode() != code) {
		t.Fatalf("%s: got %d %s, want %d %s", what, r.Status, r.Body, status, code)
	}
}

// waitLogs waits until the request logs hold at least n rows for key id
// with the given error code ("" = any): the log writer is asynchronous.
func (g *gateway) waitLogs(keyID, code string, n int) {
	g.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := g.admin("GET", "/admin/v1/logs?key_id="+keyID+"&error_code="+code+"&limit=1000", nil)
		var out struct {
			Data []json.RawMessage `json:"data"`
		}
		r.json(g.t, &out)
		if len(out.Data) >= n {
			return
		}
		if time.Now().After(deadline) {
			g.t.Fatalf("waited 5 s for %d log rows of %s (code %q); have %d", n, keyID, code, len(out.Data))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

const chatBody = `{"model":"mock-gpt","max_tokens":16,"messages":[{"role":"user","content":"hello"}]}`

func errCode(b []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &e)
	return e.Error.Code
}

// assertNoSecret fails when text holds any 5 consecutive characters of a
// keygate key's random body (the display form shows at most 4 at each end),
// or 12 of another secret (whose body may hold ordinary words).
func assertNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		n := 12
		if strings.HasPrefix(s, "kg_") {
			n = 5
		}
		body := s
		for _, p := range []string{keys.PrefixLive, keys.PrefixTest, keys.PrefixPAT, "sk-proj-", "sk-ant-api03-", "sk-ant-", "sk-", "AIza"} {
			if strings.HasPrefix(body, p) {
				body = body[len(p):]
				break
			}
		}
		for i := 0; i+n <= len(body); i++ {
			if w := body[i : i+n]; strings.Contains(text, w) {
				t.Errorf("%q holds %q, part of a secret beyond its display form", text, w)
				return
			}
		}
	}
}

// errorBody is the OpenAI-shaped error with keygate's fields.
type errorBody struct {
	Error struct {
		Message   string  `json:"message"`
		Type      string  `json:"type"`
		Param     *string `json:"param"`
		Code      string  `json:"code"`
		Hint      string  `json:"hint"`
		Docs      string  `json:"docs"`
		RequestID string  `json:"request_id"`
	} `json:"error"`
}
