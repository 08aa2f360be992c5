package scaletest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/testgw"
	"github.com/keygate/keygate/internal/testredis"
)

const chatBody = `{"model":"mock-gpt","max_tokens":16,"messages":[{"role":"user","content":"hello"}]}`

// client has no keep-alive: with many parallel calls a pooled client dials
// spare connections it never uses, which hold a gateway's shutdown.
var client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}

type answer struct {
	status int
	code   string
	body   string
}

func call(t *testing.T, g *testgw.Gateway, key, body string) answer {
	req, _ := http.NewRequest("POST", g.URL+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("call %s: %v", g.URL, err)
		return answer{}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &e)
	return answer{resp.StatusCode, e.Error.Code, string(b)}
}

type health struct {
	Instance        string   `json:"instance"`
	LastEventSeq    int64    `json:"last_event_seq"`
	EventsConnected bool     `json:"events_connected"`
	Instances       int      `json:"instances"`
	Degraded        []string `json:"degraded"`
}

func healthz(t *testing.T, g *testgw.Gateway) health {
	resp, err := client.Get(g.URL + "/healthz")
	if err != nil {
		t.Fatalf("healthz: %v", err)
	}
	defer resp.Body.Close()
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatalf("healthz: %v", err)
	}
	return h
}

// waitFor polls cond every 5 ms until it holds or d passes.
func waitFor(d time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if cond() {
			return time.Since(start), true
		}
		if time.Since(start) > d {
			return time.Since(start), false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// cluster starts n gateways on one fresh PostgreSQL schema and redisURL.
func cluster(t *testing.T, n int, redisURL string) []*testgw.Gateway {
	return clusterOn(t, n, testgw.FreshSchema(t, testPostgres(t)), redisURL)
}

// testPostgres is KEYGATE_TEST_POSTGRES, or a skip.
func testPostgres(t *testing.T) string {
	pg := os.Getenv("KEYGATE_TEST_POSTGRES")
	if pg == "" {
		t.Skip("KEYGATE_TEST_POSTGRES is not set: skipping the multi-instance test")
	}
	return pg
}

// clusterOn starts n gateways on dsn and redisURL.
func clusterOn(t *testing.T, n int, dsn, redisURL string) []*testgw.Gateway {
	gs := make([]*testgw.Gateway, n)
	for i := range gs {
		gs[i] = startOn(t, dsn, redisURL)
	}
	connected(t, gs, redisURL != "", n)
	return gs
}

// startOn starts one gateway of a cluster.
func startOn(t *testing.T, dsn, redisURL string) *testgw.Gateway {
	return testgw.Start(t, testgw.Options{DSN: dsn, Redis: redisURL, Configure: func(c *config.Config) {
		c.RefreshInterval = 2 * time.Second // the safety net behind events
	}})
}

// connected waits (at most 5 s) until gs have their change events
// connected and, with Redis, each sees n instances.
func connected(t *testing.T, gs []*testgw.Gateway, redis bool, n int) {
	if _, ok := waitFor(5*time.Second, func() bool {
		for _, g := range gs {
			if h := healthz(t, g); !h.EventsConnected || redis && h.Instances != n {
				return false
			}
		}
		return true
	}); !ok {
		t.Fatalf("the %d instances did not connect their change events (and see each other) within 5 s", n)
	}
}

func TestThreeInstancesActAsOne(t *testing.T) {
	redisURL := testredis.URL(t, 14)
	gs := cluster(t, 3, redisURL)

	t.Run("a key created on one works on the others", func(t *testing.T) {
		k := gs[0].CreateKey(nil)
		for _, g := range gs[1:] {
			if d, ok := waitFor(time.Second, func() bool { return call(t, g, k.Key, chatBody).status == 200 }); !ok {
				t.Fatalf("key created on %s not accepted by %s within 1 s", gs[0].URL, g.URL)
			} else {
				t.Logf("key created on instance 1 accepted by %s after %v", g.URL, d)
			}
		}
	})

	t.Run("a key disabled on one is refused by the others within 1 s", func(t *testing.T) {
		k := gs[0].CreateKey(nil)
		for _, g := range gs {
			waitFor(time.Second, func() bool { return call(t, g, k.Key, chatBody).status == 200 })
		}
		start := time.Now()
		if st := gs[0].Admin("POST", "/admin/v1/keys/"+k.ID+"/disable", map[string]any{"reason": "multi-instance test"}, nil); st != 200 {
			t.Fatalf("disable: %d", st)
		}
		var wg sync.WaitGroup
		for _, g := range gs[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, ok := waitFor(time.Second, func() bool { return call(t, g, k.Key, chatBody).code == "key_disabled" })
				if !ok {
					t.Errorf("%s still accepts the key 1 s after it was disabled on %s", g.URL, gs[0].URL)
					return
				}
				t.Logf("revocation: %s refuses the key %v after the disable call began", g.URL, time.Since(start))
			}()
		}
		wg.Wait()
		h0 := healthz(t, gs[0])
		for _, g := range gs[1:] {
			if h := healthz(t, g); h.LastEventSeq != h0.LastEventSeq || h.Instance == h0.Instance {
				t.Fatalf("healthz: %s at sequence %d (%s), %s at %d (%s)", gs[0].URL, h0.LastEventSeq, h0.Instance, g.URL, h.LastEventSeq, h.Instance)
			}
		}
	})

	t.Run("an rpm limit holds across all three", func(t *testing.T) {
		k := gs[0].CreateKey(map[string]any{"rpm": 30})
		for _, g := range gs[1:] {
			waitFor(time.Second, func() bool { _, ok := g.App.Catalog.Keys().ByID(k.ID); return ok })
		}
		var ok, limited atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 90; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch a := call(t, gs[i%3], k.Key, chatBody); {
				case a.status == 200:
					ok.Add(1)
				case a.code == "rate_limit_exceeded":
					limited.Add(1)
				default:
					t.Errorf("unexpected answer %d %s", a.status, a.body)
				}
			}()
		}
		wg.Wait()
		t.Logf("rpm 30 across 3 instances: %d admitted, %d limited of 90", ok.Load(), limited.Load())
		if n := ok.Load(); n < 29 || n > 32 { // ±5 %
			t.Fatalf("admitted %d calls at rpm 30 across three instances", n)
		}
	})

	t.Run("a budget holds across all three", func(t *testing.T) {
		const limit = 0.0002
		k := gs[0].CreateKey(map[string]any{"budget": map[string]any{"limit_usd": limit, "period": "daily"}})
		for _, g := range gs[1:] {
			waitFor(time.Second, func() bool { _, ok := g.App.Catalog.Keys().ByID(k.ID); return ok })
		}
		var ok, quota atomic.Int64
		var wg sync.WaitGroup
		for i := 0; i < 150; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch a := call(t, gs[i%3], k.Key, chatBody); {
				case a.status == 200:
					ok.Add(1)
				case a.code == "insufficient_quota":
					quota.Add(1)
				default:
					t.Errorf("unexpected answer %d %s", a.status, a.body)
				}
			}()
		}
		wg.Wait()
		b := ledger.Budget{Scope: ledger.ScopeKey, Subject: k.ID, Period: ledger.Daily, Limit: ledger.FromUSD(limit)}
		spent, _, err := gs[2].App.Ledger.Usage(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("budget $%.4f across 3 instances: %d admitted, %d refused, spent $%.6f", limit, ok.Load(), quota.Load(), ledger.ToUSD(spent))
		if spent > b.Limit || quota.Load() == 0 {
			t.Fatalf("spent $%.6f of $%.4f with %d refusals", ledger.ToUSD(spent), limit, quota.Load())
		}
		for _, g := range gs {
			if o := g.App.Ledger.Outstanding(); o != 0 {
				t.Fatalf("%s: %d reservations not settled", g.URL, o)
			}
		}
	})
}

