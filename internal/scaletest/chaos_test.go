package scaletest

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/redis/go-redis/v9"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/ledger"
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

func rawCall(base, key string) (int, string, error) {
	req, _ := http.NewRequest("POST", base+"/v1/chat/completions", strings.NewReader(chatBody))
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

// target is one worker of a load: key called on the instance at url.
type target struct {
	inst int
	url  string
	key  string
}

// every returns a target for each key on each of gs.
func every(gs []*testgw.Gateway, keys ...string) []target {
	var ts []target
	for i, g := range gs {
		for _, k := range keys {
			ts = append(ts, target{i, g.URL, k})
		}
	}
	return ts
}

// startLoad runs one worker per target, each calling in a loop; the loop
// is bounded by limit whatever the test does.
func startLoad(ts []target, limit time.Duration) *load {
	l := &load{stop: make(chan struct{})}
	deadline := time.Now().Add(limit)
	for _, tg := range ts {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for time.Now().Before(deadline) {
				select {
				case <-l.stop:
					return
				default:
				}
				o := outcome{inst: tg.inst, key: tg.key, sent: time.Now()}
				o.status, o.code, o.err = rawCall(tg.url, tg.key)
				l.mu.Lock()
				l.out = append(l.out, o)
				l.mu.Unlock()
				if o.err != nil {
					time.Sleep(20 * time.Millisecond) // a dead instance: do not spin
				}
			}
		}()
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
	l := startLoad(every(gs, steady.Key, victim.Key, later.Key), 60*time.Second)
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

// PostgreSQL unreachable under load (a proxy in front of it is cut, every
// connection dropped, until every instance has seen a refresh fail), with
// Redis up: calls on known keys keep being answered, budgeted ones too
// (Redis holds the budget); /readyz says 503; nothing answers 500. After
// it returns, every answered call has its request log row and the key's
// spend in the database equals the sum of its rows.
func TestChaosPostgresUnreachableUnderLoad(t *testing.T) {
	pg := testPostgres(t)
	r := newPrivateRedis(t)
	direct := testgw.FreshSchema(t, pg)
	dsn, proxy := viaProxy(t, direct, func(target string) *pgProxy { return newPGProxy(t, target) })
	gs := clusterOn(t, 3, dsn, "redis://"+r.addr()+"/0")
	plain := gs[0].CreateKey(nil)
	const limit = 10.0
	budgeted := gs[0].CreateKey(map[string]any{"budget": map[string]any{"limit_usd": limit, "period": "monthly"}})
	warm := map[string]int{} // answered calls before the load
	for _, g := range gs {
		for _, k := range []string{plain.Key, budgeted.Key} {
			if _, ok := waitFor(time.Second, func() bool { return call(t, g, k, chatBody).status == 200 }); !ok {
				t.Fatalf("%s does not accept a new key within 1 s", g.URL)
			}
			warm[k]++
		}
	}
	l := startLoad(every(gs, plain.Key, budgeted.Key), 60*time.Second)
	l.waitCalls(t, 30)
	proxy.cut()
	t.Log("PostgreSQL cut off")
	for i, g := range gs {
		// The outage lasts until each instance's periodic refresh has failed.
		if _, ok := waitFor(10*time.Second, func() bool { return g.App.Catalog.StaleFor() > 0 }); !ok {
			t.Fatalf("instance %d did not notice PostgreSQL was gone within 10 s", i+1)
		}
	}
	resp, err := client.Get(gs[1].URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("/readyz with PostgreSQL unreachable: %d, want 503", resp.StatusCode)
	}
	l.waitCalls(t, 30)
	cutCalls := l.count()
	proxy.restore()
	t.Log("PostgreSQL reachable again")
	l.waitCalls(t, 30)
	out := l.end()

	answered := map[string]int{}
	for _, o := range out {
		switch {
		case o.err != nil:
			t.Errorf("instance %d gave no answer: %v", o.inst+1, o.err)
		case o.status != 200:
			t.Errorf("instance %d: %d %s", o.inst+1, o.status, o.code)
		default:
			answered[o.key]++
		}
	}
	t.Logf("%d calls under load (%d by the time PostgreSQL returned), %d answered", len(out), cutCalls, answered[plain.Key]+answered[budgeted.Key])

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	for i, g := range gs {
		if err := g.App.Logs.Flush(ctx); err != nil {
			t.Fatalf("instance %d: request logs not stored: %v", i+1, err)
		}
	}
	db, err := sql.Open("pgx", direct)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `SELECT key_id, status, cost_usd FROM request_logs WHERE key_id IN ($1, $2)`, plain.ID, budgeted.ID)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	var rowSpend int64
	for rows.Next() {
		var id string
		var status int
		var cost float64
		if err := rows.Scan(&id, &status, &cost); err != nil {
			t.Fatal(err)
		}
		if status == 200 {
			stored[id]++
		}
		if id == budgeted.ID {
			rowSpend += ledger.FromUSD(cost)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, k := range []testgw.CreatedKey{plain, budgeted} {
		if want := answered[k.Key] + warm[k.Key]; stored[k.ID] != want {
			t.Errorf("key %s: %d request log rows of answered calls, want %d (%d lost)", k.ID, stored[k.ID], want, want-stored[k.ID])
		}
	}
	// Spend made while the database was away waits in memory and is
	// written within a second or two of its return.
	b := ledger.Budget{Scope: ledger.ScopeKey, Subject: budgeted.ID, Period: ledger.Monthly, Limit: ledger.FromUSD(limit)}
	w, _ := ledger.WindowOf(b, time.Now())
	var spent int64
	if _, ok := waitFor(10*time.Second, func() bool {
		spent, _, err = gs[0].App.Ledger.Fallback.Spent(ctx, w)
		return err == nil && spent == rowSpend
	}); !ok {
		t.Fatalf("spend in the database %d nano-USD (%v), sum of the key's rows %d, 10 s after PostgreSQL returned", spent, err, rowSpend)
	}
	t.Logf("rows %v, spend = sum of rows = $%.6f", stored, ledger.ToUSD(spent))
}

// TestChaosChildGateway is the instance TestChaosInstanceKilledUnderLoad
// kills: a gateway in a process of its own that prints its URL and serves
// until SIGKILL. It does nothing unless run by that test.
func TestChaosChildGateway(t *testing.T) {
	dsn := os.Getenv("KEYGATE_CHAOS_CHILD_DSN")
	if dsn == "" {
		t.Skip("run by TestChaosInstanceKilledUnderLoad")
	}
	// The channels are shared in the database: the child's configuration
	// names the parent's mock upstream, so killing the child does not take
	// the upstream of every instance with it.
	cfg := strings.ReplaceAll(testgw.DefaultConfig, "{{UPSTREAM}}", os.Getenv("KEYGATE_CHAOS_CHILD_UPSTREAM"))
	g := testgw.Start(t, testgw.Options{DSN: dsn, Config: cfg, Redis: os.Getenv("KEYGATE_CHAOS_CHILD_REDIS"), Configure: func(c *config.Config) {
		c.RefreshInterval = 2 * time.Second
		c.LogSpool = os.Getenv("KEYGATE_CHAOS_CHILD_SPOOL")
	}})
	fmt.Printf("GATEWAY %s\n", g.URL)
	select {} // until SIGKILL (bounded by the parent's -test.timeout)
}

// startChild runs TestChaosChildGateway on dsn and redisURL and returns
// its URL and a kill -9.
func startChild(t *testing.T, dsn, redisURL, upstream string) (string, func()) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestChaosChildGateway$", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), "KEYGATE_CHAOS_CHILD_DSN="+dsn, "KEYGATE_CHAOS_CHILD_REDIS="+redisURL, "KEYGATE_CHAOS_CHILD_UPSTREAM="+upstream,
		"KEYGATE_CHAOS_CHILD_SPOOL="+filepath.Join(t.TempDir(), "child.logspool"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	kill := func() {
		if !killed {
			killed = true
			_ = cmd.Process.Signal(syscall.SIGKILL)
			_ = cmd.Wait()
		}
	}
	t.Cleanup(kill)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "GATEWAY "); ok {
				found <- u
			}
		}
		close(found)
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatal("the child gateway exited without printing its URL")
		}
		return u, kill
	case <-time.After(30 * time.Second):
		t.Fatal("the child gateway did not start within 30 s")
	}
	return "", nil
}

