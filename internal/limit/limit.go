// Package limit enforces per-key request and token rates (requests and
// tokens per minute, GCRA) and concurrent requests. Local keeps the state
// in memory with an injected clock; Redis shares it between instances with
// one Lua round trip per admission; Shared uses Redis and falls back to
// Local — each instance's share of the limit — when Redis is unreachable.
package limit

import (
	"context"
	"strconv"
	"time"
)

// Period is the window of rpm and tpm.
const Period = time.Minute

// Rule is what applies to one key: 0 means no limit.
type Rule struct {
	RPM int
	TPM int
}

// Zero reports whether the rule limits nothing.
func (r Rule) Zero() bool { return r.RPM <= 0 && r.TPM <= 0 }

// State is one dimension (requests or tokens) after an admission, in the
// terms of OpenAI's x-ratelimit-* headers.
type State struct {
	Limit      int
	Remaining  int
	Reset      time.Duration // until the bucket is full again
	RetryAfter time.Duration // when refused: until the request would fit
}

// Result is the outcome of Admit. Requests and Tokens are meaningful when
// the rule sets RPM and TPM respectively.
type Result struct {
	Allowed  bool
	Refused  string // "requests" or "tokens" when not allowed
	TooLarge bool   // the token cost alone exceeds the tpm limit: never fits
	Requests State
	Tokens   State
}

// RetryAfter is how long a refused caller should wait.
func (r Result) RetryAfter() time.Duration {
	if r.Refused == "tokens" {
		return r.Tokens.RetryAfter
	}
	return r.Requests.RetryAfter
}

// Limiter admits requests against a key's rule.
type Limiter interface {
	// Admit takes one request and tokens (the admission estimate) from the
	// key's buckets: both or neither.
	Admit(ctx context.Context, key string, r Rule, tokens int) (Result, error)
	// Charge adds tokens learnt after the call (beyond the estimate) to the
	// key's token bucket without refusing anything.
	Charge(ctx context.Context, key string, r Rule, tokens int) error
}

// gcra is the generic cell rate algorithm on integer nanoseconds: tat is
// the theoretical arrival time of the bucket, limit events per Period with
// a burst of limit. It returns the new tat (unchanged when refused) and
// the state to report.
func gcra(now, tat int64, limit, cost int) (newTAT int64, ok bool, st State) {
	st.Limit = limit
	if limit <= 0 {
		return tat, true, st
	}
	t := int64(Period) / int64(limit) // emission interval
	if tat < now {
		tat = now
	}
	next := tat + int64(cost)*t
	allowAt := next - int64(Period)
	if diff := now - allowAt; diff >= 0 {
		st.Remaining = int(diff / t)
		st.Reset = time.Duration(next - now)
		return next, true, st
	}
	st.Remaining = max(0, int((now-(tat-int64(Period)))/t))
	st.Reset = time.Duration(tat - now)
	st.RetryAfter = time.Duration(allowAt - now)
	return tat, false, st
}

// FormatReset renders a duration the way OpenAI's x-ratelimit-reset-*
// headers do: "1s", "6m0s", "20ms".
func FormatReset(d time.Duration) string { return string(AppendReset(nil, d)) }

// AppendReset appends FormatReset(d) to b: the same text as
// time.Duration's String of d rounded to the second ("1h0m0s"), or
// milliseconds below a second, without its allocation.
func AppendReset(b []byte, d time.Duration) []byte {
	switch {
	case d <= 0:
		return append(b, "0s"...)
	case d < time.Second:
		return append(strconv.AppendInt(b, d.Milliseconds(), 10), "ms"...)
	}
	r := d.Round(time.Second)
	if r%time.Second != 0 { // Round saturated: no whole seconds to print
		return append(b, r.String()...)
	}
	secs := int64(r / time.Second)
	if h := secs / 3600; h > 0 {
		b = append(strconv.AppendInt(b, h, 10), 'h')
	}
	if secs >= 60 {
		b = append(strconv.AppendInt(b, secs%3600/60, 10), 'm')
	}
	return append(strconv.AppendInt(b, secs%60, 10), 's')
}
