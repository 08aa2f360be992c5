package app_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/app"
	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/mockupstream"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/sqlstore"
	"github.com/keygate/keygate/internal/testgw"
)

// Shutdown lets an in-flight stream finish and flushes its log row.
func TestGracefulShutdownFinishesStreamsAndFlushesLogs(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "kg.db")
	g := testgw.Start(t, testgw.Options{DSN: dsn, Upstream: mockupstream.Options{ChunkDelay: 30 * time.Millisecond}})
	k := g.CreateKey(nil)
	req, _ := http.NewRequest("POST", g.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"mock-gpt","stream":true,"messages":[{"role":"user","content":"a longer message to stream slowly"}]}`))
	req.Header.Set("Authorization", "Bearer "+k.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	if _, err := br.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- g.App.Close() }() // what SIGTERM does
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatalf("stream broken by shutdown: %v", err)
	}
	if !strings.Contains(string(rest), "[DONE]") {
		t.Fatalf("stream did not finish: %s", rest)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.QueryLogs(context.Background(), store.LogFilter{KeyID: k.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Status != 200 || rows[0].OutputTokens == 0 || rows[0].CostUSD == 0 {
		t.Fatalf("log row after shutdown: %+v", rows)
	}
}

func TestConfigErrorsNameTheProblem(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Defaults()
	cfg.Database = "sqlite:" + filepath.Join(dir, "kg.db")
	cfg.AdminToken = "short"
	_, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "KEYGATE_ADMIN_TOKEN") {
		t.Fatalf("err = %v", err)
	}
}

func TestDemoModeServesTheBuiltInMock(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Defaults()
	cfg.Listen = "127.0.0.1:0"
	cfg.Database = "sqlite:" + filepath.Join(dir, "kg.db")
	var banner strings.Builder
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), &banner)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if !strings.Contains(banner.String(), "KEYGATE_ADMIN_TOKEN=kg_pat_") {
		t.Fatalf("no owner token printed on a fresh database: %q", banner.String())
	}
	tok := strings.Fields(strings.SplitN(banner.String(), "KEYGATE_ADMIN_TOKEN=", 2)[1])[0]
	req, _ := http.NewRequest("POST", "http://"+a.Addr()+"/admin/v1/keys", strings.NewReader(`{"project":"demo"}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 201 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create key: %d %s", resp.StatusCode, body)
	}
	key := strings.SplitN(strings.SplitN(string(body), `"key":"`, 2)[1], `"`, 2)[0]
	req, _ = http.NewRequest("POST", "http://"+a.Addr()+"/v1/chat/completions", strings.NewReader(`{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Hello from the mock upstream") {
		t.Fatalf("chat via the demo channel: %d %s", resp.StatusCode, body)
	}
}

// A channel the relay disables (the upstream refused its credential) is
// stored disabled, with its audit row, by the time Close returns: the
// disable runs off the request, and shutdown used to close the store under
// it (the row lost, a catalogue reload failing on a closed database).
func TestCloseWaitsForAChannelDisabledByTheRelay(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "kg.db")
	t.Setenv("KEYGATE_TEST_WRONG_UPSTREAM_KEY", "sk-wrong-upstream-credential-000000000")
	g := testgw.Start(t, testgw.Options{DSN: dsn})
	if st := g.Admin("POST", "/admin/v1/channels", map[string]any{"name": "refused", "base_url": g.Upstream.URL + "/v1",
		"api_key_env": "KEYGATE_TEST_WRONG_UPSTREAM_KEY", "models": []string{"refused-model"}, "model_map": map[string]string{"refused-model": "mock-gpt"},
		"groups": []string{"default"}}, nil); st != 201 {
		t.Fatalf("create channel: %d", st)
	}
	k := g.CreateKey(nil)
	resp, body := g.Do("POST", "/v1/chat/completions", http.Header{"Authorization": {"Bearer " + k.Key}, "Content-Type": {"application/json"}},
		`{"model":"refused-model","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 502 || !strings.Contains(string(body), "upstream_auth_failed") {
		t.Fatalf("call on the refused channel: %d %s", resp.StatusCode, body)
	}
	if err := g.App.Close(); err != nil { // at once, as SIGTERM may come
		t.Fatal(err)
	}
	st, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.GetChannel(context.Background(), "refused")
	if err != nil || c.Enabled {
		t.Fatalf("after Close the refused channel is enabled=%v (%v): the disable did not finish before the store closed", c.Enabled, err)
	}
	ev, err := st.ListAudit(context.Background(), store.AuditFilter{Action: "channel.disable", Object: "channel:refused", Limit: 10})
	if err != nil || len(ev) != 1 {
		t.Fatalf("audit rows of the disable: %d (%v), want 1", len(ev), err)
	}
}
