package ledger_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/sqlstore"
	"github.com/keygate/keygate/internal/testredis"
)

// openStores opens a fresh SQLite file, and a fresh PostgreSQL schema when
// KEYGATE_TEST_POSTGRES is set.
func openStores(t testing.TB) map[string]*sqlstore.Store {
	t.Helper()
	dsns := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "keygate.db")}
	if pg := os.Getenv("KEYGATE_TEST_POSTGRES"); pg != "" {
		dsns["postgres"] = freshSchema(t, pg)
	} else {
		t.Log("KEYGATE_TEST_POSTGRES is not set: running on SQLite only")
	}
	out := map[string]*sqlstore.Store{}
	for name, dsn := range dsns {
		st, err := sqlstore.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out[name] = st
	}
	return out
}

func freshSchema(t testing.TB, dsn string) string {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("kgledger_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("PostgreSQL at KEYGATE_TEST_POSTGRES: %v", err)
	}
	t.Cleanup(func() { db.Exec("DROP SCHEMA " + schema + " CASCADE"); db.Close() })
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

func TestWindowOf(t *testing.T) {
	now := time.Date(2026, 3, 31, 23, 59, 0, 0, time.UTC)
	w, end := ledger.WindowOf(ledger.Budget{Period: ledger.Daily}, now)
	if w.Start != time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC).UnixMilli() || !end.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("daily: %v %v", w, end)
	}
	w, end = ledger.WindowOf(ledger.Budget{Period: ledger.Monthly}, now)
	if w.Start != time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli() || !end.Equal(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("monthly: %v %v", w, end)
	}
	w, end = ledger.WindowOf(ledger.Budget{Period: ledger.Total}, now)
	if w.Start != 0 || !end.IsZero() {
		t.Fatalf("total: %v %v", w, end)
	}
}

// A reservation's windows are those WindowOf gives for the clock's time
// as the clock crosses a day, a month and a year, and goes back: the
// ledger's cached calendar never serves a day it is not.
func TestReserveWindowsFollowTheClock(t *testing.T) {
	var now time.Time
	l := &ledger.Ledger{Primary: ledger.NewMemory(nil), Now: func() time.Time { return now }}
	bs := []ledger.Budget{
		{Scope: ledger.ScopeKey, Subject: "k", Period: ledger.Daily, Limit: 1 << 40},
		{Scope: ledger.ScopeProject, Subject: "p", Period: ledger.Monthly, Limit: 1 << 40},
		{Scope: ledger.ScopeMember, Subject: "m", Period: ledger.Total, Limit: 1 << 40},
	}
	for _, at := range []time.Time{
		time.Date(2026, 3, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 4, 1, 12, 0, 0, 0, time.FixedZone("east", 14*3600)), // 2026-03-31 22:00 UTC
		time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 15, 8, 0, 0, 0, time.UTC), // back
		time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2027, 1, 1, 0, 0, 0, 1, time.UTC),
	} {
		now = at
		r, err := l.Reserve(context.Background(), bs, 10)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < r.N; i++ {
			b := r.Budget(i)
			want, end := ledger.WindowOf(b, at)
			if r.Windows[i] != want || !r.End(i).Equal(end) {
				t.Errorf("at %v: %s window %+v ending %v; WindowOf says %+v ending %v", at, b.Period, r.Windows[i], r.End(i), want, end)
			}
		}
		if err := r.Settle(context.Background(), 5); err != nil {
			t.Fatal(err)
		}
	}
}

// hammer runs calls parallel calls that each reserve est and settle to
// cost (or release, for every third call: a client that left or an
// upstream that failed) and checks that spend never passed the budget and
// that every reservation was settled. With st, each settled call's row is
// stored with its spend, as the log writer does.
func hammer(t *testing.T, l *ledger.Ledger, st *sqlstore.Store, budgets []ledger.Budget, calls int, est, cost int64) (admitted int64) {
	t.Helper()
	var wg sync.WaitGroup
	var n atomic.Int64
	var refused atomic.Int64
	for i := 0; i < calls; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			r, err := l.Reserve(ctx, budgets, est)
			var ex *ledger.Exhausted
			if errors.As(err, &ex) {
				refused.Add(1)
				return
			}
			if err != nil {
				t.Errorf("reserve: %v", err)
				return
			}
			n.Add(1)
			time.Sleep(time.Millisecond)
			actual := cost
			if i%3 == 0 {
				actual = 0 // released: the upstream failed or the client left before any output
			}
			if err := r.Settle(ctx, actual); err != nil {
				t.Errorf("settle: %v", err)
			}
			if st != nil {
				storeRow(t, st, r, actual)
			}
		}()
	}
	wg.Wait()
	if o := l.Outstanding(); o != 0 {
		t.Fatalf("%d reservations neither settled nor released", o)
	}
	for _, b := range budgets {
		spent, _, err := l.Usage(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		if spent > b.Limit {
			t.Fatalf("%s budget %s: spent %d > limit %d", b.Scope, b.Subject, spent, b.Limit)
		}
		t.Logf("%s budget %s: %d calls admitted, %d refused, spent %d of %d", b.Scope, b.Subject, n.Load(), refused.Load(), spent, b.Limit)
	}
	if refused.Load() == 0 {
		t.Fatal("no call was refused: the budget was too large for the test")
	}
	return n.Load()
}

