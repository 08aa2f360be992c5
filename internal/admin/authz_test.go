package admin_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	adminapi "github.com/keygate/keygate/internal/admin"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/testgw"
)

// azActor is one caller of the authorization matrix.
type azActor struct {
	name   string
	role   string
	token  string
	scoped bool // sees project demo only
}

// azEnv is a gateway with one caller per role: the bootstrap owner, a
// global admin and a member, support and viewer of project demo ("own");
// project other is "other".
type azEnv struct {
	t      *testing.T
	g      *testgw.Gateway
	actors []azActor
}

type azResp struct {
	status int
	body   []byte
}

func (r azResp) code() string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code
}

func (r azResp) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (e *azEnv) do(token, method, path string, body any) azResp {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.g.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return azResp{resp.StatusCode, b}
}

func (e *azEnv) owner(method, path string, body any) azResp {
	e.t.Helper()
	return e.do(testgw.AdminToken, method, path, body)
}

// newMember creates a member through the API and returns its id and token.
func (e *azEnv) newMember(email, role string, projects ...string) (string, string) {
	e.t.Helper()
	var m struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	r := e.owner("POST", "/admin/v1/members", map[string]any{"email": email, "role": role, "projects": projects})
	if r.status != http.StatusCreated {
		e.t.Fatalf("create member %s: %d %s", email, r.status, r.body)
	}
	r.decode(e.t, &m)
	if !strings.HasPrefix(m.Token, "kg_pat_") {
		e.t.Fatalf("member token %q does not start with kg_pat_", m.Token)
	}
	return m.ID, m.Token
}

func newAzEnv(t *testing.T) *azEnv {
	e := &azEnv{t: t, g: testgw.Start(t, testgw.Options{})}
	e.actors = append(e.actors, azActor{name: "owner", role: "owner", token: testgw.AdminToken})
	_, tok := e.newMember("admin@example.com", "admin")
	e.actors = append(e.actors, azActor{name: "admin", role: "admin", token: tok})
	for _, role := range []string{"member", "support", "viewer"} {
		_, tok := e.newMember(role+"@example.com", role, "demo")
		e.actors = append(e.actors, azActor{name: role + "@demo", role: role, token: tok, scoped: true})
	}
	return e
}

