package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/docs"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/testgw"
	"github.com/keygate/keygate/internal/wire"
)

// errorBody is the OpenAI-shaped error with keygate's fields.
type errorBody struct {
	Error struct {
		Message   string  `json:"message"`
		Type      string  `json:"type"`
		Param     *string `json:"param"`
		Code      string  `json:"code"`
		Hint      string  `json:"hint"`
		Docs      string  `json:"docs"`
		RequestID string  `json:"request_id"`
	} `json:"error"`
}

// setKeyState changes a key's state in the store and the cache, the way
// the lifecycle endpoints do, without depending on them.
func setKeyState(t *testing.T, g *testgw.Gateway, id string, change func(k *store.Key)) {
	t.Helper()
	ctx := context.Background()
	k, err := g.App.Store.GetKey(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	change(&k)
	k.UpdatedAt = time.Now().UTC()
	if err := g.App.Store.UpdateKey(ctx, &k); err != nil {
		t.Fatal(err)
	}
	k2, err := g.App.Store.GetKey(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	g.App.Catalog.Keys().Put(&k2)
}

// typo changes one character of a key's body, keeping its shape.
func typo(k string) string {
	b := []byte(k)
	i := len(keys.PrefixLive) + 5
	if b[i] == 'a' {
		b[i] = 'b'
	} else {
		b[i] = 'a'
	}
	return string(b)
}

// TestDiagnostics drives every cause of issue 4 through the real gateway
// in front of the mock upstream: each answers with its own status, code and
// hint, a request id in header and body, a documented code, and no secret.
func TestDiagnostics(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	good := g.CreateKey(nil)
	limited := g.CreateKey(map[string]any{"group": "limited"})
	scoped := g.CreateKey(map[string]any{"models": []string{"mock-gpt"}})
	netScoped := g.CreateKey(map[string]any{"allowed_ips": []string{"10.0.0.0/8"}})
	expired := g.CreateKey(map[string]any{"expires_at": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)})
	disabled := g.CreateKey(nil)
	setKeyState(t, g, disabled.ID, func(k *store.Key) {
		k.State, k.StateAt, k.StateBy, k.StateReason = store.KeyDisabled, time.Now().UTC(), "test", "leaked in a public repo"
	})
	rotated := g.CreateKey(nil)
	replacement := g.CreateKey(nil)
	setKeyState(t, g, rotated.ID, func(k *store.Key) {
		k.State, k.StateAt, k.ReplacedBy, k.GraceUntil = store.KeyRotated, time.Now().UTC(), replacement.ID, time.Now().Add(-time.Minute).UTC()
	})
	deleted := g.CreateKey(nil)
	setKeyState(t, g, deleted.ID, func(k *store.Key) {
		k.State, k.StateAt = store.KeyDeleted, time.Now().UTC()
	})
	unknownKey, err := keys.Generate(keys.PrefixLive)
	if err != nil {
		t.Fatal(err)
	}
	k := good.Key
	chat := func(model string) string {
		return `{"model":"` + model + `","messages":[{"role":"user","content":"hi"}],"max_tokens":1}`
	}
	bearer := testgw.Bearer
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}

	// Budgets and limits (issue 6): each key is spent or held by its row.
	rpmKey := g.CreateKey(map[string]any{"rpm": 1})
	tpmKey := g.CreateKey(map[string]any{"tpm": 40})
	concKey := g.CreateKey(map[string]any{"concurrency": 1})
	broke := g.CreateKey(map[string]any{"budget": map[string]any{"limit_usd": 0.000001, "period": "total"}})
	if st := g.Admin("POST", "/admin/v1/members", map[string]any{"email": "spent@example.com", "role": "member", "projects": []string{"demo"},
		"budget": map[string]any{"limit_usd": 0.000001, "period": "monthly"}}, nil); st != http.StatusCreated {
		t.Fatalf("create member with a budget: %d", st)
	}
	memberKey := g.CreateKey(map[string]any{"member": "spent@example.com"})
	if st := g.Admin("POST", "/admin/v1/projects", map[string]any{"name": "broke", "budget": map[string]any{"limit_usd": 0.000001, "period": "daily"}}, nil); st != http.StatusCreated {
		t.Fatalf("create project with a budget: %d", st)
	}
	projectKey := g.CreateKey(map[string]any{"project": "broke"})
	spendOne := func(key string) func(t *testing.T) func() {
		return func(t *testing.T) func() {
			if resp, b := g.Do("POST", "/v1/chat/completions", bearer(key), chat("mock-gpt")); resp.StatusCode != 200 {
				t.Fatalf("first call: %d %s", resp.StatusCode, b)
			}
			return func() {}
		}
	}

	type row struct {
		method, path string
		header       http.Header
		body         string
		status       int
		code         string
		hint         string   // substring of hint
		message      string   // substring of message, when it names the cause
		secrets      []string // must not appear (beyond the display form)
		header2      [2]string
		present      []string // headers that must be set
		absent       []string // headers that must not be
		setup        func(t *testing.T) func()
	}
	rows := map[string]row{
		// missing_authorization
		"no credential": {status: 401, code: "missing_authorization", hint: "Authorization: Bearer"},
		"azure api-key header": {header: hdr("api-key", k), status: 401, code: "missing_authorization",
			message: "api-key header", secrets: []string{k}},
		"x-api-key on an OpenAI route": {header: hdr("x-api-key", k), status: 401, code: "missing_authorization",
			message: "x-api-key", secrets: []string{k}},
		"key in the URL": {path: "/v1/chat/completions?key=" + k, status: 401, code: "missing_authorization",
			message: "URL", hint: "rotat", secrets: []string{k}},
		"api_key in the URL": {path: "/v1/chat/completions?api_key=" + k, status: 401, code: "missing_authorization",
			message: "URL", secrets: []string{k}},
		// malformed_authorization
		"basic scheme":     {header: hdr("Authorization", "Basic dXNlcjpwYXNz"), status: 401, code: "malformed_authorization", hint: "Bearer"},
		"token scheme":     {header: hdr("Authorization", "Token "+k), status: 401, code: "malformed_authorization", hint: "Bearer", secrets: []string{k}},
		"bearer missing":   {header: hdr("Authorization", k), status: 401, code: "malformed_authorization", hint: "Bearer", secrets: []string{k}},
		"bearer bearer":    {header: hdr("Authorization", "Bearer Bearer "+k), status: 401, code: "malformed_authorization", secrets: []string{k}},
		"two keys, commas": {header: hdr("Authorization", "Bearer "+k+","+limited.Key), status: 401, code: "malformed_authorization", secrets: []string{k, limited.Key}},
		// invalid_api_key_format
		"double quotes":                     {header: bearer(`"` + k + `"`), status: 401, code: "invalid_api_key_format", message: "quote", secrets: []string{k}},
		"single quotes":                     {header: bearer(`'` + k + `'`), status: 401, code: "invalid_api_key_format", message: "quote", secrets: []string{k}},
		"leading space":                     {header: bearer(" " + k), status: 401, code: "invalid_api_key_format", secrets: []string{k}},
		"escaped newline (\\n from a .env)": {header: bearer(k + `\n`), status: 401, code: "invalid_api_key_format", secrets: []string{k}},
		"tab inside":                        {header: bearer(k[:20] + "\t" + k[20:]), status: 401, code: "invalid_api_key_format", secrets: []string{k}},
		"trailing NBSP":                     {header: bearer(k + "\u00a0"), status: 401, code: "invalid_api_key_format", secrets: []string{k}},
		"zero-width space":                  {header: bearer(k[:12] + "\u200b" + k[12:]), status: 401, code: "invalid_api_key_format", message: "zero", secrets: []string{k}},
		"truncated paste":                   {header: bearer(k[:30]), status: 401, code: "invalid_api_key_format", secrets: []string{k}},
		"doubled paste":                     {header: bearer(k + k), status: 401, code: "invalid_api_key_format", secrets: []string{k}},
		"typo":                              {header: bearer(typo(k)), status: 401, code: "invalid_api_key_format", message: "differ", secrets: []string{k, typo(k)}},
		"openai key":                        {header: bearer("sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD"), status: 401, code: "invalid_api_key_format", message: "OpenAI", secrets: []string{"sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD"}},
		"openai project key": {header: bearer("sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"), status: 401, code: "invalid_api_key_format",
			message: "OpenAI", secrets: []string{"sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"}},
		"anthropic key": {header: bearer("sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789"), status: 401, code: "invalid_api_key_format",
			message: "Anthropic", secrets: []string{"sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789"}},
		"google key": {header: bearer("AIzaSyA-abcdefghijklmnopqrstuvwxyz01234"), status: 401, code: "invalid_api_key_format",
			message: "Google", secrets: []string{"AIzaSyA-abcdefghijklmnopqrstuvwxyz01234"}},
		"undefined":        {header: bearer("undefined"), status: 401, code: "invalid_api_key_format", message: "environment variable"},
		"null":             {header: bearer("null"), status: 401, code: "invalid_api_key_format", message: "environment variable"},
		"None":             {header: bearer("None"), status: 401, code: "invalid_api_key_format", message: "environment variable"},
		"$VAR":             {header: bearer("$OPENAI_API_KEY"), status: 401, code: "invalid_api_key_format", message: "environment variable"},
		"${VAR}":           {header: bearer("${OPENAI_API_KEY}"), status: 401, code: "invalid_api_key_format", message: "environment variable"},
		"<placeholder>":    {header: bearer("<your-api-key>"), status: 401, code: "invalid_api_key_format", message: "placeholder"},
		"unknown key":      {header: bearer(unknownKey), status: 401, code: "invalid_api_key", message: "did not issue", secrets: []string{unknownKey}},
		"deleted key":      {header: bearer(deleted.Key), status: 401, code: "invalid_api_key", message: "was deleted", secrets: []string{deleted.Key}},
		"disabled key":     {header: bearer(disabled.Key), status: 401, code: "key_disabled", message: "leaked in a public repo", secrets: []string{disabled.Key}},
		"expired key":      {header: bearer(expired.Key), status: 401, code: "key_expired", message: "expired at", secrets: []string{expired.Key}},
		"rotated key":      {header: bearer(rotated.Key), status: 401, code: "key_rotated", message: replacement.ID, secrets: []string{rotated.Key, replacement.Key}},
		"outside its CIDR": {header: bearer(netScoped.Key), status: 403, code: "ip_not_allowed", message: "127.0.0.1", secrets: []string{netScoped.Key}},
		// models
		"model not in group": {header: bearer(limited.Key), body: chat("mock-gpt-mini"), status: 403, code: "model_not_allowed",
			message: `group "limited"`, hint: "GET /v1/models", secrets: []string{limited.Key}},
		"model outside key scope": {header: bearer(scoped.Key), body: chat("mock-gpt-mini"), status: 403, code: "model_not_allowed",
			message: "allow-list", hint: "GET /v1/models", secrets: []string{scoped.Key}},
		"misspelt model": {header: bearer(k), body: chat("mock-gtp"), status: 404, code: "model_not_found",
			message: `Did you mean "mock-gpt"`, hint: "GET /v1/models", secrets: []string{k}},
		"misspelt model, dated alias": {header: bearer(k), body: chat("mock-gpt-2024-01-02"), status: 404, code: "model_not_found",
			message: "mock-gpt-2024-01-01", secrets: []string{k}},
		// rate_limit_exceeded: which limit, when to retry, what is left
		"over rpm": {header: bearer(rpmKey.Key), status: 429, code: "rate_limit_exceeded", message: "1 requests per minute", hint: "Retry after",
			header2: [2]string{"X-Ratelimit-Limit-Requests", "1"}, secrets: []string{rpmKey.Key}, setup: spendOne(rpmKey.Key),
			present: []string{"Retry-After", "X-Ratelimit-Remaining-Requests", "X-Ratelimit-Reset-Requests"}},
		"over tpm": {header: bearer(tpmKey.Key), status: 429, code: "rate_limit_exceeded", message: "40 tokens per minute", hint: "Retry after",
			header2: [2]string{"X-Ratelimit-Limit-Tokens", "40"}, secrets: []string{tpmKey.Key}, setup: spendOne(tpmKey.Key),
			present: []string{"Retry-After", "X-Ratelimit-Remaining-Tokens", "X-Ratelimit-Reset-Tokens"}},
		"over concurrency": {header: bearer(concKey.Key), status: 429, code: "rate_limit_exceeded", message: "the key's own limit is 1 at once",
			hint: "parallelism", header2: [2]string{"Retry-After", "1"}, secrets: []string{concKey.Key},
			setup: func(t *testing.T) func() {
				g.App.Server.Gate.Acquire(concKey.ID, 1)
				return func() { g.App.Server.Gate.Release(concKey.ID, 1) }
			}},
		// insufficient_quota: which budget, when it resets; no Retry-After
		"key budget spent": {header: bearer(broke.Key), status: 429, code: "insufficient_quota", message: "total budget of key " + broke.Display,
			hint: "raise the budget", absent: []string{"Retry-After"}, secrets: []string{broke.Key}},
		"member budget spent": {header: bearer(memberKey.Key), status: 429, code: "insufficient_quota", message: "monthly budget of member spent@example.com",
			hint: "Retrying now will not help", absent: []string{"Retry-After"}, secrets: []string{memberKey.Key}},
		"project budget spent": {header: bearer(projectKey.Key), status: 429, code: "insufficient_quota", message: `daily budget of project "broke"`,
			hint: "Wait for the reset", absent: []string{"Retry-After"}, secrets: []string{projectKey.Key}},
		// unknown_endpoint
		"missing /v1":    {path: "/chat/completions", header: bearer(k), body: chat("mock-gpt"), status: 404, code: "unknown_endpoint", message: "lacks /v1", hint: "/v1", secrets: []string{k}},
		"doubled /v1":    {path: "/v1/v1/chat/completions", header: bearer(k), body: chat("mock-gpt"), status: 404, code: "unknown_endpoint", message: "/v1 twice", hint: "/v1"},
		"/api/v1 prefix": {path: "/api/v1/chat/completions", body: chat("mock-gpt"), status: 404, code: "unknown_endpoint", message: `"/api"`, hint: "/v1"},
		"/openai/v1":     {path: "/openai/v1/chat/completions", body: chat("mock-gpt"), status: 404, code: "unknown_endpoint", message: `"/openai"`, hint: "/v1"},
		"double slash":   {path: "/v1//chat/completions", body: chat("mock-gpt"), status: 404, code: "unknown_endpoint", message: "//"},
		"/v1/openai":     {path: "/v1/openai/chat/completions", body: chat("mock-gpt"), status: 404, code: "unknown_endpoint", message: `"/openai"`},
		"trailing slash": {path: "/v1/chat/completions/", body: chat("mock-gpt"), status: 404, code: "unknown_endpoint", message: "slash"},
		"models slash":   {method: "GET", path: "/v1/models/", status: 404, code: "unknown_endpoint", message: "slash"},
		"unknown path":   {method: "GET", path: "/v1/chat/completion", status: 404, code: "unknown_endpoint", message: "/v1/chat/completions"},
		"GET on POST":    {method: "GET", path: "/v1/chat/completions", status: 405, code: "method_not_allowed", hint: "POST", header2: [2]string{"Allow", "POST"}},
		"POST on GET":    {path: "/v1/models", status: 405, code: "method_not_allowed", header2: [2]string{"Allow", "GET, HEAD"}},
		// bad requests
		"bad JSON":      {header: bearer(k), body: `{"model":`, status: 400, code: "invalid_request", hint: "JSON"},
		"missing model": {header: bearer(k), body: `{"messages":[]}`, status: 400, code: "invalid_request", message: "model"},
		"too large": {header: bearer(k), body: chat(strings.Repeat("x", 2048)), status: 413, code: "request_too_large", hint: "smaller",
			setup: func(t *testing.T) func() {
				old := g.App.Server.MaxBodyBytes
				g.App.Server.MaxBodyBytes = 1024
				return func() { g.App.Server.MaxBodyBytes = old }
			}},
		// upstream failures: never the client's 401, never the upstream's words
		"upstream 401": {header: bearer(k), body: chat("mock-error-401"), status: 502, code: "upstream_auth_failed", message: "Your key is fine",
			secrets: []string{k, testgw.UpstreamKey}},
		"upstream 429": {header: bearer(k), body: chat("mock-error-429"), status: 503, code: "upstream_unavailable", hint: "Retry",
			header2: [2]string{"Retry-After", "1"}, secrets: []string{k, testgw.UpstreamKey}},
		"upstream 500": {header: bearer(k), body: chat("mock-error-500"), status: 503, code: "upstream_unavailable", hint: "Retry",
			secrets: []string{k, testgw.UpstreamKey}},
		"upstream timeout": {header: bearer(k), body: chat("mock-slow"), status: 504, code: "upstream_timeout", hint: "Retry",
			secrets: []string{k, testgw.UpstreamKey},
			setup: func(t *testing.T) func() {
				c := g.App.Server.Relay.Client
				old := c.Timeout
				c.Timeout = 300 * time.Millisecond
				return func() { c.Timeout = old }
			}},
	}
	for name, tc := range rows {
		t.Run(name, func(t *testing.T) {
			if tc.setup != nil {
				defer tc.setup(t)()
			}
			method, path := tc.method, tc.path
			if method == "" {
				method = "POST"
			}
			if path == "" {
				path = "/v1/chat/completions"
			}
			if tc.body == "" && method == "POST" {
				tc.body = chat("mock-gpt")
			}
			h := tc.header.Clone()
			if h == nil {
				h = http.Header{}
			}
			if tc.body != "" {
				h.Set("Content-Type", "application/json")
			}
			resp, b := g.Do(method, path, h, tc.body)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, b)
			}
			var e errorBody
			if err := json.Unmarshal(b, &e); err != nil {
				t.Fatalf("body is not an OpenAI error: %v: %s", err, b)
			}
			if e.Error.Code != tc.code {
				t.Errorf("code %q, want %q: %s", e.Error.Code, tc.code, b)
			}
			if e.Error.Message == "" || e.Error.Hint == "" {
				t.Errorf("message and hint must both be set: %s", b)
			}
			if tc.hint != "" && !strings.Contains(e.Error.Hint, tc.hint) {
				t.Errorf("hint %q lacks %q", e.Error.Hint, tc.hint)
			}
			if tc.message != "" && !strings.Contains(e.Error.Message, tc.message) {
				t.Errorf("message %q lacks %q", e.Error.Message, tc.message)
			}
			id := resp.Header.Get("X-Request-Id")
			if id == "" || id != e.Error.RequestID {
				t.Errorf("x-request-id %q, body request_id %q: want equal and set", id, e.Error.RequestID)
			}
			if _, ok := docs.Page(tc.code); !ok {
				t.Errorf("code %s has no docs page", tc.code)
			}
			if e.Error.Docs != "/docs/errors/"+tc.code {
				t.Errorf("docs %q", e.Error.Docs)
			}
			if tc.header2[0] != "" && resp.Header.Get(tc.header2[0]) != tc.header2[1] {
				t.Errorf("header %s = %q, want %q", tc.header2[0], resp.Header.Get(tc.header2[0]), tc.header2[1])
			}
			for _, h := range tc.present {
				if resp.Header.Get(h) == "" {
					t.Errorf("header %s is missing", h)
				}
			}
			for _, h := range tc.absent {
				if v := resp.Header.Get(h); v != "" {
					t.Errorf("header %s = %q, want none", h, v)
				}
			}
			assertNoSecret(t, string(b), tc.secrets...)
			if strings.Contains(string(b), "simulated") || strings.Contains(string(b), "Incorrect API key") {
				t.Errorf("the upstream's own message reached the client: %s", b)
			}
		})
	}
}

