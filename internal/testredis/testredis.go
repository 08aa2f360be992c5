// Package testredis gives tests a Redis of their own: the server named by
// KEYGATE_TEST_REDIS, on a logical database chosen by the test package and
// flushed before and after, or a skip that says why.
package testredis

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options returns the connection options for logical database db of the
// KEYGATE_TEST_REDIS server, skipping the test when it is unset.
func Options(t testing.TB, db int) *redis.Options {
	t.Helper()
	u := os.Getenv("KEYGATE_TEST_REDIS")
	if u == "" {
		t.Skip("KEYGATE_TEST_REDIS is not set (e.g. redis://127.0.0.1:6379): skipping the Redis tests")
	}
	o, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("KEYGATE_TEST_REDIS=%q: %v", u, err)
	}
	o.DB = db
	return o
}

// URL returns a redis:// URL for logical database db of the
// KEYGATE_TEST_REDIS server, flushed now and when the test ends.
func URL(t testing.TB, db int) string {
	t.Helper()
	o := Options(t, db)
	Client(t, db).Close()
	return "redis://" + o.Addr + "/" + strconv.Itoa(db)
}

// Client connects to logical database db of KEYGATE_TEST_REDIS, flushes it
// now and when the test ends.
func Client(t testing.TB, db int) *redis.Client {
	t.Helper()
	c := redis.NewClient(Options(t, db))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.FlushDB(ctx).Err(); err != nil {
		c.Close()
		t.Fatalf("Redis at KEYGATE_TEST_REDIS is unreachable: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.FlushDB(ctx)
		c.Close()
	})
	return c
}

// Server starts a private redis-server on a loopback port (no persistence)
// for tests that kill it; it skips when redis-server is not installed. The
// returned stop kills it (also done when the test ends).
func Server(t testing.TB, port int) (addr string, stop func()) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed: skipping the Redis failure test")
	}
	p := strconv.Itoa(port)
	cmd := exec.Command(bin, "--port", p, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	addr = "127.0.0.1:" + p
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
	t.Cleanup(stop)
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer within 5 s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return addr, stop
}
