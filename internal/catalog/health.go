package catalog

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Breaker settings: a channel opens after BreakerFailures consecutive
// failures, or when at least BreakerMinCalls calls of the current window
// failed at BreakerErrorRate or more. An open channel sits out its cool-down,
// then lets one probe call through (half-open): success closes it, failure
// opens it again.
const (
	BreakerFailures  = 3
	BreakerMinCalls  = 10
	BreakerErrorRate = 0.5
	BreakerWindow    = time.Minute
	latencySamples   = 256
)

// Breaker states.
const (
	StateClosed   = "closed"
	StateOpen     = "open"
	StateHalfOpen = "half_open"
	StateDisabled = "disabled" // the upstream refused the credential: an operator must re-enable it
)

// health is a channel's circuit breaker and its statistics. It is shared by
// the snapshots of an unchanged channel, so a catalogue reload keeps it.
type health struct {
	mu          sync.Mutex
	consecutive int
	openUntil   time.Time
	open        bool
	probing     bool
	disabled    bool
	lastErr     string
	lastErrAt   time.Time
	winStart    time.Time
	winOK       int
	winFail     int
	total       int64
	failures    int64
	lat         [latencySamples]float64
	latN        int
	inflight    atomic.Int64
}

// h returns the channel's health, creating it on first use.
func (c *Channel) h() *health {
	if p := c.hp.Load(); p != nil {
		return p
	}
	c.hp.CompareAndSwap(nil, &health{})
	return c.hp.Load()
}

// Allow reports whether a call may try the channel now. An open channel past
// its cool-down admits exactly one probe at a time.
func (c *Channel) Allow() bool {
	h := c.h()
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.disabled:
		return false
	case !h.open:
		return true
	case time.Now().Before(h.openUntil) || h.probing:
		return false
	}
	h.probing = true
	return true
}

// openUntil opens the breaker until t, told by another instance whose
// breaker for this channel opened; it counts no failure here.
func (c *Channel) openUntil(t time.Time) {
	h := c.h()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.disabled || !t.After(time.Now()) || h.open && !h.openUntil.Before(t) {
		return
	}
	h.open, h.probing, h.openUntil = true, false, t
}

// EndProbe ends a half-open probe that finished without a verdict (the
// client left, or the answer was the caller's own error), so the next call
// may probe again.
func (c *Channel) EndProbe() {
	h := c.h()
	h.mu.Lock()
	h.probing = false
	h.mu.Unlock()
}

// Healthy reports whether the channel is in rotation (closed, or open but
// due for its probe); it does not take the probe.
func (c *Channel) Healthy() bool {
	h := c.h()
	h.mu.Lock()
	defer h.mu.Unlock()
	return !h.disabled && (!h.open || !time.Now().Before(h.openUntil) && !h.probing)
}

func (h *health) roll(now time.Time) {
	if now.Sub(h.winStart) > BreakerWindow {
		h.winStart, h.winOK, h.winFail = now, 0, 0
	}
}

// The relay records each attempt's outcome once, through exactly one of
// Success, Failure and Disable (relay.judge); nothing else counts calls.

// Success records a call the upstream answered; latency is the time to its
// answer (0 when unknown). A half-open channel closes.
func (c *Channel) Success(latency time.Duration) {
	h := c.h()
	now := time.Now()
	h.mu.Lock()
	h.roll(now)
	h.winOK++
	h.total++
	h.consecutive = 0
	h.open, h.probing = false, false
	if latency > 0 {
		h.lat[h.latN%latencySamples] = latency.Seconds() * 1000
		h.latN++
	}
	h.mu.Unlock()
}

