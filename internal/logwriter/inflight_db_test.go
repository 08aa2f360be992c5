package logwriter_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/logwriter"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/sqlstore"
	"github.com/keygate/keygate/internal/testgw"
)

// Batches stored at once (two on PostgreSQL) still charge every row's spend
// exactly once, on windows every batch shares, with no deadlock between
// them: the budgets' spend is the sum of the stored rows, and every row is
// stored.
func TestBatchesInFlightChargeEveryRowOnce(t *testing.T) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			st, err := sqlstore.Open(ctx, db.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if db.Name == "postgres" && st.LogBatchesInFlight() < 2 {
				t.Fatalf("PostgreSQL stores %d batch at a time, want 2 or more", st.LogBatchesInFlight())
			}
			w := logwriter.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), 0)
			windows := make([]store.BudgetWindow, 10)
			for i := range windows {
				windows[i] = store.BudgetWindow{Scope: "key", Subject: "key_" + strconv.Itoa(i), Period: "total"}
			}
			project := store.BudgetWindow{Scope: "project", Subject: "shared", Period: "day", Start: 1764547200000}
			const total = 5*4096 + 123 // several full batches and a partial one
			want := map[store.BudgetWindow]int64{}
			t0 := time.Now()
			for i := range total {
				k := windows[(i*7)%len(windows)]
				nano := int64(1000 + i%997)
				want[k] += nano
				want[project] += nano
				w.Write(store.RequestLog{RequestID: "req_inflight_" + strconv.Itoa(i), Time: t0.Add(time.Duration(i) * time.Microsecond),
					KeyID: k.Subject, Project: "shared", Model: "mock-gpt", Status: 200, Charged: "yes",
					Spend: store.Spend{Nano: nano, Windows: []store.BudgetWindow{project, k}, Hold: "hold_" + strconv.Itoa(i)}})
			}
			if err := w.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if w.Dropped() != 0 || w.Written() != total {
				t.Fatalf("written %d, dropped %d; want %d and 0", w.Written(), w.Dropped(), total)
			}
			for win, nano := range want {
				got, err := st.LoadSpend(ctx, ledger.Window(win))
				if err != nil {
					t.Fatal(err)
				}
				if got != nano {
					t.Errorf("window %s/%s spend %d, want %d (the sum of its rows)", win.Scope, win.Subject, got, nano)
				}
			}
			rows, err := st.QueryLogs(ctx, store.LogFilter{Project: "shared", Limit: 1000})
			if err != nil || len(rows) != 1000 {
				t.Fatalf("query logs: %d rows, %v", len(rows), err)
			}
		})
	}
}
