package ui_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/testgw"
)

var (
	tokenRe  = regexp.MustCompile(`id="new-token">(kg_pat_[A-Za-z0-9]+)<`)
	revealRe = regexp.MustCompile(`^/ui/members/(mem_[^/]+)/token/[A-Za-z0-9_-]+$`)
)

type memberJSON struct {
	ID       string   `json:"id"`
	Role     string   `json:"role"`
	Projects []string `json:"projects"`
	Disabled bool     `json:"disabled"`
}

// An owner invites a member (its token shown once), changes its role,
// disables and enables it and gives it a new token; each change is the
// admin API's (the member record says so) and the member's own dashboard
// session ends at the disable and at the new token.
func TestMembersPageInviteRoleDisableRetoken(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	owner := newBrowser(t, g)
	owner.signIn(url.Values{"token": {testgw.AdminToken}})
	resp, _ := owner.post("/ui/members", "/ui/members", url.Values{"email": {"new@example.com"}, "role": {"member"},
		"projects": {"demo"}, "password": {"member-passphrase-1"}})
	m := revealRe.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("invite: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	id, shown := m[1], resp.Header.Get("Location")
	_, page := owner.get(shown)
	tm := tokenRe.FindStringSubmatch(page)
	if tm == nil {
		t.Fatalf("the new member's token is not shown:\n%s", page)
	}
	if _, again := owner.get(shown); strings.Contains(again, tm[1]) || !strings.Contains(again, `id="gone"`) {
		t.Fatal("the token is shown a second time")
	}
	byToken := newBrowser(t, g)
	byToken.signIn(url.Values{"token": {tm[1]}})
	if r, page := byToken.get("/ui/keys"); r.StatusCode != 200 || strings.Contains(page, `href="/ui/members"`) {
		t.Fatalf("a member signed in with the token: %d, members link shown: %v", r.StatusCode, strings.Contains(page, `href="/ui/members"`))
	}

	get := func() memberJSON {
		var v memberJSON
		if st := g.Admin("GET", "/admin/v1/members/"+id, nil, &v); st != 200 {
			t.Fatalf("get member: %d", st)
		}
		return v
	}
	if r, _ := owner.post("/ui/members", "/ui/members/"+id, url.Values{"role": {"viewer"}, "projects": {"demo, other"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("role change: %d", r.StatusCode)
	}
	if v := get(); v.Role != "viewer" || strings.Join(v.Projects, ",") != "demo,other" {
		t.Fatalf("after the role change: %+v", v)
	}
	byPassword := newBrowser(t, g)
	byPassword.signIn(url.Values{"email": {"new@example.com"}, "password": {"member-passphrase-1"}})
	if r, _ := owner.post("/ui/members", "/ui/members/"+id, url.Values{"action": {"disable"}}); r.StatusCode != http.StatusSeeOther || !get().Disabled {
		t.Fatalf("disable: %d %+v", r.StatusCode, get())
	}
	// The disable deleted the member's session rows at once, before their next use.
	if _, err := g.App.Store.GetUISession(context.Background(), hexHash(sessionCookie(t, byPassword)), time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the disabled member's session row is still there: %v", err)
	}
	if r, _ := byPassword.get("/ui/keys"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the disabled member's session still works: %d", r.StatusCode)
	}
	if r, _ := owner.post("/ui/members", "/ui/members/"+id, url.Values{"action": {"enable"}}); r.StatusCode != http.StatusSeeOther || get().Disabled {
		t.Fatalf("enable: %d", r.StatusCode)
	}
	byPassword.signIn(url.Values{"email": {"new@example.com"}, "password": {"member-passphrase-1"}})
	resp, _ = owner.post("/ui/members", "/ui/members/"+id+"/token", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || !revealRe.MatchString(resp.Header.Get("Location")) {
		t.Fatalf("new token: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page := owner.get(resp.Header.Get("Location")); tokenRe.FindStringSubmatch(page) == nil || tokenRe.FindStringSubmatch(page)[1] == tm[1] {
		t.Fatal("no new token shown")
	}
	if _, err := g.App.Store.GetUISession(context.Background(), hexHash(sessionCookie(t, byPassword)), time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the re-tokened member's session row is still there: %v", err)
	}
	if r, _ := byPassword.get("/ui/keys"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the re-tokened member's session still works: %d", r.StatusCode)
	}
	if r, _ := byToken.get("/ui/keys"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the session of the old token still works: %d", r.StatusCode)
	}
	// Removing needs the confirmation.
	if r, _ := owner.post("/ui/members", "/ui/members/"+id+"/delete", url.Values{}); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("delete without confirmation: %d", r.StatusCode)
	}
	if r, _ := owner.post("/ui/members", "/ui/members/"+id+"/delete", url.Values{"confirm": {"yes"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", r.StatusCode)
	}
	if st := g.Admin("GET", "/admin/v1/members/"+id, nil, nil); st != 404 {
		t.Fatalf("deleted member: %d", st)
	}
}

// Re-tokening oneself shows the token in that answer and signs out.
func TestRetokenSelfShowsTokenAndSignsOut(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	id := createMember(t, g, "self@example.com", "admin", "admin-passphrase-1")
	b := newBrowser(t, g)
	b.signIn(url.Values{"email": {"self@example.com"}, "password": {"admin-passphrase-1"}})
	resp, page := b.post("/ui/members", "/ui/members/"+id+"/token", url.Values{})
	if resp.StatusCode != 200 || tokenRe.FindStringSubmatch(page) == nil || !strings.Contains(page, `id="self-signed-out"`) {
		t.Fatalf("self re-token: %d\n%s", resp.StatusCode, page)
	}
	if r, _ := b.get("/ui/keys"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("still signed in after the own re-token: %d", r.StatusCode)
	}
	b.signIn(url.Values{"token": {tokenRe.FindStringSubmatch(page)[1]}})
}

// Support sees no member, project or job control, the members page is
// refused, and its forged POSTs change nothing; an admin cannot touch an
// owner; a member sees only its projects.
func TestOrgPagesRoleAware(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	createMember(t, g, "help@example.com", "support", "support-passphrase-1")
	sup := newBrowser(t, g)
	sup.signIn(url.Values{"email": {"help@example.com"}, "password": {"support-passphrase-1"}})
	_, keys := sup.get("/ui/keys")
	if strings.Contains(keys, `href="/ui/members"`) {
		t.Errorf("support's navigation has the members page")
	}
	if r, _ := sup.get("/ui/members"); r.StatusCode != http.StatusForbidden {
		t.Errorf("support reads the members page: %d", r.StatusCode)
	}
	r, page := sup.get("/ui/projects")
	if r.StatusCode != 200 || strings.Contains(page, `id="create-project"`) || strings.Contains(page, `id="create-group"`) || strings.Contains(page, `action="/ui/projects/`) {
		t.Errorf("support's projects page: %d, with a change control", r.StatusCode)
	}
	csrf := csrfOf(t, page)
	for path, form := range map[string]url.Values{
		"/ui/members":           {"email": {"x@example.com"}, "role": {"owner"}},
		"/ui/projects":          {"name": {"forged"}},
		"/ui/projects/demo":     {"budget_usd": {"1"}},
		"/ui/groups":            {"name": {"forged"}},
		"/ui/jobs/job_x/cancel": {},
	} {
		form.Set("csrf", csrf)
		if r, _ := sup.do("POST", path, form); r.StatusCode != http.StatusForbidden {
			t.Errorf("support's forged POST %s: %d, want 403", path, r.StatusCode)
		}
	}
	var ps struct{ Data []struct{ Name string } }
	g.Admin("GET", "/admin/v1/projects", nil, &ps)
	if len(ps.Data) != 2 {
		t.Errorf("a forged POST made a project: %+v", ps.Data)
	}

	// An admin sees an owner's row without controls, and a forged change is refused.
	ownerID := createMember(t, g, "boss@example.com", "owner", "owner-passphrase-1")
	createMember(t, g, "adm@example.com", "admin", "admin-passphrase-1")
	adm := newBrowser(t, g)
	adm.signIn(url.Values{"email": {"adm@example.com"}, "password": {"admin-passphrase-1"}})
	_, page = adm.get("/ui/members")
	row := page[strings.Index(page, `id="m-`+ownerID+`"`):]
	row = row[:strings.Index(row, "</tr>")]
	if strings.Contains(row, "<form") {
		t.Errorf("an admin sees controls on an owner's row")
	}
	if r, _ := adm.post("/ui/members", "/ui/members/"+ownerID, url.Values{"action": {"disable"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("an admin disabling an owner: %d, want 403", r.StatusCode)
	}

	// A member of project other sees that project only.
	var mv struct{ ID string }
	g.Admin("POST", "/admin/v1/members", map[string]any{"email": "bo@example.com", "role": "member", "projects": []string{"other"}, "password": "member-passphrase-1"}, &mv)
	mem := newBrowser(t, g)
	mem.signIn(url.Values{"email": {"bo@example.com"}, "password": {"member-passphrase-1"}})
	_, page = mem.get("/ui/projects")
	if !strings.Contains(page, `id="p-other"`) || strings.Contains(page, `id="p-demo"`) {
		t.Errorf("a member of other sees the projects %q", regexp.MustCompile(`id="p-[^"]+"`).FindAllString(page, -1))
	}
}

const jobsConfig = `
groups: [{name: default, models: ["*"]}]
projects: [{name: demo}, {name: other}]
channels:
  - {name: mock, type: openai, base_url: "{{UPSTREAM}}/v1", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [mock-video, mock-gpt], groups: [default]}
models:
  - {name: mock-video, per_video_second: 0.10}
  - {name: mock-gpt, input_per_mtok: 0.15, output_per_mtok: 0.60}
`

// The jobs page lists a running video job with its reserved cost and
// cancels it; the cancelled job has no cancel control and its reserve is
// refunded.
func TestJobsPageListAndCancel(t *testing.T) {
	g := testgw.Start(t, testgw.Options{Config: jobsConfig})
	k := g.CreateKey(map[string]any{"project": "demo"})
	h := testgw.Bearer(k.Key)
	h.Set("Content-Type", "application/json")
	resp, body := g.Do("POST", "/v1/videos", h, `{"model":"mock-video","prompt":"waves mock:hang","seconds":"4"}`)
	var v struct{ ID string }
	if err := json.Unmarshal(body, &v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("create job: %d %s", resp.StatusCode, body)
	}
	b := newBrowser(t, g)
	b.signIn(url.Values{"token": {testgw.AdminToken}})
	_, page := b.get("/ui/jobs")
	row := page[strings.Index(page, `id="j-`+v.ID+`"`):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, "$0.4000") || !strings.Contains(row, `class="danger job-cancel"`) || !strings.Contains(row, k.Display) {
		t.Fatalf("job row lacks the reserve, the key or the cancel control:\n%s", row)
	}
	if r, _ := b.post("/ui/jobs", "/ui/jobs/"+v.ID+"/cancel", url.Values{}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", r.StatusCode)
	}
	_, page = b.get("/ui/jobs?state=cancelled")
	row = page[strings.Index(page, `id="j-`+v.ID+`"`):]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, "job-cancelled") || strings.Contains(row, "job-cancel\"") || !strings.Contains(row, "refunded") {
		t.Fatalf("cancelled job row:\n%s", row)
	}
	b.lang = "zh-CN"
	if _, page = b.get("/ui/jobs"); !strings.Contains(page, "已取消") || !strings.Contains(page, "已退款") {
		t.Errorf("jobs page in Chinese lacks the state or the charge")
	}
}

var budgetRowRe = regexp.MustCompile(`<tr class="budget-([a-z]+)" data-kind="([a-z]+)" data-pct="(\d+)">`)

// Budgets of a key, a member and a project are drawn with their marks and
// reset dates on the usage page; an exhausted key budget is marked so.
func TestUsageBudgetsWithMarksAndResets(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(map[string]any{"project": "demo", "budget": map[string]any{"limit_usd": 1, "period": "daily"}})
	if r, _ := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"mock-gpt","messages":[{"role":"user","content":"hello there"}]}`); r.StatusCode != 200 {
		t.Fatalf("call: %d", r.StatusCode)
	}
	g.Logs(testgw.Query("key_id", k.ID), 1)
	// A budget below what the key already spent today.
	if st := g.Admin("PATCH", "/admin/v1/keys/"+k.ID, map[string]any{"budget": map[string]any{"limit_usd": 0.000001, "period": "daily"}}, nil); st != 200 {
		t.Fatalf("key budget: %d", st)
	}
	g.Admin("POST", "/admin/v1/members", map[string]any{"email": "spender@example.com", "role": "viewer", "budget": map[string]any{"limit_usd": 50, "period": "monthly"}}, nil)
	if st := g.Admin("POST", "/admin/v1/projects", map[string]any{"name": "team", "budget": map[string]any{"limit_usd": 20, "period": "total"}}, nil); st != 201 {
		t.Fatalf("project budget: %d", st)
	}
	b := newBrowser(t, g)
	b.signIn(url.Values{"token": {testgw.AdminToken}})
	_, page := b.get("/ui/usage")
	got := map[string][]string{}
	for _, m := range budgetRowRe.FindAllStringSubmatch(page, -1) {
		got[m[2]] = m[1:]
	}
	if k := got["key"]; k == nil || k[0] != "over" {
		t.Errorf("key budget row %v, want level over", k)
	}
	if m := got["member"]; m == nil || m[0] != "ok" || m[2] != "0" {
		t.Errorf("member budget row %v, want ok at 0 %%", m)
	}
	if p := got["project"]; p == nil {
		t.Errorf("no project budget row")
	}
	for _, want := range []string{">50%</text>", ">80%</text>", ">100%</text>", "never (total)", "Exhausted", `id="day-chart"`} {
		if !strings.Contains(page, want) {
			t.Errorf("usage page lacks %q", want)
		}
	}
	tomorrow := g.App.Admin.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02") + " 00:00:00 UTC"
	if !strings.Contains(page, tomorrow) {
		t.Errorf("the daily key budget's reset %q is not shown", tomorrow)
	}
	_, page = b.get("/ui/projects")
	if !budgetRowRe.MatchString(page) || !strings.Contains(page, `id="p-team"`) {
		t.Errorf("projects page lacks the project budget")
	}
}

// An owner without a password (the first one, made at first start) sets
// one on the members page: it is signed out, then signs in by email.
func TestSetOwnPasswordThenSignInByEmail(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	var me struct{ ID, Token string }
	g.Admin("POST", "/admin/v1/members", map[string]any{"email": "first@example.com", "role": "owner"}, &me)
	b := newBrowser(t, g)
	b.signIn(url.Values{"token": {me.Token}})
	if r, _ := b.post("/ui/members", "/ui/members/"+me.ID, url.Values{"action": {"password"}, "password": {"short"}}); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("a too short password: %d, want 400", r.StatusCode)
	}
	r, _ := b.post("/ui/members", "/ui/members/"+me.ID, url.Values{"action": {"password"}, "password": {"first-passphrase-1"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/ui/signin" {
		t.Fatalf("own new password: %d %s, want 303 to the sign-in", r.StatusCode, r.Header.Get("Location"))
	}
	if r, _ := b.get("/ui/keys"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("still signed in after the new password: %d", r.StatusCode)
	}
	b.signIn(url.Values{"email": {"first@example.com"}, "password": {"first-passphrase-1"}})
}
