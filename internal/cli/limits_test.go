package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

// TestMemberBudgetAndConcurrencyCLI sets a member's budget and a key's
// concurrency through the CLI and reads them back from the admin API.
func TestMemberBudgetAndConcurrencyCLI(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	t.Setenv("KEYGATE_ADDR", strings.TrimPrefix(g.URL, "http://"))
	t.Setenv("KEYGATE_ADMIN_TOKEN", testgw.AdminToken)

	code, out, errOut := runCLI(t, "members", "create", "--email", "ana@example.com", "--projects", "demo",
		"--budget-usd", "25", "--budget-period", "monthly", "--json")
	if code != 0 {
		t.Fatalf("create: %d %s %s", code, out, errOut)
	}
	var m struct {
		ID     string `json:"id"`
		Budget *struct {
			LimitUSD float64 `json:"limit_usd"`
			Period   string  `json:"period"`
		} `json:"budget"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil || m.Budget == nil || m.Budget.LimitUSD != 25 || m.Budget.Period != "monthly" {
		t.Fatalf("create --budget-usd: %v %s", err, out)
	}
	code, out, _ = runCLI(t, "members", "show", m.ID)
	if code != 0 || !strings.Contains(out, "budget: $0.00 of $25.00 monthly, resets ") {
		t.Fatalf("show: %d %s", code, out)
	}
	if code, out, _ = runCLI(t, "members", "update", m.ID, "--budget-usd", "5", "--budget-period", "daily"); code != 0 ||
		!strings.Contains(out, "$5.00 daily") {
		t.Fatalf("update budget: %d %s", code, out)
	}
	if code, out, _ = runCLI(t, "members", "update", m.ID, "--budget-usd", "0"); code != 0 || strings.Contains(out, "budget:") {
		t.Fatalf("remove budget: %d %s", code, out)
	}
	if code, _, errOut = runCLI(t, "members", "update", m.ID, "--budget-usd", "5", "--budget-period", "weekly"); code == 0 ||
		!strings.Contains(errOut, "daily, monthly or total") {
		t.Fatalf("bad period: %d %s", code, errOut)
	}

	code, out, errOut = runCLI(t, "keys", "create", "--project", "demo", "--concurrency", "4", "--json")
	if code != 0 {
		t.Fatalf("keys create: %d %s %s", code, out, errOut)
	}
	var k struct {
		ID          string `json:"id"`
		Concurrency int    `json:"concurrency"`
	}
	if err := json.Unmarshal([]byte(out), &k); err != nil || k.Concurrency != 4 {
		t.Fatalf("keys create --concurrency: %v %s", err, out)
	}
	if code, out, _ = runCLI(t, "keys", "update", k.ID, "--concurrency", "2"); code != 0 || !strings.Contains(out, "2 calls in flight per instance") {
		t.Fatalf("keys update --concurrency: %d %s", code, out)
	}
}
