package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// runMembers checks the member directory beyond creation.
func runMembers(t *testing.T, st store.Store) {
	ctx := context.Background()
	must(t, st.CreateMember(ctx, store.Member{ID: "mem_b", Email: "b@example.com", Role: store.RoleMember, TokenHash: "tok-b",
		PasswordHash: "$2a$10$x", Projects: []string{"p1", "p2"}, CreatedAt: time.Now()}))
	m, err := st.GetMember(ctx, "mem_b")
	must(t, err)
	if m.Email != "b@example.com" || m.PasswordHash != "$2a$10$x" || len(m.Projects) != 2 || m.Disabled || m.UpdatedAt.IsZero() {
		t.Fatalf("get member: %+v", m)
	}
	if _, err := st.GetMemberByEmail(ctx, "b@example.com"); err != nil {
		t.Fatalf("by email: %v", err)
	}
	if _, err := st.GetMember(ctx, "mem_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing member: %v", err)
	}
	if _, err := st.GetMemberByTokenHash(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("empty token hash must match no one: %v", err)
	}
	m.Role, m.Projects, m.Disabled, m.TokenHash = store.RoleViewer, []string{"p2"}, true, "tok-b2"
	must(t, st.UpdateMember(ctx, m))
	got, err := st.GetMemberByTokenHash(ctx, "tok-b2")
	must(t, err)
	if got.Role != store.RoleViewer || !got.Disabled || len(got.Projects) != 1 || got.Projects[0] != "p2" {
		t.Fatalf("after update: %+v", got)
	}
	if _, err := st.GetMemberByTokenHash(ctx, "tok-b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old token still finds the member: %v", err)
	}
	list, err := st.ListMembers(ctx)
	must(t, err)
	if len(list) < 2 || list[len(list)-1].ID != "mem_b" {
		t.Fatalf("list members: %+v", list)
	}
	got.BudgetUSD, got.BudgetPeriod = 12.5, "monthly"
	must(t, st.UpdateMember(ctx, got))
	if again, err := st.GetMember(ctx, "mem_b"); err != nil || again.BudgetUSD != 12.5 || again.BudgetPeriod != "monthly" {
		t.Fatalf("member budget after update: %+v, %v", again, err)
	}
	must(t, st.CreateMember(ctx, store.Member{ID: "mem_budget", Email: "budget@example.com", Role: store.RoleMember,
		Projects: []string{"p1"}, BudgetUSD: 3, BudgetPeriod: "daily", CreatedAt: time.Now()}))
	if nb, err := st.GetMemberByEmail(ctx, "budget@example.com"); err != nil || nb.BudgetUSD != 3 || nb.BudgetPeriod != "daily" {
		t.Fatalf("member budget at create: %+v, %v", nb, err)
	}
	must(t, st.DeleteMember(ctx, "mem_budget"))
	must(t, st.DeleteMember(ctx, "mem_b"))
	if err := st.DeleteMember(ctx, "mem_b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if err := st.UpdateMember(ctx, m); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update deleted: %v", err)
	}
}

// runKeyOwners checks the key's owning member and the project-set filter.
func runKeyOwners(t *testing.T, st store.Store) {
	ctx := context.Background()
	for i, p := range []string{"own-a", "own-b", "own-c"} {
		k := &store.Key{ID: fmt.Sprintf("key_own%d", i), Hash: fmt.Sprintf("%064x", 1000+i), Display: "kg_live_AAAA…BBBB", Env: "live",
			Project: p, Group: "g1", State: store.KeyActive, Member: fmt.Sprintf("mem_%d", i%2)}
		must(t, st.CreateKey(ctx, k))
	}
	got, err := st.GetKey(ctx, "key_own1")
	must(t, err)
	if got.Member != "mem_1" {
		t.Fatalf("key member = %q, want mem_1", got.Member)
	}
	got.Member = "mem_9"
	must(t, st.UpdateKey(ctx, &got))
	if again, _ := st.GetKey(ctx, "key_own1"); again.Member != "mem_9" {
		t.Fatalf("key member after update = %q", again.Member)
	}
	list, err := st.ListKeys(ctx, store.KeyFilter{Projects: []string{"own-a", "own-c"}})
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("keys of two projects = %d, want 2", len(list))
	}
	list, err = st.ListKeys(ctx, store.KeyFilter{Member: "mem_0"})
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("keys of mem_0 = %d, want 2", len(list))
	}
}

