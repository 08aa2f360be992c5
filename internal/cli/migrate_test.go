package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

func TestMigrateSQLiteToPostgres(t *testing.T) {
	pg := os.Getenv("KEYGATE_TEST_POSTGRES")
	if pg == "" {
		t.Skip("KEYGATE_TEST_POSTGRES is not set: skipping the SQLite → PostgreSQL copy")
	}
	src := "sqlite:" + filepath.Join(t.TempDir(), "keygate.db")
	g := testgw.Start(t, testgw.Options{DSN: src})
	k := g.CreateKey(map[string]any{"budget": map[string]any{"limit_usd": 5, "period": "monthly"}})
	if resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`); resp.StatusCode != 200 {
		t.Fatalf("call: %d %s", resp.StatusCode, b)
	}
	g.Logs("key_id="+k.ID, 1)
	dst := testgw.FreshSchema(t, pg)

	run := func(args ...string) (string, error) {
		cmd := newMigrateCmd()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetErr(&out)
		cmd.SetArgs(args)
		err := cmd.ExecuteContext(context.Background())
		return out.String(), err
	}
	out, err := run("--from", src, "--to", dst)
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	t.Log(out)
	for _, table := range []string{"api_keys", "request_logs", "projects", "audit_events"} {
		if !strings.Contains(out, table) {
			t.Fatalf("the report does not count %s:\n%s", table, out)
		}
	}
	// A second copy into the same target is refused, not merged.
	if out, err := run("--from", src, "--to", dst); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("a second copy: %v\n%s", err, out)
	}
	// The same key works on a gateway started on the copy, with its log.
	g2 := testgw.Start(t, testgw.Options{DSN: dst})
	if resp, b := g2.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`); resp.StatusCode != 200 {
		t.Fatalf("the copied key on PostgreSQL: %d %s", resp.StatusCode, b)
	}
	if rows := g2.Logs("key_id="+k.ID, 2); len(rows) < 2 {
		t.Fatalf("request logs after the copy: %d rows, want the copied one and the new one", len(rows))
	}
}
