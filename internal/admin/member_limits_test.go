package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/testgw"
)

// TestMemberBudgetHoldsForAContractor is issue 6's "done when": an owner
// gives a contractor a member account limited to one project and a monthly
// budget; a burst of parallel calls through two of the contractor's keys
// cannot spend past it, the contractor cannot raise it or reach another
// project, and the usage report shows the spend to the cent.
func TestMemberBudgetHoldsForAContractor(t *testing.T) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) { testMemberBudget(t, db.DSN) })
	}
}

func testMemberBudget(t *testing.T, dsn string) {
	e := &azEnv{t: t, g: testgw.Start(t, testgw.Options{DSN: dsn})}
	const limit = 0.0002
	var mem struct {
		ID     string `json:"id"`
		Token  string `json:"token"`
		Budget *struct {
			LimitUSD float64 `json:"limit_usd"`
			Period   string  `json:"period"`
		} `json:"budget"`
	}
	r := e.owner("POST", "/admin/v1/members", map[string]any{"email": "contractor@example.com", "role": "member",
		"projects": []string{"demo"}, "budget": map[string]any{"limit_usd": limit, "period": "monthly"}})
	if r.status != http.StatusCreated {
		t.Fatalf("create member: %d %s", r.status, r.body)
	}
	r.decode(t, &mem)
	if mem.Budget == nil || mem.Budget.LimitUSD != limit || mem.Budget.Period != "monthly" {
		t.Fatalf("created member's budget: %s", r.body)
	}

	// The contractor makes their own keys, in their project only.
	var keys [2]struct{ ID, Key string }
	for i := range keys {
		r := e.do(mem.Token, "POST", "/admin/v1/keys", map[string]any{"project": "demo", "name": fmt.Sprint("script-", i)})
		if r.status != http.StatusCreated {
			t.Fatalf("contractor creates a key: %d %s", r.status, r.body)
		}
		r.decode(t, &keys[i])
	}
	if r := e.do(mem.Token, "POST", "/admin/v1/keys", map[string]any{"project": "other"}); r.status < 400 || r.status == 500 {
		t.Fatalf("contractor creates a key in another project: %d %s", r.status, r.body)
	}
	// A misbehaving script cannot lift its own budget.
	if r := e.do(mem.Token, "PATCH", "/admin/v1/members/"+mem.ID, map[string]any{"budget": nil}); r.status != 403 && r.status != 404 {
		t.Fatalf("contractor removes their own budget: %d %s", r.status, r.body)
	}

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var ok, quota, other atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", e.g.URL+"/v1/chat/completions", strings.NewReader(chatBody))
			req.Header.Set("Authorization", "Bearer "+keys[i%2].Key)
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			switch {
			case resp.StatusCode == 200:
				ok.Add(1)
			case resp.StatusCode == 429 && errCode(b) == "insufficient_quota":
				quota.Add(1)
				if !strings.Contains(string(b), "member contractor@example.com") || !strings.Contains(string(b), "resets at") {
					t.Errorf("insufficient_quota does not name the member by email and the reset: %s", b)
				}
				assertNoSecret(t, string(b), keys[0].Key, keys[1].Key)
			default:
				other.Add(1)
				t.Errorf("unexpected answer %d %s", resp.StatusCode, b)
			}
		}()
	}
	wg.Wait()
	l := e.g.App.Ledger
	testgw.Eventually(t, func() bool { return l.Outstanding() == 0 })
	spent, _, err := l.Usage(context.Background(), ledger.Budget{Scope: ledger.ScopeMember, Subject: mem.ID, Period: ledger.Monthly, Limit: ledger.FromUSD(limit)})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d ok, %d insufficient_quota, %d other; spent $%.9f of $%.6f", ok.Load(), quota.Load(), other.Load(), ledger.ToUSD(spent), limit)
	if spent > ledger.FromUSD(limit) {
		t.Fatalf("spent $%.9f > member budget $%.6f", ledger.ToUSD(spent), limit)
	}
	if ok.Load() == 0 || quota.Load() == 0 {
		t.Fatal("the member budget neither admitted nor refused: the test proves nothing")
	}

	// GET the member: budget, spend and reset, the same as the ledger.
	var got struct {
		SpentUSD       *float64   `json:"spent_usd"`
		BudgetResetsAt *time.Time `json:"budget_resets_at"`
	}
	e.owner("GET", "/admin/v1/members/"+mem.ID, nil).decode(t, &got)
	if got.SpentUSD == nil || got.BudgetResetsAt == nil || math.Abs(*got.SpentUSD-ledger.ToUSD(spent)) > 1e-9 {
		t.Fatalf("GET member: spent_usd %v, budget_resets_at %v; ledger says $%.9f", got.SpentUSD, got.BudgetResetsAt, ledger.ToUSD(spent))
	}
	if now := time.Now().UTC(); !got.BudgetResetsAt.Equal(time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("monthly budget resets at %v, want the first of next month", got.BudgetResetsAt)
	}

	// The usage report, by key, for this member: every call accounted
	// for, and the cost the ledger charged, to the cent and closer.
	logs := e.g.Logs("member="+mem.ID+"&limit=1000", 100)
	if len(logs) != 100 {
		t.Fatalf("%d log rows for the member, want 100", len(logs))
	}
	var rep struct {
		Data []struct {
			KeyID    string  `json:"key_id"`
			Requests int     `json:"requests"`
			Errors   int     `json:"errors"`
			CostUSD  float64 `json:"cost_usd"`
		} `json:"data"`
	}
	if r := e.owner("GET", "/admin/v1/usage?member=contractor@example.com&group_by=key", nil); r.status != 200 {
		t.Fatalf("usage: %d %s", r.status, r.body)
	} else {
		r.decode(t, &rep)
	}
	var reqs, errs int
	var cost float64
	for _, row := range rep.Data {
		if row.KeyID != keys[0].ID && row.KeyID != keys[1].ID {
			t.Errorf("usage row of a key the member does not own: %+v", row)
		}
		reqs += row.Requests
		errs += row.Errors
		cost += row.CostUSD
	}
	if len(rep.Data) != 2 || reqs != 100 || errs != int(quota.Load()) {
		t.Fatalf("usage: %d rows, %d requests, %d errors; want 2 keys, 100, %d", len(rep.Data), reqs, errs, quota.Load())
	}
	if math.Abs(cost-ledger.ToUSD(spent)) > 1e-8 {
		t.Fatalf("usage report says $%.9f, the ledger charged $%.9f", cost, ledger.ToUSD(spent))
	}
}

