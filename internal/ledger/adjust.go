package ledger

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// Adjuster is a backend that caches spend in front of the database. Spend
// written to the database directly — a generation job charges its worst
// case and refunds the rest in the same transactions as its state changes —
// must be told to it, or the cache would not see it until it reloads.
type Adjuster interface {
	Adjust(ctx context.Context, w Window, delta int64) error
}

// Adjust tells the backends' caches that delta (nano-USD, negative for a
// refund) was added to each window's spend in the database.
func (l *Ledger) Adjust(ctx context.Context, ws []Window, delta int64) error {
	if delta == 0 {
		return nil
	}
	var first error
	for _, be := range [...]Backend{l.Primary, l.Fallback} {
		a, ok := be.(Adjuster)
		if !ok {
			continue
		}
		for _, w := range ws {
			if err := a.Adjust(ctx, w, delta); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// Adjust implements Adjuster: a window not loaded yet reads the database
// (which has the change) when first used.
func (m *Memory) Adjust(_ context.Context, w Window, delta int64) error {
	a := m.account(w)
	a.mu.Lock()
	if a.loaded {
		a.spent += delta
	}
	a.mu.Unlock()
	return nil
}

// adjustScript adds ARGV[1] to the spend of a budget hash that exists; a
// missing one is seeded from the database, which has the change.
var adjustScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('HINCRBY', KEYS[1], 's', ARGV[1]) end
return 0
`)

// Adjust implements Adjuster.
func (r *Redis) Adjust(ctx context.Context, w Window, delta int64) error {
	return adjustScript.Run(ctx, r.Client, []string{r.key(w)}, delta).Err()
}
