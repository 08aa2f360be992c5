package cli

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

// TestRotationAndIncidentsCLI follows a rotation to its end with
// `keys rotation --watch` and `keys retire`, and keeps an incident with
// `incidents open|note|show|resolve`, against a real gateway.
func TestRotationAndIncidentsCLI(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	t.Setenv("KEYGATE_ADDR", g.URL)
	t.Setenv("KEYGATE_ADMIN_TOKEN", testgw.AdminToken)
	old := g.CreateKey(nil)
	hdr := func(key string) http.Header {
		return http.Header{"Authorization": {"Bearer " + key}, "User-Agent": {"billing-svc/1.0"}, "X-Client-Name": {"billing"}}
	}
	if resp, _ := g.Do("GET", "/v1/models", hdr(old.Key), ""); resp.StatusCode != 200 {
		t.Fatalf("old key: %d", resp.StatusCode)
	}
	code, out, errOut := runCLI(t, "keys", "rotate", old.ID, "--grace", "1h", "--json")
	if code != 0 {
		t.Fatalf("rotate: %d %s %s", code, out, errOut)
	}
	var nk struct{ ID, Key string }
	_ = json.Unmarshal([]byte(out), &nk)
	g.Logs("key_id="+old.ID, 1)
	code, out, _ = runCLI(t, "keys", "rotation", old.ID)
	if code != 0 || !strings.Contains(out, "0 of 1 clients migrated") || !strings.Contains(out, "[ ] 127.0.0.1 billing-svc/1.0 [billing]") {
		t.Fatalf("rotation: %d\n%s", code, out)
	}
	if code, _, errOut = runCLI(t, "keys", "retire", old.ID); code != 1 || !strings.Contains(errOut, "Not retired") {
		t.Fatalf("retire with a client left: %d %s", code, errOut)
	}
	if resp, _ := g.Do("GET", "/v1/models", hdr(nk.Key), ""); resp.StatusCode != 200 {
		t.Fatalf("new key: %d", resp.StatusCode)
	}
	g.Logs("key_id="+nk.ID, 1)
	code, out, _ = runCLI(t, "keys", "rotation", old.ID, "--watch", "--interval", "1s")
	if code != 0 || !strings.Contains(out, "[x] 127.0.0.1 billing-svc/1.0") || !strings.Contains(out, "All 1 known clients use "+nk.ID) {
		t.Fatalf("rotation --watch: %d\n%s", code, out)
	}
	if code, out, _ = runCLI(t, "keys", "retire", old.ID); code != 0 || !strings.Contains(out, "retired") {
		t.Fatalf("retire: %d %s", code, out)
	}

	code, _, errOut = runCLI(t, "incidents", "open", "--title", "billing key in CI log", "--symptom", "log shows "+nk.Key)
	if code != 1 || !strings.Contains(errOut, "a keygate key") || !strings.Contains(errOut, "nothing was sent") || strings.Contains(errOut, nk.Key) {
		t.Fatalf("open with a key in it: %d %s", code, errOut)
	}
	code, out, errOut = runCLI(t, "incidents", "open", "--title", "billing key in CI log", "--key", nk.ID, "--owner", "oncall@example.com",
		"--next-review", "4h", "--json")
	if code != 0 {
		t.Fatalf("open: %d %s %s", code, out, errOut)
	}
	var in struct{ ID string }
	_ = json.Unmarshal([]byte(out), &in)
	if code, out, _ = runCLI(t, "incidents", "note", in.ID, "rotated", "the", "CI", "secret"); code != 0 || !strings.Contains(out, "Noted.") {
		t.Fatalf("note: %d %s", code, out)
	}
	code, out, _ = runCLI(t, "incidents", "show", in.ID)
	if code != 0 || !strings.HasPrefix(out, "# billing key in CI log — "+in.ID) || !strings.Contains(out, "rotated the CI secret") ||
		!strings.Contains(out, "## What is left") || strings.Contains(out, nk.Key) {
		t.Fatalf("show: %d\n%s", code, out)
	}
	if code, out, _ = runCLI(t, "incidents", "resolve", in.ID, "--resolution", "secret replaced in CI"); code != 0 || !strings.Contains(out, "(resolved)") {
		t.Fatalf("resolve: %d %s", code, out)
	}
	if code, out, _ = runCLI(t, "incidents", "list", "--state", "all"); code != 0 || !strings.Contains(out, in.ID) {
		t.Fatalf("list: %d %s", code, out)
	}
}
