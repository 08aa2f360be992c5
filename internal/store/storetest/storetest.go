// Package storetest is the store conformance suite: every store.Store
// implementation must pass it, so no feature works on one engine only.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// Run exercises st; it must be empty.
func Run(t *testing.T, st store.Store) {
	ctx := context.Background()
	t.Run("catalogue upserts", func(t *testing.T) {
		must(t, st.UpsertGroup(ctx, store.Group{Name: "g1", Models: []string{"*"}, PriceMultiplier: 1.5, RPM: 10}))
		must(t, st.UpsertGroup(ctx, store.Group{Name: "g1", Models: []string{"m1"}, PriceMultiplier: 2}))
		gs, err := st.ListGroups(ctx)
		must(t, err)
		if len(gs) != 1 || gs[0].PriceMultiplier != 2 || len(gs[0].Models) != 1 || gs[0].Models[0] != "m1" {
			t.Fatalf("groups after upsert: %+v", gs)
		}
		must(t, st.UpsertProject(ctx, store.Project{Name: "p1", BudgetUSD: 5, BudgetPeriod: "monthly"}))
		p, err := st.GetProject(ctx, "p1")
		must(t, err)
		if p.BudgetUSD != 5 || p.CreatedAt.IsZero() {
			t.Fatalf("project: %+v", p)
		}
		must(t, st.UpsertProject(ctx, store.Project{Name: "p-test", TestModels: []string{"m1", "m2"}, TestBudgetUSD: 2.5,
			TestBudgetPeriod: "daily"}))
		pt, err := st.GetProject(ctx, "p-test")
		must(t, err)
		if len(pt.TestModels) != 2 || pt.TestModels[1] != "m2" || pt.TestBudgetUSD != 2.5 || pt.TestBudgetPeriod != "daily" {
			t.Fatalf("project with test key limits: %+v", pt)
		}
		pt.TestModels, pt.TestBudgetUSD, pt.TestBudgetPeriod = nil, 0, ""
		must(t, st.UpsertProject(ctx, pt))
		if pt, err = st.GetProject(ctx, "p-test"); err != nil || len(pt.TestModels) != 0 || pt.TestBudgetUSD != 0 {
			t.Fatalf("project after clearing test key limits: %+v, %v", pt, err)
		}
		if _, err := st.GetProject(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing project: err %v, want ErrNotFound", err)
		}
		must(t, st.UpsertChannel(ctx, store.Channel{Name: "c1", Type: "openai", BaseURL: "http://x/v1", Models: []string{"m1"},
			ModelMap: map[string]string{"m1": "up-m1"}, Groups: []string{"g1"}, Priority: 3, Weight: 2, Enabled: true,
			APIVersion: "2024-10-21"}))
		must(t, st.SetChannelLastTest(ctx, "c1", `{"ok":true}`))
		must(t, st.UpsertChannel(ctx, store.Channel{Name: "c1", Type: "openai", BaseURL: "http://x/v1", Models: []string{"m1"},
			ModelMap: map[string]string{"m1": "up-m1"}, Groups: []string{"g1"}, Priority: 3, Weight: 2, Enabled: true,
			APIVersion: "2024-10-21"})) // applied again, as KEYGATE_CONFIG is at every start: the last test stays
		cs, err := st.ListChannels(ctx)
		must(t, err)
		if len(cs) != 1 || cs[0].ModelMap["m1"] != "up-m1" || !cs[0].Enabled || cs[0].Priority != 3 ||
			cs[0].APIVersion != "2024-10-21" || cs[0].LastTest != `{"ok":true}` {
			t.Fatalf("channels: %+v", cs)
		}
		must(t, st.UpsertModel(ctx, store.Model{Name: "m1", Aliases: []string{"m1-2024"}, InputPerMTok: 0.15, OutputPerMTok: 0.6,
			CachedInputPerMTok: 0.075, CacheWritePerMTok: 0.1875}))
		ms, err := st.ListModels(ctx)
		must(t, err)
		if len(ms) != 1 || ms[0].OutputPerMTok != 0.6 || ms[0].Aliases[0] != "m1-2024" || ms[0].CachedInputPerMTok != 0.075 || ms[0].CacheWritePerMTok != 0.1875 {
			t.Fatalf("models: %+v", ms)
		}
	})

	t.Run("channels and models one by one", func(t *testing.T) {
		c := store.Channel{Name: "c-one", Type: "azure", BaseURL: "https://r.openai.azure.com", Models: []string{"m1"}, Enabled: false,
			Weight: 1, DisabledReason: "upstream answered 401", ChannelLimits: store.ChannelLimits{MaxAttempts: 2, BreakerFailures: 5,
				BreakerCooldown: 45 * time.Second}}
		must(t, st.UpsertChannel(ctx, c))
		got, err := st.GetChannel(ctx, "c-one")
		must(t, err)
		if got.DisabledReason != c.DisabledReason || got.MaxAttempts != 2 || got.BreakerFailures != 5 || got.BreakerCooldown != 45*time.Second ||
			got.Enabled || got.Type != "azure" {
			t.Fatalf("channel: %+v", got)
		}
		must(t, st.SetChannelLastTest(ctx, "c-one", `{"ok":false}`))
		after, err := st.GetChannel(ctx, "c-one")
		must(t, err)
		if after.LastTest != `{"ok":false}` || !after.UpdatedAt.Equal(got.UpdatedAt) {
			t.Fatalf("after the test was stored: %+v (updated_at must stay %v)", after, got.UpdatedAt)
		}
		must(t, st.DeleteChannel(ctx, "c-one"))
		if _, err := st.GetChannel(ctx, "c-one"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted channel: %v", err)
		}
		if err := st.DeleteChannel(ctx, "c-one"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
		if err := st.SetChannelLastTest(ctx, "c-one", "{}"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("test of a missing channel: %v", err)
		}
		must(t, st.UpsertModel(ctx, store.Model{Name: "m-one", InputPerMTok: 1}))
		m, err := st.GetModel(ctx, "m-one")
		must(t, err)
		if m.InputPerMTok != 1 {
			t.Fatalf("model: %+v", m)
		}
		must(t, st.DeleteModel(ctx, "m-one"))
		if _, err := st.GetModel(ctx, "m-one"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("deleted model: %v", err)
		}
	})

	t.Run("keys", func(t *testing.T) {
		before := time.Now().Add(-time.Second)
		k := &store.Key{ID: "key_1", Hash: fmt.Sprintf("%064x", 1), Display: "kg_live_AAAA…BBBB", Env: "live", Project: "p1",
			Group: "g1", Models: []string{"m1"}, AllowedIPs: []string{"10.0.0.0/8"}, State: store.KeyActive,
			ExpiresAt: time.Now().Add(time.Hour).Truncate(time.Millisecond)}
		must(t, st.CreateKey(ctx, k))
		if k.Version != 1 {
			t.Fatalf("version after create = %d", k.Version)
		}
		dup := *k
		dup.ID = "key_2"
		if err := st.CreateKey(ctx, &dup); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate hash: err %v, want ErrConflict", err)
		}
		got, err := st.GetKeyByHash(ctx, k.Hash)
		must(t, err)
		if got.ID != k.ID || got.AllowedIPs[0] != "10.0.0.0/8" || !got.ExpiresAt.Equal(k.ExpiresAt) {
			t.Fatalf("by hash: %+v", got)
		}
		stale := got
		got.State, got.StateReason = store.KeyDisabled, "leaked"
		must(t, st.UpdateKey(ctx, &got))
		if got.Version != 2 {
			t.Fatalf("version after update = %d", got.Version)
		}
		if err := st.UpdateKey(ctx, &stale); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("stale update: err %v, want ErrConflict", err)
		}
		again, err := st.GetKey(ctx, k.ID)
		must(t, err)
		if again.State != store.KeyDisabled || again.StateReason != "leaked" {
			t.Fatalf("after update: %+v", again)
		}
		changed, err := st.KeysChangedSince(ctx, before)
		must(t, err)
		if len(changed) != 1 {
			t.Fatalf("changed since: %d keys", len(changed))
		}
		list, err := st.ListKeys(ctx, store.KeyFilter{Project: "p1", State: store.KeyDisabled})
		must(t, err)
		if len(list) != 1 {
			t.Fatalf("list filtered: %d", len(list))
		}
		past := &store.Key{ID: "key_past", Hash: fmt.Sprintf("%064x", 99), Display: "kg_live_CCCC…DDDD", Env: "live", Project: "p9",
			Group: "g1", State: store.KeyActive, ExpiresAt: time.Now().Add(-time.Minute)}
		must(t, st.CreateKey(ctx, past))
		exp, err := st.ListKeys(ctx, store.KeyFilter{Project: "p9", State: store.KeyExpired})
		must(t, err)
		act, err := st.ListKeys(ctx, store.KeyFilter{Project: "p9", State: store.KeyActive})
		must(t, err)
		if len(exp) != 1 || len(act) != 0 {
			t.Fatalf("a key past expires_at: %d expired, %d active; want 1, 0", len(exp), len(act))
		}
		if _, err := st.GetKey(ctx, "key_missing"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("missing key: %v", err)
		}
	})

	t.Run("members", func(t *testing.T) {
		must(t, st.CreateMember(ctx, store.Member{ID: "mem_1", Email: "a@example.com", Role: "owner", TokenHash: "abc", CreatedAt: time.Now()}))
		if err := st.CreateMember(ctx, store.Member{ID: "mem_2", Email: "a@example.com", Role: "viewer"}); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("duplicate email: %v", err)
		}
		m, err := st.GetMemberByTokenHash(ctx, "abc")
		must(t, err)
		if m.Email != "a@example.com" {
			t.Fatalf("member: %+v", m)
		}
		n, err := st.CountMembers(ctx)
		must(t, err)
		if n != 1 {
			t.Fatalf("count = %d", n)
		}
	})

	t.Run("member directory", func(t *testing.T) { runMembers(t, st) })
	t.Run("key owners", func(t *testing.T) { runKeyOwners(t, st) })
	t.Run("concurrency caps", func(t *testing.T) { runConcurrency(t, st) })
	t.Run("usage", func(t *testing.T) { runUsage(t, st) })

	t.Run("request logs", func(t *testing.T) {
		now := time.Now().UTC().Truncate(time.Millisecond)
		var rows []store.RequestLog
		for i := 0; i < 250; i++ { // two full multi-row statements (prepared once) and a shorter last one
			rows = append(rows, store.RequestLog{RequestID: fmt.Sprintf("req_%03d", i), Time: now.Add(time.Duration(i) * time.Millisecond),
				KeyID: "key_1", Model: "m1", Status: 200, InputTokens: i, CostUSD: 0.001, Charged: "yes", Stream: i%2 == 0})
		}
		rows[3].Status, rows[3].ErrorCode, rows[3].Charged = 401, "key_disabled", "no"
		must(t, st.InsertLogs(ctx, rows))
		must(t, st.InsertLogs(ctx, rows[:10]))  // a retried batch duplicates nothing
		must(t, st.InsertLogs(ctx, rows[:150])) // also through the prepared statement
		all, err := st.QueryLogs(ctx, store.LogFilter{KeyID: "key_1", Limit: 1000})
		must(t, err)
		if len(all) != 250 {
			t.Fatalf("logs = %d, want 250", len(all))
		}
		if all[0].RequestID != "req_249" {
			t.Fatalf("not newest first: %s", all[0].RequestID)
		}
		bad, err := st.QueryLogs(ctx, store.LogFilter{Status: 401})
		must(t, err)
		if len(bad) != 1 || bad[0].ErrorCode != "key_disabled" {
			t.Fatalf("status filter: %+v", bad)
		}
		unbilled, err := st.QueryLogs(ctx, store.LogFilter{KeyID: "key_1", Charged: "no"})
		must(t, err)
		if len(unbilled) != 1 || unbilled[0].RequestID != "req_003" {
			t.Fatalf("charged filter: %d rows, want req_003 only", len(unbilled))
		}
		window, err := st.QueryLogs(ctx, store.LogFilter{Since: now.Add(10 * time.Millisecond), Until: now.Add(20 * time.Millisecond)})
		must(t, err)
		if len(window) != 10 {
			t.Fatalf("time window = %d rows, want 10", len(window))
		}
		one, err := st.GetLog(ctx, "req_002")
		must(t, err)
		if !one.Stream || one.InputTokens != 2 || !one.Time.Equal(now.Add(2*time.Millisecond)) {
			t.Fatalf("get log: %+v", one)
		}
	})

	t.Run("audit", func(t *testing.T) {
		must(t, st.InsertAudit(ctx, store.AuditEvent{ID: "aud_1", Time: time.Now(), Actor: "owner", Action: "key.disable", Object: "key_1", Detail: "{}"}))
		must(t, st.InsertAudit(ctx, store.AuditEvent{ID: "aud_2", Time: time.Now(), Actor: "owner", Action: "key.create", Object: "key_2", Detail: "{}"}))
		evs, err := st.ListAudit(ctx, store.AuditFilter{Object: "key_1"})
		must(t, err)
		if len(evs) != 1 || evs[0].Action != "key.disable" {
			t.Fatalf("audit: %+v", evs)
		}
	})
	// These write rows that the checks above would count: keep them last.
	t.Run("incidents", func(t *testing.T) { runIncidents(t, st) })
	t.Run("rotation usage", func(t *testing.T) { runRotationUsage(t, st) })
	t.Run("transactions", func(t *testing.T) { runTx(t, st) })
	t.Run("lapsing claims", func(t *testing.T) { runClaimFor(t, st) })
	t.Run("dashboard sessions", func(t *testing.T) { runUISessions(t, st) })
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
