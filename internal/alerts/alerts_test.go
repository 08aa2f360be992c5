package alerts_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/alerts"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/store/sqlstore"
	"github.com/keygate/keygate/internal/webhook"
)

type sink struct {
	mu  sync.Mutex
	evs []webhook.Event
}

func (s *sink) Notify(ev webhook.Event) { s.mu.Lock(); s.evs = append(s.evs, ev); s.mu.Unlock() }

// TestAlertsOncePerWindow drives a real ledger against a $1 monthly budget
// and checks one webhook per threshold, none again after a restart, and a
// fresh set in the next window.
func TestAlertsOncePerWindow(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	out := &sink{}
	run := func(l *ledger.Ledger, calls int) {
		b := alerts.New(st, out, nil)
		l.OnAlert = b.Handle
		rctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); b.Run(rctx) }()
		budget := []ledger.Budget{{Scope: ledger.ScopeMember, Subject: "mem_1", Period: ledger.Monthly, Limit: ledger.FromUSD(1)}}
		for i := 0; i < calls; i++ {
			r, err := l.Reserve(ctx, budget, ledger.FromUSD(0.1))
			if err != nil {
				t.Logf("reserve %d: %v", i, err)
				break
			}
			if err := r.Settle(ctx, ledger.FromUSD(0.1)); err != nil {
				t.Fatal(err)
			}
		}
		stop()
		<-done
	}
	l := &ledger.Ledger{Primary: ledger.NewMemory(nil), Now: func() time.Time { return now }}
	run(l, 12)
	if len(out.evs) != 3 {
		t.Fatalf("%d alerts, want 3 (50, 80, 100 %%): %+v", len(out.evs), out.evs)
	}
	for i, pct := range []int{50, 80, 100} {
		ev := out.evs[i]
		if ev.Type != alerts.EventType || ev.Data["percent"] != pct || ev.Data["subject"] != "mem_1" || ev.Data["resets_at"] == nil {
			t.Fatalf("alert %d: %+v", i, ev)
		}
	}
	// A restarted instance whose memory ledger starts from zero crosses
	// the same thresholds again in the same window: nothing is re-sent.
	run(&ledger.Ledger{Primary: ledger.NewMemory(nil), Now: func() time.Time { return now }}, 12)
	if len(out.evs) != 3 {
		t.Fatalf("alerts re-sent after a restart: %d", len(out.evs))
	}
	// Next month is a new window.
	now = now.AddDate(0, 1, 0)
	run(&ledger.Ledger{Primary: ledger.NewMemory(nil), Now: func() time.Time { return now }}, 12)
	if len(out.evs) != 6 {
		t.Fatalf("next period: %d alerts in all, want 6", len(out.evs))
	}
}
