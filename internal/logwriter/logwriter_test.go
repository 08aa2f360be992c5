package logwriter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
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

// permanentErr is what sqlstore returns when the database refuses the data.
type permanentErr struct{}

func (permanentErr) Error() string {
	return `invalid byte sequence for encoding "UTF8": 0x00 (SQLSTATE 22021)`
}
func (permanentErr) Permanent() bool { return true }

// poisonStore refuses, for good, every batch that holds a row whose
// request id starts with "bad", as PostgreSQL refuses a whole multi-row
// INSERT for one value it cannot store.
type poisonStore struct {
	recordingStore
	calls int
}

func (s *poisonStore) InsertLogs(ctx context.Context, rows []store.RequestLog) error {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	for _, r := range rows {
		if strings.HasPrefix(r.RequestID, "bad") {
			return fmt.Errorf("insert %d request logs: %w", len(rows), permanentErr{})
		}
	}
	return s.recordingStore.InsertLogs(ctx, rows)
}

// A batch refused for good is split: every good row is kept at once (no
// minute of retries), and only the refused rows are counted and logged.
func TestPermanentRefusalKeepsEveryGoodRow(t *testing.T) {
	st := &poisonStore{}
	var logs strings.Builder
	var mu sync.Mutex
	// A batch larger than the rows written: the writer stores nothing
	// before Flush asks, so both refusals fall within the Flush (with a
	// batch of 500 the loop could store the full batch, and drop one of the
	// bad rows, before Flush began counting).
	w := newWriter(st, slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil)), 0, 1000, time.Hour)
	for i := range 500 {
		id := fmt.Sprintf("req_%03d", i)
		if i == 17 || i == 333 {
			id = fmt.Sprintf("bad_%03d", i)
		}
		w.Write(store.RequestLog{RequestID: id})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := w.Flush(ctx)
	if err == nil || !strings.Contains(err.Error(), "2 rows") {
		t.Fatalf("Flush = %v, want it to report the 2 refused rows", err)
	}
	if got := st.count(); got != 498 || w.Written() != 498 {
		t.Fatalf("kept %d rows (written %d), want the 498 good ones", got, w.Written())
	}
	if w.Refused() != 2 || w.Dropped() != 2 {
		t.Fatalf("refused %d, dropped %d: want 2 and 2", w.Refused(), w.Dropped())
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if !strings.Contains(out, "bad_017") || !strings.Contains(out, "bad_333") || strings.Contains(out, "req_016") {
		t.Fatalf("the log must name exactly the refused rows:\n%s", out)
	}
	if st.calls > 40 {
		t.Fatalf("%d inserts for 2 bad rows in 500: the split is not a bisection", st.calls)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
