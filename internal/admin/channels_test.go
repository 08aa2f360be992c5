package admin_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

// channelsConfig declares no channel serving mock-gpt-mini: the API adds one.
const channelsConfig = `
groups: [{name: default, models: ["*"]}]
projects: [{name: demo}, {name: other}]
channels:
  - {name: mock, type: openai, base_url: "{{UPSTREAM}}/v1", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [mock-gpt], groups: [default]}
models:
  - {name: mock-gpt, input_per_mtok: 0.15, output_per_mtok: 0.60}
`

func newChannelsEnv(t *testing.T) *azEnv {
	e := &azEnv{t: t, g: testgw.Start(t, testgw.Options{Config: channelsConfig})}
	e.actors = append(e.actors, azActor{name: "owner", role: "owner", token: testgw.AdminToken})
	_, tok := e.newMember("admin@example.com", "admin")
	e.actors = append(e.actors, azActor{name: "admin", role: "admin", token: tok})
	for _, role := range []string{"member", "support", "viewer"} {
		_, tok := e.newMember(role+"@example.com", role, "demo")
		e.actors = append(e.actors, azActor{name: role + "@demo", role: role, token: tok, scoped: true})
	}
	return e
}

func (e *azEnv) auditCount(action, object string) int {
	var out struct {
		Data []struct {
			Object string `json:"object"`
			Detail any    `json:"detail"`
		} `json:"data"`
	}
	e.owner("GET", "/admin/v1/audit?action="+action, nil).decode(e.t, &out)
	n := 0
	for _, a := range out.Data {
		if a.Object == object {
			n++
		}
	}
	return n
}

// Every channel and model route × every role: owners and admins may do
// everything, viewers read, members and support neither; every change an
// allowed caller makes writes its audit row.
func TestChannelRoutesByRole(t *testing.T) {
	e := newChannelsEnv(t)
	up := e.g.Upstream.URL + "/v1"
	readers := []string{"owner", "admin", "viewer"}
	writers := []string{"owner", "admin"}
	for _, a := range e.actors {
		name := "ch-" + strings.NewReplacer("@", "-", ".", "-").Replace(a.name)
		model := "m-" + name
		steps := []struct {
			method, path string
			body         any
			allowed      []string
			action       string // audit action of an allowed change
			object       string
		}{
			{"POST", "/admin/v1/channels", map[string]any{"name": name, "base_url": up, "api_key": testgw.UpstreamKey,
				"models": []string{"mock-gpt-mini"}, "groups": []string{"default"}}, writers, "channel.create", "channel:" + name},
			{"GET", "/admin/v1/channels", nil, readers, "", ""},
			{"GET", "/admin/v1/channels/" + name, nil, readers, "", ""},
			{"PATCH", "/admin/v1/channels/" + name, map[string]any{"priority": 5}, writers, "channel.update", "channel:" + name},
			{"POST", "/admin/v1/channels/" + name + "/test", nil, writers, "channel.test", "channel:" + name},
			{"GET", "/admin/v1/channels/" + name + "/models", nil, readers, "", ""},
			{"POST", "/admin/v1/channels/" + name + "/disable", map[string]any{"reason": "maintenance"}, writers, "channel.disable", "channel:" + name},
			{"POST", "/admin/v1/channels/" + name + "/enable", nil, writers, "channel.enable", "channel:" + name},
			{"POST", "/admin/v1/models", map[string]any{"name": model, "input_per_mtok": 1}, writers, "model.create", "model:" + model},
			{"GET", "/admin/v1/models", nil, readers, "", ""},
			{"GET", "/admin/v1/models/" + model, nil, readers, "", ""},
			{"PATCH", "/admin/v1/models/" + model, map[string]any{"output_per_mtok": 2}, writers, "model.update", "model:" + model},
			{"DELETE", "/admin/v1/models/" + model, nil, writers, "model.delete", "model:" + model},
			{"DELETE", "/admin/v1/channels/" + name, nil, writers, "channel.delete", "channel:" + name},
		}
		if !azContains(writers, a.role) {
			// The objects a read or a refused change names exist: the owner
			// creates them for a caller who may not.
			e.owner("POST", "/admin/v1/channels", steps[0].body)
			e.owner("POST", "/admin/v1/models", steps[8].body)
		}
		for _, st := range steps {
			r := e.do(a.token, st.method, st.path, st.body)
			what := a.name + " " + st.method + " " + st.path
			if !azContains(st.allowed, a.role) {
				if r.status != 403 || r.code() != "permission_denied" {
					t.Errorf("%s: %d %s, want 403 permission_denied", what, r.status, r.body)
				}
				continue
			}
			if r.status >= 300 {
				t.Errorf("%s: %d %s", what, r.status, r.body)
				continue
			}
			if st.action != "" && e.auditCount(st.action, st.object) != 1 {
				t.Errorf("%s: want exactly one %s audit row for %s", what, st.action, st.object)
			}
		}
	}
}

