package limit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// admitScript is GCRA for a request bucket and a token bucket at once, on
// Redis' own clock so instances with skewed clocks agree. It takes both or
// neither, and answers in one round trip. Times are microseconds.
var admitScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local period = 60000000
local function gcra(key, limit, cost)
  if limit <= 0 then return true, 0, 0, 0, nil end
  local ei = period / limit
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local nxt = tat + cost * ei
  local allowAt = nxt - period
  local diff = now - allowAt
  if diff >= 0 then
    return true, math.floor(diff / ei), nxt - now, 0, nxt
  end
  local rem = math.floor((now - (tat - period)) / ei)
  if rem < 0 then rem = 0 end
  return false, rem, tat - now, allowAt - now, nil
end
local rpm, tpm, tokens = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if tpm > 0 and tokens > tpm then
  return {0, 3, 0, 0, 0, 0, 0, 0}
end
local okR, remR, resetR, retryR, nR = gcra(KEYS[1], rpm, 1)
local okT, remT, resetT, retryT, nT = true, 0, 0, 0, nil
if tpm > 0 then okT, remT, resetT, retryT, nT = gcra(KEYS[2], tpm, tokens) end
local which = 0
if not okR then which = 1 elseif not okT then which = 2 end
if which == 0 then
  if nR then redis.call('SET', KEYS[1], string.format('%d', nR), 'PX', math.ceil((nR - now) / 1000) + 1) end
  if nT then redis.call('SET', KEYS[2], string.format('%d', nT), 'PX', math.ceil((nT - now) / 1000) + 1) end
end
local ok = 0
if which == 0 then ok = 1 else
  if okR and rpm > 0 then remR = remR + 1 end
  if okT and tpm > 0 then remT = remT + tokens end
end
return {ok, which, remR, math.floor(resetR), math.floor(retryR), remT, math.floor(resetT), math.floor(retryT)}
`)

// chargeScript pushes a token bucket forward by tokens, never more than
// one period ahead.
var chargeScript = redis.NewScript(`
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local period = 60000000
local ei = period / tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
tat = tat + tonumber(ARGV[2]) * ei
if tat > now + period then tat = now + period end
redis.call('SET', KEYS[1], string.format('%d', tat), 'PX', math.ceil((tat - now) / 1000) + 1)
return 1
`)

// Redis is a limiter shared by every instance on one Redis.
type Redis struct {
	Client redis.UniversalClient
	// Prefix namespaces the keys (default "kg:rl:").
	Prefix string
}

var _ Limiter = (*Redis)(nil)

func (r *Redis) keys(key string) []string {
	p := r.Prefix
	if p == "" {
		p = "kg:rl:"
	}
	return []string{p + "r:" + key, p + "t:" + key}
}

// Admit implements Limiter.
func (r *Redis) Admit(ctx context.Context, key string, rule Rule, tokens int) (Result, error) {
	if rule.Zero() {
		return Result{Allowed: true}, nil
	}
	v, err := admitScript.Run(ctx, r.Client, r.keys(key), rule.RPM, rule.TPM, tokens).Int64Slice()
	if err != nil {
		return Result{}, fmt.Errorf("rate limit in Redis: %w", err)
	}
	if len(v) != 8 {
		return Result{}, fmt.Errorf("rate limit in Redis: unexpected answer of %d values", len(v))
	}
	us := func(n int64) time.Duration { return time.Duration(n) * time.Microsecond }
	res := Result{Allowed: v[0] == 1,
		Requests: State{Limit: rule.RPM, Remaining: int(v[2]), Reset: us(v[3]), RetryAfter: us(v[4])},
		Tokens:   State{Limit: rule.TPM, Remaining: int(v[5]), Reset: us(v[6]), RetryAfter: us(v[7])}}
	switch v[1] {
	case 1:
		res.Refused = "requests"
	case 2:
		res.Refused = "tokens"
	case 3:
		res.Refused, res.TooLarge = "tokens", true
	}
	return res, nil
}

// Charge implements Limiter.
func (r *Redis) Charge(ctx context.Context, key string, rule Rule, tokens int) error {
	if rule.TPM <= 0 || tokens <= 0 {
		return nil
	}
	if err := chargeScript.Run(ctx, r.Client, r.keys(key)[1:], rule.TPM, tokens).Err(); err != nil {
		return fmt.Errorf("charge tokens in Redis: %w", err)
	}
	return nil
}
