package scaletest

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/keygate/keygate/internal/testgw"
)

// The chaos tests break what three instances share — Redis, PostgreSQL,
// one of the instances — while calls are in flight, and check what
// docs/scale-out.md ("When something fails") promises. Everything runs on
// 127.0.0.1: a private redis-server on a free port, killed and restarted,
// and a TCP proxy of the test's own in front of the machine's PostgreSQL,
// cut and restored. The machine's own Redis and PostgreSQL are never
// stopped.

// privateRedis is a redis-server of the test's own on a free loopback port,
// without persistence, that the test kills and starts again on the same
// port.
type privateRedis struct {
	t    *testing.T
	bin  string
	port string
	cmd  *exec.Cmd
}

func newPrivateRedis(t *testing.T) *privateRedis {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not on PATH: skipping the chaos test that kills and restarts Redis")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	r := &privateRedis{t: t, bin: bin, port: port}
	r.start()
	t.Cleanup(r.kill)
	return r
}

func (r *privateRedis) addr() string { return "127.0.0.1:" + r.port }

// start runs redis-server and waits (at most 5 s) until it answers.
func (r *privateRedis) start() {
	r.cmd = exec.Command(r.bin, "--port", r.port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: r.addr()})
	defer c.Close()
	if _, ok := waitFor(5*time.Second, func() bool { return c.Ping(context.Background()).Err() == nil }); !ok {
		r.t.Fatalf("redis-server on %s did not answer within 5 s", r.addr())
	}
}

// kill stops redis-server at once (SIGKILL).
func (r *privateRedis) kill() {
	if r.cmd != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

// pgProxy is a TCP proxy in front of PostgreSQL that the test can cut: cut
// closes every connection and refuses new ones until restore.
type pgProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func newPGProxy(t *testing.T, target string) *pgProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done; p.cut() })
	return p
}

func (p *pgProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *pgProxy) serve(c net.Conn) {
	if !p.track() {
		c.Close()
		return
	}
	u, err := net.DialTimeout("tcp", p.target, 2*time.Second)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, u) {
		c.Close()
		u.Close()
		return
	}
	go func() { _, _ = io.Copy(u, c); u.Close(); c.Close() }()
	_, _ = io.Copy(c, u)
	u.Close()
	c.Close()
}

// cut makes PostgreSQL unreachable: open connections drop, new ones close.
func (p *pgProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *pgProxy) restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// viaProxy returns dsn with its host replaced by the proxy's address, and
// the host it replaced.
func viaProxy(t *testing.T, dsn string, start func(target string) *pgProxy) (string, *pgProxy) {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		t.Skipf("KEYGATE_TEST_POSTGRES is not a postgres://host:port URL (%v): skipping the proxy test", err)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	p := start(target)
	u.Host = p.ln.Addr().String()
	return u.String(), p
}

// outcome is one call made under load.
type outcome struct {
	inst   int
	key    string
	sent   time.Time
	status int // 0: no answer (err)
	code   string
	err    error
}

// load keeps calling keys on instances until stop, or at most limit.
type load struct {
	mu   sync.Mutex
	out  []outcome
	stop chan struct{}
	wg   sync.WaitGroup
}

func rawCall(g *testgw.Gateway, key string) (int, string, error) {
	req, _ := http.NewRequest("POST", g.URL+"/v1/chat/completions", strings.NewReader(chatBody))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &e)
	return resp.StatusCode, e.Error.Code, nil
}

// startLoad runs one worker per (instance, key) pair, each calling in a
// loop; the loop is bounded by limit whatever the test does.
func startLoad(gs []*testgw.Gateway, insts []int, keys []string, limit time.Duration) *load {
	l := &load{stop: make(chan struct{})}
	deadline := time.Now().Add(limit)
	for _, i := range insts {
		for _, k := range keys {
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				for time.Now().Before(deadline) {
					select {
					case <-l.stop:
						return
					default:
					}
					o := outcome{inst: i, key: k, sent: time.Now()}
					o.status, o.code, o.err = rawCall(gs[i], k)
					l.mu.Lock()
					l.out = append(l.out, o)
					l.mu.Unlock()
					if o.err != nil {
						time.Sleep(20 * time.Millisecond) // a dead instance: do not spin
					}
				}
			}()
		}
	}
	return l
}

// end stops the workers and returns every outcome.
func (l *load) end() []outcome {
	close(l.stop)
	l.wg.Wait()
	return l.out
}

// count returns how many calls the load has made so far.
func (l *load) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.out)
}

