// Package logwriter batches request log rows into the store off the hot path.
// The queue is bounded; when it is full the caller waits (backpressure,
// counted) instead of a row being dropped. Only when the store stays
// unavailable long enough for the queue to stay full past MaxWait is a row
// dropped — counted, and said in the log, never silently — so an outage of
// the database cannot stall every request. Close flushes what is queued.
//
// The queue holds pointers to pooled rows, not rows: a channel of 65,536
// rows of ~450 bytes would become 29 MB of resident memory as its ring is
// cycled through, where pointers cost 512 KB and only queued rows exist.
package logwriter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keygate/keygate/internal/storable"
	"github.com/keygate/keygate/internal/store"
)

// Writer is the async batch writer.
type Writer struct {
	st       store.Store
	log      *slog.Logger
	ch       chan *entry
	spool    *spool // nil: no spool
	batch    int
	interval time.Duration
	done     chan struct{}
	flushReq chan chan struct{}
	closeOne sync.Once

	// free holds the batches not being gathered or stored: as many as may
	// be stored at once (the store's LogBatchesInFlight). The loop gathers
	// into one while the others are stored, and after handing a batch over
	// waits for one to come back, so with one (SQLite) a batch is stored
	// before the next is gathered, as before.
	free     chan *pending
	inflight sync.WaitGroup

	// MaxWait bounds how long Write waits for room in a full queue.
	MaxWait time.Duration

	written      atomic.Uint64
	backpressure atomic.Uint64
	failures     atomic.Uint64
	dropped      atomic.Uint64
	refused      atomic.Uint64
	lastDropLog  atomic.Int64
}

// batchRows is the most rows one InsertLogs (one transaction) carries.
// Under load the queue holds more than a batch whenever a batch is being
// stored, so every batch is full: each transaction's fixed costs (on
// SQLite the commit writing every b-tree page the batch touched to the
// WAL, on PostgreSQL the commit's WAL flush and the round trips) are
// shared by this many rows. Under light load the flush interval ends a
// batch first, so a row never waits longer than it did with small batches.
// 4096 rows of ~450 bytes are 2 MB in memory and hold SQLite's write lock
// for tens of milliseconds.
const batchRows = 4096

// flushInterval is how long a row may wait for its batch to fill.
const flushInterval = 200 * time.Millisecond

// New starts a writer with a queue of size rows.
func New(st store.Store, log *slog.Logger, size int) *Writer {
	return newWriter(st, log, size, batchRows, flushInterval)
}

// NewSpooled starts a writer whose rows are spooled to files PATH.<n>
// (spool.go) until stored. Segments left by an earlier process are first
// replayed into the store, so New returns once every row a killed process
// had accepted is stored (or, with the store down, kept for next time).
func NewSpooled(ctx context.Context, st store.Store, log *slog.Logger, size int, path string) (*Writer, error) {
	w := newWriter(st, log, size, batchRows, flushInterval)
	n, next, err := w.replay(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("replay request log spool %s: %w", path, err)
	}
	if n > 0 {
		log.Info("replayed the request log spool of a previous run", "rows", n, "path", path)
	}
	sp, err := openSpool(path, next)
	if err != nil {
		return nil, err
	}
	w.spool = sp
	return w, nil
}

// newWriter lets tests choose the batch size and the flush interval before
// the loop starts.
func newWriter(st store.Store, log *slog.Logger, size, batch int, interval time.Duration) *Writer {
	if size <= 0 {
		size = 65536
	}
	n := 1
	if p, ok := st.(interface{ LogBatchesInFlight() int }); ok {
		n = max(1, p.LogBatchesInFlight())
	}
	w := &Writer{st: st, log: log, ch: make(chan *entry, size), batch: batch,
		interval: interval, done: make(chan struct{}), flushReq: make(chan chan struct{}),
		MaxWait: 5 * time.Second, free: make(chan *pending, n)}
	for range n {
		w.free <- &pending{rows: make([]store.RequestLog, 0, batch), segs: make([]*segment, 0, batch)}
	}
	go w.loop()
	return w
}

