package ledger

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/keygate/keygate/internal/ids"
)

// SpendStore is the durable side of the ledger (the gateway's database).
// Spend is added to it with the request log rows (store.Spend).
type SpendStore interface {
	// LoadSpend returns the recorded spend of a window (0 when none).
	LoadSpend(ctx context.Context, w Window) (int64, error)
	// ReserveSpend holds amount on every window if it fits each limit, all
	// or none, as hold h: each hold lapses on its own holdFor after now
	// (an instance killed mid-call), whatever traffic follows. Settled
	// holds count like the others. It returns -1 and no error when
	// everything was held, else the index of the window that did not fit
	// with its spend and unexpired holds.
	ReserveSpend(ctx context.Context, h Hold, ws []Window, limits []int64, amount int64, now time.Time, holdFor time.Duration) (failed int, spent, reserved int64, err error)
	// SettleSpend makes hold holdID of every window a settled hold of
	// actual, kept until keepUntil (the call's row removes it when it is
	// stored and adds actual to the spend in the same transaction), and
	// returns each window's spend with its settled holds.
	SettleSpend(ctx context.Context, holdID string, ws []Window, actual int64, now, keepUntil time.Time) ([]int64, error)
	// SettledSpend returns a window's recorded spend with its unexpired
	// settled holds (calls ended whose rows are not stored yet) and what
	// its other unexpired holds amount to (calls in flight).
	SettledSpend(ctx context.Context, w Window, now time.Time) (spent, inFlight int64, err error)
	// ReleaseHolds drops every hold of owner (a previous process of this
	// instance) and every expired hold, returning how many went.
	ReleaseHolds(ctx context.Context, owner string, now time.Time) (int64, error)
}

// Hold names one reservation in the database and the instance that made it.
type Hold struct{ ID, Owner string }

const shards = 64

// Memory decides reservations in memory: the backend of a single
// instance. A window's spend is read from the database on first use (by
// then the spool of a killed process is replayed, so it is the sum of the
// rows) and kept in memory after; the database gets it with the rows.
type Memory struct {
	Store SpendStore // nil: spend starts at 0
	seed  maphash.Seed
	shard [shards]struct {
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

// NewMemory returns a memory backend reading spend from st.
func NewMemory(st SpendStore) *Memory {
	m := &Memory{Store: st, seed: maphash.MakeSeed()}
	for i := range m.shard {
		m.shard[i].m = map[Window]*account{}
	}
	return m
}

var _ Backend = (*Memory)(nil)

func (m *Memory) account(w Window) *account {
	// The shard is told by the subject alone (one string hashed, not the
	// whole window): a key's or project's windows share a shard.
	sh := &m.shard[maphash.String(m.seed, w.Subject)%shards]
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
	if m.Store != nil {
		s, err := m.Store.LoadSpend(ctx, w)
		if err != nil {
			return fmt.Errorf("read the spend of %s budget %q: %w", w.Scope, w.Subject, err)
		}
		a.spent = s
	}
	a.loaded = true
	return nil
}

// Reserve implements Backend.
func (m *Memory) Reserve(ctx context.Context, r *Reservation) error {
	accs := &r.accs
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
		if !fits(r.Limits[i], a.spent, a.reserved, r.Amount) {
			return &Exhausted{Budget: r.Budget(i), Spent: a.spent, Reserved: a.reserved, Asked: r.Amount, ResetAt: r.End(i)}
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
		a := r.accs[i] // Reserve's
		if a == nil {
			a = m.account(r.Windows[i])
		}
		a.mu.Lock()
		a.reserved = max(0, a.reserved-r.Amount)
		a.spent += actual
		after[i] = a.spent
		a.mu.Unlock()
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

func (d *DB) holdFor() time.Duration {
	if d.HoldFor <= 0 {
		return 15 * time.Minute
	}
	return d.HoldFor
}

// Reserve implements Backend.
func (d *DB) Reserve(ctx context.Context, r *Reservation) error {
	hold := d.holdFor()
	now := d.now()
	var limits [MaxBudgets]int64
	for i := 0; i < r.N; i++ {
		limits[i] = r.Limits[i]
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
		return &Exhausted{Budget: r.Budget(failed), Spent: spent, Reserved: reserved, Asked: r.Amount, ResetAt: r.End(failed)}
	}
	return nil
}

// Settle implements Backend: the hold stays, settled at actual, until the
// call's row is stored with the spend.
func (d *DB) Settle(ctx context.Context, r *Reservation, actual int64) ([MaxBudgets]int64, error) {
	var after [MaxBudgets]int64
	now := d.now()
	s, err := d.Store.SettleSpend(ctx, r.holdID, d.windows(r), actual, now, now.Add(d.holdFor()))
	if err != nil {
		return after, fmt.Errorf("settle budget in the database: %w", err)
	}
	copy(after[:], s)
	return after, nil
}

// Spent implements Backend: settled calls whose rows are not stored yet
// are spent.
func (d *DB) Spent(ctx context.Context, w Window) (int64, int64, error) {
	return d.Store.SettledSpend(ctx, w, d.now())
}