// waitCalls waits (at most 10 s) until the load has made n more calls:
// the fault is in place while traffic flows, not between calls.
func (l *load) waitCalls(t *testing.T, n int) {
	from := l.count()
	if _, ok := waitFor(10*time.Second, func() bool { return l.count() >= from+n }); !ok {
		t.Fatalf("the load made %d calls in 10 s, want %d", l.count()-from, n)
	}
}

// Redis killed under load and started again: a key disabled during the
// outage is refused by the other instances within 1 s (the events travel
// over PostgreSQL too), no call sent more than 1 s after the disable was
// answered is accepted anywhere, keys keep being served throughout, and
// after Redis is back the instances leave their fallbacks and revocation
// still takes under a second.
func TestChaosRedisRestartedUnderLoad(t *testing.T) {
	r := newPrivateRedis(t)
	gs := cluster(t, 3, "redis://"+r.addr()+"/0")
	steady := gs[0].CreateKey(nil)
	victim := gs[0].CreateKey(nil)
	later := gs[0].CreateKey(nil)
	for _, g := range gs {
		for _, k := range []string{steady.Key, victim.Key, later.Key} {
			if _, ok := waitFor(time.Second, func() bool { return call(t, g, k, chatBody).status == 200 }); !ok {
				t.Fatalf("%s does not accept a new key within 1 s", g.URL)
			}
		}
	}
	l := startLoad(gs, []int{0, 1, 2}, []string{steady.Key, victim.Key, later.Key}, 60*time.Second)
	l.waitCalls(t, 30)
	r.kill()
	t.Log("Redis killed under load")
	l.waitCalls(t, 30)

	disable := func(on int, k testgw.CreatedKey) time.Time {
		if st := gs[on].Admin("POST", "/admin/v1/keys/"+k.ID+"/disable", map[string]any{"reason": "chaos"}, nil); st != 200 {
			t.Fatalf("disable on instance %d: %d", on+1, st)
		}
		return time.Now()
	}
	// The promise under test: a call sent more than 1 s after the disable
	// was answered is refused, on every instance.
	refusedWithin := func(at time.Time, k testgw.CreatedKey, others []int) {
		for _, i := range others {
			_, ok := waitFor(time.Second, func() bool { return call(t, gs[i], k.Key, chatBody).code == "key_disabled" })
			if !ok {
				t.Errorf("instance %d still accepts a key disabled 1 s ago (Redis %s)", i+1, map[bool]string{true: "down", false: "back"}[r.cmd == nil])
				continue
			}
			t.Logf("instance %d refuses the key %v after the disable was answered", i+1, time.Since(at).Round(time.Millisecond))
		}
	}
	victimAt := disable(0, victim)
	refusedWithin(victimAt, victim, []int{1, 2})
	l.waitCalls(t, 30)

	r.start()
	t.Log("Redis started again")
	if _, ok := waitFor(10*time.Second, func() bool {
		for _, g := range gs {
			if h := healthz(t, g); len(h.Degraded) > 0 || !h.EventsConnected {
				return false
			}
		}
		return true
	}); !ok {
		t.Fatalf("the instances did not leave their fallbacks within 10 s of Redis coming back: %+v", healthz(t, gs[1]))
	}
	l.waitCalls(t, 30)
	laterAt := disable(1, later)
	refusedWithin(laterAt, later, []int{0, 2})
	l.waitCalls(t, 30)
	out := l.end()

	counts := map[string]int{}
	for _, o := range out {
		switch {
		case o.err != nil:
			t.Errorf("instance %d gave no answer: %v", o.inst+1, o.err)
		case o.key == steady.Key && o.status != 200:
			t.Errorf("instance %d refused a live key: %d %s", o.inst+1, o.status, o.code)
		case o.key == victim.Key && o.status == 200 && o.sent.After(victimAt.Add(time.Second)):
			t.Errorf("instance %d accepted a call sent %v after its key was disabled (Redis down)", o.inst+1, o.sent.Sub(victimAt))
		case o.key == later.Key && o.status == 200 && o.sent.After(laterAt.Add(time.Second)):
			t.Errorf("instance %d accepted a call sent %v after its key was disabled (Redis back)", o.inst+1, o.sent.Sub(laterAt))
		case o.status != 200 && o.code != "key_disabled":
			t.Errorf("instance %d: %d %s", o.inst+1, o.status, o.code)
		}
		counts[map[bool]string{true: "answered 200", false: "refused"}[o.status == 200]]++
	}
	t.Logf("%d calls under load: %v", len(out), counts)
}
