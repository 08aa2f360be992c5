package scaletest

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testgw"
	"github.com/keygate/keygate/internal/testredis"
)

// Channels are cluster-wide objects: one added through the admin API of
// one instance serves the next call on every instance, and one whose
// credential an upstream refused is held disabled by all of them, so the
// upstream is not asked again by the others.
func TestChannelsActAsOne(t *testing.T) {
	gs := cluster(t, 3, testredis.URL(t, 13))
	var upstreamCalls, failingCalls atomic.Int64
	inner := gs[0].Upstream.Config.Handler
	gs[0].Upstream.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamCalls.Add(1)
		b, _ := io.ReadAll(r.Body)
		if bytes.Contains(b, []byte("mock-error-500")) {
			failingCalls.Add(1)
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		inner.ServeHTTP(w, r)
	})
	k := gs[0].CreateKey(nil)
	for _, g := range gs[1:] {
		waitFor(time.Second, func() bool { _, ok := g.App.Catalog.Keys().ByID(k.ID); return ok })
	}
	body := func(model string) string {
		return `{"model":"` + model + `","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}`
	}

	t.Run("a channel added on one serves the next call on all three", func(t *testing.T) {
		if st := gs[0].Admin("POST", "/admin/v1/channels", map[string]any{"name": "added", "base_url": gs[0].Upstream.URL + "/v1",
			"api_key_env": "KEYGATE_TEST_UPSTREAM_KEY", "models": []string{"fresh-model"}, "model_map": map[string]string{"fresh-model": "mock-gpt"},
			"groups": []string{"default"}}, nil); st != 201 {
			t.Fatalf("create channel: %d", st)
		}
		if a := call(t, gs[0], k.Key, body("fresh-model")); a.status != 200 {
			t.Fatalf("instance 1, right after the change: %d %s", a.status, a.body)
		}
		for _, g := range gs[1:] {
			d, ok := waitFor(time.Second, func() bool { return call(t, g, k.Key, body("fresh-model")).status == 200 })
			if !ok {
				t.Fatalf("%s does not serve the new channel 1 s after it was added on %s", g.URL, gs[0].URL)
			}
			t.Logf("%s serves the channel added on instance 1 after %v", g.URL, d)
		}
	})

	t.Run("a channel an upstream refused is disabled on all three", func(t *testing.T) {
		t.Setenv("KEYGATE_TEST_WRONG_UPSTREAM_KEY", "sk-wrong-upstream-credential-000000000")
		if st := gs[0].Admin("POST", "/admin/v1/channels", map[string]any{"name": "refused", "base_url": gs[0].Upstream.URL + "/v1",
			"api_key_env": "KEYGATE_TEST_WRONG_UPSTREAM_KEY", "models": []string{"refused-model"}, "model_map": map[string]string{"refused-model": "mock-gpt"},
			"groups": []string{"default"}}, nil); st != 201 {
			t.Fatalf("create channel: %d", st)
		}
		for _, g := range gs[1:] { // the others know the channel, without calling it
			waitFor(time.Second, func() bool { _, ok := g.App.Catalog.Snapshot().Model("refused-model"); return ok })
		}
		before := upstreamCalls.Load()
		a := call(t, gs[0], k.Key, body("refused-model"))
		if a.status != 502 || a.code != "upstream_auth_failed" {
			t.Fatalf("instance 1: %d %s", a.status, a.body)
		}
		disabled := func(g *testgw.Gateway) bool {
			for _, c := range g.App.Catalog.Snapshot().Channels {
				if c.Name == "refused" {
					_, off := c.Disabled()
					return off
				}
			}
			return false
		}
		for _, g := range gs[1:] {
			d, ok := waitFor(time.Second, func() bool { return disabled(g) })
			if !ok {
				t.Fatalf("%s does not hold the refused channel disabled within 1 s of the refusal on %s", g.URL, gs[0].URL)
			}
			t.Logf("%s holds the channel disabled %v after the refusal on instance 1", g.URL, d)
			if a := call(t, g, k.Key, body("refused-model")); a.code != "upstream_auth_failed" || !strings.Contains(a.body, "disabled") {
				t.Fatalf("%s: %d %s", g.URL, a.status, a.body)
			}
		}
		if n := upstreamCalls.Load() - before; n != 1 {
			t.Fatalf("the upstream was asked %d times; want once: the other instances must not try the refused credential themselves", n)
		}
		var view struct {
			State     string `json:"state"`
			LastError string `json:"last_error"`
		}
		gs[2].Admin("GET", "/admin/v1/channels/refused", nil, &view)
		if view.State != "disabled" || !strings.Contains(view.LastError, "401") {
			t.Fatalf("instance 3's view: %+v", view)
		}
	})

	t.Run("a breaker opened on one is open on all three", func(t *testing.T) {
		// flaky answers 500 and is tried first; steady serves the same model.
		for _, ch := range []map[string]any{
			{"name": "flaky", "priority": 10, "model_map": map[string]string{"failover-model": "mock-error-500"},
				"breaker_failures": 2, "breaker_cooldown_ms": 60000},
			{"name": "steady", "priority": 0, "model_map": map[string]string{"failover-model": "mock-gpt"}},
		} {
			ch["base_url"], ch["api_key_env"] = gs[0].Upstream.URL+"/v1", "KEYGATE_TEST_UPSTREAM_KEY"
			ch["models"], ch["groups"] = []string{"failover-model"}, []string{"default"}
			if st := gs[0].Admin("POST", "/admin/v1/channels", ch, nil); st != 201 {
				t.Fatalf("create channel %v: %d", ch["name"], st)
			}
		}
		state := func(g *testgw.Gateway) string {
			for _, c := range g.App.Catalog.Snapshot().Channels {
				if c.Name == "flaky" {
					return c.Report().State
				}
			}
			return "not loaded"
		}
		for _, g := range gs[1:] {
			waitFor(time.Second, func() bool { return len(g.App.Catalog.Snapshot().ChannelsFor("failover-model", "default")) == 2 })
		}
		before := failingCalls.Load()
		for range 2 { // breaker_failures: 2; each call fails over to steady
			if a := call(t, gs[0], k.Key, body("failover-model")); a.status != 200 {
				t.Fatalf("instance 1: %d %s", a.status, a.body)
			}
		}
		if st := state(gs[0]); st != "open" {
			t.Fatalf("instance 1's breaker after 2 failures: %s", st)
		}
		for _, g := range gs[1:] {
			d, ok := waitFor(time.Second, func() bool { return state(g) == "open" })
			if !ok {
				t.Fatalf("%s: breaker %s 1 s after it opened on %s", g.URL, state(g), gs[0].URL)
			}
			t.Logf("%s opened its breaker %v after instance 1", g.URL, d)
			if a := call(t, g, k.Key, body("failover-model")); a.status != 200 {
				t.Fatalf("%s with flaky's breaker open: %d %s", g.URL, a.status, a.body)
			}
		}
		if n := failingCalls.Load() - before; n != 2 {
			t.Fatalf("the failing upstream was asked %d times; want 2 (instance 1's), none from instances whose breaker it opened", n)
		}
	})
}
