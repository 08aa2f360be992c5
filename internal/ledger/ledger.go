// Package ledger holds budgets: before a call it reserves the call's
// estimated maximum cost against every budget that applies (key, member,
// project), after the call it settles the reservation to the real cost and
// releases the rest, so concurrent calls can never drive spend past a
// budget.
//
// Amounts are nano-USD (int64) so sums are exact. Spend is kept per budget
// and period window (daily and monthly windows start at 00:00 UTC, on the
// first of the month for monthly; total never resets).
//
// Three backends decide admissions: Memory (one instance, in memory), DB
// (several instances without Redis, and the fallback when Redis is down;
// one transaction per reserve and per settle) and Redis (several
// instances; atomic Lua). Ledger puts a primary and a fallback together.
//
// None of them writes the spend to the database itself: a settled call's
// cost travels with its request log row (Reservation.Spend, store.Spend)
// and is added to the budgets in the transaction that stores the row. So
// the recorded spend is always the sum of the stored rows, whenever a
// process is killed: the row is spooled before it is queued, and a row
// that never reached the spool has no spend either. Until its row is
// stored, a settled call's cost is counted by the backend that decided it
// (in memory, in Redis, or as a settled hold in the database).
package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// Budget scopes.
const (
	ScopeKey     = "key"
	ScopeMember  = "member"
	ScopeProject = "project"
	// ScopeProjectTest is the budget shared by a project's test keys
	// (kg_test_); its subject is the project name.
	ScopeProjectTest = "project_test"
)

// Budget periods.
const (
	Daily   = "daily"
	Monthly = "monthly"
	Total   = "total"
)

// ValidPeriod reports whether p names a budget period.
func ValidPeriod(p string) bool { return p == Daily || p == Monthly || p == Total }

// MaxBudgets is how many budgets one call can be held against: key,
// member, project and, for a test key, the project's test budget.
const MaxBudgets = 4

// FromUSD converts dollars to nano-USD.
func FromUSD(usd float64) int64 { return int64(math.Round(usd * 1e9)) }

// ToUSD converts nano-USD to dollars.
func ToUSD(n int64) float64 { return float64(n) / 1e9 }

// Budget is a spending limit of one subject: a key id, a member id or a
// project name.
type Budget struct {
	Scope   string
	Subject string
	Period  string
	Limit   int64 // nano-USD; ≤ 0 means no budget
}

// Window is one period of one budget; Start is unix milliseconds (0 for
// total). It is the store's type, so a request log row can carry the
// windows its cost is added to.
type Window = store.BudgetWindow

// WindowOf returns the window of b that contains now, and when it ends
// (zero for total).
func WindowOf(b Budget, now time.Time) (Window, time.Time) {
	w := Window{Scope: b.Scope, Subject: b.Subject, Period: b.Period}
	now = now.UTC()
	var start, end time.Time
	switch b.Period {
	case Daily:
		start = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		end = start.AddDate(0, 0, 1)
	case Monthly:
		start = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		end = start.AddDate(0, 1, 0)
	default:
		return w, time.Time{}
	}
	w.Start = start.UnixMilli()
	return w, end
}

// Exhausted is the error of a reservation that does not fit a budget.
type Exhausted struct {
	Budget   Budget
	Spent    int64
	Reserved int64 // held by calls in flight
	Asked    int64
	ResetAt  time.Time // zero for total
}

func (e *Exhausted) Error() string {
	s := fmt.Sprintf("%s budget of %s %q ($%.2f %s) is exhausted: $%.4f spent, $%.4f held by calls in flight, this call may cost up to $%.4f",
		e.Budget.Scope, e.Budget.Scope, e.Budget.Subject, ToUSD(e.Budget.Limit), e.Budget.Period, ToUSD(e.Spent), ToUSD(e.Reserved), ToUSD(e.Asked))
	if !e.ResetAt.IsZero() {
		s += "; it resets at " + e.ResetAt.UTC().Format(time.RFC3339)
	}
	return s
}

// fits reports whether amount may be reserved on top of spent and reserved.
// An exhausted budget refuses everything, even a free call.
func fits(limit, spent, reserved, amount int64) bool {
	return spent < limit && spent+reserved+amount <= limit
}

// Backend decides and records reservations.
type Backend interface {
	// Reserve holds r.Amount on every window of r, all or none; a budget
	// that does not fit is reported as *Exhausted.
	Reserve(ctx context.Context, r *Reservation) error
	// Settle releases r's hold and adds actual to each window's spend,
	// returning the spend of each window after it.
	Settle(ctx context.Context, r *Reservation, actual int64) ([MaxBudgets]int64, error)
	// Spent returns the spend and the amount held in flight of a window.
	Spent(ctx context.Context, w Window) (spent, reserved int64, err error)
}

