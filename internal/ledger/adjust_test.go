package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/testredis"
)

// TestAdjustKeepsCachesInStep: spend a generation job writes to the
// database directly (its charge at submit, its refund when it ends) is
// told to the memory and Redis caches, so the next admission sees it; a
// window the cache has not loaded reads the database instead.
func TestAdjustKeepsCachesInStep(t *testing.T) {
	ctx := context.Background()
	st := openStores(t)["sqlite"]
	backends := map[string]func() ledger.Backend{
		"memory": func() ledger.Backend { return ledger.NewMemory(st) },
		"redis": func() ledger.Backend {
			return &ledger.Redis{Client: testredis.Client(t, 14), Store: st}
		},
	}
	for name, mk := range backends {
		t.Run(name, func(t *testing.T) {
			l := &ledger.Ledger{Primary: mk()}
			b := ledger.Budget{Scope: ledger.ScopeKey, Subject: "key_adj_" + name, Period: ledger.Total, Limit: 1_000}
			w, _ := ledger.WindowOf(b, time.Now())
			// The job's worst case goes to the database and the cache.
			res, err := l.Reserve(ctx, []ledger.Budget{b}, 0)
			if err != nil {
				t.Fatal(err)
			}
			_ = res.Settle(ctx, 0) // the window is now loaded
			if err := st.AddSpend(ctx, map[ledger.Window]int64{w: 800}); err != nil {
				t.Fatal(err)
			}
			if err := l.Adjust(ctx, []ledger.Window{w}, 800); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Reserve(ctx, []ledger.Budget{b}, 300); err == nil {
				t.Fatal("a reservation past the job's charge was admitted")
			}
			// The refund frees the budget again.
			if err := st.AddSpend(ctx, map[ledger.Window]int64{w: -800}); err != nil {
				t.Fatal(err)
			}
			if err := l.Adjust(ctx, []ledger.Window{w}, -800); err != nil {
				t.Fatal(err)
			}
			res, err = l.Reserve(ctx, []ledger.Budget{b}, 900)
			if err != nil {
				t.Fatalf("after the refund: %v", err)
			}
			_ = res.Settle(ctx, 0)
			// A window never loaded is left to the database.
			cold := ledger.Budget{Scope: ledger.ScopeKey, Subject: "key_cold_" + name, Period: ledger.Total, Limit: 1_000}
			cw, _ := ledger.WindowOf(cold, time.Now())
			if err := st.AddSpend(ctx, map[ledger.Window]int64{cw: 700}); err != nil {
				t.Fatal(err)
			}
			if err := l.Adjust(ctx, []ledger.Window{cw}, 700); err != nil {
				t.Fatal(err)
			}
			if spent, _, err := l.Usage(ctx, cold); err != nil || spent != 700 {
				t.Fatalf("cold window spent %d (%v), want 700 counted once", spent, err)
			}
		})
	}
}
