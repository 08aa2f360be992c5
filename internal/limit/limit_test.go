package limit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/keygate/keygate/internal/testredis"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

func TestLocalRPM(t *testing.T) {
	c := newClock()
	l := NewLocal(c.Now)
	ctx := context.Background()
	r := Rule{RPM: 60}
	for i := 0; i < 60; i++ {
		res, _ := l.Admit(ctx, "k", r, 0)
		if !res.Allowed {
			t.Fatalf("request %d refused within the burst", i+1)
		}
		if want := 59 - i; res.Requests.Remaining != want {
			t.Fatalf("request %d: remaining %d, want %d", i+1, res.Requests.Remaining, want)
		}
	}
	res, _ := l.Admit(ctx, "k", r, 0)
	if res.Allowed || res.Refused != "requests" {
		t.Fatalf("61st request: %+v, want refused for requests", res)
	}
	if res.RetryAfter() != time.Second {
		t.Fatalf("retry after %v, want 1s (one emission interval at 60 rpm)", res.RetryAfter())
	}
	c.Advance(999 * time.Millisecond)
	if res, _ := l.Admit(ctx, "k", r, 0); res.Allowed {
		t.Fatal("admitted before the emission interval passed")
	}
	c.Advance(time.Millisecond)
	if res, _ := l.Admit(ctx, "k", r, 0); !res.Allowed {
		t.Fatal("refused after the emission interval passed")
	}
	// Another key has its own bucket.
	if res, _ := l.Admit(ctx, "other", r, 0); !res.Allowed {
		t.Fatal("another key was refused")
	}
	c.Advance(time.Minute)
	res, _ = l.Admit(ctx, "k", r, 0)
	if !res.Allowed || res.Requests.Remaining != 59 {
		t.Fatalf("after a full period: %+v, want allowed with 59 remaining", res)
	}
}

func TestLocalTPM(t *testing.T) {
	c := newClock()
	l := NewLocal(c.Now)
	ctx := context.Background()
	r := Rule{RPM: 1000, TPM: 1000}
	if res, _ := l.Admit(ctx, "k", r, 600); !res.Allowed || res.Tokens.Remaining != 400 {
		t.Fatalf("first call: %+v", res)
	}
	res, _ := l.Admit(ctx, "k", r, 600)
	if res.Allowed || res.Refused != "tokens" {
		t.Fatalf("second call: %+v, want refused for tokens", res)
	}
	if res.Requests.Remaining != 999 {
		t.Fatalf("a refused call took a request: remaining %d", res.Requests.Remaining)
	}
	if got, want := res.RetryAfter(), 12*time.Second; got != want { // 200 tokens at 1000/min
		t.Fatalf("retry after %v, want %v", got, want)
	}
	if res, _ := l.Admit(ctx, "k", r, 2000); !res.TooLarge {
		t.Fatalf("a call larger than the tpm: %+v, want TooLarge", res)
	}
	// Tokens learnt after the call are charged without refusing.
	_ = l.Charge(ctx, "k", r, 400)
	res, _ = l.Admit(ctx, "k", r, 1)
	if res.Allowed {
		t.Fatalf("after charging the rest of the minute: %+v, want refused", res)
	}
	c.Advance(time.Minute)
	if res, _ := l.Admit(ctx, "k", r, 1000); !res.Allowed {
		t.Fatalf("after a minute: %+v, want the full bucket", res)
	}
}

func TestLocalDivisor(t *testing.T) {
	c := newClock()
	l := NewLocal(c.Now)
	l.Divisor = func() int { return 3 }
	n := 0
	for i := 0; i < 100; i++ {
		if res, _ := l.Admit(context.Background(), "k", Rule{RPM: 90}, 0); res.Allowed {
			n++
		}
	}
	if n != 30 {
		t.Fatalf("admitted %d of 90 rpm on one of 3 instances, want 30", n)
	}
}

