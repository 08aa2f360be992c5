package app_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/keygate/keygate/internal/app"
	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/store/sqlstore"
)

// TestApplyProjectTestKeyLimits: test_models and test_budget declared in
// KEYGATE_CONFIG reach the store, and applying again changes nothing.
func TestApplyProjectTestKeyLimits(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "kg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f, err := config.ParseFile([]byte(`projects: [{name: lab, test_models: [m1], test_budget: {limit_usd: 3, period: daily}}]`), "keygate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := app.Apply(ctx, st, nil, f, app.ManagedByConfig); err != nil {
			t.Fatal(err)
		}
	}
	p, err := st.GetProject(ctx, "lab")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.TestModels) != 1 || p.TestModels[0] != "m1" || p.TestBudgetUSD != 3 || p.TestBudgetPeriod != "daily" || p.BudgetUSD != 0 {
		t.Fatalf("applied project: %+v", p)
	}
}