func TestMemoryNeverOverspends(t *testing.T) {
	for name, st := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			l := &ledger.Ledger{Primary: ledger.NewMemory(st)}
			bs := []ledger.Budget{
				{Scope: ledger.ScopeKey, Subject: "key_1", Period: ledger.Monthly, Limit: 1_000_000},
				{Scope: ledger.ScopeProject, Subject: "demo", Period: ledger.Daily, Limit: 5_000_000},
			}
			hammer(t, l, st, bs, 400, 30_000, 25_000)
			// A new instance on the same database continues from the spend
			// (the rows' spend: nothing else is written).
			l2 := &ledger.Ledger{Primary: ledger.NewMemory(st)}
			s1, _, _ := l.Usage(context.Background(), bs[0])
			s2, _, _ := l2.Usage(context.Background(), bs[0])
			if s1 != s2 || s1 == 0 {
				t.Fatalf("spend after restart %d, before %d", s2, s1)
			}
		})
	}
}

func TestDBNeverOverspends(t *testing.T) {
	for name, st := range openStores(t) {
		t.Run(name, func(t *testing.T) {
			// Two ledgers on one database stand for two instances.
			a := &ledger.Ledger{Primary: &ledger.DB{Store: st}}
			b := &ledger.Ledger{Primary: &ledger.DB{Store: st}}
			bs := []ledger.Budget{{Scope: ledger.ScopeKey, Subject: "key_db", Period: ledger.Total, Limit: 500_000}}
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); hammer(t, a, nil, bs, 150, 20_000, 15_000) }()
			go func() { defer wg.Done(); hammer(t, b, st, bs, 150, 20_000, 15_000) }()
			wg.Wait()
			spent, _, _ := a.Usage(context.Background(), bs[0])
			if spent > bs[0].Limit {
				t.Fatalf("spent %d > %d", spent, bs[0].Limit)
			}
		})
	}
}

var rowSeq atomic.Int64

// storeRow stores a request log row carrying r settled at actual, as the
// log writer does after the call.
func storeRow(t *testing.T, st *sqlstore.Store, r *ledger.Reservation, actual int64) {
	t.Helper()
	row := store.RequestLog{RequestID: fmt.Sprintf("req_ledger_%d_%d", time.Now().UnixNano(), rowSeq.Add(1)), Time: time.Now(),
		CostUSD: ledger.ToUSD(actual), Spend: r.Spend(actual)}
	if err := st.InsertLogs(context.Background(), []store.RequestLog{row}); err != nil {
		t.Errorf("store the row: %v", err)
	}
}

func TestExhaustedSaysWhichAndWhen(t *testing.T) {
	l := &ledger.Ledger{Primary: ledger.NewMemory(nil), Now: func() time.Time { return time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC) }}
	bs := []ledger.Budget{
		{Scope: ledger.ScopeKey, Subject: "key_1", Period: ledger.Monthly, Limit: 10_000_000},
		{Scope: ledger.ScopeProject, Subject: "demo", Period: ledger.Daily, Limit: 1_000},
	}
	_, err := l.Reserve(context.Background(), bs, 2_000)
	var ex *ledger.Exhausted
	if !errors.As(err, &ex) || ex.Budget.Scope != ledger.ScopeProject || !ex.ResetAt.Equal(time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("got %v", err)
	}
	// The refused reservation held nothing on the key budget.
	r, err := l.Reserve(context.Background(), bs[:1], 10_000_000)
	if err != nil {
		t.Fatalf("the key budget was held by a refused call: %v", err)
	}
	r.Settle(context.Background(), 10_000_000)
	if _, err := l.Reserve(context.Background(), bs[:1], 0); !errors.As(err, &ex) {
		t.Fatalf("an exhausted budget admitted a free call: %v", err)
	}
}

