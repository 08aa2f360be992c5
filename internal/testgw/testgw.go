// Package testgw starts a real keygate gateway for tests: the same app.New
// the binary uses, on 127.0.0.1:0, in front of the built-in mock upstream,
// on a temporary SQLite file or a fresh PostgreSQL schema.
package testgw

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/keygate/keygate/internal/app"
	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/mockupstream"
)

// UpstreamKey is the credential the mock upstream expects from the gateway.
const UpstreamKey = "sk-mock-upstream-credential-0123456789"

// AdminToken is the owner token of test gateways.
const AdminToken = "test-owner-token-0123456789abcdefghijklmnop"

// DefaultConfig declares a group, a project, a mock channel and prices.
const DefaultConfig = `
groups:
  - {name: default, models: ["*"]}
  - {name: limited, models: [mock-gpt]}
projects: [{name: demo}, {name: other}]
channels:
  - name: mock
    type: openai
    base_url: "{{UPSTREAM}}/v1"
    api_key_env: KEYGATE_TEST_UPSTREAM_KEY
    models: [mock-gpt, mock-gpt-mini, mock-embed, mock-error-429, mock-error-500, mock-slow, mock-stream-cut]
    groups: [default, limited]
  # The mock answers 401 for this model, as an upstream does for a wrong
  # credential: the gateway then disables the whole channel, so it gets its own.
  - name: mock-badcred
    type: openai
    base_url: "{{UPSTREAM}}/v1"
    api_key_env: KEYGATE_TEST_UPSTREAM_KEY
    models: [mock-error-401]
    groups: [default, limited]
models:
  - {name: mock-gpt, aliases: [mock-gpt-2024-01-01], input_per_mtok: 0.15, output_per_mtok: 0.60}
  - {name: mock-gpt-mini, input_per_mtok: 0.05, output_per_mtok: 0.20}
  - {name: mock-embed, input_per_mtok: 0.02}
`

// DB is a database a test gateway can run on.
type DB struct {
	Name string
	DSN  string
}

// Databases returns a fresh SQLite file, plus a fresh PostgreSQL schema when
// KEYGATE_TEST_POSTGRES is set: the same tests run on both stores.
func Databases(t testing.TB) []DB {
	t.Helper()
	dbs := []DB{{Name: "sqlite", DSN: "sqlite:" + filepath.Join(t.TempDir(), "keygate.db")}}
	if pg := os.Getenv("KEYGATE_TEST_POSTGRES"); pg != "" {
		dbs = append(dbs, DB{Name: "postgres", DSN: FreshSchema(t, pg)})
	} else {
		t.Log("KEYGATE_TEST_POSTGRES is not set: running on SQLite only")
	}
	return dbs
}