// entry is a queued row and the spool segment holding it (nil unspooled).
type entry struct {
	row store.RequestLog
	seg *segment
}

var rowPool = sync.Pool{New: func() any { return new(entry) }}

// Write queues a row; it only blocks when the queue is full. The row's
// texts are made storable here, once (storable.Log): valid UTF-8, no NUL,
// bounded, keys in display form — whatever bytes a client sent.
func (w *Writer) Write(r store.RequestLog) { w.WriteRow(&r) }

// WriteRow is Write of *r, which is copied once, straight into the queued
// entry (a row is ~400 bytes): r is the caller's again when it returns.
func (w *Writer) WriteRow(r *store.RequestLog) {
	q := rowPool.Get().(*entry)
	q.row = *r
	storable.Log(&q.row)
	if sp := w.spool; sp != nil {
		// Before the row is queued: from here on a killed process loses
		// nothing of it.
		q.seg = sp.append(&q.row)
	}
	select {
	case w.ch <- q:
	default:
		w.backpressure.Add(1)
		t := time.NewTimer(w.MaxWait)
		select {
		case w.ch <- q:
		case <-t.C:
			// Still in the spool (if any): the next start replays it.
			*q = entry{}
			rowPool.Put(q)
			w.drop(1, "the request log queue stayed full: the store is not keeping up or is unavailable")
		}
		t.Stop()
	}
}

// drop counts lost rows and says so at most once every 10 seconds.
func (w *Writer) drop(n int, why string) {
	w.dropped.Add(uint64(n))
	now := time.Now().UnixNano()
	if last := w.lastDropLog.Load(); now-last > int64(10*time.Second) && w.lastDropLog.CompareAndSwap(last, now) {
		w.log.Error("request log rows dropped", "rows", n, "dropped_total", w.dropped.Load(), "why", why,
			"what_to_do", "check that the database is reachable (GET /readyz) and keygate_log_queue_depth")
	}
}

// Dropped counts rows that were lost (queue full past MaxWait, a batch the
// store could not take for over a minute, or a row it refused for good).
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Depth is the number of queued rows.
func (w *Writer) Depth() int { return len(w.ch) }

// Written is the number of rows stored so far.
func (w *Writer) Written() uint64 { return w.written.Load() }

// Backpressure counts writes that had to wait for a full queue.
func (w *Writer) Backpressure() uint64 { return w.backpressure.Load() }

// Failures counts batch insert attempts that failed (and were retried).
func (w *Writer) Failures() uint64 { return w.failures.Load() }

func (w *Writer) loop() {
	defer close(w.done)
	b := <-w.free
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case q, ok := <-w.ch:
			if !ok {
				w.flush(b)
				w.inflight.Wait()
				return
			}
			b.add(q)
			if len(b.rows) >= w.batch {
				b = w.flush(b)
			}
		case <-t.C:
			b = w.flush(b)
		case reply := <-w.flushReq:
			// Every row whose Write returned before Flush was called is
			// in the queue or in b: take what is queued, then store it.
			for open := true; open; {
				select {
				case q, ok := <-w.ch:
					if !ok {
						open = false
						break
					}
					b.add(q)
					if len(b.rows) >= w.batch {
						b = w.flush(b)
					}
				default:
					open = false
				}
			}
			b = w.flush(b)
			w.inflight.Wait()
			close(reply)
		}
	}
}

// pending is the batch being gathered, each row with its spool segment.
type pending struct {
	rows []store.RequestLog
	segs []*segment
}

func (b *pending) add(q *entry) {
	b.rows = append(b.rows, q.row)
	b.segs = append(b.segs, q.seg)
	*q = entry{} // drop references to the row's strings
	rowPool.Put(q)
}

