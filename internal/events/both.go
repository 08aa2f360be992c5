package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Both carries every event over Redis pub/sub and PostgreSQL LISTEN/NOTIFY
// at once, for instances that have both: a key disabled on one instance
// while Redis is down still reaches the others within a second, through
// PostgreSQL, instead of waiting for the periodic refresh.
//
// The sequence number comes from PostgreSQL (the source of truth, where
// every key or catalogue write has just committed) and the same number
// travels on both channels, so each event is applied once however many
// channels deliver it. An event published while PostgreSQL is unreachable
// (only a breaker announcement can be: nothing else is written then) goes
// over Redis alone, unnumbered.
type Both struct {
	Redis    *Redis
	Postgres *Postgres

	mu   sync.Mutex
	seen map[Event]struct{}
	top  int64

	// queue holds the Redis copies of events PostgreSQL has numbered and
	// notified: one goroutine sends them in order, so a Redis that does not
	// answer (each attempt can cost its dial timeout and retries) never
	// slows the write that published the event.
	queue  chan string
	stop   context.CancelFunc
	sender sync.WaitGroup
}

// NewBoth returns a bus on both engines. Close stops its sender.
func NewBoth(r *Redis, p *Postgres) *Both {
	ctx, cancel := context.WithCancel(context.Background())
	b := &Both{Redis: r, Postgres: p, seen: map[Event]struct{}{}, queue: make(chan string, 1024), stop: cancel}
	b.sender.Add(1)
	go func() {
		defer b.sender.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case msg := <-b.queue:
				c, cancel := context.WithTimeout(ctx, 2*time.Second)
				_ = b.Redis.Client.Publish(c, b.Redis.channel, msg).Err() // PostgreSQL carried it
				cancel()
			}
		}
	}()
	return b
}

// dedupWindow is how many recent sequence numbers are remembered to drop
// an event's second delivery. An older duplicate is applied twice, which
// is harmless (applying re-reads the database).
const dedupWindow = 4096

// Publish implements Bus: numbered and notified by PostgreSQL, then
// queued for Redis with the same number. When PostgreSQL fails it is
// published on Redis alone, unnumbered, and fails only when neither engine
// took it.
func (b *Both) Publish(ctx context.Context, instance, kind, id string) (int64, error) {
	n, perr := b.Postgres.Publish(ctx, instance, kind, id)
	if perr == nil {
		select {
		case b.queue <- strconv.FormatInt(n, 10) + " " + encode(instance, kind, id):
		default: // Redis is far behind: PostgreSQL's delivery stands alone
		}
		return n, nil
	}
	if err := b.Redis.Client.Publish(ctx, b.Redis.channel, "0 "+encode(instance, kind, id)).Err(); err != nil {
		return 0, errors.Join(perr, fmt.Errorf("publish change event to Redis: %w", err))
	}
	return 0, nil
}

// Run implements Bus: both engines deliver, each event once. It reports
// connected while at least one engine is, so the re-read after a
// reconnection happens only when both were lost (events published while
// one was down came over the other).
func (b *Both) Run(ctx context.Context, fn func(Event), connected func(bool)) {
	var up [2]bool
	var state bool
	deliver := func(ev Event) {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.first(ev) {
			fn(ev)
		}
	}
	conn := func(i int) func(bool) {
		return func(ok bool) {
			b.mu.Lock()
			defer b.mu.Unlock()
			up[i] = ok
			if now := up[0] || up[1]; now != state || !now {
				state = now
				connected(now)
			}
		}
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); b.Redis.Run(ctx, deliver, conn(0)) }()
	go func() { defer wg.Done(); b.Postgres.Run(ctx, deliver, conn(1)) }()
	wg.Wait()
}

// first reports whether ev is seen for the first time (an unnumbered
// event always is); b.mu is held. The whole event is the identity, not
// the number alone, so an event numbered by another sequence (an older
// instance publishing on Redis alone during an upgrade) is never taken for
// a copy.
func (b *Both) first(ev Event) bool {
	if ev.Seq <= 0 {
		return true
	}
	if _, dup := b.seen[ev]; dup {
		return false
	}
	b.seen[ev] = struct{}{}
	b.top = max(b.top, ev.Seq)
	if len(b.seen) > 2*dedupWindow {
		for e := range b.seen {
			if e.Seq <= b.top-dedupWindow {
				delete(b.seen, e)
			}
		}
	}
	return true
}

// Name implements Bus.
func (b *Both) Name() string { return "redis+postgres" }

// Close implements Bus.
func (b *Both) Close() error {
	b.stop()
	b.sender.Wait()
	return errors.Join(b.Redis.Close(), b.Postgres.Close())
}