// assertNoSecret fails when text holds any 5 consecutive characters of a
// keygate key's random body (the display form shows at most 4 at each end),
// or 12 of another secret (whose body may hold ordinary words).
func assertNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		n := 12
		if strings.HasPrefix(s, "kg_") {
			n = 5
		}
		body := s
		for _, p := range []string{keys.PrefixLive, keys.PrefixTest, keys.PrefixPAT, "sk-proj-", "sk-ant-api03-", "sk-ant-", "sk-", "AIza"} {
			if strings.HasPrefix(body, p) {
				body = body[len(p):]
				break
			}
		}
		for i := 0; i+n <= len(body); i++ {
			if w := body[i : i+n]; strings.Contains(text, w) {
				t.Errorf("%q holds %q, part of a secret beyond its display form", text, w)
				return
			}
		}
	}
}

// evidence reads GET /admin/v1/requests/{id}, waiting for the asynchronous
// log writer.
func evidence(t *testing.T, g *testgw.Gateway, id string) (wire.EvidenceView, string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, b := g.Do("GET", "/admin/v1/requests/"+id, http.Header{"Authorization": {"Bearer " + testgw.AdminToken}}, "")
		if resp.StatusCode == 200 {
			var v wire.EvidenceView
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			return v, string(b)
		}
		if resp.StatusCode != 404 || time.Now().After(deadline) {
			t.Fatalf("evidence %s: %d %s", id, resp.StatusCode, b)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// TestEvidence checks the story support reads from a request id: the
// rejected 401 before any key matched, an upstream credential failure with
// the upstream's own words, and a clean call with its cost.
// It runs on every store (PostgreSQL too when KEYGATE_TEST_POSTGRES is set):
// the attempts travel through the attempts_detail column.
func TestEvidence(t *testing.T) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) { testEvidence(t, testgw.Start(t, testgw.Options{DSN: db.DSN})) })
	}
}