func TestLocalParallel(t *testing.T) {
	c := newClock()
	l := NewLocal(c.Now)
	var wg sync.WaitGroup
	var mu sync.Mutex
	n := 0
	for i := 0; i < 400; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if res, _ := l.Admit(context.Background(), "k", Rule{RPM: 100}, 0); res.Allowed {
				mu.Lock()
				n++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n != 100 {
		t.Fatalf("admitted %d parallel calls at 100 rpm, want 100", n)
	}
}

func TestGate(t *testing.T) {
	g := NewGate()
	if ok, _ := g.Acquire("k", 2); !ok {
		t.Fatal("first slot refused")
	}
	if ok, _ := g.Acquire("k", 2); !ok {
		t.Fatal("second slot refused")
	}
	if ok, n := g.Acquire("k", 2); ok || n != 2 {
		t.Fatalf("third slot: ok=%v in use %d", ok, n)
	}
	g.Release("k", 2)
	if ok, _ := g.Acquire("k", 2); !ok {
		t.Fatal("slot not given back")
	}
	if ok, _ := g.Acquire("k", 0); !ok {
		t.Fatal("unlimited refused")
	}
}

func TestFormatReset(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "0s", 20 * time.Millisecond: "20ms", 1500 * time.Millisecond: "2s", 6 * time.Minute: "6m0s"} {
		if got := FormatReset(d); got != want {
			t.Errorf("FormatReset(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestRedisLimiter(t *testing.T) {
	c := testredis.Client(t, 11)
	l := &Redis{Client: c}
	ctx := context.Background()
	r := Rule{RPM: 50, TPM: 10000}
	var wg sync.WaitGroup
	var mu sync.Mutex
	n := 0
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := l.Admit(ctx, "k", r, 10)
			if err != nil {
				t.Error(err)
				return
			}
			if res.Allowed {
				mu.Lock()
				n++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n < 50 || n > 51 { // one more may trickle in as the minute moves
		t.Fatalf("Redis admitted %d of 200 parallel calls at 50 rpm", n)
	}
	res, err := l.Admit(ctx, "k", r, 10)
	if err != nil || res.Allowed || res.Refused != "requests" || res.RetryAfter() <= 0 || res.RetryAfter() > 2*time.Second {
		t.Fatalf("over the limit: %+v, %v", res, err)
	}
	res, err = l.Admit(ctx, "big", r, 20000)
	if err != nil || !res.TooLarge {
		t.Fatalf("a call larger than the tpm: %+v, %v", res, err)
	}
	res, _ = l.Admit(ctx, "t", Rule{TPM: 1000}, 600)
	if !res.Allowed || res.Tokens.Remaining != 400 {
		t.Fatalf("token call: %+v", res)
	}
	if err := l.Charge(ctx, "t", Rule{TPM: 1000}, 400); err != nil {
		t.Fatal(err)
	}
	if res, _ := l.Admit(ctx, "t", Rule{TPM: 1000}, 50); res.Allowed {
		t.Fatalf("after charging the rest: %+v, want refused", res)
	}
}

func TestSharedFallsBack(t *testing.T) {
	addr, stop := testredis.Server(t, 6391)
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	var downs []bool
	s := &Shared{Remote: &Redis{Client: c}, Local: NewLocal(nil), OnFallback: func(d bool) { downs = append(downs, d) }}
	s.Local.Divisor = func() int { return 2 }
	ctx := context.Background()
	if res, err := s.Admit(ctx, "k", Rule{RPM: 10}, 0); err != nil || !res.Allowed {
		t.Fatalf("with Redis: %+v %v", res, err)
	}
	stop()
	n := 0
	for i := 0; i < 20; i++ {
		res, err := s.Admit(ctx, "k", Rule{RPM: 10}, 0)
		if err != nil {
			t.Fatalf("Redis down: the limiter failed instead of falling back: %v", err)
		}
		if res.Allowed {
			n++
		}
	}
	if n != 5 || !s.Degraded() || len(downs) != 1 || !downs[0] {
		t.Fatalf("Redis down: admitted %d (want 5 = 10 rpm / 2 instances), degraded=%v, events %v", n, s.Degraded(), downs)
	}
}

// AppendReset writes what the fmt and time.Duration formatting it replaced
// wrote, for every reset a limiter can produce (under a millisecond to
// over a day).
func TestAppendResetMatchesDurationString(t *testing.T) {
	old := func(d time.Duration) string {
		switch {
		case d <= 0:
			return "0s"
		case d < time.Second:
			return fmt.Sprintf("%dms", d.Milliseconds())
		default:
			return d.Round(time.Second).String()
		}
	}
	check := func(d time.Duration) {
		if got, want := string(AppendReset([]byte("x"), d)), "x"+old(d); got != want {
			t.Fatalf("AppendReset(%d) = %q, want %q", d, got, want)
		}
	}
	for d := -time.Second; d < 3*time.Second; d += 499 * time.Microsecond {
		check(d)
	}
	for d := time.Duration(0); d < 50*time.Hour; d += 7*time.Second + 333*time.Millisecond {
		check(d)
	}
	for _, d := range []time.Duration{time.Second - 1, time.Second, 59*time.Second + 500*time.Millisecond, time.Hour - time.Second/2, time.Hour, 1<<63 - 1} {
		check(d)
	}
}
