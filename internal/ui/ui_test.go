package ui_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testgw"
)

// browser is a cookie-keeping client that does not follow redirects, so
// each step's answer can be checked.
type browser struct {
	t    *testing.T
	g    *testgw.Gateway
	c    *http.Client
	lang string
}

func newBrowser(t *testing.T, g *testgw.Gateway) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, g: g, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.g.URL+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	s, _ := io.ReadAll(resp.Body)
	return resp, string(s)
}

func (b *browser) get(path string) (*http.Response, string) { return b.do("GET", path, nil) }

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field in the page:\n%s", page)
	}
	return m[1]
}

// signIn signs in with the form fields and fails the test unless the
// dashboard answered with a session.
func (b *browser) signIn(fields url.Values) {
	b.t.Helper()
	_, page := b.get("/ui/signin")
	fields.Set("csrf", csrfOf(b.t, page))
	resp, body := b.do("POST", "/ui/signin", fields)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/keys" {
		b.t.Fatalf("sign-in: %d %s\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
}

// post sends a form from the page at from, with that page's CSRF token.
func (b *browser) post(from, path string, fields url.Values) (*http.Response, string) {
	b.t.Helper()
	_, page := b.get(from)
	fields.Set("csrf", csrfOf(b.t, page))
	return b.do("POST", path, fields)
}

func TestSessionCookieSignOutAndCSP(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	b := newBrowser(t, g)
	resp, _ := b.get("/ui/keys")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/signin" {
		t.Fatalf("without a session: %d %s, want 303 to /ui/signin", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := b.get("/ui/signin")
	pre := csrfOf(t, page)
	resp, _ = b.do("POST", "/ui/signin", url.Values{"csrf": {pre}, "token": {testgw.AdminToken}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in with the owner token: %d", resp.StatusCode)
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "kg_ui_session" && c.Value != "" {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/ui/" {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/ui/", session)
	}
	if session.Secure {
		t.Error("Secure cookie over plain http on loopback: the browser would drop it")
	}
	if strings.Contains(resp.Header.Get("Set-Cookie"), testgw.AdminToken) {
		t.Fatal("the token is in a cookie")
	}
	resp, page = b.get("/ui/keys")
	if resp.StatusCode != 200 || !strings.Contains(page, `id="create-key"`) {
		t.Fatalf("keys page: %d\n%s", resp.StatusCode, page)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "form-action 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", resp.Header.Get("Cache-Control"))
	}
	resp, _ = b.post("/ui/keys", "/ui/signout", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	// The old cookie no longer opens anything, even if the browser kept it.
	req, _ := http.NewRequest("GET", g.URL+"/ui/keys", nil)
	req.AddCookie(&http.Cookie{Name: "kg_ui_session", Value: session.Value})
	r2, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusSeeOther {
		t.Fatalf("after sign-out the old session cookie still works: %d", r2.StatusCode)
	}
}

func TestChangeWithoutCSRFTokenRefused(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	b := newBrowser(t, g)
	b.signIn(url.Values{"token": {testgw.AdminToken}})
	k := g.CreateKey(map[string]any{"project": "demo"})
	for name, form := range map[string]url.Values{
		"no token":    {"reason": {"x"}},
		"wrong token": {"reason": {"x"}, "csrf": {"forged"}},
	} {
		resp, _ := b.do("POST", "/ui/keys/"+k.ID+"/disable", form)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, resp.StatusCode)
		}
	}
	resp, _ := b.do("POST", "/ui/keys", url.Values{"project": {"demo"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("create without token: %d, want 403", resp.StatusCode)
	}
	var list struct {
		Data []struct{ State string } `json:"data"`
	}
	g.Admin("GET", "/admin/v1/keys", nil, &list)
	if len(list.Data) != 1 || list.Data[0].State != "active" {
		t.Fatalf("a refused POST changed something: %+v", list.Data)
	}
	// A sign-in without its own form token is refused too.
	resp, _ = b.do("POST", "/ui/signin", url.Values{"token": {testgw.AdminToken}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the form token: %d, want 403", resp.StatusCode)
	}
}

func createMember(t *testing.T, g *testgw.Gateway, email, role, password string) string {
	t.Helper()
	var m struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	if st := g.Admin("POST", "/admin/v1/members", map[string]any{"email": email, "role": role, "password": password}, &m); st != 201 && st != 200 {
		t.Fatalf("create member: %d", st)
	}
	return m.ID
}

func TestSupportMemberCannotChangeAKey(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(map[string]any{"project": "demo"})
	createMember(t, g, "help@example.com", "support", "support-passphrase-1")
	b := newBrowser(t, g)
	b.signIn(url.Values{"email": {"help@example.com"}, "password": {"support-passphrase-1"}})
	_, page := b.get("/ui/keys/" + k.ID)
	for _, control := range []string{`id="disable-form"`, `id="leak-form"`, `id="rotate-form"`} {
		if strings.Contains(page, control) {
			t.Errorf("support sees %s", control)
		}
	}
	if _, list := b.get("/ui/keys"); strings.Contains(list, `id="create-key"`) {
		t.Error("support sees the create form")
	}
	// A forged POST with a valid session and CSRF token: the admin rule refuses it.
	resp, body := b.post("/ui/keys/"+k.ID, "/ui/keys/"+k.ID+"/disable", url.Values{"reason": {"forged"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "permission_denied") {
		t.Fatalf("support's disable: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = b.post("/ui/keys", "/ui/keys", url.Values{"project": {"demo"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("support's create: %d", resp.StatusCode)
	}
	var got struct{ State string }
	g.Admin("GET", "/admin/v1/keys/"+k.ID, nil, &got)
	if got.State != "active" {
		t.Fatalf("key state %q after support's refused disable", got.State)
	}
}

var plainRe = regexp.MustCompile(`kg_(live|test)_[0-9A-Za-z]{38}`)

func TestNewKeyShownOnceThenRefusedWhenDisabled(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	b := newBrowser(t, g)
	b.signIn(url.Values{"token": {testgw.AdminToken}})
	resp, _ := b.post("/ui/keys", "/ui/keys", url.Values{"project": {"demo"}, "name": {"web"}, "env": {"live"}, "budget_usd": {"5"}, "budget_period": {"monthly"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	shown := resp.Header.Get("Location")
	if plainRe.MatchString(shown) {
		t.Fatal("the key is in the redirect URL")
	}
	r1, page := b.get(shown)
	plain := plainRe.FindString(page)
	if r1.StatusCode != 200 || plain == "" {
		t.Fatalf("shown page %d without the key:\n%s", r1.StatusCode, page)
	}
	if !strings.Contains(page, "export OPENAI_API_KEY="+plain) || !strings.Contains(page, "export OPENAI_BASE_URL="+g.URL+"/v1") {
		t.Errorf("the env lines are missing:\n%s", page)
	}
	if r1.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the key page may be cached: %q", r1.Header.Get("Cache-Control"))
	}
	// Reload: gone. And on no other page either.
	_, again := b.get(shown)
	if strings.Contains(again, plain) || !strings.Contains(again, `id="gone"`) {
		t.Fatalf("the key was shown a second time:\n%s", again)
	}
	keyID := strings.Split(strings.TrimPrefix(shown, "/ui/keys/"), "/")[0]
	for _, p := range []string{"/ui/keys", "/ui/keys/" + keyID, "/ui/logs"} {
		if _, body := b.get(p); plainRe.MatchString(body) {
			t.Errorf("%s shows a key's plaintext", p)
		}
	}
	// The key works, then the dashboard's disable stops it.
	if r, body := g.Do("GET", "/v1/models", testgw.Bearer(plain), ""); r.StatusCode != 200 {
		t.Fatalf("new key refused: %d %s", r.StatusCode, body)
	}
	resp, _ = b.post("/ui/keys/"+keyID, "/ui/keys/"+keyID+"/disable", url.Values{"reason": {"client retired"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", resp.StatusCode)
	}
	r, body := g.Do("GET", "/v1/models", testgw.Bearer(plain), "")
	if r.StatusCode != 401 || !strings.Contains(string(body), "key_disabled") {
		t.Fatalf("after the dashboard's disable: %d %s", r.StatusCode, body)
	}
	// The audit row is the API's own, with the reason and the browser's address.
	var audit struct {
		Data []struct {
			Actor    string `json:"actor"`
			Action   string `json:"action"`
			SourceIP string `json:"source_ip"`
			Detail   struct {
				Reason string `json:"reason"`
			} `json:"detail"`
		} `json:"data"`
	}
	g.Admin("GET", "/admin/v1/audit?object="+keyID, nil, &audit)
	found := false
	for _, a := range audit.Data {
		if a.Action == "key.disable" {
			found = a.Actor == "bootstrap" && a.SourceIP == "127.0.0.1" && a.Detail.Reason == "client retired"
		}
	}
	if !found {
		t.Fatalf("no key.disable audit row by bootstrap from 127.0.0.1 with the reason: %+v", audit.Data)
	}
	_, kp := b.get("/ui/keys/" + keyID)
	if !strings.Contains(kp, "client retired") || !strings.Contains(kp, `id="enable-form"`) {
		t.Fatalf("key page after disable lacks the reason or the enable control:\n%s", kp)
	}
}

func TestSessionEndsWhenMemberDisabledOrRetokened(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	for _, change := range []struct {
		name string
		do   func(id string)
	}{
		{"disabled", func(id string) { g.Admin("PATCH", "/admin/v1/members/"+id, map[string]any{"disabled": true}, nil) }},
		{"re-tokened", func(id string) { g.Admin("POST", "/admin/v1/members/"+id+"/token", nil, nil) }},
	} {
		t.Run(change.name, func(t *testing.T) {
			email := strings.ReplaceAll(change.name, "-", "") + "@example.com"
			id := createMember(t, g, email, "admin", "admin-passphrase-1")
			b := newBrowser(t, g)
			b.signIn(url.Values{"email": {email}, "password": {"admin-passphrase-1"}})
			if r, _ := b.get("/ui/keys"); r.StatusCode != 200 {
				t.Fatalf("signed in: %d", r.StatusCode)
			}
			change.do(id)
			if r, _ := b.get("/ui/keys"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/ui/signin" {
				t.Fatalf("after the member was %s: %d %s", change.name, r.StatusCode, r.Header.Get("Location"))
			}
		})
	}
}

func TestSignInRateLimitedPerAddress(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // a still clock: no token comes back during the test
	g := testgw.Start(t, testgw.Options{Now: func() time.Time { return now }})
	b := newBrowser(t, g)
	var last int
	for i := 0; i < 6; i++ {
		_, page := b.get("/ui/signin")
		resp, _ := b.do("POST", "/ui/signin", url.Values{"csrf": {csrfOf(t, page)}, "token": {"wrong-token-0123456789abcdefghijklmnop"}})
		last = resp.StatusCode
		if i < 5 && last != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i+1, last)
		}
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("6th attempt: %d, want 429", last)
	}
	// Even the right token waits: the limit is on attempts.
	_, page := b.get("/ui/signin")
	resp, _ := b.do("POST", "/ui/signin", url.Values{"csrf": {csrfOf(t, page)}, "token": {testgw.AdminToken}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right token while limited: %d", resp.StatusCode)
	}
}

func TestChineseFromAcceptLanguageAndSwitch(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	b := newBrowser(t, g)
	b.lang = "zh-CN,zh;q=0.9"
	_, page := b.get("/ui/signin")
	if !strings.Contains(page, "登录 keygate") || !strings.Contains(page, `lang="zh-CN"`) {
		t.Fatalf("zh-CN sign-in page:\n%s", page)
	}
	resp, _ := b.get("/ui/lang?to=en&back=/ui/signin")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/signin" {
		t.Fatalf("switch: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page = b.get("/ui/signin"); !strings.Contains(page, "Sign in to keygate") {
		t.Fatalf("after the switch to English:\n%s", page)
	}
	if resp, _ := b.get("/ui/lang?to=en&back=//evil.example/"); resp.Header.Get("Location") != "/ui/keys" {
		t.Fatalf("the switch redirects off the dashboard: %s", resp.Header.Get("Location"))
	}
}

func TestLeakFlow(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(map[string]any{"project": "demo"})
	if r, body := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`); r.StatusCode != 200 {
		t.Fatalf("call: %d %s", r.StatusCode, body)
	}
	g.Logs("key_id="+k.ID, 1)
	b := newBrowser(t, g)
	b.signIn(url.Values{"token": {testgw.AdminToken}})
	resp, _ := b.post("/ui/keys/"+k.ID, "/ui/keys/"+k.ID+"/leak", url.Values{"reason": {"leak: pasted in a public chat"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/keys/"+k.ID+"/leak" {
		t.Fatalf("leak: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if r, _ := g.Do("GET", "/v1/models", testgw.Bearer(k.Key), ""); r.StatusCode != 401 {
		t.Fatalf("leaked key still works: %d", r.StatusCode)
	}
	_, page := b.get("/ui/keys/" + k.ID + "/leak")
	for _, want := range []string{"pasted in a public chat", "mock-gpt", "127.0.0.1", `id="incident-link"`, `id="replace-submit"`} {
		if !strings.Contains(page, want) {
			t.Errorf("leak page lacks %q", want)
		}
	}
	resp, _ = b.post("/ui/keys/"+k.ID+"/leak", "/ui/keys/"+k.ID+"/replace", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("replace: %d", resp.StatusCode)
	}
	_, shown := b.get(resp.Header.Get("Location"))
	plain := plainRe.FindString(shown)
	if plain == "" || !strings.Contains(shown, `id="incident-link"`) {
		t.Fatalf("replacement page:\n%s", shown)
	}
	if r, _ := g.Do("GET", "/v1/models", testgw.Bearer(plain), ""); r.StatusCode != 200 {
		t.Fatalf("replacement refused: %d", r.StatusCode)
	}
	if r, _ := g.Do("GET", "/v1/models", testgw.Bearer(k.Key), ""); r.StatusCode != 401 {
		t.Fatalf("leaked key works again after the replacement: %d", r.StatusCode)
	}
	inc := regexp.MustCompile(`href="(/ui/incidents/[^"]+)"`).FindStringSubmatch(shown)
	_, rec := b.get(inc[1])
	if !strings.Contains(rec, k.Display) || !strings.Contains(rec, "key.disable") {
		t.Fatalf("incident record:\n%s", rec)
	}
}

func TestUsagePageAndCSV(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(map[string]any{"project": "demo"})
	for i := 0; i < 2; i++ {
		if r, body := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`); r.StatusCode != 200 {
			t.Fatalf("call: %d %s", r.StatusCode, body)
		}
	}
	g.Logs("key_id="+k.ID, 2)
	b := newBrowser(t, g)
	b.signIn(url.Values{"token": {testgw.AdminToken}})
	_, page := b.get("/ui/usage?by=model")
	if !strings.Contains(page, "mock-gpt") || !strings.Contains(page, "<svg") {
		t.Fatalf("usage by model:\n%s", page)
	}
	resp, csvText := b.get("/ui/usage.csv?by=key")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(csvText), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "key,requests,") || !strings.Contains(lines[1], k.ID) || !strings.Contains(lines[1], ",2,") {
		t.Fatalf("csv by key:\n%s", csvText)
	}
	if plainRe.MatchString(csvText) {
		t.Fatal("the CSV has a key's plaintext")
	}
}

func TestChannelsPageDisableEnableAndViewerRefused(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	b := newBrowser(t, g)
	b.signIn(url.Values{"token": {testgw.AdminToken}})
	_, page := b.get("/ui/channels")
	if !strings.Contains(page, `id="ch-mock"`) || !strings.Contains(page, "/ui/channels/mock/test") {
		t.Fatalf("channels page:\n%s", page)
	}
	if strings.Contains(page, testgw.UpstreamKey) {
		t.Fatal("the channels page shows the upstream credential")
	}
	resp, _ := b.post("/ui/channels", "/ui/channels/mock/disable", url.Values{"reason": {"maintenance"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable channel: %d", resp.StatusCode)
	}
	var ch struct {
		Enabled        bool   `json:"enabled"`
		DisabledReason string `json:"disabled_reason"`
	}
	g.Admin("GET", "/admin/v1/channels/mock", nil, &ch)
	if ch.Enabled || !strings.Contains(ch.DisabledReason, "maintenance") {
		t.Fatalf("after the dashboard's disable: %+v", ch)
	}
	resp, _ = b.post("/ui/channels", "/ui/channels/mock/test", url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("test channel: %d", resp.StatusCode)
	}
	if _, page = b.get("/ui/channels"); !strings.Contains(page, "Test report") {
		t.Fatal("no test report after the test")
	}
	createMember(t, g, "look@example.com", "viewer", "viewer-passphrase-1")
	v := newBrowser(t, g)
	v.signIn(url.Values{"email": {"look@example.com"}, "password": {"viewer-passphrase-1"}})
	if _, vp := v.get("/ui/channels"); strings.Contains(vp, "/ui/channels/mock/enable") {
		t.Error("a viewer sees the enable control")
	}
	resp, _ = v.post("/ui/channels", "/ui/channels/mock/enable", url.Values{})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("viewer's enable: %d, want 403", resp.StatusCode)
	}
	g.Admin("GET", "/admin/v1/channels/mock", nil, &ch)
	if ch.Enabled {
		t.Fatal("a viewer's refused enable enabled the channel")
	}
}

func TestRotateWithGraceShowsNewKeyOnceAndTheReport(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(map[string]any{"project": "demo"})
	b := newBrowser(t, g)
	b.signIn(url.Values{"token": {testgw.AdminToken}})
	resp, _ := b.post("/ui/keys/"+k.ID, "/ui/keys/"+k.ID+"/rotate", url.Values{"grace_seconds": {"86400"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("rotate: %d", resp.StatusCode)
	}
	shown := resp.Header.Get("Location")
	_, page := b.get(shown)
	plain := plainRe.FindString(page)
	if plain == "" || plain == k.Key {
		t.Fatalf("rotation page lacks the new key:\n%s", page)
	}
	if _, again := b.get(shown); strings.Contains(again, plain) {
		t.Fatal("the rotated key was shown twice")
	}
	// Before any client has moved the report refreshes itself. (Read before
	// the calls below: once their rows are written the one client counts as
	// migrated and the page stops refreshing, which depended on the log
	// writer's timing.)
	_, old := b.get("/ui/keys/" + k.ID)
	if !strings.Contains(old, `id="rotation"`) || !strings.Contains(old, `http-equiv="refresh"`) {
		t.Fatalf("old key page lacks the refreshing rotation report:\n%s", old)
	}
	for _, key := range []string{k.Key, plain} { // the old key works during its grace window
		if r, _ := g.Do("GET", "/v1/models", testgw.Bearer(key), ""); r.StatusCode != 200 {
			t.Fatalf("%s refused during the grace window: %d", key[:12], r.StatusCode)
		}
	}
}

func TestDeleteNeedsConfirmationAndIncidentsList(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(map[string]any{"project": "demo"})
	b := newBrowser(t, g)
	b.signIn(url.Values{"token": {testgw.AdminToken}})
	if resp, _ := b.post("/ui/keys/"+k.ID, "/ui/keys/"+k.ID+"/delete", url.Values{}); resp.StatusCode != 400 {
		t.Fatalf("unconfirmed delete: %d, want 400", resp.StatusCode)
	}
	if r, _ := g.Do("GET", "/v1/models", testgw.Bearer(k.Key), ""); r.StatusCode != 200 {
		t.Fatalf("an unconfirmed delete deleted: %d", r.StatusCode)
	}
	if resp, _ := b.post("/ui/keys/"+k.ID, "/ui/keys/"+k.ID+"/delete", url.Values{"confirm": {"yes"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if r, body := g.Do("GET", "/v1/models", testgw.Bearer(k.Key), ""); r.StatusCode != 401 || !strings.Contains(string(body), "deleted") {
		t.Fatalf("deleted key: %d %s", r.StatusCode, body)
	}
	k2 := g.CreateKey(map[string]any{"project": "demo"})
	b.post("/ui/keys/"+k2.ID, "/ui/keys/"+k2.ID+"/leak", url.Values{"reason": {"leak: test"}})
	if _, page := b.get("/ui/incidents"); !strings.Contains(page, k2.ID) {
		t.Fatalf("incidents list lacks the leak's incident:\n%s", page)
	}
}

func TestAuditPageAndRotationReportFollowsAClient(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(map[string]any{"project": "demo"})
	b := newBrowser(t, g)
	b.signIn(url.Values{"token": {testgw.AdminToken}})
	call := func(key string) {
		t.Helper()
		h := testgw.Bearer(key)
		h.Set("X-Client-Name", "billing-worker")
		if r, body := g.Do("POST", "/v1/chat/completions", h, `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`); r.StatusCode != 200 {
			t.Fatalf("call: %d %s", r.StatusCode, body)
		}
	}
	call(k.Key)
	g.Logs("key_id="+k.ID, 1)
	resp, _ := b.post("/ui/keys/"+k.ID, "/ui/keys/"+k.ID+"/rotate", url.Values{"grace_seconds": {"3600"}})
	_, shown := b.get(resp.Header.Get("Location"))
	plain := plainRe.FindString(shown)
	_, before := b.get("/ui/keys/" + k.ID)
	if !strings.Contains(before, "billing-worker") || !strings.Contains(before, "✗") {
		t.Fatalf("rotation report before the client moved:\n%s", before)
	}
	call(plain)
	g.Logs("key_id="+strings.Split(strings.TrimPrefix(resp.Header.Get("Location"), "/ui/keys/"), "/")[0], 1)
	_, after := b.get("/ui/keys/" + k.ID)
	if !strings.Contains(after, "✓") || strings.Contains(after, `http-equiv="refresh"`) {
		t.Fatalf("rotation report after the client moved (all migrated: no more refresh):\n%s", after)
	}
	_, audit := b.get("/ui/audit?object=" + k.ID)
	if !strings.Contains(audit, "key.rotate") || !strings.Contains(audit, "127.0.0.1") {
		t.Fatalf("audit page:\n%s", audit)
	}
}

// Requests of one session run at the same time (a browser loads pages in
// parallel); under -race this finds unguarded session fields.
func TestOneSessionConcurrentRequests(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	createMember(t, g, "busy@example.com", "admin", "admin-passphrase-1")
	b := newBrowser(t, g)
	b.signIn(url.Values{"email": {"busy@example.com"}, "password": {"admin-passphrase-1"}})
	done := make(chan int, 32)
	for i := 0; i < 32; i++ {
		go func() {
			req, _ := http.NewRequest("GET", g.URL+"/ui/logs", nil)
			resp, err := b.c.Do(req)
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	for i := 0; i < 32; i++ {
		if st := <-done; st != 200 {
			t.Errorf("concurrent request: %d", st)
		}
	}
}