type channelJSON struct {
	Name                  string `json:"name"`
	Credential            string `json:"credential"`
	CredentialFingerprint struct {
		Source string `json:"source"`
		Length int    `json:"length"`
		Last4  string `json:"last4"`
	} `json:"credential_fingerprint"`
	Models    []string        `json:"models"`
	Enabled   bool            `json:"enabled"`
	State     string          `json:"state"`
	ManagedBy string          `json:"managed_by"`
	LastTest  json.RawMessage `json:"last_test"`
}

// A channel added through the API serves the next call; its credential is
// sealed and shown only as a fingerprint; a config channel's definition
// cannot be changed; disable, enable, test and delete do what they say.
func TestChannelLifecycleThroughTheAPI(t *testing.T) {
	e := newChannelsEnv(t)
	k := e.g.CreateKey(map[string]any{"project": "demo"})
	call := func() (int, string) {
		resp, body := e.g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"mock-gpt-mini","messages":[{"role":"user","content":"hi"}]}`)
		return resp.StatusCode, string(body)
	}
	if st, _ := call(); st != 404 {
		t.Fatalf("before the channel exists: %d", st)
	}
	r := e.owner("POST", "/admin/v1/channels", map[string]any{"name": "api-chan", "base_url": e.g.Upstream.URL + "/v1",
		"api_key": testgw.UpstreamKey, "models": []string{"mock-gpt-mini"}, "groups": []string{"default"}})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if strings.Contains(string(r.body), testgw.UpstreamKey) {
		t.Fatalf("create answer shows the credential: %s", r.body)
	}
	var c channelJSON
	r.decode(t, &c)
	key := testgw.UpstreamKey
	if c.Credential != "sealed" || c.CredentialFingerprint.Source != "sealed" || c.CredentialFingerprint.Length != len(key) ||
		c.CredentialFingerprint.Last4 != key[len(key)-4:] || c.ManagedBy != "api" {
		t.Fatalf("channel view: %+v", c)
	}
	if st, body := call(); st != 200 {
		t.Fatalf("the next call after the channel was added: %d %s", st, body)
	}
	if r := e.owner("POST", "/admin/v1/channels", map[string]any{"name": "api-chan", "base_url": "http://x/v1", "models": []string{"a"}}); r.status != 409 {
		t.Fatalf("create twice: %d %s", r.status, r.body)
	}
	for name, body := range map[string]map[string]any{
		"bad type":      {"name": "b1", "type": "telnet", "base_url": "http://x/v1", "models": []string{"a"}},
		"bad url":       {"name": "b2", "base_url": "ftp://x", "models": []string{"a"}},
		"no models":     {"name": "b3", "base_url": "http://x/v1"},
		"unknown group": {"name": "b4", "base_url": "http://x/v1", "models": []string{"a"}, "groups": []string{"nope"}},
		"bad name":      {"name": "../x", "base_url": "http://x/v1", "models": []string{"a"}},
		"version":       {"name": "b5", "base_url": "http://x/v1", "models": []string{"a"}, "api_version": "2024-10-21"},
	} {
		if r := e.owner("POST", "/admin/v1/channels", body); r.status != 400 || r.code() != "invalid_request" {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if r := e.owner("PATCH", "/admin/v1/channels/mock", map[string]any{"priority": 1}); r.status != 409 || !strings.Contains(string(r.body), "KEYGATE_CONFIG") {
		t.Fatalf("PATCH a config channel: %d %s", r.status, r.body)
	}
	if r := e.owner("DELETE", "/admin/v1/channels/mock", nil); r.status != 409 {
		t.Fatalf("DELETE a config channel: %d %s", r.status, r.body)
	}

	// The doctor: good, then with a wrong credential.
	var rep struct {
		OK         bool `json:"ok"`
		Credential struct {
			OK  bool   `json:"ok"`
			Fix string `json:"fix"`
		} `json:"credential"`
		Calls []struct {
			Model string `json:"model"`
			OK    bool   `json:"ok"`
		} `json:"calls"`
	}
	if r := e.owner("POST", "/admin/v1/channels/api-chan/test", nil); r.status != 200 {
		t.Fatalf("test: %d %s", r.status, r.body)
	} else if r.decode(t, &rep); !rep.OK || len(rep.Calls) != 1 || !rep.Calls[0].OK {
		t.Fatalf("test of a good channel: %s", r.body)
	}
	wrong := "sk-wrong-credential-for-the-mock-000000"
	if r := e.owner("PATCH", "/admin/v1/channels/api-chan", map[string]any{"api_key": wrong}); r.status != 200 {
		t.Fatalf("PATCH api_key: %d %s", r.status, r.body)
	}
	r = e.owner("POST", "/admin/v1/channels/api-chan/test", nil)
	rep.OK, rep.Credential.OK = true, true
	r.decode(t, &rep)
	if rep.OK || rep.Credential.OK || rep.Credential.Fix == "" || strings.Contains(string(r.body), wrong) {
		t.Fatalf("test with a wrong credential: %s", r.body)
	}
	e.owner("GET", "/admin/v1/channels/api-chan", nil).decode(t, &c)
	if !strings.Contains(string(c.LastTest), `"ok":false`) {
		t.Fatalf("last test not kept: %s", c.LastTest)
	}
	if r := e.owner("PATCH", "/admin/v1/channels/api-chan", map[string]any{"api_key": testgw.UpstreamKey}); r.status != 200 {
		t.Fatalf("PATCH api_key back: %d %s", r.status, r.body)
	}

	// Disabled: not called; enabled: called again.
	if r := e.owner("POST", "/admin/v1/channels/api-chan/disable", map[string]any{"reason": "rotating the upstream key"}); r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	if st, body := call(); st == 200 {
		t.Fatalf("a disabled channel served a call: %s", body)
	}
	e.owner("GET", "/admin/v1/channels/api-chan", nil).decode(t, &c)
	if c.Enabled || c.State != "disabled" {
		t.Fatalf("disabled channel view: %+v", c)
	}
	if r := e.owner("POST", "/admin/v1/channels/api-chan/enable", nil); r.status != 200 {
		t.Fatalf("enable: %d %s", r.status, r.body)
	}
	if st, body := call(); st != 200 {
		t.Fatalf("after enable: %d %s", st, body)
	}
	if r := e.owner("DELETE", "/admin/v1/channels/api-chan", nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if st, _ := call(); st == 200 {
		t.Fatal("a deleted channel served a call")
	}
	if r := e.owner("GET", "/admin/v1/channels/api-chan", nil); r.status != 404 {
		t.Fatalf("GET a deleted channel: %d", r.status)
	}
}

// GET /admin/v1/models says where each price comes from: the operator,
// the built-in catalogue (with its date), or nowhere (priced: false).
func TestModelsShowTheirPriceSource(t *testing.T) {
	e := newChannelsEnv(t)
	if r := e.owner("POST", "/admin/v1/channels", map[string]any{"name": "extra", "base_url": e.g.Upstream.URL + "/v1",
		"models": []string{"deepseek-chat", "in-house-llm"}, "groups": []string{"default"}}); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var out struct {
		Data []struct {
			Name         string  `json:"name"`
			Priced       bool    `json:"priced"`
			PriceSource  string  `json:"price_source"`
			InputPerMTok float64 `json:"input_per_mtok"`
			Declared     bool    `json:"declared"`
		} `json:"data"`
		PriceCatalogue string `json:"price_catalogue"`
	}
	e.owner("GET", "/admin/v1/models", nil).decode(t, &out)
	got := map[string]string{}
	for _, m := range out.Data {
		got[m.Name] = m.PriceSource
		if m.Name == "in-house-llm" && m.Priced {
			t.Errorf("in-house-llm priced: %+v", m)
		}
	}
	if out.PriceCatalogue == "" || got["mock-gpt"] != "operator" || got["deepseek-chat"] != "catalogue "+out.PriceCatalogue || got["in-house-llm"] != "" {
		t.Fatalf("price sources %v (catalogue %q)", got, out.PriceCatalogue)
	}
	// The operator's price overrides the catalogue's.
	if r := e.owner("POST", "/admin/v1/models", map[string]any{"name": "deepseek-chat", "input_per_mtok": 0.5, "output_per_mtok": 1}); r.status != 201 {
		t.Fatalf("declare: %d %s", r.status, r.body)
	}
	var one struct {
		PriceSource  string  `json:"price_source"`
		InputPerMTok float64 `json:"input_per_mtok"`
	}
	e.owner("GET", "/admin/v1/models/deepseek-chat", nil).decode(t, &one)
	if one.PriceSource != "operator" || one.InputPerMTok != 0.5 {
		t.Fatalf("after the operator's price: %+v", one)
	}
	if r := e.owner("PATCH", "/admin/v1/models/mock-gpt", map[string]any{"input_per_mtok": 9}); r.status != 409 {
		t.Fatalf("PATCH a config model: %d %s", r.status, r.body)
	}
	if r := e.owner("POST", "/admin/v1/models", map[string]any{"name": "neg", "input_per_mtok": -1}); r.status != 400 {
		t.Fatalf("negative price: %d %s", r.status, r.body)
	}
}

// A channel or model change whose audit row cannot be written does not
// happen: the write and its audit row are one transaction.
func TestChannelChangeWithoutAuditIsNotApplied(t *testing.T) {
	g := startGateway(t, nil)
	f := inject(g)
	f.set(func(f *faults) { f.failAudit = true })
	if r := g.admin("POST", "/admin/v1/channels", map[string]any{"name": "unaudited", "base_url": "http://127.0.0.1:1/v1",
		"models": []string{"mock-gpt"}}); r.Status < 500 {
		t.Fatalf("create with a failing audit insert: %d %s", r.Status, r.Body)
	}
	if r := g.admin("POST", "/admin/v1/channels/mock/disable", nil); r.Status < 500 {
		t.Fatalf("disable with a failing audit insert: %d %s", r.Status, r.Body)
	}
	if r := g.admin("POST", "/admin/v1/models", map[string]any{"name": "unaudited-model", "input_per_mtok": 1}); r.Status < 500 {
		t.Fatalf("model create with a failing audit insert: %d %s", r.Status, r.Body)
	}
	f.set(func(f *faults) { f.failAudit = false })
	if r := g.admin("GET", "/admin/v1/channels/unaudited", nil); r.Status != 404 {
		t.Fatalf("an unaudited channel was created: %d %s", r.Status, r.Body)
	}
	var c struct {
		Enabled bool `json:"enabled"`
	}
	g.admin("GET", "/admin/v1/channels/mock", nil).json(t, &c)
	if !c.Enabled {
		t.Fatal("the channel was disabled without an audit row")
	}
	if r := g.admin("GET", "/admin/v1/models/unaudited-model", nil); r.Status != 404 {
		t.Fatalf("an unaudited model was declared: %d %s", r.Status, r.Body)
	}
}
