package logwriter

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/keygate/keygate/internal/store"
)

// budgetedRow is sampleRow of a key with a budget in a project with one:
// the row carries its spend on two windows.
func budgetedRow(i int) store.RequestLog {
	r := sampleRow(i)
	r.Spend = store.Spend{Nano: 8600, Windows: []store.BudgetWindow{
		{Scope: "key", Subject: r.KeyID, Period: "monthly", Start: 1_796_083_200_000},
		{Scope: "project", Subject: r.Project, Period: "total"}}}
	return r
}

// BenchmarkSpoolWriteBudgeted is BenchmarkSpoolWrite for a row that
// carries its spend.
func BenchmarkSpoolWriteBudgeted(b *testing.B) {
	w, err := NewSpooled(context.Background(), discardStore{}, slog.New(slog.NewTextHandler(io.Discard, nil)), 0,
		filepath.Join(b.TempDir(), "bench.logspool"))
	if err != nil {
		b.Fatal(err)
	}
	r := budgetedRow(1)
	b.ReportAllocs()
	for b.Loop() {
		w.Write(r)
	}
	_ = w.Close(context.Background())
}

// BenchmarkInsertLogsBudgeted is BenchmarkInsertLogs for rows that carry
// their spend: the batch's transaction also checks which rows are new and
// adds their spend to the two windows.
func BenchmarkInsertLogsBudgeted(b *testing.B) {
	st := openSQLite(b)
	batch := make([]store.RequestLog, 500)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for i := range batch {
			batch[i] = budgetedRow(n)
			n++
		}
		if err := st.InsertLogs(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}
