package limit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

const shards = 64

// Local is an in-memory limiter. State lives in sharded maps so keys on
// different shards never contend; each key's buckets cost one map entry.
type Local struct {
	// Now is the clock (time.Now when nil); tests inject their own.
	Now func() time.Time
	// Divisor, when set, divides every limit: the instance count when Local
	// stands in for a shared limiter that is unreachable.
	Divisor func() int
	seed    maphash.Seed
	shard   [shards]localShard
}

type localShard struct {
	mu sync.Mutex
	m  map[string]*buckets
}

type buckets struct{ req, tok int64 } // theoretical arrival times (unix ns)

// NewLocal returns an empty in-memory limiter.
func NewLocal(now func() time.Time) *Local {
	l := &Local{Now: now, seed: maphash.MakeSeed()}
	for i := range l.shard {
		l.shard[i].m = map[string]*buckets{}
	}
	return l
}

var _ Limiter = (*Local)(nil)

func (l *Local) now() int64 {
	if l.Now != nil {
		return l.Now().UnixNano()
	}
	return time.Now().UnixNano()
}

func (l *Local) rule(r Rule) Rule {
	if l.Divisor == nil {
		return r
	}
	if n := l.Divisor(); n > 1 {
		if r.RPM > 0 {
			r.RPM = max(1, r.RPM/n)
		}
		if r.TPM > 0 {
			r.TPM = max(1, r.TPM/n)
		}
	}
	return r
}

func (l *Local) get(key string) (*localShard, *buckets) {
	sh := &l.shard[maphash.String(l.seed, key)%shards]
	sh.mu.Lock()
	b := sh.m[key]
	if b == nil {
		b = &buckets{}
		sh.m[key] = b
	}
	return sh, b
}

// Admit implements Limiter.
func (l *Local) Admit(_ context.Context, key string, r Rule, tokens int) (Result, error) {
	r = l.rule(r)
	if r.Zero() {
		return Result{Allowed: true}, nil
	}
	now := l.now()
	sh, b := l.get(key)
	defer sh.mu.Unlock()
	res := Result{Allowed: true}
	req, okR, sr := gcra(now, b.req, r.RPM, 1)
	res.Requests = sr
	tok, okT := b.tok, true
	if r.TPM > 0 {
		if tokens > r.TPM {
			res.Tokens = State{Limit: r.TPM}
			res.Allowed, res.Refused, res.TooLarge = false, "tokens", true
			return res, nil
		}
		tok, okT, res.Tokens = gcra(now, b.tok, r.TPM, tokens)
	}
	switch {
	case !okR:
		res.Allowed, res.Refused = false, "requests"
	case !okT:
		res.Allowed, res.Refused = false, "tokens"
	default:
		b.req, b.tok = req, tok
		return res, nil
	}
	// Nothing was taken: report what is left, not what would have been.
	if okR && r.RPM > 0 {
		res.Requests.Remaining++
	}
	if okT && r.TPM > 0 {
		res.Tokens.Remaining += tokens
	}
	return res, nil
}

// Charge implements Limiter. The bucket may go empty but never further
// than one period into the future, so one huge answer cannot lock a key
// out for longer than a minute.
func (l *Local) Charge(_ context.Context, key string, r Rule, tokens int) error {
	r = l.rule(r)
	if r.TPM <= 0 || tokens <= 0 {
		return nil
	}
	now := l.now()
	sh, b := l.get(key)
	defer sh.mu.Unlock()
	t := int64(Period) / int64(r.TPM)
	b.tok = min(max(b.tok, now)+int64(tokens)*t, now+int64(Period))
	return nil
}

// Sweep forgets buckets that are full again (idle keys), bounding memory.
func (l *Local) Sweep() {
	now := l.now()
	for i := range l.shard {
		sh := &l.shard[i]
		sh.mu.Lock()
		for k, b := range sh.m {
			if b.req <= now && b.tok <= now {
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
}

// Gate bounds concurrent requests per key on this instance.
type Gate struct {
	seed  maphash.Seed
	shard [shards]gateShard
}

type gateShard struct {
	mu sync.Mutex
	m  map[string]int
}

// NewGate returns an empty gate.
func NewGate() *Gate {
	g := &Gate{seed: maphash.MakeSeed()}
	for i := range g.shard {
		g.shard[i].m = map[string]int{}
	}
	return g
}

// Acquire takes a slot for key if fewer than max are in use (max ≤ 0:
// unlimited, and nothing is counted). It returns whether a slot was taken
// and how many are in use.
func (g *Gate) Acquire(key string, max int) (bool, int) {
	if max <= 0 || g == nil {
		return true, 0
	}
	sh := &g.shard[maphash.String(g.seed, key)%shards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	n := sh.m[key]
	if n >= max {
		return false, n
	}
	sh.m[key] = n + 1
	return true, n + 1
}

// Release gives back a slot taken by Acquire with the same max.
func (g *Gate) Release(key string, max int) {
	if max <= 0 || g == nil {
		return
	}
	sh := &g.shard[maphash.String(g.seed, key)%shards]
	sh.mu.Lock()
	if n := sh.m[key]; n <= 1 {
		delete(sh.m, key)
	} else {
		sh.m[key] = n - 1
	}
	sh.mu.Unlock()
}