// runUsage checks that usage reports match the raw rows exactly, before
// and after old rows are rolled up and deleted.
func runUsage(t *testing.T, st store.Store) {
	ctx := context.Background()
	day0 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	var rows []store.RequestLog
	var wantCost float64
	var wantCached, wantWrite, wantReasoning int64
	for i := 0; i < 90; i++ {
		r := store.RequestLog{RequestID: fmt.Sprintf("req_usage_%03d", i), Time: day0.Add(time.Duration(i) * 47 * time.Minute),
			KeyID: fmt.Sprintf("key_u%d", i%3), KeyDisplay: fmt.Sprintf("kg_live_U%03d…", i%3), Project: []string{"usage-a", "usage-b"}[i%2],
			Member: []string{"mem_x", "mem_y", ""}[i%3], Model: []string{"m1", "m2"}[i%2], Status: 200,
			InputTokens: 100 + i, OutputTokens: 10 * i, CostUSD: 0.0001 * float64(i+1), Charged: "yes",
			CachedInputTokens: 50 + i, CacheWriteTokens: i % 7, ReasoningTokens: 5 * i}
		wantCached, wantWrite, wantReasoning = wantCached+int64(r.CachedInputTokens), wantWrite+int64(r.CacheWriteTokens), wantReasoning+int64(r.ReasoningTokens)
		if i%10 == 0 {
			r.Status, r.ErrorCode, r.CostUSD, r.Charged = 429, "rate_limit_exceeded", 0, "no"
		}
		wantCost += r.CostUSD
		rows = append(rows, r)
	}
	must(t, st.InsertLogs(ctx, rows))
	inWindow := store.UsageFilter{Since: day0, Until: day0.Add(5 * 24 * time.Hour)}

	check := func(stage string) {
		t.Helper()
		total, err := st.UsageReport(ctx, inWindow)
		must(t, err)
		if len(total) != 1 || total[0].Requests != 90 || total[0].Errors != 9 || math.Abs(total[0].CostUSD-wantCost) > 1e-9 {
			t.Fatalf("%s: totals %+v, want 90 requests, 9 errors, $%.6f", stage, total, wantCost)
		}
		if total[0].CachedInputTokens != wantCached || total[0].CacheWriteTokens != wantWrite || total[0].ReasoningTokens != wantReasoning {
			t.Fatalf("%s: token details %+v, want %d cached, %d written, %d reasoning", stage, total[0], wantCached, wantWrite, wantReasoning)
		}
		for _, dims := range [][]string{{"model"}, {"key"}, {"member"}, {"project"}, {"day"}, {"day", "model"}} {
			f := inWindow
			f.GroupBy = dims
			got, err := st.UsageReport(ctx, f)
			must(t, err)
			var req int64
			var cost float64
			for _, r := range got {
				req += r.Requests
				cost += r.CostUSD
			}
			if req != 90 || math.Abs(cost-wantCost) > 1e-9 {
				t.Fatalf("%s: group by %v sums to %d requests, $%.6f", stage, dims, req, cost)
			}
		}
		f := inWindow
		f.GroupBy = []string{"key"}
		f.Projects = []string{"usage-a"}
		got, err := st.UsageReport(ctx, f)
		must(t, err)
		if len(got) != 3 || got[0].KeyDisplay == "" {
			t.Fatalf("%s: keys of project usage-a: %+v", stage, got)
		}
		f = inWindow
		f.GroupBy = []string{"day"}
		got, err = st.UsageReport(ctx, f)
		must(t, err)
		if len(got) != 3 || !got[0].Day.Equal(day0) || !got[1].Day.Equal(day0.Add(24*time.Hour)) {
			t.Fatalf("%s: by day: %+v", stage, got)
		}
		f = store.UsageFilter{KeyID: "key_u1", Member: "mem_y", Model: "m2", GroupBy: []string{"key", "member", "model"}}
		got, err = st.UsageReport(ctx, f)
		must(t, err)
		if len(got) != 1 || got[0].KeyID != "key_u1" || got[0].Member != "mem_y" || got[0].Model != "m2" || got[0].Requests != 15 {
			t.Fatalf("%s: filtered: %+v", stage, got)
		}
	}
	check("raw")

	// Roll up the first two days; a late row for day 0 joins its totals.
	res, err := st.RollupLogs(ctx, day0.Add(48*time.Hour))
	must(t, err)
	if res.Days != 2 || res.Rows == 0 {
		t.Fatalf("rollup: %+v", res)
	}
	if left, _ := st.QueryLogs(ctx, store.LogFilter{Project: "usage-a", Until: day0.Add(48 * time.Hour)}); len(left) != 0 {
		t.Fatalf("%d raw rows left before the cut", len(left))
	}
	check("rolled up")
	late := store.RequestLog{RequestID: "req_usage_late", Time: day0.Add(time.Hour), KeyID: "key_u0", Project: "usage-a",
		Model: "m1", Status: 200, CostUSD: 0.5, Charged: "yes"}
	must(t, st.InsertLogs(ctx, []store.RequestLog{late}))
	wantCost += late.CostUSD
	res, err = st.RollupLogs(ctx, day0.Add(48*time.Hour))
	must(t, err)
	if res.Rows != 1 {
		t.Fatalf("late row rollup: %+v", res)
	}
	total, err := st.UsageReport(ctx, inWindow)
	must(t, err)
	if total[0].Requests != 91 || math.Abs(total[0].CostUSD-wantCost) > 1e-9 {
		t.Fatalf("after late row: %+v", total)
	}
	again, err := st.RollupLogs(ctx, day0.Add(48*time.Hour))
	must(t, err)
	if again.Rows != 0 {
		t.Fatalf("second rollup moved %d rows", again.Rows)
	}
	if _, err := st.UsageReport(ctx, store.UsageFilter{GroupBy: []string{"color"}}); err == nil {
		t.Fatal("unknown dimension: want an error")
	}
}

