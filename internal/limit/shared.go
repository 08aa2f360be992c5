package limit

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Shared uses a shared limiter (Redis) and, while it fails, the local one:
// with Local.Divisor set to the instance count, the instances together
// still admit about the shared limit. It retries the shared limiter after
// RetryAfter, so a dead Redis costs one failed call per interval, not one
// per request.
type Shared struct {
	Remote Limiter
	Local  *Local
	Log    *slog.Logger
	// OnFallback is called with true when the remote limiter starts failing
	// and false when it answers again (for a metric).
	OnFallback func(down bool)
	// RetryAfter is how long the remote limiter is skipped after a failure
	// (default 1 s).
	RetryAfter time.Duration
	downUntil  atomic.Int64
	down       atomic.Bool
}

var _ Limiter = (*Shared)(nil)

func (s *Shared) useRemote() bool {
	return time.Now().UnixNano() >= s.downUntil.Load()
}

func (s *Shared) failed(err error) {
	d := s.RetryAfter
	if d <= 0 {
		d = time.Second
	}
	s.downUntil.Store(time.Now().Add(d).UnixNano())
	if !s.down.Swap(true) {
		if s.Log != nil {
			s.Log.Warn("shared rate limits are unreachable; using this instance's share of each limit until Redis answers", "err", err)
		}
		if s.OnFallback != nil {
			s.OnFallback(true)
		}
	}
}

func (s *Shared) recovered() {
	if s.down.Load() && s.down.Swap(false) {
		if s.Log != nil {
			s.Log.Info("shared rate limits are reachable again")
		}
		if s.OnFallback != nil {
			s.OnFallback(false)
		}
	}
}

// Degraded reports whether the local fallback is in use.
func (s *Shared) Degraded() bool { return s.down.Load() }

// Admit implements Limiter.
func (s *Shared) Admit(ctx context.Context, key string, r Rule, tokens int) (Result, error) {
	if r.Zero() {
		return Result{Allowed: true}, nil
	}
	if s.useRemote() {
		res, err := s.Remote.Admit(ctx, key, r, tokens)
		if err == nil {
			s.recovered()
			return res, nil
		}
		if ctx.Err() != nil {
			return res, err
		}
		s.failed(err)
	}
	return s.Local.Admit(ctx, key, r, tokens)
}

// Charge implements Limiter.
func (s *Shared) Charge(ctx context.Context, key string, r Rule, tokens int) error {
	if s.useRemote() {
		err := s.Remote.Charge(ctx, key, r, tokens)
		if err == nil {
			return nil
		}
		s.failed(err)
	}
	return s.Local.Charge(ctx, key, r, tokens)
}
