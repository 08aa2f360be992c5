package app_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

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

// TestApplyChannelBreakerSettings: max_attempts and the breaker settings of
// a channel in KEYGATE_CONFIG reach the store; negative ones are refused.
func TestApplyChannelBreakerSettings(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "kg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f, err := config.ParseFile([]byte(`groups: [{name: default, models: ["*"]}]
channels:
  - {name: c, type: openai, base_url: "http://127.0.0.1:9/v1", models: [m], max_attempts: 1, breaker_failures: 5, breaker_cooldown: 2m}
`), "keygate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Apply(ctx, st, nil, f, app.ManagedByConfig); err != nil {
		t.Fatal(err)
	}
	c, err := st.GetChannel(ctx, "c")
	if err != nil || c.MaxAttempts != 1 || c.BreakerFailures != 5 || c.BreakerCooldown != 2*time.Minute {
		t.Fatalf("applied channel: %+v %v", c.ChannelLimits, err)
	}
	if _, err := config.ParseFile([]byte(`channels: [{name: c, type: openai, base_url: "http://x/v1", models: [m], breaker_failures: -1}]`), "k.yaml"); err == nil {
		t.Fatal("a negative breaker_failures was accepted")
	}
}