// runConcurrency checks the concurrency caps of keys and groups.
func runConcurrency(t *testing.T, st store.Store) {
	ctx := context.Background()
	must(t, st.UpsertGroup(ctx, store.Group{Name: "g-conc", Models: []string{"*"}, PriceMultiplier: 1, Concurrency: 4}))
	gs, err := st.ListGroups(ctx)
	must(t, err)
	found := false
	for _, g := range gs {
		if g.Name == "g-conc" {
			found = true
			if g.Concurrency != 4 {
				t.Fatalf("group concurrency = %d, want 4", g.Concurrency)
			}
		}
	}
	if !found {
		t.Fatal("group g-conc not listed")
	}
	must(t, st.UpsertGroup(ctx, store.Group{Name: "g-conc", Models: []string{"*"}, PriceMultiplier: 1}))
	gs, err = st.ListGroups(ctx)
	must(t, err)
	for _, g := range gs {
		if g.Name == "g-conc" && g.Concurrency != 0 {
			t.Fatalf("group concurrency after upsert without it = %d, want 0", g.Concurrency)
		}
	}
	k := &store.Key{ID: "key_conc", Hash: fmt.Sprintf("%064x", 2000), Display: "kg_live_EEEE…FFFF", Env: "live", Project: "p1",
		Group: "g-conc", State: store.KeyActive, Concurrency: 3}
	must(t, st.CreateKey(ctx, k))
	got, err := st.GetKey(ctx, k.ID)
	must(t, err)
	if got.Concurrency != 3 {
		t.Fatalf("key concurrency at create = %d, want 3", got.Concurrency)
	}
	got.Concurrency = 7
	must(t, st.UpdateKey(ctx, &got))
	if again, err := st.GetKeyByHash(ctx, k.Hash); err != nil || again.Concurrency != 7 {
		t.Fatalf("key concurrency after update: %+v, %v", again, err)
	}
}