// Failure records a failed call and opens the breaker when the channel has
// failed too often; it reports whether the breaker is open now.
func (c *Channel) Failure(reason string, cooldown time.Duration) bool {
	h := c.h()
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.roll(now)
	h.winFail++
	h.total++
	h.failures++
	h.consecutive++
	h.lastErr, h.lastErrAt = reason, now
	calls := h.winOK + h.winFail
	wasOpen := h.open && now.Before(h.openUntil)
	limit := BreakerFailures
	if c.BreakerFailures > 0 {
		limit = c.BreakerFailures // the channel's own breaker_failures
	}
	if c.BreakerCooldown > 0 {
		cooldown = c.BreakerCooldown
	}
	if h.probing || h.consecutive >= limit ||
		calls >= BreakerMinCalls && float64(h.winFail) >= BreakerErrorRate*float64(calls) {
		h.open, h.probing, h.openUntil = true, false, now.Add(cooldown)
		if c.opened != nil && !wasOpen {
			c.opened(c.Name, h.openUntil)
		}
	}
	return h.open
}

// Disable takes the channel out of rotation until an operator re-enables it:
// its credential was refused, and retrying cannot fix that.
// It reports whether this call disabled it (false when it already was), so
// the operator is alerted once.
func (c *Channel) Disable(reason string) bool {
	h := c.h()
	h.mu.Lock()
	was := h.disabled
	h.disabled, h.lastErr, h.lastErrAt = true, reason, time.Now()
	h.total++
	h.failures++
	h.mu.Unlock()
	return !was
}

// Disabled reports whether the channel is out of rotation until an operator
// re-enables it, and why.
func (c *Channel) Disabled() (string, bool) {
	h := c.h()
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lastErr, h.disabled
}

// Enable puts a disabled or open channel back into rotation.
func (c *Channel) Enable() {
	h := c.h()
	h.mu.Lock()
	h.disabled, h.open, h.probing, h.consecutive = false, false, false, 0
	h.mu.Unlock()
}

// LastError returns the channel's last failure, if any.
func (c *Channel) LastError() string {
	c.h().mu.Lock()
	defer c.h().mu.Unlock()
	return c.h().lastErr
}

// Acquire takes one of the channel's concurrent-call slots; it reports false
// when the channel is at its max_concurrency. Release gives it back.
func (c *Channel) Acquire() bool {
	n := c.h().inflight.Add(1)
	if c.MaxConcurrency > 0 && n > int64(c.MaxConcurrency) {
		c.h().inflight.Add(-1)
		return false
	}
	return true
}

// Release returns a slot taken by Acquire.
func (c *Channel) Release() { c.h().inflight.Add(-1) }

// HealthReport is a channel's state for operators.
type HealthReport struct {
	State        string    `json:"state"`
	OpenUntil    time.Time `json:"open_until,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	LastErrorAt  time.Time `json:"last_error_at,omitzero"`
	Calls        int64     `json:"calls"`
	Failures     int64     `json:"failures"`
	SuccessRate  *float64  `json:"success_rate"` // over the life of this process; nil before the first call
	LatencyP50MS *float64  `json:"latency_p50_ms"`
	LatencyP95MS *float64  `json:"latency_p95_ms"`
	InFlight     int64     `json:"in_flight"`
}

// Report returns the channel's breaker state and statistics.
func (c *Channel) Report() HealthReport {
	h := c.h()
	h.mu.Lock()
	defer h.mu.Unlock()
	r := HealthReport{State: StateClosed, LastError: h.lastErr, LastErrorAt: h.lastErrAt, Calls: h.total, Failures: h.failures,
		InFlight: h.inflight.Load()}
	switch {
	case h.disabled:
		r.State = StateDisabled
	case h.open && (h.probing || !time.Now().Before(h.openUntil)):
		r.State = StateHalfOpen
	case h.open:
		r.State, r.OpenUntil = StateOpen, h.openUntil
	}
	if h.total > 0 {
		s := float64(h.total-h.failures) / float64(h.total)
		r.SuccessRate = &s
	}
	if n := min(h.latN, latencySamples); n > 0 {
		s := slices.Clone(h.lat[:n])
		slices.Sort(s)
		p50, p95 := s[(n-1)*50/100], s[(n-1)*95/100]
		r.LatencyP50MS, r.LatencyP95MS = &p50, &p95
	}
	return r
}