func TestRedisDiesMidTest(t *testing.T) {
	addr, stop := testredis.Server(t, 6393)
	gs := cluster(t, 3, "redis://"+addr+"/0")
	k := gs[0].CreateKey(map[string]any{"rpm": 30, "budget": map[string]any{"limit_usd": 1, "period": "monthly"}})
	victim := gs[0].CreateKey(nil)
	for _, g := range gs {
		waitFor(time.Second, func() bool { return call(t, g, victim.Key, chatBody).status == 200 })
	}
	if a := call(t, gs[1], k.Key, chatBody); a.status != 200 {
		t.Fatalf("before Redis died: %d %s", a.status, a.body)
	}
	stop()
	t.Log("Redis killed")

	// Traffic continues; the rate limit falls back to this instance's
	// share: 30 rpm / 3 instances = 10 (one already taken on Redis does
	// not count here).
	ok := 0
	for i := 0; i < 20; i++ {
		a := call(t, gs[1], k.Key, chatBody)
		switch {
		case a.status == 200:
			ok++
		case a.code != "rate_limit_exceeded":
			t.Fatalf("with Redis down: %d %s", a.status, a.body)
		}
	}
	t.Logf("Redis down: instance 2 admitted %d of 20 calls at rpm 30 shared by 3 instances", ok)
	if ok != 10 {
		t.Fatalf("with Redis down one instance admitted %d calls, want its share 10", ok)
	}
	h := healthz(t, gs[1])
	if len(h.Degraded) == 0 {
		t.Fatalf("healthz does not say it is degraded: %+v", h)
	}
	t.Logf("healthz with Redis down: %+v", h)

	// Revocation still reaches everyone within a second, through
	// PostgreSQL's LISTEN/NOTIFY (the refresh interval is 2 s here).
	start := time.Now()
	if st := gs[0].Admin("POST", "/admin/v1/keys/"+victim.ID+"/disable", map[string]any{"reason": "redis down"}, nil); st != 200 {
		t.Fatalf("disable with Redis down: %d", st)
	}
	for _, g := range gs[1:] {
		if _, ok := waitFor(time.Second, func() bool { return call(t, g, victim.Key, chatBody).code == "key_disabled" }); !ok {
			t.Fatalf("%s still accepts a key disabled 1 s ago while Redis is down", g.URL)
		}
	}
	t.Logf("revocation with Redis down reached every instance within %v", time.Since(start))

	// Spend made while Redis was down is in the database.
	b := ledger.Budget{Scope: ledger.ScopeKey, Subject: k.ID, Period: ledger.Monthly, Limit: ledger.FromUSD(1)}
	spent, _, err := gs[1].App.Ledger.Usage(context.Background(), b)
	if err != nil || spent <= 0 {
		t.Fatalf("spend with Redis down: %d, %v", spent, err)
	}
}