// An instance killed (SIGKILL) under load: the other two keep answering
// every call, revocation among them still takes under 1 s, and every call
// they answered has its request log row.
func TestChaosInstanceKilledUnderLoad(t *testing.T) {
	if os.Getenv("KEYGATE_CHAOS_CHILD_DSN") != "" {
		t.Skip("in the child")
	}
	pg := testPostgres(t)
	r := newPrivateRedis(t)
	direct := testgw.FreshSchema(t, pg)
	redisURL := "redis://" + r.addr() + "/0"
	gs := clusterOn(t, 2, direct, redisURL)
	childURL, kill := startChild(t, direct, redisURL, gs[0].Upstream.URL)
	connected(t, gs, true, 3)
	steady, victim, onChild := gs[0].CreateKey(nil), gs[0].CreateKey(nil), gs[0].CreateKey(nil)
	warm := map[string]int{}
	accepts := func(url, key string) {
		if _, ok := waitFor(time.Second, func() bool { st, _, _ := rawCall(url, key); return st == 200 }); !ok {
			t.Fatalf("%s does not accept a new key within 1 s", url)
		}
		warm[key]++
	}
	for _, g := range gs {
		accepts(g.URL, steady.Key)
		accepts(g.URL, victim.Key)
	}
	accepts(childURL, onChild.Key)
	l := startLoad(append(every(gs, steady.Key, victim.Key), target{2, childURL, onChild.Key}), 60*time.Second)
	l.waitCalls(t, 60)
	kill()
	killedAt := time.Now()
	t.Log("instance 3 killed under load")
	l.waitCalls(t, 60)
	if st := gs[0].Admin("POST", "/admin/v1/keys/"+victim.ID+"/disable", map[string]any{"reason": "chaos"}, nil); st != 200 {
		t.Fatalf("disable: %d", st)
	}
	victimAt := time.Now()
	if _, ok := waitFor(time.Second, func() bool { return call(t, gs[1], victim.Key, chatBody).code == "key_disabled" }); !ok {
		t.Errorf("instance 2 still accepts a key disabled on instance 1 1 s ago, after instance 3 was killed")
	}
	l.waitCalls(t, 60)
	out := l.end()

	answered := map[string]int{}
	childLost := 0
	for _, o := range out {
		switch {
		case o.inst == 2:
			if o.err != nil && o.sent.Before(killedAt.Add(-time.Second)) {
				t.Errorf("the child failed a call sent well before it was killed: %v", o.err)
			}
			if o.err != nil {
				childLost++
			}
		case o.err != nil:
			t.Errorf("instance %d gave no answer after instance 3 was killed: %v", o.inst+1, o.err)
		case o.key == victim.Key && o.status == 200 && o.sent.After(victimAt.Add(time.Second)):
			t.Errorf("instance %d accepted a call sent %v after its key was disabled", o.inst+1, o.sent.Sub(victimAt))
		case o.status == 200:
			answered[o.key]++
		case o.key != victim.Key || o.code != "key_disabled":
			t.Errorf("instance %d: %d %s", o.inst+1, o.status, o.code)
		}
	}
	t.Logf("%d calls under load; the survivors answered %d on the steady key; calls to the killed instance without an answer: %d", len(out), answered[steady.Key], childLost)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, g := range gs {
		if err := g.App.Logs.Flush(ctx); err != nil {
			t.Fatalf("instance %d: request logs not stored: %v", i+1, err)
		}
	}
	db, err := sql.Open("pgx", direct)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var stored int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM request_logs WHERE key_id = $1 AND status = 200`, steady.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if want := answered[steady.Key] + warm[steady.Key]; stored != want {
		t.Errorf("the survivors answered %d calls on the steady key and stored %d rows", want, stored)
	}
}
