package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/keygate/keygate/internal/ids"
)

// reserveScript holds ARGV[1] on every budget hash in KEYS[1..n] if it fits
// each limit (ARGV[4+2(i-1)]), all or none. A hash holds s (spend) and r
// (held by calls in flight); KEYS[n+i] is the budget's sorted set of holds,
// each member "id:amount" scored by when it lapses (ms on Redis' clock), so
// the hold of an instance that died mid-call lapses on its own expiry
// however much traffic follows: every call trims the lapsed holds (at most
// 64 per budget and call) out of r. A hash from before per-hold expiry
// carries one shared lapse time u; once it passes, r is reset as then. A
// missing hash answers {-1, i}: the caller seeds it from the database.
var reserveScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local amt, hold, id = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local n = #KEYS / 2
for i = 1, n do
  if redis.call('EXISTS', KEYS[i]) == 0 then return {-1, i - 1, 0, 0} end
end
local held = {}
for i = 1, n do
  local v = redis.call('HMGET', KEYS[i], 's', 'r', 'u')
  local s, r = tonumber(v[1] or '0'), tonumber(v[2] or '0')
  local trimmed = false
  if v[3] and tonumber(v[3]) < now then
    r = 0
    redis.call('DEL', KEYS[n + i])
    redis.call('HDEL', KEYS[i], 'u')
    trimmed = true
  end
  local gone = redis.call('ZRANGEBYSCORE', KEYS[n + i], '-inf', '(' .. now, 'LIMIT', 0, 64)
  if #gone > 0 then
    for _, m in ipairs(gone) do
      r = r - tonumber(string.match(m, ':(%d+)$') or '0')
    end
    redis.call('ZREM', KEYS[n + i], unpack(gone))
    trimmed = true
  end
  if r < 0 then r = 0 end
  if trimmed then redis.call('HSET', KEYS[i], 'r', string.format('%d', r)) end
  local lim = tonumber(ARGV[2 + 2 * i])
  if s >= lim or s + r + amt > lim then return {0, i - 1, s, r} end
  held[i] = r
end
for i = 1, n do
  redis.call('HSET', KEYS[i], 'r', string.format('%d', held[i] + amt))
  local ttl = tonumber(ARGV[3 + 2 * i])
  if amt > 0 then
    redis.call('ZADD', KEYS[n + i], now + hold, id .. ':' .. ARGV[1])
    if ttl > 0 then redis.call('PEXPIRE', KEYS[n + i], ttl) end
  end
  if ttl > 0 then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return {1, 0, 0, 0}
`)

// settleScript releases hold ARGV[1] ("id:amount") and adds ARGV[2] to
// the spend of every budget hash in KEYS[1..n], answering each spend after
// it (-1 when the hash is gone: the database has the spend and will seed
// it again). A hold that already lapsed (trimmed by a reservation) was
// taken out of r then, and is not taken out twice.
var settleScript = redis.NewScript(`
local n = #KEYS / 2
local amt = tonumber(ARGV[3])
local out = {}
for i = 1, n do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    if amt > 0 and redis.call('ZREM', KEYS[n + i], ARGV[1]) == 1 then
      local r = tonumber(redis.call('HGET', KEYS[i], 'r') or '0') - amt
      if r < 0 then r = 0 end
      redis.call('HSET', KEYS[i], 'r', string.format('%d', r))
    end
    out[i] = redis.call('HINCRBY', KEYS[i], 's', ARGV[2])
  else
    out[i] = -1
  end
