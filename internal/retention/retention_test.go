package retention_test

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/retention"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/sqlstore"
)

// TestRetentionKeepsTotals expires logs older than the retention and checks
// that the usage report is unchanged and that only old rows went.
func TestRetentionKeepsTotals(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 6, 15, 13, 30, 0, 0, time.UTC)
	var rows []store.RequestLog
	var cost float64
	for i := 0; i < 24*10; i++ { // ten days, one call an hour
		r := store.RequestLog{RequestID: fmt.Sprintf("req_%04d", i), Time: now.Add(-time.Duration(i) * time.Hour), KeyID: "key_a",
			Project: "p", Model: "m", Status: 200, InputTokens: 10, OutputTokens: 5, CostUSD: 0.0137, Charged: "yes"}
		cost += r.CostUSD
		rows = append(rows, r)
	}
	if err := st.InsertLogs(ctx, rows); err != nil {
		t.Fatal(err)
	}
	j := &retention.Job{Store: st, Retention: 3 * 24 * time.Hour, Now: func() time.Time { return now }}
	if got, want := j.Cutoff(), time.Date(2026, 6, 12, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("cutoff %s, want %s", got, want)
	}
	res, err := j.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	left, _ := st.QueryLogs(ctx, store.LogFilter{Limit: 1000})
	if int(res.Rows)+len(left) != len(rows) || len(left) != 3*24+14 {
		t.Fatalf("rolled %d, left %d of %d", res.Rows, len(left), len(rows))
	}
	for _, l := range left {
		if l.Time.Before(j.Cutoff()) {
			t.Fatalf("row of %s survived the cutoff", l.Time)
		}
	}
	rep, err := st.UsageReport(ctx, store.UsageFilter{GroupBy: []string{"key"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep) != 1 || rep[0].Requests != int64(len(rows)) || math.Abs(rep[0].CostUSD-cost) > 1e-9 || rep[0].InputTokens != int64(10*len(rows)) {
		t.Fatalf("report after retention: %+v, want %d calls, $%.4f", rep, len(rows), cost)
	}
	if again, _ := j.RunOnce(ctx); again.Rows != 0 {
		t.Fatalf("second run moved %d rows", again.Rows)
	}
	off := &retention.Job{Store: st}
	if r, err := off.RunOnce(ctx); err != nil || r.Rows != 0 {
		t.Fatalf("retention 0 must keep everything: %+v %v", r, err)
	}
}

func TestRunStops(t *testing.T) {
	st, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		(&retention.Job{Store: st, Retention: 24 * time.Hour, Interval: time.Millisecond}).Run(ctx)
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop when its context ended")
	}
}