// Reservation is a hold on one or more budgets; settle it exactly once.
// Budget i is Windows[i] (scope, subject, period) with Limits[i]; its window
// ends at End(i). Kept that small because every admitted call with a budget
// allocates one (half the size it had with the budgets and ends spelled
// out).
type Reservation struct {
	N       int
	Windows [MaxBudgets]Window
	Limits  [MaxBudgets]int64
	Amount  int64
	holdID  string // the backend's hold (DB, Redis)
	// accs are the Memory backend's accounts of the windows, found by
	// Reserve and used again by Settle.
	accs    [MaxBudgets]*account
	l       *Ledger
	backend Backend
	done    atomic.Bool
}

// Alert says that a budget's spend crossed a threshold (50, 80, 100 %).
type Alert struct {
	Budget  Budget
	Window  Window
	Percent int
	Spent   int64
	ResetAt time.Time
}

// Ledger reserves on Primary and, while Primary fails (Redis down), on
// Fallback (the database).
type Ledger struct {
	Primary  Backend
	Fallback Backend // nil: Primary only
	Now      func() time.Time
	Log      *slog.Logger
	// OnAlert is told when a settle makes a budget cross 50, 80 or 100 %.
	OnAlert func(Alert)
	// OnFallback is called with true when Primary starts failing and false
	// when it answers again.
	OnFallback func(down bool)
	// RetryAfter is how long Primary is skipped after a failure (1 s).
	RetryAfter  time.Duration
	downUntil   atomic.Int64
	down        atomic.Bool
	outstanding atomic.Int64
	cal         atomic.Pointer[calendar] // the current UTC day's window starts
}

// calendar is the start of the daily and monthly windows that contain the
// instants of [from, to) (unix nanoseconds: one UTC day), so Reserve
// computes them once a day instead of twice a call (time.Date, AddDate).
type calendar struct {
	from, to   int64
	day, month int64 // window starts, unix milliseconds
}

// windowOf is WindowOf(b, now) without the end, from the day's calendar.
func (l *Ledger) windowOf(b Budget, now time.Time) Window {
	w := Window{Scope: b.Scope, Subject: b.Subject, Period: b.Period}
	if b.Period != Daily && b.Period != Monthly {
		return w
	}
	ns := now.UnixNano()
	c := l.cal.Load()
	if c == nil || ns < c.from || ns >= c.to {
		d, _ := WindowOf(Budget{Period: Daily}, now)
		m, _ := WindowOf(Budget{Period: Monthly}, now)
		day := time.UnixMilli(d.Start).UTC()
		c = &calendar{from: day.UnixNano(), to: day.AddDate(0, 0, 1).UnixNano(), day: d.Start, month: m.Start}
		l.cal.Store(c)
	}
	if b.Period == Daily {
		w.Start = c.day
	} else {
		w.Start = c.month
	}
	return w
}

// Outstanding is how many reservations are neither settled nor released.
func (l *Ledger) Outstanding() int64 { return l.outstanding.Load() }

// Degraded reports whether the fallback is in use.
func (l *Ledger) Degraded() bool { return l.down.Load() }

func (l *Ledger) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

// Reserve holds amount (nano-USD) against every budget with a limit. It
// returns nil and no error when no budget applies. A budget that does not
// fit is reported as *Exhausted.
func (l *Ledger) Reserve(ctx context.Context, budgets []Budget, amount int64) (*Reservation, error) {
	var r *Reservation
	now := l.now()
	for _, b := range budgets {
		if b.Limit <= 0 || b.Subject == "" {
			continue
		}
		if r == nil {
			r = &Reservation{l: l, Amount: max(amount, 0)}
		}
		if r.N == MaxBudgets {
			return nil, fmt.Errorf("reserve: more than %d budgets apply to one call", MaxBudgets)
		}
		r.Windows[r.N] = l.windowOf(b, now)
		r.Limits[r.N] = b.Limit
		r.N++
	}
	if r == nil {
		return nil, nil
	}
	r.sort()
	if l.Fallback == nil || now.UnixNano() >= l.downUntil.Load() {
		err := l.Primary.Reserve(ctx, r)
		if err == nil || l.Fallback == nil || isExhausted(err) || ctx.Err() != nil {
			if err == nil {
				r.backend = l.Primary
				l.outstanding.Add(1)
				l.recovered(ctx)
			}
			return nilIfErr(r, err)
		}
		l.failed(err)
	}
	if err := l.Fallback.Reserve(ctx, r); err != nil {
		return nil, err
	}
	r.backend = l.Fallback
	l.outstanding.Add(1)
	return r, nil
}

// isExhausted reports whether err is a budget's refusal (*Exhausted), not
// a backend failure. Apart, so the target of errors.As escapes only on the
// error path.
func isExhausted(err error) bool {
	var ex *Exhausted
	return errors.As(err, &ex)
}

func nilIfErr(r *Reservation, err error) (*Reservation, error) {
	if err != nil {
		return nil, err
	}
	return r, nil
}

