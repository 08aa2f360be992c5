package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/testgw"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestKeysCLIAgainstGateway drives the leak path an owner follows —
// disable, impact, rotate — and scan --check, against a real gateway.
func TestKeysCLIAgainstGateway(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	t.Setenv("KEYGATE_ADDR", strings.TrimPrefix(g.URL, "http://"))
	t.Setenv("KEYGATE_ADMIN_TOKEN", testgw.AdminToken)

	code, out, errOut := runCLI(t, "keys", "create", "--project", "demo", "--name", "ci", "--models", "mock-gpt", "--json")
	if code != 0 {
		t.Fatalf("create: %d %s %s", code, out, errOut)
	}
	var k struct{ ID, Key, Display string }
	if err := json.Unmarshal([]byte(out), &k); err != nil || !strings.HasPrefix(k.Key, keys.PrefixLive) {
		t.Fatalf("create --json: %v %s", err, out)
	}
	if code, out, _ = runCLI(t, "keys", "list"); code != 0 || !strings.Contains(out, k.Display) || strings.Contains(out, k.Key) {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, out, _ = runCLI(t, "keys", "disable", k.ID, "--reason", "posted in a gist"); code != 0 || !strings.Contains(out, "disabled") {
		t.Fatalf("disable: %d %s", code, out)
	}
	resp, body := g.Do("GET", "/v1/models", testgw.Bearer(k.Key), "")
	if resp.StatusCode != 401 || !strings.Contains(string(body), "key_disabled") {
		t.Fatalf("disabled key: %d %s", resp.StatusCode, body)
	}
	g.Logs("key_id="+k.ID+"&error_code=key_disabled", 1)
	code, out, _ = runCLI(t, "keys", "impact", k.ID, "--since", "1h")
	if code != 0 || !strings.Contains(out, "Impact report for key "+k.Display) || !strings.Contains(out, "use_after_disable") ||
		!strings.Contains(out, "127.0.0.1") {
		t.Fatalf("impact: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "keys", "rotate", k.ID, "--grace", "1h")
	if code != 0 || !strings.Contains(out, "shown ONCE") || !strings.Contains(out, "stays disabled") {
		t.Fatalf("rotate: %d\n%s", code, out)
	}
	newKey := keys.Find(out)
	if len(newKey) != 1 {
		t.Fatalf("rotate should print the new key once: %s", out)
	}
	if code, out, _ = runCLI(t, "audit", "--action", "key.disable"); code != 0 || !strings.Contains(out, k.ID) {
		t.Fatalf("audit: %d %s", code, out)
	}
	if code, _, errOut = runCLI(t, "keys", "enable", k.ID); code != 1 || !strings.Contains(errOut, "(conflict)") {
		t.Fatalf("enable a replaced key must fail with the API's reason: %d %s", code, errOut)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.env"), []byte("OLD="+k.Key+"\nNEW="+newKey[0].Key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "scan", "--check", dir)
	if code != 1 || !strings.Contains(out, "LIVE active key") || !strings.Contains(out, "disabled key "+k.ID) ||
		strings.Contains(out, k.Key) || strings.Contains(out, newKey[0].Key) {
		t.Fatalf("scan --check: %d\n%s", code, out)
	}
	if code, out, _ = runCLI(t, "scan", t.TempDir()); code != 0 || !strings.Contains(out, "No keys found") {
		t.Fatalf("clean scan: %d %s", code, out)
	}
	if code, _, _ = runCLI(t, "scan", filepath.Join(dir, "missing")); code != 2 {
		t.Fatalf("scan of a missing path: exit %d, want 2", code)
	}
	t.Setenv("KEYGATE_ADMIN_TOKEN", "")
	if code, _, errOut = runCLI(t, "keys", "list"); code != 1 || !strings.Contains(errOut, "KEYGATE_ADMIN_TOKEN is not set") {
		t.Fatalf("missing token: %d %s", code, errOut)
	}
}