end
return out
`)

// Redis decides reservations in Redis, shared by every instance on it. The
// database stays the record (spend reaches it with the rows): it seeds
// Redis when a budget hash is missing and takes over when Redis is down. A
// seed lacks what the instances' log writers have not stored yet (their
// batches, some 200 ms of calls).
type Redis struct {
	Client redis.UniversalClient
	Store  SpendStore
	// HoldFor bounds a reservation's life (default 15 minutes).
	HoldFor time.Duration
	Log     *slog.Logger
	// Prefix namespaces the keys (default "kg:b:").
	Prefix string
}

var _ Backend = (*Redis)(nil)

func (r *Redis) prefix() string {
	if r.Prefix == "" {
		return "kg:b:"
	}
	return r.Prefix
}

func (r *Redis) key(w Window) string {
	return r.prefix() + w.Scope + ":" + w.Period + ":" + strconv.FormatInt(w.Start, 10) + ":" + w.Subject
}

// seed copies a window's spend from the database into a missing hash.
func (r *Redis) seed(ctx context.Context, w Window, ttl time.Duration) error {
	spent, err := r.Store.LoadSpend(ctx, w)
	if err != nil {
		return fmt.Errorf("read the spend of %s budget %q: %w", w.Scope, w.Subject, err)
	}
	k := r.key(w)
	pipe := r.Client.TxPipeline()
	pipe.HSetNX(ctx, k, "s", spent)
	if ttl > 0 {
		pipe.PExpire(ctx, k, ttl)
	}
	_, err = pipe.Exec(ctx)
	return err
}

// holdKey is the sorted set of a budget hash's holds.
func holdKey(k string) string { return k + ":h" }

// holdSeq numbers this process's Redis holds; with the random prefix of
// ids.Request they are unique across instances without a syscall.
var (
	holdSeq    atomic.Uint64
	holdPrefix = ids.New("hold") + "."
)

// Reserve implements Backend.
func (r *Redis) Reserve(ctx context.Context, res *Reservation) error {
	hold := r.HoldFor
	if hold <= 0 {
		hold = 15 * time.Minute
	}
	keys := make([]string, 2*res.N)
	res.holdID = holdPrefix + strconv.FormatUint(holdSeq.Add(1), 36)
	args := make([]any, 3, 3+2*res.N)
	args[0], args[1], args[2] = res.Amount, hold.Milliseconds(), res.holdID
	ttls := make([]time.Duration, res.N)
	for i := 0; i < res.N; i++ {
		keys[i] = r.key(res.Windows[i])
		keys[res.N+i] = holdKey(keys[i])
		if end := res.End(i); !end.IsZero() {
			// Keep a window a day past its end: late settles still find it.
			ttls[i] = time.Until(end) + 24*time.Hour
		}
		args = append(args, res.Limits[i], ttls[i].Milliseconds())
	}
	for attempt := 0; attempt <= MaxBudgets; attempt++ {
		v, err := reserveScript.Run(ctx, r.Client, keys, args...).Int64Slice()
		if err != nil {
			return fmt.Errorf("reserve budget in Redis: %w", err)
		}
		if len(v) != 4 {
			return errors.New("reserve budget in Redis: unexpected answer")
		}
		switch v[0] {
		case 1:
			return nil
		case 0:
			i := v[1]
			return &Exhausted{Budget: res.Budget(int(i)), Spent: v[2], Reserved: v[3], Asked: res.Amount, ResetAt: res.End(int(i))}
		default:
			i := v[1]
			if err := r.seed(ctx, res.Windows[i], ttls[i]); err != nil {
				return err
			}
		}
	}
	return errors.New("reserve budget in Redis: budget counters keep disappearing (is Redis evicting keys? use maxmemory-policy noeviction)")
}

// Settle implements Backend. The spend reaches the database with the
// call's row whatever Redis answers; a hold not released here lapses by
// itself.
func (r *Redis) Settle(ctx context.Context, res *Reservation, actual int64) ([MaxBudgets]int64, error) {
	var after [MaxBudgets]int64
	keys := make([]string, 2*res.N)
	for i := 0; i < res.N; i++ {
		keys[i] = r.key(res.Windows[i])
		keys[res.N+i] = holdKey(keys[i])
	}
	amount := strconv.FormatInt(res.Amount, 10)
	v, err := settleScript.Run(ctx, r.Client, keys, res.holdID+":"+amount, actual, amount).Int64Slice()
	if err != nil || len(v) != res.N {
		if r.Log != nil {
			r.Log.Warn("budget hold in Redis not released (it lapses by itself); the spend reaches the database with the request's row", "err", err)
		}
		return after, nil
	}
	copy(after[:], v)
	return after, nil
}

// Spent implements Backend.
func (r *Redis) Spent(ctx context.Context, w Window) (int64, int64, error) {
	v, err := r.Client.HMGet(ctx, r.key(w), "s", "r").Result()
	if err != nil {
		return 0, 0, fmt.Errorf("read budget from Redis: %w", err)
	}
	if v[0] == nil {
		s, err := r.Store.LoadSpend(ctx, w)
		return s, 0, err
	}
	s, _ := strconv.ParseInt(fmt.Sprint(v[0]), 10, 64)
	h, _ := strconv.ParseInt(fmt.Sprint(v[1]), 10, 64)
	return s, h, nil
}

// Resync implements Resyncer: after an outage the database has the spend
// made meanwhile, so the counters in Redis are dropped and re-seeded from
// it on next use.
func (r *Redis) Resync(ctx context.Context) error {
	iter := r.Client.Scan(ctx, 0, r.prefix()+"*", 500).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 500 {
			if err := r.Client.Del(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return r.Client.Del(ctx, batch...).Err()
	}
	return nil
}