// sort orders the windows so every backend locks them in one global order.
func (r *Reservation) sort() {
	less := func(a, b Window) bool {
		if a.Scope != b.Scope {
			return a.Scope < b.Scope
		}
		if a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		return a.Period < b.Period
	}
	for i := 1; i < r.N; i++ {
		for j := i; j > 0 && less(r.Windows[j], r.Windows[j-1]); j-- {
			r.Windows[j], r.Windows[j-1] = r.Windows[j-1], r.Windows[j]
			r.Limits[j], r.Limits[j-1] = r.Limits[j-1], r.Limits[j]
		}
	}
}

func (l *Ledger) failed(err error) {
	d := l.RetryAfter
	if d <= 0 {
		d = time.Second
	}
	l.downUntil.Store(time.Now().Add(d).UnixNano())
	if !l.down.Swap(true) {
		if l.Log != nil {
			l.Log.Warn("shared budget ledger is unreachable; budgets are held in the database until Redis answers", "err", err)
		}
		if l.OnFallback != nil {
			l.OnFallback(true)
		}
	}
}

// Resyncer is a primary that must forget its counters after an outage,
// because spend went to the fallback meanwhile.
type Resyncer interface {
	Resync(ctx context.Context) error
}

func (l *Ledger) recovered(ctx context.Context) {
	if !l.down.Load() || !l.down.Swap(false) {
		return
	}
	if rs, ok := l.Primary.(Resyncer); ok {
		if err := rs.Resync(context.WithoutCancel(ctx)); err != nil && l.Log != nil {
			l.Log.Warn("budget counters in Redis could not be re-read from the database after the outage", "err", err)
		}
	}
	if l.Log != nil {
		l.Log.Info("shared budget ledger is reachable again")
	}
	if l.OnFallback != nil {
		l.OnFallback(false)
	}
}

// Settle ends the reservation: actual (nano-USD) becomes spend on every
// budget and the rest of the hold is released. Settle(ctx, 0) releases a
// call that cost nothing. A nil reservation or a second settle does
// nothing.
func (r *Reservation) Settle(ctx context.Context, actual int64) error {
	if r == nil || r.done.Swap(true) {
		return nil
	}
	l := r.l
	l.outstanding.Add(-1)
	actual = max(actual, 0)
	// Backends make spend durable before anything else (Redis queues it
	// for the database first), so a failing settle never loses it twice
	// or counts it twice.
	after, err := r.backend.Settle(ctx, r, actual)
	if err != nil {
		if l.Log != nil {
			l.Log.Error("spend could not be recorded; the budget under-counts this call", "amount_usd", ToUSD(actual), "err", err)
		}
		return err
	}
	if actual > 0 && l.OnAlert != nil {
		for i := 0; i < r.N; i++ {
			lim := r.Limits[i]
			for _, pct := range [...]int64{50, 80, 100} {
				mark := lim * pct / 100
				if after[i]-actual < mark && after[i] >= mark {
					l.OnAlert(Alert{Budget: r.Budget(i), Window: r.Windows[i], Percent: int(pct), Spent: after[i], ResetAt: r.End(i)})
				}
			}
		}
	}
	return nil
}

// Budget returns the reservation's budget i.
func (r *Reservation) Budget(i int) Budget {
	w := &r.Windows[i]
	return Budget{Scope: w.Scope, Subject: w.Subject, Period: w.Period, Limit: r.Limits[i]}
}

// End returns when the window of budget i ends (zero for total), as
// WindowOf has it.
func (r *Reservation) End(i int) time.Time { return windowEnd(r.Windows[i]) }

// windowEnd is when w ends: a day or a month after its start (zero for
// total).
func windowEnd(w Window) time.Time {
	start := time.UnixMilli(w.Start).UTC()
	switch w.Period {
	case Daily:
		return start.AddDate(0, 0, 1)
	case Monthly:
		return start.AddDate(0, 1, 0)
	}
	return time.Time{}
}

// InMemory reports whether the reservation is held by the in-memory
// backend, whose Settle does no I/O and does not read its context (so a
// caller need not bound it with a timeout).
func (r *Reservation) InMemory() bool {
	_, ok := r.backend.(*Memory)
	return ok
}

// Spend is what a request log row carries of this reservation settled at
// actual (nano-USD): its windows and, on the DB backend, the settled hold
// that stands for the spend until the row is stored. A nil reservation
// carries nothing.
func (r *Reservation) Spend(actual int64) store.Spend {
	if r == nil {
		return store.Spend{}
	}
	sp := store.Spend{Nano: max(actual, 0), Windows: r.Windows[:r.N]}
	if _, ok := r.backend.(*DB); ok {
		sp.Hold = r.holdID
	}
	return sp
}

// Usage returns what b spent in its current window, and when that resets.
func (l *Ledger) Usage(ctx context.Context, b Budget) (spent int64, resetAt time.Time, err error) {
	w, end := WindowOf(b, l.now())
	be := l.Primary
	if l.Fallback != nil && l.Degraded() {
		be = l.Fallback
	}
	spent, _, err = be.Spent(ctx, w)
	if err != nil && be == l.Primary && l.Fallback != nil {
		spent, _, err = l.Fallback.Spent(ctx, w)
	}
	return spent, end, err
}
