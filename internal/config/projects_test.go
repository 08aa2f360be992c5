package config

import (
	"strings"
	"testing"
)

func TestProjectTestKeyLimits(t *testing.T) {
	f, err := ParseFile([]byte(`
projects:
  - name: lab
    budget: {limit_usd: 100, period: monthly}
    test_models: [gpt-4o-mini, claude-haiku]
    test_budget: {limit_usd: 5, period: daily}
`), "keygate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p := f.Projects[0]
	if len(p.TestModels) != 2 || p.TestModels[1] != "claude-haiku" || p.TestBudget == nil || p.TestBudget.LimitUSD != 5 ||
		p.TestBudget.Period != "daily" || p.Budget.LimitUSD != 100 {
		t.Fatalf("parsed project: %+v", p)
	}
	for yaml, want := range map[string]string{
		`projects: [{name: lab, test_budget: {limit_usd: 5, period: weekly}}]`: `projects[0] lab: test_budget.period "weekly"`,
		`projects: [{name: lab, test_budget: {limit_usd: -1, period: daily}}]`: "must not be negative",
		`projects: [{name: lab, test_models: [""]}]`:                           "test_models[0] is empty",
		`projects: [{name: lab, test_model: [a]}]`:                             "test_model",
	} {
		if _, err := ParseFile([]byte(yaml), "keygate.yaml"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want it to mention %q", yaml, err, want)
		}
	}
}
