package logwriter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// gatedStore is a store whose InsertLogs waits until the test opens the
// gate, so the writer's queue can be filled deterministically.
type gatedStore struct {
	store.Store // nil: only InsertLogs is called
	gate        chan struct{}
	mu          sync.Mutex
	rows        int
}

func (s *gatedStore) InsertLogs(_ context.Context, rows []store.RequestLog) error {
	<-s.gate
	s.mu.Lock()
	s.rows += len(rows)
	s.mu.Unlock()
	return nil
}

// TestBackpressureCounted fills a small queue while the store is stalled:
// writes beyond the queue wait (no row is dropped) and each wait is counted.
func TestBackpressureCounted(t *testing.T) {
	st := &gatedStore{gate: make(chan struct{})}
	// Batch size 1: the loop takes the first row and then blocks in
	// InsertLogs; rows keep arriving meanwhile.
	w := newWriter(st, slog.New(slog.NewTextHandler(io.Discard, nil)), 4, 1, 200*time.Millisecond)
	const total = 20
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range total {
			w.Write(store.RequestLog{RequestID: string(rune('a' + i))})
		}
	}()
	// The queue (4) plus the row the stalled loop holds fill up; the rest wait.
	deadline := time.Now().Add(5 * time.Second)
	for w.Backpressure() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no write waited for the full queue")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case <-done:
		t.Fatal("all writes returned while the store was stalled: rows were dropped or the queue is unbounded")
	default:
	}
	close(st.gate)
	<-done
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if w.Written() != total || st.rows != total {
		t.Fatalf("stored %d rows (store saw %d), want %d", w.Written(), st.rows, total)
	}
	if bp := w.Backpressure(); bp == 0 || bp > total {
		t.Fatalf("backpressure = %d, want between 1 and %d", bp, total)
	}
}

// failingStore refuses every insert, as an unreachable database would.
type failingStore struct{ store.Store }

func (failingStore) InsertLogs(context.Context, []store.RequestLog) error {
	return errors.New("connection refused")
}

// With the store down, a full queue makes writers wait at most MaxWait and
// then drop the row, counted — requests are not stalled forever.
func TestFullQueueDropsAfterMaxWaitAndCounts(t *testing.T) {
	w := New(failingStore{}, slog.New(slog.NewTextHandler(io.Discard, nil)), 2)
	w.MaxWait = 20 * time.Millisecond
	w.Write(store.RequestLog{RequestID: "first"})
	// Let the writer take the first row and get stuck retrying the store.
	for deadline := time.Now().Add(5 * time.Second); w.Failures() == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 10; i++ {
			w.Write(store.RequestLog{RequestID: "req"})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Write blocked past MaxWait with the store down")
	}
	if w.Dropped() == 0 || w.Backpressure() == 0 {
		t.Fatalf("dropped %d, backpressure %d: want both counted", w.Dropped(), w.Backpressure())
	}
}

// recordingStore keeps every row it is given.
type recordingStore struct {
	store.Store
	mu   sync.Mutex
	rows []store.RequestLog
}

func (s *recordingStore) InsertLogs(_ context.Context, rows []store.RequestLog) error {
	s.mu.Lock()
	s.rows = append(s.rows, rows...)
	s.mu.Unlock()
	return nil
}

func (s *recordingStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rows)
}

// Flush stores every row written before it, without waiting for the
// batch to fill or the ticker to fire; after Close it returns at once.
func TestFlushStoresEveryEarlierRow(t *testing.T) {
	st := &recordingStore{}
	// An hour between ticks: only Flush can store the rows.
	w := newWriter(st, slog.New(slog.NewTextHandler(io.Discard, nil)), 0, 500, time.Hour)
	for round := 1; round <= 3; round++ {
		for i := range 7 {
			w.Write(store.RequestLog{RequestID: fmt.Sprintf("req_%d_%d", round, i)})
		}
		if err := w.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := st.count(); got != 7*round {
			t.Fatalf("after flush %d the store has %d rows, want %d", round, got, 7*round)
		}
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatalf("Flush after Close: %v", err)
	}
}

// Flush says when rows it waited for were dropped, and honours its context.
func TestFlushReportsDropsAndContext(t *testing.T) {
	st := &gatedStore{gate: make(chan struct{})}
	w := newWriter(st, slog.New(slog.NewTextHandler(io.Discard, nil)), 4, 1, 200*time.Millisecond)
	w.Write(store.RequestLog{RequestID: "stalled"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Flush(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Flush with a cancelled context = %v, want context.Canceled", err)
	}
	close(st.gate)
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st.rows != 1 {
		t.Fatalf("store has %d rows, want 1", st.rows)
	}
}