// FreshSchema creates an empty schema on the PostgreSQL server named by dsn,
// drops it when the test ends, and returns a DSN that uses it.
func FreshSchema(t testing.TB, dsn string) string {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatalf("KEYGATE_TEST_POSTGRES=%s: %v", dsn, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "kgtest_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		t.Fatalf("PostgreSQL at KEYGATE_TEST_POSTGRES is unreachable or refuses CREATE SCHEMA: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE")
		db.Close()
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// Options tunes a test gateway.
type Options struct {
	DSN      string // default: a temporary SQLite file
	Config   string // YAML; {{UPSTREAM}} is replaced by the mock's URL; default DefaultConfig
	Upstream mockupstream.Options
	Log      io.Writer // slog output (default: discarded)
	Now      func() time.Time
	// Redis is KEYGATE_REDIS (default: none).
	Redis string
	// Configure, when set, adjusts the configuration before the gateway
	// is built.
	Configure func(*config.Config)
}

// Gateway is a running test gateway.
type Gateway struct {
	App      *app.App
	URL      string // http://127.0.0.1:PORT
	Upstream *httptest.Server
	t        testing.TB
}

// Start runs a gateway until the test ends.
func Start(t testing.TB, o Options) *Gateway {
	t.Helper()
	if o.Upstream.APIKey == "" {
		o.Upstream.APIKey = UpstreamKey
	}
	up := httptest.NewServer(mockupstream.New(o.Upstream))
	t.Cleanup(up.Close)
	t.Setenv("KEYGATE_TEST_UPSTREAM_KEY", o.Upstream.APIKey)
	dir := t.TempDir()
	if o.DSN == "" {
		o.DSN = "sqlite:" + filepath.Join(dir, "keygate.db")
	}
	if o.Config == "" {
		o.Config = DefaultConfig
	}
	cfgPath := filepath.Join(dir, "keygate.yaml")
	if err := os.WriteFile(cfgPath, []byte(strings.ReplaceAll(o.Config, "{{UPSTREAM}}", up.URL)), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.Listen = "127.0.0.1:0"
	cfg.Database = o.DSN
	cfg.AdminToken = AdminToken
	cfg.SecretKey = "test-secret-key"
	cfg.ConfigFile = cfgPath
	cfg.ShutdownTimeout = 5 * time.Second
	cfg.Redis = o.Redis
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	log := slog.New(slog.NewTextHandler(o.Log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a, err := app.New(context.Background(), cfg, log, io.Discard)
	if err != nil {
		t.Fatalf("start gateway: %v", err)
	}
	if o.Now != nil {
		a.Server.Now, a.Admin.Now = o.Now, o.Now
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("start gateway: %v", err)
	}
	g := &Gateway{App: a, URL: "http://" + a.Addr(), Upstream: up, t: t}
	t.Cleanup(func() {
		if err := a.Close(); err != nil {
			t.Errorf("close gateway: %v", err)
		}
	})
	return g
}

// Admin calls the admin API with the owner token and decodes JSON into out
// (when non-nil). It returns the status.
func (g *Gateway) Admin(method, path string, body any, out any) int {
	g.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, g.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+AdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			g.t.Fatalf("%s %s: decode %q: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

// CreatedKey is the answer of POST /admin/v1/keys.
type CreatedKey struct {
	ID      string `json:"id"`
	Key     string `json:"key"`
	Display string `json:"display"`
	Project string `json:"project"`
	Group   string `json:"group"`
	State   string `json:"state"`
}

// CreateKey creates a key (project demo, group default unless body says
// otherwise) and returns it.
func (g *Gateway) CreateKey(body map[string]any) CreatedKey {
	g.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	if _, ok := body["project"]; !ok {
		body["project"] = "demo"
	}
	var k CreatedKey
	if st := g.Admin("POST", "/admin/v1/keys", body, &k); st != http.StatusCreated {
		g.t.Fatalf("create key: status %d", st)
	}
	return k
}

// Logs returns request log rows matching query (e.g. "key_id=…"), waiting
// up to 5 s for at least min rows. The log writer is flushed before each
// read; a retry is only needed when a handler had not yet queued its row
// (it does so after the client has the answer).
func (g *Gateway) Logs(query string, min int) []map[string]any {
	g.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = g.App.Logs.Flush(ctx)
		cancel()
		var out struct {
			Data []map[string]any `json:"data"`
		}
		g.Admin("GET", "/admin/v1/logs?"+query, nil, &out)
		if len(out.Data) >= min || time.Now().After(deadline) {
			return out.Data
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Query builds a URL query string.
func Query(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

// Do sends a raw request to the gateway.
func (g *Gateway) Do(method, path string, header http.Header, body string) (*http.Response, []byte) {
	g.t.Helper()
	req, _ := http.NewRequest(method, g.URL+path, strings.NewReader(body))
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// Bearer returns an Authorization header.
func Bearer(key string) http.Header { return http.Header{"Authorization": {"Bearer " + key}} }

// Eventually waits up to 5 s for cond, for effects written asynchronously
// (request logs, audit events of background work).
func Eventually(t testing.TB, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached within 5 s")
}