func testEvidence(t *testing.T, g *testgw.Gateway) {
	k := g.CreateKey(nil)
	chat := `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`
	secrets := []string{k.Key, testgw.UpstreamKey}

	t.Run("typo before any key matched", func(t *testing.T) {
		h := testgw.Bearer(typo(k.Key))
		h.Set("User-Agent", "evidence-test/1.0")
		resp, _ := g.Do("POST", "/v1/chat/completions", h, chat)
		v, raw := evidence(t, g, resp.Header.Get("X-Request-Id"))
		if v.Outcome.Status != 401 || v.Outcome.ErrorCode != "invalid_api_key_format" || v.Outcome.Docs != "/docs/errors/invalid_api_key_format" {
			t.Errorf("outcome %+v", v.Outcome)
		}
		if v.Key.ID != "" || v.Key.Display != keys.DisplayPresented(typo(k.Key)) {
			t.Errorf("key %+v, want the display form of what was presented", v.Key)
		}
		if v.Client.UserAgent != "evidence-test/1.0" || v.Client.SourceIP != "127.0.0.1" {
			t.Errorf("client %+v", v.Client)
		}
		if !strings.Contains(v.Summary, "invalid_api_key_format") {
			t.Errorf("summary %q", v.Summary)
		}
		assertNoSecret(t, raw, append(secrets, typo(k.Key))...)
	})

	t.Run("upstream rejected the channel credential", func(t *testing.T) {
		resp, _ := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), strings.Replace(chat, "mock-gpt", "mock-error-401", 1))
		v, raw := evidence(t, g, resp.Header.Get("X-Request-Id"))
		if v.Outcome.Status != 502 || v.Outcome.ErrorCode != "upstream_auth_failed" {
			t.Errorf("outcome %+v", v.Outcome)
		}
		if v.Key.ID != k.ID || v.Key.Display != k.Display || v.Project != "demo" || v.Group != "default" || v.Key.StateNow != "active" {
			t.Errorf("key %+v project %q group %q", v.Key, v.Project, v.Group)
		}
		if len(v.Attempts) != 1 || v.Attempts[0].Channel != "mock-badcred" || v.Attempts[0].Status != 401 ||
			v.Attempts[0].Code != "upstream_auth_failed" || !strings.Contains(v.Attempts[0].Error, "simulated") {
			t.Errorf("attempts %+v: want the upstream's own 401 and words", v.Attempts)
		}
		if v.Charged != "no" || v.Model.Asked != "mock-error-401" {
			t.Errorf("charged %q model %+v", v.Charged, v.Model)
		}
		assertNoSecret(t, raw, secrets...)
	})

	t.Run("clean call", func(t *testing.T) {
		resp, _ := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), chat)
		v, raw := evidence(t, g, resp.Header.Get("X-Request-Id"))
		if v.Outcome.Status != 200 || v.Outcome.ErrorCode != "" || v.Charged != "yes" || v.CostUSD <= 0 || v.Usage.InputTokens == 0 {
			t.Errorf("evidence %s", raw)
		}
		if v.Model.Served != "mock-gpt" || v.Channel != "mock" || len(v.Attempts) != 1 || v.Attempts[0].Status != 200 {
			t.Errorf("model %+v channel %q attempts %+v", v.Model, v.Channel, v.Attempts)
		}
		assertNoSecret(t, raw, secrets...)
	})

	t.Run("unknown and malformed ids", func(t *testing.T) {
		adm := http.Header{"Authorization": {"Bearer " + testgw.AdminToken}}
		if resp, b := g.Do("GET", "/admin/v1/requests/req_doesnotexist", adm, ""); resp.StatusCode != 404 || !strings.Contains(string(b), "not_found") {
			t.Errorf("unknown id: %d %s", resp.StatusCode, b)
		}
		if resp, b := g.Do("GET", "/admin/v1/requests/"+k.Key, adm, ""); resp.StatusCode != 400 {
			t.Errorf("a key as id: %d %s", resp.StatusCode, b)
		} else {
			assertNoSecret(t, string(b), k.Key)
		}
		if resp, _ := g.Do("GET", "/admin/v1/requests/req_x", testgw.Bearer(k.Key), ""); resp.StatusCode == 200 {
			t.Error("an API key read evidence")
		}
	})
}