// TestMemberBudgetAdminAPI covers the budget field of the members API:
// validation, spend on reads, clearing with null, and that a change takes
// effect on the next call.
func TestMemberBudgetAdminAPI(t *testing.T) {
	e := newAzEnv(t)
	r := e.owner("POST", "/admin/v1/members", map[string]any{"email": "dev@example.com", "role": "member", "projects": []string{"demo"},
		"budget": map[string]any{"limit_usd": 5, "period": "weekly"}})
	if r.status != 400 || r.code() != "invalid_request" || !strings.Contains(string(r.body), "daily, monthly or total") {
		t.Fatalf("bad period: %d %s", r.status, r.body)
	}
	id, _ := e.newMember("dev@example.com", "member", "demo")
	var v map[string]any
	e.owner("GET", "/admin/v1/members/"+id, nil).decode(t, &v)
	if v["budget"] != nil || v["spent_usd"] != nil {
		t.Fatalf("member without a budget: %v", v)
	}
	k := e.g.CreateKey(map[string]any{"member": "dev@example.com"})
	if resp, b := e.g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), chatBody); resp.StatusCode != 200 {
		t.Fatalf("call before the budget: %d %s", resp.StatusCode, b)
	}

	// A budget smaller than one call: the next call is refused at once.
	r = e.owner("PATCH", "/admin/v1/members/"+id, map[string]any{"budget": map[string]any{"limit_usd": 0.000001, "period": "daily"}})
	if r.status != 200 {
		t.Fatalf("set budget: %d %s", r.status, r.body)
	}
	r.decode(t, &v)
	if b, _ := v["budget"].(map[string]any); b == nil || b["period"] != "daily" || v["spent_usd"] == nil || v["budget_resets_at"] == nil {
		t.Fatalf("PATCH answer: %s", r.body)
	}
	resp, b := e.g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), chatBody)
	if resp.StatusCode != 429 || errCode(b) != "insufficient_quota" || !strings.Contains(string(b), "daily budget of member dev@example.com") {
		t.Fatalf("call over the member budget: %d %s", resp.StatusCode, b)
	}
	// All or nothing: a key with a budget of its own, refused by its
	// owner's, holds and spends nothing on its own budget.
	budgeted := e.g.CreateKey(map[string]any{"member": "dev@example.com", "budget": map[string]any{"limit_usd": 10, "period": "daily"}})
	if resp, b := e.g.Do("POST", "/v1/chat/completions", testgw.Bearer(budgeted.Key), chatBody); resp.StatusCode != 429 ||
		!strings.Contains(string(b), "member dev@example.com") {
		t.Fatalf("key budget fits, member budget does not: %d %s", resp.StatusCode, b)
	}
	if o := e.g.App.Ledger.Outstanding(); o != 0 {
		t.Fatalf("%d reservations held after a refusal", o)
	}
	var kv map[string]any
	e.owner("GET", "/admin/v1/keys/"+budgeted.ID, nil).decode(t, &kv)
	if kv["spent_usd"] != float64(0) {
		t.Fatalf("the refused call spent from the key's own budget: %v", kv["spent_usd"])
	}
	var list struct {
		Data []map[string]any `json:"data"`
	}
	e.owner("GET", "/admin/v1/members", nil).decode(t, &list)
	found := false
	for _, m := range list.Data {
		if m["id"] == id {
			found = m["budget"] != nil
		}
	}
	if !found {
		t.Fatal("GET /admin/v1/members does not show the member's budget")
	}

	// null clears it; the key works again.
	if r := e.owner("PATCH", "/admin/v1/members/"+id, map[string]any{"budget": nil}); r.status != 200 || !strings.Contains(string(r.body), `"budget":null`) {
		t.Fatalf("clear budget: %d %s", r.status, r.body)
	}
	if resp, b := e.g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), chatBody); resp.StatusCode != 200 {
		t.Fatalf("call after clearing the budget: %d %s", resp.StatusCode, b)
	}
	var audit struct {
		Data []struct {
			Detail json.RawMessage `json:"detail"`
		} `json:"data"`
	}
	e.owner("GET", "/admin/v1/audit?action=member.update&object="+id, nil).decode(t, &audit)
	if len(audit.Data) != 2 || !strings.Contains(string(audit.Data[0].Detail)+string(audit.Data[1].Detail), "budget") {
		t.Fatalf("budget changes are not audited: %+v", audit.Data)
	}
}

