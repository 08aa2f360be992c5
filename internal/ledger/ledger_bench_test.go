package ledger_test

import (
	"context"
	"testing"

	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/testredis"
)

// One call's reserve and settle on two budgets in Redis (the real server
// of KEYGATE_TEST_REDIS): the ledger's cost per call with Redis.
func BenchmarkRedisReserveSettle(b *testing.B) {
	c := testredis.Client(b, 12)
	st := openStores(b)["sqlite"]
	l := &ledger.Ledger{Primary: &ledger.Redis{Client: c, Store: st}}
	bs := []ledger.Budget{
		{Scope: ledger.ScopeKey, Subject: "key_bench", Period: ledger.Monthly, Limit: 1 << 62},
		{Scope: ledger.ScopeProject, Subject: "demo", Period: ledger.Monthly, Limit: 1 << 62},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := l.Reserve(ctx, bs, 20_000)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Settle(ctx, 10_000); err != nil {
			b.Fatal(err)
		}
	}
}

// The same on the single-instance memory backend.
func BenchmarkMemoryReserveSettle(b *testing.B) {
	st := openStores(b)["sqlite"]
	l := &ledger.Ledger{Primary: ledger.NewMemory(st)}
	bs := []ledger.Budget{
		{Scope: ledger.ScopeKey, Subject: "key_bench", Period: ledger.Monthly, Limit: 1 << 62},
		{Scope: ledger.ScopeProject, Subject: "demo", Period: ledger.Monthly, Limit: 1 << 62},
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r, err := l.Reserve(ctx, bs, 20_000)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Settle(ctx, 10_000); err != nil {
			b.Fatal(err)
		}
	}
}
