package ledger_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/testredis"
)

// A hold left by an instance killed mid-call lapses on its own HoldFor,
// even under steady traffic on the same budget: each hold has its own
// expiry (a shared reserved_until was pushed forward by every new
// reservation, so the leaked hold never lapsed).
func TestLeakedHoldLapsesUnderTraffic(t *testing.T) {
	for name, st := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			budget := []ledger.Budget{{Scope: ledger.ScopeKey, Subject: "key_hold", Period: ledger.Monthly, Limit: ledger.FromUSD(0.05)}}
			killed := &ledger.Ledger{Primary: &ledger.DB{Store: st, HoldFor: 15 * time.Minute, Now: clock}, Now: clock}
			if _, err := killed.Reserve(ctx, budget, ledger.FromUSD(0.0417)); err != nil {
				t.Fatal(err)
			}
			// The instance dies: its reservation is never settled.
			live := &ledger.Ledger{Primary: &ledger.DB{Store: st, HoldFor: 15 * time.Minute, Now: clock}, Now: clock}
			for range 16 {
				now = now.Add(time.Minute)
				r, err := live.Reserve(ctx, budget, ledger.FromUSD(0.001))
				if err != nil {
					t.Fatalf("steady traffic at %s: %v", now.Format("15:04"), err)
				}
				if err := r.Settle(ctx, ledger.FromUSD(0.0001)); err != nil {
					t.Fatal(err)
				}
			}
			// 16 minutes on: the leaked $0.0417 has lapsed; $0.0016 is spent.
			r, err := live.Reserve(ctx, budget, ledger.FromUSD(0.045))
			var ex *ledger.Exhausted
			if errors.As(err, &ex) {
				t.Fatalf("16 min after the instance died its hold still counts: %v", err)
			}
			if err != nil {
				t.Fatal(err)
			}
			_ = r.Settle(ctx, 0)
		})
	}
}

// A restarted instance releases the holds its killed process left at once,
// and only its own: another instance's call in flight keeps its hold.
func TestRestartReleasesOwnHolds(t *testing.T) {
	for name, st := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			budget := []ledger.Budget{{Scope: ledger.ScopeKey, Subject: "key_restart", Period: ledger.Monthly, Limit: ledger.FromUSD(0.05)}}
			first := &ledger.Ledger{Primary: &ledger.DB{Store: st, Owner: "host-a|:8080"}}
			for range 5 { // five streams in flight when kill -9 came
				if _, err := first.Reserve(ctx, budget, ledger.FromUSD(0.0083)); err != nil {
					t.Fatal(err)
				}
			}
			other := &ledger.Ledger{Primary: &ledger.DB{Store: st, Owner: "host-b|:8080"}}
			inFlight, err := other.Reserve(ctx, budget, ledger.FromUSD(0.005))
			if err != nil {
				t.Fatal(err)
			}
			db := &ledger.DB{Store: st, Owner: "host-a|:8080"}
			if n, err := db.Release(ctx); err != nil || n != 5 {
				t.Fatalf("Release = %d, %v; want the 5 holds of host-a", n, err)
			}
			restarted := &ledger.Ledger{Primary: db}
			r, err := restarted.Reserve(ctx, budget, ledger.FromUSD(0.044))
			if err != nil {
				t.Fatalf("after restart the killed process's holds still count: %v", err)
			}
			_ = r.Settle(ctx, 0)
			// host-b's $0.005 still holds: $0.046 does not fit.
			var ex *ledger.Exhausted
			if _, err := restarted.Reserve(ctx, budget, ledger.FromUSD(0.046)); !errors.As(err, &ex) {
				t.Fatalf("reserve past another instance's live hold = %v, want Exhausted", err)
			}
			if err := inFlight.Settle(ctx, ledger.FromUSD(0.004)); err != nil {
				t.Fatal(err)
			}
			if spent, _, err := restarted.Usage(ctx, budget[0]); err != nil || spent != ledger.FromUSD(0.004) {
				t.Fatalf("spent %d, %v; want $0.004", spent, err)
			}
		})
	}
}

// In Redis too, each hold has its own expiry: the hold of an instance
// killed mid-call lapses after HoldFor while other instances' reservations
// keep arriving on the same budget every 50 ms (a shared expiry on the
// budget was pushed forward by each of them, so the leaked hold held the
// budget for as long as traffic lasted).
func TestRedisLeakedHoldLapsesUnderTraffic(t *testing.T) {
	c := testredis.Client(t, 12)
	st := openStores(t)["sqlite"]
	ctx := context.Background()
	budget := []ledger.Budget{{Scope: ledger.ScopeKey, Subject: "key_redis_hold", Period: ledger.Monthly, Limit: ledger.FromUSD(0.05)}}
	mk := func() *ledger.Ledger {
		return &ledger.Ledger{Primary: &ledger.Redis{Client: c, Store: st, HoldFor: time.Second}}
	}
	killed := mk()
	if _, err := killed.Reserve(ctx, budget, ledger.FromUSD(0.0417)); err != nil {
		t.Fatal(err)
	}
	// The holder dies: its reservation is never settled.
	live := mk()
	var ex *ledger.Exhausted
	if _, err := live.Reserve(ctx, budget, ledger.FromUSD(0.045)); !errors.As(err, &ex) || ex.Reserved != ledger.FromUSD(0.0417) {
		t.Fatalf("while the holder's hold is fresh: %v, want Exhausted with $0.0417 held", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for calls := 0; ; calls++ {
		if time.Now().After(deadline) {
			t.Fatalf("after %d reservations over 15 s the killed holder's hold (HoldFor 1 s) still holds the budget: %v", calls, ex)
		}
		r, err := live.Reserve(ctx, budget, ledger.FromUSD(0.001))
		if err != nil {
			t.Fatalf("steady traffic: %v", err)
		}
		if err := r.Settle(ctx, ledger.FromUSD(0.0001)); err != nil {
			t.Fatal(err)
		}
		big, err := live.Reserve(ctx, budget, ledger.FromUSD(0.045))
		if err == nil {
			_ = big.Settle(ctx, 0)
			break
		}
		if !errors.As(err, &ex) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// A hold settled after it lapsed is not taken out twice: a fresh hold
	// of the live instance still counts in full.
	r1, err := live.Reserve(ctx, budget, ledger.FromUSD(0.02))
	if err != nil {
		t.Fatal(err)
	}
	w, _ := ledger.WindowOf(budget[0], time.Now())
	if _, held, err := live.Primary.Spent(ctx, w); err != nil || held != ledger.FromUSD(0.02) {
		t.Fatalf("held %d, %v; want only the live $0.02", held, err)
	}
	_ = r1.Settle(ctx, 0)
	if _, held, err := live.Primary.Spent(ctx, w); err != nil || held != 0 {
		t.Fatalf("held %d after every live call settled, %v; want 0", held, err)
	}
}
