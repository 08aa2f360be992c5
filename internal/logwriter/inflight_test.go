package logwriter

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// parallelStore takes up to limit batches at once (LogBatchesInFlight) and
// holds each until the test opens the gate, recording the most it held.
type parallelStore struct {
	store.Store // nil: only InsertLogs is called
	limit       int
	gate        chan struct{}
	mu          sync.Mutex
	active      int
	most        int
	rows        int
	entered     chan struct{}
}

func (s *parallelStore) LogBatchesInFlight() int { return s.limit }

func (s *parallelStore) InsertLogs(_ context.Context, rows []store.RequestLog) error {
	s.mu.Lock()
	s.active++
	s.most = max(s.most, s.active)
	s.mu.Unlock()
	s.entered <- struct{}{}
	<-s.gate
	s.mu.Lock()
	s.active--
	s.rows += len(rows)
	s.mu.Unlock()
	return nil
}

// A store that takes two batches at once gets two (PostgreSQL overlaps one
// batch's COPY with another's commit), never a third, and Flush returns
// only once every batch in flight is stored.
func TestBatchesInFlightUpToTheStoresLimit(t *testing.T) {
	st := &parallelStore{limit: 2, gate: make(chan struct{}), entered: make(chan struct{}, 16)}
	w := newWriter(st, slog.New(slog.NewTextHandler(io.Discard, nil)), 64, 1, time.Hour)
	const total = 6
	for i := range total {
		w.Write(store.RequestLog{RequestID: "req_" + strconv.Itoa(i)})
	}
	for n := range 2 {
		select {
		case <-st.entered:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d batch(es) reached the store while it held one: batches are stored one at a time", n)
		}
	}
	// A third batch must wait for one of the two to come back.
	select {
	case <-st.entered:
		t.Fatal("a third batch reached the store while two were in flight")
	case <-time.After(100 * time.Millisecond):
	}
	flushed := make(chan error, 1)
	go func() { flushed <- w.Flush(context.Background()) }()
	select {
	case err := <-flushed:
		t.Fatalf("Flush returned (%v) while batches were still being stored", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(st.gate)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	st.mu.Lock()
	rows, most := st.rows, st.most
	st.mu.Unlock()
	if rows != total || w.Written() != total {
		t.Fatalf("after Flush the store holds %d rows (writer says %d), want %d", rows, w.Written(), total)
	}
	if most != 2 {
		t.Fatalf("at most %d batches were in flight, want 2", most)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A store that says nothing gets one batch at a time, as SQLite's single
// writer needs.
func TestOneBatchAtATimeByDefault(t *testing.T) {
	st := &gatedStore{gate: make(chan struct{})}
	var mu sync.Mutex
	active, most := 0, 0
	probe := &probeStore{inner: st, enter: func(d int) {
		mu.Lock()
		active += d
		most = max(most, active)
		mu.Unlock()
	}}
	w := newWriter(probe, slog.New(slog.NewTextHandler(io.Discard, nil)), 64, 1, time.Hour)
	for i := range 5 {
		w.Write(store.RequestLog{RequestID: "req_" + strconv.Itoa(i)})
	}
	time.Sleep(50 * time.Millisecond) // let the loop hand batches out if it would
	close(st.gate)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if most != 1 || st.rows != 5 {
		t.Fatalf("%d batches in flight at once, %d rows stored; want 1 and 5", most, st.rows)
	}
}

type probeStore struct {
	store.Store
	inner *gatedStore
	enter func(int)
}

func (p *probeStore) InsertLogs(ctx context.Context, rows []store.RequestLog) error {
	p.enter(1)
	defer p.enter(-1)
	return p.inner.InsertLogs(ctx, rows)
}
