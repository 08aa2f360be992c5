package ledger

import (
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"sync"
	"time"

	"github.com/keygate/keygate/internal/ids"
)

// SpendStore is the durable side of the ledger (the gateway's database).
type SpendStore interface {
	// LoadSpend returns the recorded spend of a window (0 when none).
	LoadSpend(ctx context.Context, w Window) (int64, error)
	// AddSpend adds each delta to its window's spend.
	AddSpend(ctx context.Context, deltas map[Window]int64) error
	// ReserveSpend holds amount on every window if it fits each limit, all
	// or none, as hold h: each hold lapses on its own holdFor after now
	// (an instance killed mid-call), whatever traffic follows. It returns
	// -1 and no error when everything was held, else the index of the
	// window that did not fit with its spend and unexpired holds.
	ReserveSpend(ctx context.Context, h Hold, ws []Window, limits []int64, amount int64, now time.Time, holdFor time.Duration) (failed int, spent, reserved int64, err error)
	// SettleSpend releases hold holdID and adds actual to every window's
	// spend, returning each window's spend after it.
	SettleSpend(ctx context.Context, holdID string, ws []Window, actual int64) ([]int64, error)
	// ReleaseHolds drops every hold of owner (a previous process of this
	// instance) and every expired hold, returning how many went.
	ReleaseHolds(ctx context.Context, owner string, now time.Time) (int64, error)
}

// Hold names one reservation in the database and the instance that made it.
type Hold struct{ ID, Owner string }

const shards = 64

// Pending collects spend not yet written to the database, and writes it
// every interval as increments, so instances sharing a database add up.
type Pending struct {
	Store SpendStore
	Log   *slog.Logger
	seed  maphash.Seed
	shard [shards]struct {
		mu sync.Mutex
		m  map[Window]int64
	}
}

// NewPending returns an empty buffer writing to st.
func NewPending(st SpendStore, log *slog.Logger) *Pending {
	p := &Pending{Store: st, Log: log, seed: maphash.MakeSeed()}
	for i := range p.shard {
		p.shard[i].m = map[Window]int64{}
	}
	return p
}

func (p *Pending) idx(w Window) int {
	return int(maphash.Comparable(p.seed, w) % shards)
}

// Add queues delta for w.
func (p *Pending) Add(w Window, delta int64) {
	if delta == 0 {
		return
	}
	sh := &p.shard[p.idx(w)]
	sh.mu.Lock()
	sh.m[w] += delta
	sh.mu.Unlock()
}

// Get returns the spend of w not yet written.
func (p *Pending) Get(w Window) int64 {
	sh := &p.shard[p.idx(w)]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.m[w]
}

// Flush writes everything queued; on failure it is queued again.
func (p *Pending) Flush(ctx context.Context) error {
	all := map[Window]int64{}
	for i := range p.shard {
		sh := &p.shard[i]
		sh.mu.Lock()
		for w, d := range sh.m {
			all[w] += d
		}
		clear(sh.m)
		sh.mu.Unlock()
	}
	if len(all) == 0 {
		return nil
	}
	if err := p.Store.AddSpend(ctx, all); err != nil {
		for w, d := range all {
			p.Add(w, d)
		}
		return fmt.Errorf("write budget spend to the database (kept in memory, retried): %w", err)
	}
	return nil
}

// Run flushes every interval until ctx ends, then once more.
func (p *Pending) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := p.Flush(fctx); err != nil && p.Log != nil {
				p.Log.Error("budget spend lost at shutdown", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if err := p.Flush(ctx); err != nil && p.Log != nil && ctx.Err() == nil {
				p.Log.Warn("budget spend not persisted yet", "err", err)
			}
		}
	}
}

// Memory decides reservations in memory: the backend of a single
// instance. A window's spend is read from the database on first use and
// persisted through Pending.
type Memory struct {
	Pending *Pending
	seed    maphash.Seed
	shard   [shards]struct {
		mu sync.Mutex
		m  map[Window]*account
	}
}

type account struct {
	mu       sync.Mutex
	loaded   bool
	spent    int64
	reserved int64
}

// NewMemory returns a memory backend persisting through p.
func NewMemory(p *Pending) *Memory {
	m := &Memory{Pending: p, seed: maphash.MakeSeed()}
	for i := range m.shard {
		m.shard[i].m = map[Window]*account{}
	}
	return m
}

var _ Backend = (*Memory)(nil)

func (m *Memory) account(w Window) *account {
	sh := &m.shard[maphash.Comparable(m.seed, w)%shards]
	sh.mu.Lock()
	a := sh.m[w]
	if a == nil {
		a = &account{}
		sh.m[w] = a
	}
	sh.mu.Unlock()
	return a
}

// load reads the window's spend once; a.mu is held.
func (m *Memory) load(ctx context.Context, w Window, a *account) error {
	if a.loaded {
		return nil
	}
	if m.Pending != nil && m.Pending.Store != nil {
		s, err := m.Pending.Store.LoadSpend(ctx, w)
		if err != nil {
			return fmt.Errorf("read the spend of %s budget %q: %w", w.Scope, w.Subject, err)
		}
		// Spend queued but not yet written belongs to this window too.
		a.spent = s + m.Pending.Get(w)
	}
	a.loaded = true
	return nil
}