// requestID makes one chat call with key and returns its request id, once
// the request log holds it.
func (e *azEnv) requestID(key string) string {
	e.t.Helper()
	resp, _ := e.g.Do("POST", "/v1/chat/completions", testgw.Bearer(key),
		`{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`)
	id := resp.Header.Get("X-Request-Id")
	deadline := time.Now().Add(5 * time.Second)
	for e.owner("GET", "/admin/v1/requests/"+id, nil).status != 200 {
		if time.Now().After(deadline) {
			e.t.Fatalf("request %s never reached the request log", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return id
}

// allowedRoles is the expected authorization of every ID-bearing admin
// route, written down independently of the implementation's table: which
// roles may use it on an object of a project they see.
var allowedRoles = map[string][]string{
	"GET /admin/v1/keys/{id}":             {"owner", "admin", "member", "support", "viewer"},
	"GET /admin/v1/keys/{id}/impact":      {"owner", "admin", "member", "support", "viewer"},
	"PATCH /admin/v1/keys/{id}":           {"owner", "admin", "member"},
	"DELETE /admin/v1/keys/{id}":          {"owner", "admin", "member"},
	"POST /admin/v1/keys/{id}/disable":    {"owner", "admin", "member"},
	"POST /admin/v1/keys/{id}/enable":     {"owner", "admin", "member"},
	"POST /admin/v1/keys/{id}/rotate":     {"owner", "admin", "member"},
	"GET /admin/v1/keys/{id}/rotation":    {"owner", "admin", "member", "support", "viewer"},
	"PATCH /admin/v1/keys/{id}/rotation":  {"owner", "admin", "member"},
	"POST /admin/v1/keys/{id}/retire":     {"owner", "admin", "member"},
	"GET /admin/v1/requests/{request_id}": {"owner", "admin", "member", "support", "viewer"},
	"GET /admin/v1/projects/{name}":       {"owner", "admin", "member", "support", "viewer"},
	"PATCH /admin/v1/projects/{name}":     {"owner", "admin"},
	"GET /admin/v1/members/{id}":          {"owner", "admin", "viewer"},
	"PATCH /admin/v1/members/{id}":        {"owner", "admin"},
	"DELETE /admin/v1/members/{id}":       {"owner", "admin"},
	"POST /admin/v1/members/{id}/token":   {"owner", "admin"},
}

// bodies are sent to routes that take one; an allowed call may still be
// refused for its content (409 for a config-managed project), never with
// 403 or 404.
var azBodies = map[string]any{
	"PATCH /admin/v1/keys/{id}":          map[string]any{"name": "renamed"},
	"PATCH /admin/v1/projects/{name}":    map[string]any{"budget": nil},
	"PATCH /admin/v1/members/{id}":       map[string]any{"disabled": false},
	"POST /admin/v1/keys/{id}/rotate":    map[string]any{"grace_seconds": 0},
	"PATCH /admin/v1/keys/{id}/rotation": map[string]any{"grace_seconds": 60},
}

func TestEveryAdminRouteHasARule(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	patterns := g.App.Admin.AdminRoutePatterns()
	if len(patterns) < 20 {
		t.Fatalf("only %d admin routes recorded: %v", len(patterns), patterns)
	}
	for _, p := range patterns {
		if _, _, ok := adminapi.AdminRouteRule(p); !ok {
			t.Errorf("admin route %q has no rule in adminRules (internal/httpapi/authz.go): add one", p)
		}
	}
}

// TestAuthorizationMatrix runs every ID-bearing admin route × every role ×
// an object of the caller's own project and of another project: a role
// without the permission gets 403, a scoped caller gets 404 for the other
// project's object (the same answer as for a missing one), everything else
// passes authorization.
func TestAuthorizationMatrix(t *testing.T) {
	e := newAzEnv(t)
	ownKey := e.g.CreateKey(map[string]any{"project": "demo"})
	otherKey := e.g.CreateKey(map[string]any{"project": "other"})
	req := map[string]string{"own": e.requestID(ownKey.Key), "other": e.requestID(otherKey.Key)}
	project := map[string]string{"own": "demo", "other": "other"}
	n := 0
	for _, pattern := range e.g.App.Admin.AdminRoutePatterns() {
		perm, object, _ := adminapi.AdminRouteRule(pattern)
		if object == "" {
			continue
		}
		allowed, ok := allowedRoles[pattern]
		if !ok {
			t.Errorf("ID-bearing admin route %q has no expectation in allowedRoles: decide which roles may use it", pattern)
			continue
		}
		method, path, _ := strings.Cut(pattern, " ")
		for _, a := range e.actors {
			if got, want := adminapi.RolePermits(a.role, perm), azContains(allowed, a.role); got != want {
				t.Errorf("%s: role %s permitted=%v by the rule table, want %v", pattern, a.role, got, want)
			}
			for _, side := range []string{"own", "other"} {
				var id string
				switch object {
				case "key":
					id = e.g.CreateKey(map[string]any{"project": project[side]}).ID
				case "request":
					id = req[side]
				case "project":
					id = project[side]
				case "member":
					id, _ = e.newMember(strings.ReplaceAll(a.name+"-"+side+"-"+strings.ToLower(method)+"-"+strings.NewReplacer("/", "-", "{", "", "}", "").Replace(path), "@", ".")+"@example.com",
						"member", project[side])
				}
				p := strings.NewReplacer("{id}", id, "{request_id}", id, "{name}", id).Replace(path)
				r := e.do(a.token, method, p, azBodies[pattern])
				n++
				what := a.name + " " + method + " " + p + " (" + side + " project)"
				switch {
				case !azContains(allowed, a.role):
					if r.status != 403 || r.code() != "permission_denied" {
						t.Errorf("%s: %d %s, want 403 permission_denied", what, r.status, r.body)
					}
				case side == "other" && a.scoped:
					if r.status != 404 || r.code() != "not_found" {
						t.Errorf("%s: %d %s, want 404 not_found", what, r.status, r.body)
					}
				default:
					if r.status == 403 || r.status == 404 || r.status >= 500 {
						t.Errorf("%s: %d %s, want it authorized", what, r.status, r.body)
					}
				}
			}
		}
	}
	t.Logf("%d authorization cases", n)
	if n < 100 {
		t.Fatalf("only %d cases ran", n)
	}
}

// TestOtherProjectLooksMissing checks that a scoped caller cannot tell an
// object of another project from one that does not exist.
func TestOtherProjectLooksMissing(t *testing.T) {
	e := newAzEnv(t)
	member := e.actors[2]
	other := e.g.CreateKey(map[string]any{"project": "other"})
	hidden := e.do(member.token, "GET", "/admin/v1/keys/"+other.ID, nil)
	missing := e.do(member.token, "GET", "/admin/v1/keys/key_doesnotexist", nil)
	norm := func(r azResp, id string) string {
		var e map[string]map[string]any
		r.decode(t, &e)
		delete(e["error"], "request_id")
		b, _ := json.Marshal(e)
		return strings.ReplaceAll(string(b), id, "X")
	}
	if hidden.status != 404 || missing.status != 404 || norm(hidden, other.ID) != norm(missing, "key_doesnotexist") {
		t.Fatalf("hidden and missing keys answer differently:\n%s\n%s", hidden.body, missing.body)
	}
}

// TestListsAreScoped checks list routes and filters for a member of demo.
func TestListsAreScoped(t *testing.T) {
	e := newAzEnv(t)
	member := e.actors[2]
	own := e.g.CreateKey(map[string]any{"project": "demo"})
	other := e.g.CreateKey(map[string]any{"project": "other"})
	e.requestID(own.Key)
	e.requestID(other.Key)

	var list struct {
		Data []map[string]any `json:"data"`
	}
	e.do(member.token, "GET", "/admin/v1/keys", nil).decode(t, &list)
	for _, k := range list.Data {
		if k["project"] != "demo" {
			t.Fatalf("member of demo lists a key of %v", k["project"])
		}
	}
	if len(list.Data) != 1 {
		t.Fatalf("member of demo lists %d keys, want 1", len(list.Data))
	}
	e.do(member.token, "GET", "/admin/v1/logs", nil).decode(t, &list)
	if len(list.Data) != 1 || list.Data[0]["project"] != "demo" {
		t.Fatalf("member's logs: %v", list.Data)
	}
	e.do(member.token, "GET", "/admin/v1/projects", nil).decode(t, &list)
	if len(list.Data) != 1 || list.Data[0]["name"] != "demo" {
		t.Fatalf("member's projects: %v", list.Data)
	}
	for _, path := range []string{"/admin/v1/keys?project=other", "/admin/v1/logs?project=other", "/admin/v1/usage?project=other",
		"/admin/v1/logs?key_id=" + other.ID, "/admin/v1/usage?key_id=" + other.ID, "/admin/v1/audit?object=" + other.ID} {
		if r := e.do(member.token, "GET", path, nil); r.status != 404 {
			t.Errorf("member GET %s: %d %s, want 404", path, r.status, r.body)
		}
	}
	var usage struct {
		Data   []map[string]any `json:"data"`
		Totals map[string]any   `json:"totals"`
	}
	e.do(member.token, "GET", "/admin/v1/usage?group_by=project", nil).decode(t, &usage)
	if len(usage.Data) != 1 || usage.Data[0]["project"] != "demo" {
		t.Fatalf("member's usage: %v", usage.Data)
	}
	e.do(member.token, "GET", "/admin/v1/audit", nil).decode(t, &list)
	for _, ev := range list.Data {
		if ev["object"] != own.ID {
			t.Fatalf("member sees audit event of %v", ev["object"])
		}
	}
	// The digest check hides keys of other projects.
	var check struct {
		Data []struct {
			Known bool `json:"known"`
		} `json:"data"`
	}
	e.do(member.token, "POST", "/admin/v1/keys/check", map[string]any{"digests": []string{keys.HashHex(own.Key), keys.HashHex(other.Key)}}).decode(t, &check)
	if len(check.Data) != 2 || !check.Data[0].Known || check.Data[1].Known {
		t.Fatalf("digest check for member: %+v", check.Data)
	}
	// The member may create keys in demo only, and owns what it creates.
	if r := e.do(member.token, "POST", "/admin/v1/keys", map[string]any{"project": "other"}); r.status != 404 {
		t.Fatalf("member creates a key in other: %d %s", r.status, r.body)
	}
	var created struct {
		ID string `json:"id"`
	}
	r := e.do(member.token, "POST", "/admin/v1/keys", map[string]any{"project": "demo"})
	r.decode(t, &created)
	var mine struct {
		Data []map[string]any `json:"data"`
	}
	e.owner("GET", "/admin/v1/keys?member=member@example.com", nil).decode(t, &mine)
	if len(mine.Data) != 1 || mine.Data[0]["id"] != created.ID {
		t.Fatalf("keys owned by the member: %v", mine.Data)
	}
}

func TestCredentialKindsStayApart(t *testing.T) {
	e := newAzEnv(t)
	k := e.g.CreateKey(nil)
	if r := e.do(k.Key, "GET", "/admin/v1/keys", nil); r.status != 401 && r.status != 403 {
		t.Fatalf("an API key on the admin API: %d %s", r.status, r.body)
	}
	member := e.actors[2]
	resp, body := e.g.Do("POST", "/v1/chat/completions", testgw.Bearer(member.token),
		`{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 401 || strings.Contains(string(body), member.token) {
		t.Fatalf("a member token on /v1: %d %s", resp.StatusCode, body)
	}
}

func TestMemberLifecycle(t *testing.T) {
	e := newAzEnv(t)
	admin := e.actors[1]
	// Admins cannot create, change or re-token owners.
	if r := e.do(admin.token, "POST", "/admin/v1/members", map[string]any{"email": "o2@example.com", "role": "owner"}); r.status != 403 {
		t.Fatalf("admin creates an owner: %d %s", r.status, r.body)
	}
	ownerID, ownerTok := e.newMember("o2@example.com", "owner")
	for _, c := range []struct{ method, path string }{{"PATCH", "/admin/v1/members/" + ownerID}, {"DELETE", "/admin/v1/members/" + ownerID},
		{"POST", "/admin/v1/members/" + ownerID + "/token"}} {
		if r := e.do(admin.token, c.method, c.path, map[string]any{}); r.status != 403 {
			t.Fatalf("admin %s %s: %d %s", c.method, c.path, r.status, r.body)
		}
	}
	// The last enabled owner member stays.
	if r := e.owner("PATCH", "/admin/v1/members/"+ownerID, map[string]any{"role": "admin"}); r.status != 409 {
		t.Fatalf("demote the last owner: %d %s", r.status, r.body)
	}
	// Validation speaks to the operator.
	for _, body := range []map[string]any{{"email": "nope", "role": "viewer"}, {"email": "x@example.com", "role": "boss"},
		{"email": "x@example.com", "role": "member"}, {"email": "x@example.com", "role": "member", "projects": []string{"ghost"}},
		{"email": "x@example.com", "role": "viewer", "password": "short"}} {
		if r := e.owner("POST", "/admin/v1/members", body); r.status != 400 && r.status != 404 {
			t.Fatalf("invalid member %v: %d %s", body, r.status, r.body)
		}
	}
	if r := e.owner("POST", "/admin/v1/members", map[string]any{"email": "ADMIN@example.com", "role": "viewer"}); r.status != 409 {
		t.Fatalf("duplicate email: %d %s", r.status, r.body)
	}
	// Token rotation: the old token stops working at once.
	id, tok := e.newMember("rot@example.com", "viewer", "demo")
	var me struct {
		Email string `json:"email"`
		Token string `json:"token"`
	}
	e.do(tok, "GET", "/admin/v1/members/me", nil).decode(t, &me)
	if me.Email != "rot@example.com" || me.Token != "" {
		t.Fatalf("me: %+v", me)
	}
	e.do(tok, "POST", "/admin/v1/members/me/token", nil).decode(t, &me)
	if r := e.do(tok, "GET", "/admin/v1/members/me", nil); r.status != 401 {
		t.Fatalf("old token after rotation: %d", r.status)
	}
	if r := e.do(me.Token, "GET", "/admin/v1/members/me", nil); r.status != 200 {
		t.Fatalf("new token: %d", r.status)
	}
	// Disabled members cannot sign in; deleted ones neither.
	e.owner("PATCH", "/admin/v1/members/"+id, map[string]any{"disabled": true})
	if r := e.do(me.Token, "GET", "/admin/v1/members/me", nil); r.status != 403 {
		t.Fatalf("disabled member: %d %s", r.status, r.body)
	}
	e.owner("DELETE", "/admin/v1/members/"+id, nil)
	if r := e.do(me.Token, "GET", "/admin/v1/members/me", nil); r.status != 401 {
		t.Fatalf("deleted member: %d", r.status)
	}
	// A password is stored as bcrypt and never shown.
	pid, _ := e.newMember("pw@example.com", "viewer")
	r := e.owner("PATCH", "/admin/v1/members/"+pid, map[string]any{"password": "correct horse battery staple"})
	if r.status != 200 || !strings.Contains(string(r.body), `"has_password":true`) || strings.Contains(string(r.body), "horse") {
		t.Fatalf("set password: %d %s", r.status, r.body)
	}
	m, err := e.g.App.Store.GetMember(t.Context(), pid)
	if err != nil || !strings.HasPrefix(m.PasswordHash, "$2") || !adminapi.CheckMemberPassword(m, "correct horse battery staple") ||
		adminapi.CheckMemberPassword(m, "wrong horse battery staple") {
		t.Fatalf("password hash %q", m.PasswordHash)
	}
	// The owner token of the new owner member works; audit names no token.
	if r := e.do(ownerTok, "GET", "/admin/v1/members", nil); r.status != 200 {
		t.Fatalf("owner member lists members: %d", r.status)
	}
	audit := e.owner("GET", "/admin/v1/audit?action=member.token", nil)
	if strings.Contains(string(audit.body), "kg_pat_") {
		t.Fatalf("audit holds a token: %s", audit.body)
	}
}

func TestProjectsAndGroupsAPI(t *testing.T) {
	e := newAzEnv(t)
	if r := e.owner("POST", "/admin/v1/projects", map[string]any{"name": "payments", "budget": map[string]any{"limit_usd": 50, "period": "monthly"}}); r.status != 201 ||
		!strings.Contains(string(r.body), `"managed_by":"api"`) {
		t.Fatalf("create project: %d %s", r.status, r.body)
	}
	if r := e.owner("POST", "/admin/v1/projects", map[string]any{"name": "payments"}); r.status != 409 {
		t.Fatalf("duplicate project: %d", r.status)
	}
	if r := e.owner("PATCH", "/admin/v1/projects/demo", map[string]any{"budget": nil}); r.status != 409 ||
		!strings.Contains(string(r.body), "KEYGATE_CONFIG") {
		t.Fatalf("change a config-managed project: %d %s", r.status, r.body)
	}
	if r := e.owner("PATCH", "/admin/v1/projects/payments", map[string]any{"budget": map[string]any{"limit_usd": 75, "period": "daily"}}); r.status != 200 ||
		!strings.Contains(string(r.body), `"limit_usd":75`) {
		t.Fatalf("patch project: %d %s", r.status, r.body)
	}
	if r := e.owner("POST", "/admin/v1/groups", map[string]any{"name": "mini", "models": []string{"mock-gpt-mini"}, "rpm": 5}); r.status != 201 {
		t.Fatalf("create group: %d %s", r.status, r.body)
	}
	// The new group is usable at once.
	k := e.g.CreateKey(map[string]any{"project": "payments", "group": "mini"})
	resp, body := e.g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`)
	if resp.StatusCode != 403 {
		t.Fatalf("group mini allows mock-gpt: %d %s", resp.StatusCode, body)
	}
	if r := e.owner("PATCH", "/admin/v1/groups/default", map[string]any{"rpm": 1}); r.status != 409 {
		t.Fatalf("change a config-managed group: %d %s", r.status, r.body)
	}
	viewer := e.actors[4]
	if r := e.do(viewer.token, "POST", "/admin/v1/projects", map[string]any{"name": "nope"}); r.status != 403 {
		t.Fatalf("viewer creates a project: %d", r.status)
	}
	var groups struct {
		Data []map[string]any `json:"data"`
	}
	e.do(viewer.token, "GET", "/admin/v1/groups", nil).decode(t, &groups)
	if len(groups.Data) != 3 {
		t.Fatalf("groups: %v", groups.Data)
	}
}

func azContains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
