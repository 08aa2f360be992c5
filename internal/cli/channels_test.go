package cli

import (
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

// TestChannelsCLI adds a channel, diffs its models against the upstream's
// list, tests it (failing, then passing), and disables and enables it.
func TestChannelsCLI(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	t.Setenv("KEYGATE_ADDR", strings.TrimPrefix(g.URL, "http://"))
	t.Setenv("KEYGATE_ADMIN_TOKEN", testgw.AdminToken)

	code, out, errOut := runCLI(t, "channels", "add", "cli-chan", "--base-url", g.Upstream.URL+"/v1",
		"--api-key-env", "KEYGATE_TEST_UPSTREAM_KEY", "--models", "mock-gpt,gpt-9", "--groups", "default")
	if code != 0 || !strings.Contains(out, "cli-chan") || !strings.Contains(out, "env:KEYGATE_TEST_UPSTREAM_KEY") {
		t.Fatalf("add: %d %s %s", code, out, errOut)
	}
	if strings.Contains(out, testgw.UpstreamKey) {
		t.Fatalf("add prints the credential: %s", out)
	}
	code, out, errOut = runCLI(t, "channels", "models", "cli-chan", "--diff")
	if code != 0 || !strings.Contains(out, "+ mock-embed") || !strings.Contains(out, "- gpt-9") || strings.Contains(out, "+ mock-gpt\n") {
		t.Fatalf("models --diff: %d %s %s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, "channels", "test", "cli-chan")
	if code == 0 || !strings.Contains(out, "does not list gpt-9") || !strings.Contains(out, "FAIL  call      gpt-9") ||
		!strings.Contains(out, "ok    call      mock-gpt") {
		t.Fatalf("test with a model the upstream lacks: %d %s %s", code, out, errOut)
	}
	if code, out, errOut = runCLI(t, "channels", "update", "cli-chan", "--models", "mock-gpt"); code != 0 {
		t.Fatalf("update: %d %s %s", code, out, errOut)
	}
	if code, out, errOut = runCLI(t, "channels", "test", "cli-chan"); code != 0 || strings.Contains(out, "FAIL") {
		t.Fatalf("test of a good channel: %d %s %s", code, out, errOut)
	}
	if code, out, _ = runCLI(t, "channels", "disable", "cli-chan", "--reason", "maintenance"); code != 0 || !strings.Contains(out, "maintenance") {
		t.Fatalf("disable: %d %s", code, out)
	}
	if code, out, _ = runCLI(t, "channels", "list"); code != 0 || !strings.Contains(out, "cli-chan") || !strings.Contains(out, "ok ") {
		t.Fatalf("list: %d %s", code, out)
	}
	if code, out, _ = runCLI(t, "channels", "enable", "cli-chan"); code != 0 || !strings.Contains(out, "state closed") {
		t.Fatalf("enable: %d %s", code, out)
	}
	if code, out, errOut = runCLI(t, "channels", "update", "mock", "--priority", "3"); code == 0 || !strings.Contains(errOut, "KEYGATE_CONFIG") {
		t.Fatalf("update a config channel: %d %s %s", code, out, errOut)
	}
}