// TestPostgresOnly runs three instances on PostgreSQL without Redis:
// events by LISTEN/NOTIFY, budgets decided by the database; rate limits
// are per instance (documented).
func TestPostgresOnly(t *testing.T) {
	gs := cluster(t, 3, "")
	k := gs[0].CreateKey(map[string]any{"budget": map[string]any{"limit_usd": 0.0002, "period": "total"}})
	for _, g := range gs[1:] {
		if _, ok := waitFor(time.Second, func() bool { return call(t, g, k.Key, chatBody).status == 200 }); !ok {
			t.Fatalf("key created on one instance not accepted by %s within 1 s", g.URL)
		}
	}
	var ok, quota atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 120; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch a := call(t, gs[i%3], k.Key, chatBody); {
			case a.status == 200:
				ok.Add(1)
			case a.code == "insufficient_quota":
				quota.Add(1)
			default:
				t.Errorf("unexpected answer %d %s", a.status, a.body)
			}
		}()
	}
	wg.Wait()
	b := ledger.Budget{Scope: ledger.ScopeKey, Subject: k.ID, Period: ledger.Total, Limit: ledger.FromUSD(0.0002)}
	spent, _, err := gs[1].App.Ledger.Usage(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("PostgreSQL only: %d admitted, %d refused, spent $%.6f of $0.0002", ok.Load(), quota.Load(), ledger.ToUSD(spent))
	if spent > b.Limit || quota.Load() == 0 {
		t.Fatalf("spent %d > %d or nothing refused", spent, b.Limit)
	}
	start := time.Now()
	if st := gs[0].Admin("POST", "/admin/v1/keys/"+k.ID+"/disable", map[string]any{"reason": "pg only"}, nil); st != 200 {
		t.Fatalf("disable: %d", st)
	}
	for _, g := range gs[1:] {
		if _, ok := waitFor(time.Second, func() bool { return call(t, g, k.Key, chatBody).code == "key_disabled" }); !ok {
			t.Fatalf("%s still accepts the key 1 s after it was disabled (LISTEN/NOTIFY)", g.URL)
		}
	}
	t.Logf("revocation over LISTEN/NOTIFY reached both other instances within %v", time.Since(start))
}