// TestConcurrencyLimits checks the cap on calls in flight: the key's own
// value over its group's default over KEYGATE_KEY_CONCURRENCY, each named
// in the refusal. Slots are held through the gateway's own gate, so the
// test does not depend on timing.
func TestConcurrencyLimits(t *testing.T) {
	cfg := strings.Replace(testgw.DefaultConfig, "- {name: limited, models: [mock-gpt]}",
		"- {name: limited, models: [mock-gpt]}\n  - {name: tight, models: [\"*\"], concurrency: 1}", 1)
	cfg = strings.ReplaceAll(cfg, "groups: [default, limited]", "groups: [default, limited, tight]")
	g := testgw.Start(t, testgw.Options{Config: cfg})
	gate := g.App.Server.Gate

	var grp map[string]any
	if st := g.Admin("GET", "/admin/v1/groups/tight", nil, &grp); st != 200 || grp["concurrency"] != float64(1) {
		t.Fatalf("group from the YAML file: %d %v", st, grp)
	}
	groupKey := g.CreateKey(map[string]any{"group": "tight"})
	ownKey := g.CreateKey(map[string]any{"group": "tight", "concurrency": 2})
	plainKey := g.CreateKey(nil)

	call := func(key string) (*http.Response, string) {
		resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(key), chatBody)
		return resp, string(b)
	}
	refused := func(name, key, id string, want string) {
		t.Helper()
		resp, b := call(key)
		if resp.StatusCode != 429 || errCode([]byte(b)) != "rate_limit_exceeded" || resp.Header.Get("Retry-After") != "1" {
			t.Fatalf("%s: %d %s (Retry-After %q)", name, resp.StatusCode, b, resp.Header.Get("Retry-After"))
		}
		var e errorBody
		_ = json.Unmarshal([]byte(b), &e)
		if !strings.Contains(e.Error.Message, want) || !strings.Contains(e.Error.Message, "calls in flight") {
			t.Fatalf("%s: message does not name %q: %s", name, want, e.Error.Message)
		}
		assertNoSecret(t, b, key)
	}

	// The group's default: one call in flight.
	if ok, _ := gate.Acquire(groupKey.ID, 1); !ok {
		t.Fatal("gate refused the first slot")
	}
	refused("group default", groupKey.Key, groupKey.ID, `the default of its group "tight" is 1 at once`)
	gate.Release(groupKey.ID, 1)
	if resp, b := call(groupKey.Key); resp.StatusCode != 200 {
		t.Fatalf("slot released, call still refused: %d %s", resp.StatusCode, b)
	}

	// The key's own value overrides the group's.
	gate.Acquire(ownKey.ID, 2)
	if resp, b := call(ownKey.Key); resp.StatusCode != 200 {
		t.Fatalf("key with concurrency 2, one in flight: %d %s", resp.StatusCode, b)
	}
	gate.Acquire(ownKey.ID, 2)
	refused("key's own", ownKey.Key, ownKey.ID, "the key's own limit is 2 at once")
	gate.Release(ownKey.ID, 2)
	gate.Release(ownKey.ID, 2)

	// PATCH changes it; 0 returns to the group's default.
	var kv map[string]any
	if st := g.Admin("PATCH", "/admin/v1/keys/"+ownKey.ID, map[string]any{"concurrency": 0}, &kv); st != 200 || kv["concurrency"] != float64(0) {
		t.Fatalf("PATCH concurrency 0: %d %v", st, kv)
	}
	gate.Acquire(ownKey.ID, 1)
	refused("back to the group's", ownKey.Key, ownKey.ID, `group "tight"`)
	gate.Release(ownKey.ID, 1)
	if st := g.Admin("PATCH", "/admin/v1/keys/"+ownKey.ID, map[string]any{"concurrency": -1}, nil); st != 400 {
		t.Fatalf("negative concurrency: %d", st)
	}

	// No key or group value: the gateway's default applies.
	g.App.Server.KeyConcurrency = 1
	defer func() { g.App.Server.KeyConcurrency = 0 }()
	gate.Acquire(plainKey.ID, 1)
	refused("gateway default", plainKey.Key, plainKey.ID, "KEYGATE_KEY_CONCURRENCY")
	gate.Release(plainKey.ID, 1)

	// Groups through the API carry it too.
	if st := g.Admin("POST", "/admin/v1/groups", map[string]any{"name": "api-group", "models": []string{"*"}, "concurrency": 3}, &grp); st != 201 || grp["concurrency"] != float64(3) {
		t.Fatalf("create group with concurrency: %d %v", st, grp)
	}
	if st := g.Admin("PATCH", "/admin/v1/groups/api-group", map[string]any{"concurrency": -2}, nil); st != 400 {
		t.Fatalf("negative group concurrency: %d", st)
	}
}

// TestConcurrencyLimitUnderLoad sends a burst through a key capped at 3
// calls in flight to the slow mock model: at most 3 reach the upstream,
// the rest are refused with rate_limit_exceeded, and every slot is given
// back.
func TestConcurrencyLimitUnderLoad(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(map[string]any{"concurrency": 3})
	slow := strings.Replace(chatBody, "mock-gpt", "mock-slow", 1)
	var ok, limited atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, b := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), slow)
			switch {
			case resp.StatusCode == 200:
				ok.Add(1)
			case resp.StatusCode == 429 && errCode(b) == "rate_limit_exceeded":
				limited.Add(1)
			default:
				t.Errorf("unexpected %d %s", resp.StatusCode, b)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 3 || limited.Load() != 9 {
		t.Fatalf("%d admitted, %d refused; want 3 and 9 (all 12 start within the slow model's 2 s)", ok.Load(), limited.Load())
	}
	if got, _ := g.App.Server.Gate.Acquire(k.ID, 3); !got {
		t.Fatal("slots were not given back after the calls ended")
	}
}
