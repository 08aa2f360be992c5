package events

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// publishScript numbers and publishes an event in one round trip.
var publishScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], n .. ' ' .. ARGV[2])
return n
`)

// Redis is a bus on Redis pub/sub. Pub/sub channels are server-wide, so the
// channel is named after the logical database to keep installations that
// share a server (or tests) apart.
type Redis struct {
	Client  *redis.Client
	channel string
	seqKey  string
}

// NewRedis returns a bus on c.
func NewRedis(c *redis.Client) *Redis {
	db := strconv.Itoa(c.Options().DB)
	return &Redis{Client: c, channel: "keygate:events:" + db, seqKey: "kg:events:seq"}
}

// Publish implements Bus.
func (r *Redis) Publish(ctx context.Context, instance, kind, id string) (int64, error) {
	n, err := publishScript.Run(ctx, r.Client, []string{r.seqKey}, r.channel, encode(instance, kind, id)).Int64()
	if err != nil {
		return 0, fmt.Errorf("publish change event to Redis: %w", err)
	}
	return n, nil
}

// Run implements Bus.
func (r *Redis) Run(ctx context.Context, fn func(Event), connected func(bool)) {
	for ctx.Err() == nil {
		ps := r.Client.Subscribe(ctx, r.channel)
		// Receive the subscription confirmation: the connection works.
		if _, err := ps.Receive(ctx); err != nil {
			ps.Close()
			connected(false)
			sleep(ctx, 500*time.Millisecond)
			continue
		}
		connected(true)
		// Closing the subscription is what unblocks a pending read.
		stop := context.AfterFunc(ctx, func() { ps.Close() })
		for ctx.Err() == nil {
			msg, err := ps.ReceiveTimeout(ctx, 5*time.Second)
			if err != nil {
				if isTimeout(err) && ctx.Err() == nil {
					if perr := ps.Ping(ctx); perr == nil {
						continue
					}
				}
				break
			}
			if m, ok := msg.(*redis.Message); ok {
				if ev, err := decode(m.Payload); err == nil {
					fn(ev)
				}
			}
		}
		stop()
		ps.Close()
		connected(false)
		sleep(ctx, 200*time.Millisecond)
	}
}

func isTimeout(err error) bool {
	type timeout interface{ Timeout() bool }
	t, ok := err.(timeout)
	return ok && t.Timeout()
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Name implements Bus.
func (r *Redis) Name() string { return "redis" }

// Close implements Bus; the client belongs to the caller.
func (r *Redis) Close() error { return nil }

// Presence counts live instances on one Redis: each instance refreshes its
// entry every few seconds. The last count is kept when Redis is down, so
// fallbacks can still divide a limit among the instances.
type Presence struct {
	Client   *redis.Client
	Instance string
	count    atomicInt
}

// Count is the number of live instances last seen (at least 1).
func (p *Presence) Count() int { return max(1, p.count.Load()) }

// Run refreshes this instance's entry every 2 s until ctx ends.
func (p *Presence) Run(ctx context.Context) {
	key := "kg:instances"
	beat := func() {
		now := time.Now()
		c, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		pipe := p.Client.TxPipeline()
		pipe.ZAdd(c, key, redis.Z{Score: float64(now.UnixMilli()), Member: p.Instance})
		pipe.ZRemRangeByScore(c, key, "-inf", strconv.FormatInt(now.Add(-10*time.Second).UnixMilli(), 10))
		n := pipe.ZCard(c, key)
		if _, err := pipe.Exec(c); err == nil {
			p.count.Store(int(n.Val()))
		}
	}
	beat()
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			c, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			p.Client.ZRem(c, key, p.Instance)
			cancel()
			return
		case <-t.C:
			beat()
		}
	}
}
