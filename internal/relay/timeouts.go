package relay

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptrace"
	"sync"
	"time"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/store"
)

// timeoutError is why a watchdog stopped an upstream call.
type timeoutError struct {
	stage string
	after time.Duration
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("upstream %s timeout: nothing after %s", e.stage, e.after)
}

// Is makes a watchdog timeout read as a deadline, for callers that check.
func (e *timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// watchdog enforces a channel's connect, first-byte and idle timeouts on one
// attempt by cancelling its context with a timeoutError cause. A channel
// without timeouts gets no watchdog (nil is a valid, inert watchdog).
type watchdog struct {
	mu     sync.Mutex
	t      *time.Timer
	cancel context.CancelCauseFunc
	lim    store.ChannelLimits
	done   bool
}

// watch returns the attempt's context and its watchdog.
func watch(ctx context.Context, ch *catalog.Channel) (context.Context, *watchdog, func()) {
	if ch.ConnectTimeout <= 0 && ch.FirstByteTimeout <= 0 && ch.IdleTimeout <= 0 {
		return ctx, nil, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watchdog{cancel: cancel, lim: ch.ChannelLimits}
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn:              func(httptrace.GotConnInfo) { w.arm("first byte", w.lim.FirstByteTimeout) },
		GotFirstResponseByte: func() { w.arm("idle", w.lim.IdleTimeout) },
	})
	if ch.ConnectTimeout > 0 {
		w.arm("connect", ch.ConnectTimeout)
	} else {
		w.arm("first byte", ch.FirstByteTimeout)
	}
	return ctx, w, func() { w.stop(); cancel(nil) }
}

func (w *watchdog) arm(stage string, d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return
	}
	if w.t != nil {
		w.t.Stop()
		w.t = nil
	}
	if d > 0 {
		w.t = time.AfterFunc(d, func() { w.cancel(&timeoutError{stage: stage, after: d}) })
	}
}

// tick records a stream event: the idle timeout starts again.
func (w *watchdog) tick() {
	if w != nil && w.lim.IdleTimeout > 0 {
		w.arm("idle", w.lim.IdleTimeout)
	}
}

func (w *watchdog) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.done = true
	if w.t != nil {
		w.t.Stop()
	}
}

// timedOut returns the watchdog's timeout when it stopped ctx.
func timedOut(ctx context.Context) *timeoutError {
	var te *timeoutError
	if errors.As(context.Cause(ctx), &te) {
		return te
	}
	return nil
}

// clientLeft reports whether ctx ended because the client went away (and
// not because a watchdog stopped a slow upstream).
func clientLeft(ctx context.Context) bool { return ctx.Err() != nil && timedOut(ctx) == nil }