func TestAlertsOncePerThreshold(t *testing.T) {
	var mu sync.Mutex
	got := map[int]int{}
	l := &ledger.Ledger{Primary: ledger.NewMemory(nil), OnAlert: func(a ledger.Alert) { mu.Lock(); got[a.Percent]++; mu.Unlock() }}
	bs := []ledger.Budget{{Scope: ledger.ScopeKey, Subject: "k", Period: ledger.Daily, Limit: 1000}}
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := l.Reserve(context.Background(), bs, 10)
			if err == nil {
				r.Settle(context.Background(), 10)
			}
		}()
	}
	wg.Wait()
	if got[50] != 1 || got[80] != 1 || got[100] != 1 {
		t.Fatalf("alerts %v, want one each at 50, 80, 100", got)
	}
}

func TestRedisNeverOverspends(t *testing.T) {
	c := testredis.Client(t, 12)
	st := openStores(t)["sqlite"]
	mk := func() *ledger.Ledger {
		return &ledger.Ledger{Primary: &ledger.Redis{Client: c, Store: st}, Fallback: &ledger.DB{Store: st}}
	}
	a, b := mk(), mk()
	bs := []ledger.Budget{
		{Scope: ledger.ScopeKey, Subject: "key_r", Period: ledger.Daily, Limit: 800_000},
		{Scope: ledger.ScopeProject, Subject: "demo", Period: ledger.Monthly, Limit: 10_000_000},
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); hammer(t, a, st, bs, 200, 20_000, 18_000) }()
	go func() { defer wg.Done(); hammer(t, b, st, bs, 200, 20_000, 18_000) }()
	wg.Wait()
	// What Redis holds reaches the database with the rows.
	spent, _, _ := a.Usage(context.Background(), bs[0])
	w, _ := ledger.WindowOf(bs[0], time.Now())
	inDB, err := st.LoadSpend(context.Background(), w)
	if err != nil || inDB != spent {
		t.Fatalf("database has %d, Redis %d (%v)", inDB, spent, err)
	}
}

func TestRedisDownFallsBackToDatabase(t *testing.T) {
	addr, stop := testredis.Server(t, 6392)
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	st := openStores(t)["sqlite"]
	var downs []bool
	l := &ledger.Ledger{Primary: &ledger.Redis{Client: c, Store: st}, Fallback: &ledger.DB{Store: st}, OnFallback: func(d bool) { downs = append(downs, d) }}
	bs := []ledger.Budget{{Scope: ledger.ScopeKey, Subject: "key_f", Period: ledger.Total, Limit: 100_000}}
	ctx := context.Background()
	r, err := l.Reserve(ctx, bs, 30_000)
	if err != nil {
		t.Fatal(err)
	}
	stop() // Redis dies with a call in flight
	if err := r.Settle(ctx, 30_000); err != nil {
		t.Fatalf("settle with Redis down: %v", err)
	}
	storeRow(t, st, r, 30_000) // the spend reaches the database with the row
	// The database knows the $30k spent while Redis held it, and holds
	// the budget from now on.
	n := 0
	for {
		r, err := l.Reserve(ctx, bs, 30_000)
		var ex *ledger.Exhausted
		if errors.As(err, &ex) {
			break
		}
		if err != nil {
			t.Fatalf("reserve with Redis down: %v", err)
		}
		n++
		r.Settle(ctx, 30_000)
		if n > 10 {
			t.Fatal("the fallback never refused")
		}
	}
	if n != 2 || !l.Degraded() || len(downs) != 1 {
		t.Fatalf("admitted %d more calls of 30k on a 100k budget after 30k spent (want 2); degraded=%v events=%v", n, l.Degraded(), downs)
	}
	if spent, _, _ := l.Usage(ctx, bs[0]); spent != 90_000 {
		t.Fatalf("spent %d, want 90000", spent)
	}
}

// A reservation's budgets and window ends read back as they were given
// (the reservation keeps them as windows and limits).
func TestReservationBudgetsAndEnds(t *testing.T) {
	now := time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC)
	l := &ledger.Ledger{Primary: ledger.NewMemory(nil), Now: func() time.Time { return now }}
	bs := []ledger.Budget{
		{Scope: ledger.ScopeProject, Subject: "p", Period: ledger.Monthly, Limit: 50},
		{Scope: ledger.ScopeKey, Subject: "k", Period: ledger.Daily, Limit: 10},
		{Scope: ledger.ScopeMember, Subject: "m", Period: ledger.Total, Limit: 30},
	}
	r, err := l.Reserve(context.Background(), bs, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Settle(context.Background(), 0)
	seen := 0
	for i := 0; i < r.N; i++ {
		for _, b := range bs {
			if r.Budget(i) != b {
				continue
			}
			seen++
			if w, end := ledger.WindowOf(b, now); r.Windows[i] != w || !r.End(i).Equal(end) {
				t.Errorf("budget %+v: window %+v ending %v, want %+v ending %v", b, r.Windows[i], r.End(i), w, end)
			}
		}
	}
	if seen != len(bs) {
		t.Fatalf("%d of %d budgets read back", seen, len(bs))
	}
}