// Reserve implements Backend.
func (m *Memory) Reserve(ctx context.Context, r *Reservation) error {
	var accs [MaxBudgets]*account
	for i := 0; i < r.N; i++ {
		accs[i] = m.account(r.Windows[i])
		accs[i].mu.Lock()
	}
	defer func() {
		for i := r.N - 1; i >= 0; i-- {
			accs[i].mu.Unlock()
		}
	}()
	for i := 0; i < r.N; i++ {
		a := accs[i]
		if err := m.load(ctx, r.Windows[i], a); err != nil {
			return err
		}
		if !fits(r.Budgets[i].Limit, a.spent, a.reserved, r.Amount) {
			return &Exhausted{Budget: r.Budgets[i], Spent: a.spent, Reserved: a.reserved, Asked: r.Amount, ResetAt: r.Ends[i]}
		}
	}
	for i := 0; i < r.N; i++ {
		accs[i].reserved += r.Amount
	}
	return nil
}

// Settle implements Backend.
func (m *Memory) Settle(_ context.Context, r *Reservation, actual int64) ([MaxBudgets]int64, error) {
	var after [MaxBudgets]int64
	for i := 0; i < r.N; i++ {
		a := m.account(r.Windows[i])
		a.mu.Lock()
		a.reserved = max(0, a.reserved-r.Amount)
		a.spent += actual
		after[i] = a.spent
		a.mu.Unlock()
		if m.Pending != nil {
			m.Pending.Add(r.Windows[i], actual)
		}
	}
	return after, nil
}

// Spent implements Backend.
func (m *Memory) Spent(ctx context.Context, w Window) (int64, int64, error) {
	a := m.account(w)
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := m.load(ctx, w, a); err != nil {
		return 0, 0, err
	}
	return a.spent, a.reserved, nil
}

// Sweep forgets windows that ended before now with nothing in flight.
func (m *Memory) Sweep(now time.Time) {
	for i := range m.shard {
		sh := &m.shard[i]
		sh.mu.Lock()
		for w, a := range sh.m {
			if w.Period == Total {
				continue
			}
			b := Budget{Period: w.Period}
			cur, _ := WindowOf(b, now)
			a.mu.Lock()
			idle := a.reserved == 0
			a.mu.Unlock()
			if w.Start < cur.Start && idle {
				delete(sh.m, w)
			}
		}
		sh.mu.Unlock()
	}
}

// DB decides reservations in the database: exact across any number of
// instances on one database, one statement per reserve and settle.
type DB struct {
	Store SpendStore
	// HoldFor bounds a reservation's life: holds older than this (an
	// instance that crashed mid-call) lapse. Default 15 minutes.
	HoldFor time.Duration
	Now     func() time.Time
	// Owner names this instance on its holds, stable across restarts
	// (host and listen address), so Release at start frees what a killed
	// process of it left.
	Owner string
}

// Release drops the holds a previous process of this instance left and
// every expired hold; call it at start.
func (d *DB) Release(ctx context.Context) (int64, error) {
	return d.Store.ReleaseHolds(ctx, d.Owner, d.now())
}

func (d *DB) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

var _ Backend = (*DB)(nil)

func (d *DB) windows(r *Reservation) []Window { return r.Windows[:r.N] }

// Reserve implements Backend.
func (d *DB) Reserve(ctx context.Context, r *Reservation) error {
	hold := d.HoldFor
	if hold <= 0 {
		hold = 15 * time.Minute
	}
	now := d.now()
	var limits [MaxBudgets]int64
	for i := 0; i < r.N; i++ {
		limits[i] = r.Budgets[i].Limit
	}
	id := ids.New("hold")
	failed, spent, reserved, err := d.Store.ReserveSpend(ctx, Hold{ID: id, Owner: d.Owner}, d.windows(r), limits[:r.N], r.Amount, now, hold)
	if err != nil {
		return fmt.Errorf("reserve budget in the database: %w", err)
	}
	if failed < 0 {
		r.holdID = id
	}
	if failed >= 0 {
		return &Exhausted{Budget: r.Budgets[failed], Spent: spent, Reserved: reserved, Asked: r.Amount, ResetAt: r.Ends[failed]}
	}
	return nil
}

// Settle implements Backend.
func (d *DB) Settle(ctx context.Context, r *Reservation, actual int64) ([MaxBudgets]int64, error) {
	var after [MaxBudgets]int64
	s, err := d.Store.SettleSpend(ctx, r.holdID, d.windows(r), actual)
	if err != nil {
		return after, fmt.Errorf("settle budget in the database: %w", err)
	}
	copy(after[:], s)
	return after, nil
}

// Spent implements Backend.
func (d *DB) Spent(ctx context.Context, w Window) (int64, int64, error) {
	s, err := d.Store.LoadSpend(ctx, w)
	return s, 0, err
}
