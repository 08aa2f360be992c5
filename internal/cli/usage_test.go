package cli

import (
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

// TestUsageAndMembersCLI creates a member with the CLI, lets it make calls
// with its own key, and reads the usage report as a table and as CSV.
func TestUsageAndMembersCLI(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	t.Setenv("KEYGATE_ADDR", strings.TrimPrefix(g.URL, "http://"))
	t.Setenv("KEYGATE_ADMIN_TOKEN", testgw.AdminToken)

	code, out, errOut := runCLI(t, "members", "create", "--email", "ana@example.com", "--role", "member", "--projects", "demo")
	if code != 0 || !strings.Contains(out, "shown ONCE") || !strings.Contains(out, "kg_pat_") {
		t.Fatalf("members create: %d %s %s", code, out, errOut)
	}
	var tok string
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "kg_pat_") {
			tok = f
		}
	}
	if code, out, _ = runCLI(t, "members", "list"); code != 0 || !strings.Contains(out, "ana@example.com") || strings.Contains(out, tok) {
		t.Fatalf("members list: %d %s", code, out)
	}
	// As the member: create a key and call twice.
	t.Setenv("KEYGATE_ADMIN_TOKEN", tok)
	code, out, errOut = runCLI(t, "keys", "create", "--project", "demo", "--json")
	if code != 0 {
		t.Fatalf("member creates a key: %d %s %s", code, out, errOut)
	}
	var k struct{ ID, Key string }
	if err := json.Unmarshal([]byte(out), &k); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"mock-gpt","messages":[{"role":"user","content":"hello"}]}`)
	}
	g.Logs("key_id="+k.ID, 2)
	if code, out, _ = runCLI(t, "members", "show", "me"); code != 0 || !strings.Contains(out, "ana@example.com") {
		t.Fatalf("members show me: %d %s", code, out)
	}
	code, out, errOut = runCLI(t, "usage", "--since", "1h", "--by", "member,model")
	if code != 0 || !strings.Contains(out, "ana@example.com") || !strings.Contains(out, "mock-gpt") || !strings.Contains(out, "TOTAL") {
		t.Fatalf("usage table: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "usage", "--by", "key", "--csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 2 || recs[0][0] != "key_id" || recs[1][0] != k.ID || recs[1][2] != "2" {
		t.Fatalf("usage csv: %d %v\n%s", code, err, out)
	}
	if !strings.Contains(strings.Join(recs[0], ","), "cached_input_tokens,cache_write_tokens,reasoning_tokens,cost_usd") {
		t.Fatalf("usage csv columns: %v", recs[0])
	}
	if code, _, errOut = runCLI(t, "usage", "--by", "color"); code == 0 || !strings.Contains(errOut, "group_by") {
		t.Fatalf("bad --by: %d %s", code, errOut)
	}
	// The member cannot manage members.
	if code, _, errOut = runCLI(t, "members", "list"); code == 0 || !strings.Contains(errOut, "permission_denied") {
		t.Fatalf("member lists members: %d %s", code, errOut)
	}
}
