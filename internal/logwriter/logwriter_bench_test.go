package logwriter

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/sqlstore"
)

// sampleRow is a typical request log row: a successful streamed chat call.
func sampleRow(i int) store.RequestLog {
	return store.RequestLog{
		RequestID: fmt.Sprintf("req_bench%012d", i), Time: time.Unix(1_800_000_000, 0).Add(time.Duration(i) * time.Millisecond),
		KeyID: "key_01HBENCH0000000000000000", KeyDisplay: "kg_live_7HqK…p2Xe", KeyEnv: "live", Project: "bench",
		Group: "default", Model: "mock-gpt", ModelServed: "mock-gpt", Channel: "mock", RequestType: "chat", Stream: true,
		Status: 200, InputTokens: 9, OutputTokens: 12, CostUSD: 0.0000086, Charged: "yes", LatencyMS: 3.2, TTFBMS: 1.1,
		SourceIP: "127.0.0.1", UserAgent: "OpenAI/Python 1.55.0", Attempts: 1, Route: "chat",
	}
}

func openSQLite(b *testing.B) *sqlstore.Store {
	b.Helper()
	st, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkWriterSQLite pushes rows through the writer into a real SQLite
// file (WAL, every index of request_logs) and reports the sustained rate:
// the clock runs from the first Write until Close has stored the last row.
// rows/s must stay well above 20,000. backpressure/op is the share of
// Writes that found the queue full (0 while the store keeps up).
func BenchmarkWriterSQLite(b *testing.B) {
	benchWriter(b, "")
}

// BenchmarkWriterSQLiteSpooled is the same with the kill -9 spool on (the
// gateway's default): one JSON line and one write(2) per row, no fsync.
func BenchmarkWriterSQLiteSpooled(b *testing.B) {
	benchWriter(b, filepath.Join(b.TempDir(), "bench.logspool"))
}

// BenchmarkSpoolWrite is the spool's share of Write alone (the queue is
// drained into a store that keeps nothing).
func BenchmarkSpoolWrite(b *testing.B) {
	w, err := NewSpooled(context.Background(), discardStore{}, slog.New(slog.NewTextHandler(io.Discard, nil)), 0,
		filepath.Join(b.TempDir(), "bench.logspool"))
	if err != nil {
		b.Fatal(err)
	}
	r := sampleRow(1)
	b.ReportAllocs()
	for b.Loop() {
		w.Write(r)
	}
	_ = w.Close(context.Background())
}

type discardStore struct{ store.Store }

func (discardStore) InsertLogs(context.Context, []store.RequestLog) error { return nil }

func benchWriter(b *testing.B, spool string) {
	st := openSQLite(b)
	w := New(st, slog.New(slog.NewTextHandler(io.Discard, nil)), 0)
	if spool != "" {
		var err error
		if w, err = NewSpooled(context.Background(), st, slog.New(slog.NewTextHandler(io.Discard, nil)), 0, spool); err != nil {
			b.Fatal(err)
		}
	}
	rows := make([]store.RequestLog, 1024)
	for i := range rows {
		rows[i] = sampleRow(i)
	}
	t0 := time.Now()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		r := rows[i%len(rows)]
		// Unique ids (duplicates would be skipped by the store) and rising
		// times, as real traffic has: the time indexes grow at their end.
		r.RequestID = fmt.Sprintf("req_%020d", i)
		r.Time = t0.Add(time.Duration(i) * 10 * time.Microsecond)
		w.Write(r)
	}
	if err := w.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	if got := w.Written(); got != uint64(b.N) {
		b.Fatalf("stored %d rows, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(w.Backpressure())/float64(b.N), "backpressure/op")
}

// BenchmarkInsertLogs is one batch of the writer's size stored by the
// SQLite store: the row encoding and the multi-row INSERTs, without the
// queue.
func BenchmarkInsertLogs(b *testing.B) {
	st := openSQLite(b)
	batch := make([]store.RequestLog, 500)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for i := range batch {
			batch[i] = sampleRow(n)
			n++
		}
		if err := st.InsertLogs(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
}