// Flush returns once every row whose Write returned before the call has
// been stored (or given up on and counted in Dropped), so tests and
// shutdown paths wait on an event instead of polling for rows. It returns
// ctx's error if ctx ends first, and an error naming the count when rows
// were dropped meanwhile.
func (w *Writer) Flush(ctx context.Context) error {
	dropped := w.dropped.Load()
	reply := make(chan struct{})
	select {
	case w.flushReq <- reply:
	case <-w.done: // closed: Close stored everything it could
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-reply:
	case <-w.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if n := w.dropped.Load() - dropped; n > 0 {
		return fmt.Errorf("flush request logs: %d rows were dropped meanwhile (see the log for why)", n)
	}
	return nil
}

// flush hands the batch to a goroutine that stores it and returns the
// batch to gather next, waiting for one only when the store's limit of
// batches is in flight. Storing retries with backoff so a briefly
// unavailable store loses nothing; it gives up on a batch only after about
// a minute, and says so loudly with the rows' count (the rows stay in the
// spool for the next start). A batch the store refuses for good (a
// permanent error: the data, not the connection) is split in halves until
// the refused rows are alone, so one bad row costs only itself.
//
// Batches in flight at once commit in any order; each is one transaction
// with its rows' spend, so a row and its charge still go in together, once.
func (w *Writer) flush(b *pending) *pending {
	if len(b.rows) == 0 {
		return b
	}
	w.inflight.Add(1)
	go func() {
		defer w.inflight.Done()
		w.store(context.Background(), b.rows, b.segs)
		clear(b.rows) // drop references to the rows' strings
		clear(b.segs)
		b.rows, b.segs = b.rows[:0], b.segs[:0]
		w.free <- b
	}()
	return <-w.free
}

// store writes rows and marks their spool segments done (segs may be nil).
// It reports whether every row was stored or refused for good — false when
// it gave up on a store that stayed unavailable.
func (w *Writer) store(ctx context.Context, rows []store.RequestLog, segs []*segment) bool {
	done := func() {
		for _, s := range segs {
			s.done()
		}
	}
	backoff := 50 * time.Millisecond
	deadline := time.Now().Add(time.Minute)
	for {
		ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := w.st.InsertLogs(ictx, rows)
		cancel()
		if err == nil {
			w.written.Add(uint64(len(rows)))
			done()
			return true
		}
		w.failures.Add(1)
		if permanent(err) {
			if len(rows) == 1 {
				w.refused.Add(1)
				w.dropped.Add(1)
				w.log.Error("the store refused a request log row", "request_id", rows[0].RequestID, "err", err,
					"refused_total", w.refused.Load())
				done() // replaying it would be refused again
				return true
			}
			mid := len(rows) / 2
			var ls, rs []*segment
			if segs != nil {
				ls, rs = segs[:mid], segs[mid:]
			}
			okL := w.store(ctx, rows[:mid], ls)
			okR := w.store(ctx, rows[mid:], rs)
			return okL && okR
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			w.drop(len(rows), "the store refused the batch for over a minute: "+err.Error())
			return false
		}
		w.log.Warn("storing request logs failed; retrying", "rows", len(rows), "err", err, "retry_in", backoff)
		time.Sleep(backoff)
		backoff = min(backoff*2, 5*time.Second)
	}
}

// permanent reports whether the store says it will refuse these rows
// however often they are sent (sqlstore.RefusedError).
func permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// Refused counts rows the store refused for good (each also counted in
// Dropped), after splitting their batch to keep every other row.
func (w *Writer) Refused() uint64 { return w.refused.Load() }

// Close stops accepting rows and flushes the queue, waiting until ctx ends.
// Write must not be called after Close.
func (w *Writer) Close(ctx context.Context) error {
	w.closeOne.Do(func() { close(w.ch) })
	select {
	case <-w.done:
		if w.spool != nil {
			w.spool.close() // every stored segment goes; the rest is replayed at next start
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
