package ledger_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/store"
)

// The budgets' recorded spend is the sum of the stored rows, whenever the
// process dies: a call settled but killed before its row was stored leaves
// no spend (on the DB backend a settled hold that the restart releases; in
// memory nothing), a stored row's spend is in the database at once (the
// memory backend wrote spend every second, so a kill lost up to a second
// of it; the DB backend wrote it at settle, before the row), and a row
// stored twice (a replayed spool) counts once.
func TestSpendIsTheSumOfStoredRows(t *testing.T) {
	for name, st := range openStores(t) {
		backends := map[string]func() ledger.Backend{
			"memory": func() ledger.Backend { return ledger.NewMemory(st) },
			"db":     func() ledger.Backend { return &ledger.DB{Store: st, Owner: "host|:8080"} },
		}
		for bname, mk := range backends {
			t.Run(name+"/"+bname, func(t *testing.T) {
				ctx := context.Background()
				b := ledger.Budget{Scope: ledger.ScopeKey, Subject: "key_rows_" + bname, Period: ledger.Monthly, Limit: ledger.FromUSD(10)}
				pb := ledger.Budget{Scope: ledger.ScopeProject, Subject: "proj_rows_" + bname, Period: ledger.Total, Limit: ledger.FromUSD(10)}
				l := &ledger.Ledger{Primary: mk()}
				var rows []store.RequestLog
				var sum int64
				for i := range 30 {
					r, err := l.Reserve(ctx, []ledger.Budget{b, pb}, 50_000)
					if err != nil {
						t.Fatal(err)
					}
					actual := int64(10_000 + i)
					sp := r.Spend(actual)
					if err := r.Settle(ctx, actual); err != nil {
						t.Fatal(err)
					}
					if i%3 == 2 {
						continue // killed after the settle, before the row was spooled
					}
					rows = append(rows, store.RequestLog{RequestID: fmt.Sprintf("req_rows_%s_%s_%d", name, bname, i), Time: time.Now(),
						CostUSD: ledger.ToUSD(actual), Spend: sp})
					sum += actual
				}
				// Two calls in flight when the process died.
				for range 2 {
					if _, err := l.Reserve(ctx, []ledger.Budget{b, pb}, 50_000); err != nil {
						t.Fatal(err)
					}
				}
				if err := st.InsertLogs(ctx, rows[:10]); err != nil {
					t.Fatal(err)
				}
				// kill -9; at start the spool is replayed: rows already stored
				// come again with the rest.
				if err := st.InsertLogs(ctx, rows); err != nil {
					t.Fatal(err)
				}
				be := mk()
				if d, ok := be.(*ledger.DB); ok {
					if _, err := d.Release(ctx); err != nil {
						t.Fatal(err)
					}
				}
				restarted := &ledger.Ledger{Primary: be}
				for _, bb := range []ledger.Budget{b, pb} {
					w, _ := ledger.WindowOf(bb, time.Now())
					recorded, err := st.LoadSpend(ctx, w)
					if err != nil {
						t.Fatal(err)
					}
					spent, held, err := be.Spent(ctx, w)
					if err != nil {
						t.Fatal(err)
					}
					if recorded != sum || spent != sum || held != 0 {
						t.Fatalf("%s budget after kill -9 and restart: recorded %d, ledger %d (+%d held); the %d stored rows sum to %d",
							bb.Scope, recorded, spent, held, len(rows), sum)
					}
				}
				// And the restarted ledger admits from there.
				r, err := restarted.Reserve(ctx, []ledger.Budget{b, pb}, ledger.FromUSD(10)-sum)
				if err != nil {
					t.Fatalf("the budget's remainder after restart: %v", err)
				}
				_ = r.Settle(ctx, 0)
			})
		}
	}
}

// On the DB backend a settled call counts as spent (for admission and
// usage) from its settle, before its row is stored, and its row's insert
// moves the settled hold into the spend without counting it twice.
func TestDBSettledHoldCountsUntilItsRow(t *testing.T) {
	for name, st := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b := ledger.Budget{Scope: ledger.ScopeKey, Subject: "key_settled", Period: ledger.Total, Limit: 100_000}
			l := &ledger.Ledger{Primary: &ledger.DB{Store: st}}
			r, err := l.Reserve(ctx, []ledger.Budget{b}, 90_000)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Settle(ctx, 60_000); err != nil {
				t.Fatal(err)
			}
			if spent, _, _ := l.Usage(ctx, b); spent != 60_000 {
				t.Fatalf("usage after settle, before the row: %d, want 60000", spent)
			}
			if _, err := l.Reserve(ctx, []ledger.Budget{b}, 50_000); err == nil {
				t.Fatal("a settled call's cost was not counted before its row was stored")
			}
			storeRow(t, st, r, 60_000)
			w, _ := ledger.WindowOf(b, time.Now())
			if spent, _, _ := l.Usage(ctx, b); spent != 60_000 {
				t.Fatalf("usage after the row: %d, want 60000", spent)
			}
			if recorded, _ := st.LoadSpend(ctx, w); recorded != 60_000 {
				t.Fatalf("recorded %d, want 60000", recorded)
			}
			r2, err := l.Reserve(ctx, []ledger.Budget{b}, 40_000)
			if err != nil {
				t.Fatalf("the remainder: %v", err)
			}
			_ = r2.Settle(ctx, 0)
		})
	}
}
