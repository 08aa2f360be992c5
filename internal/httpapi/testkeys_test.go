package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestProjectRestrictsTestKeys: a project limits its kg_test_ keys to a
// model list and a budget of their own, through the admin API; live keys
// of the project are not affected, and the environment shows in the
// request log, the usage report and the impact report.
func TestProjectRestrictsTestKeys(t *testing.T) {
	g := startGateway(t, nil)

	// Validation names the problem.
	r := g.admin("POST", "/admin/v1/projects", map[string]any{"name": "lab", "test_models": []string{"mock-gtp"}})
	expect(t, "unknown test model", r, 400, "invalid_request")
	if !strings.Contains(r.errMessage(), `"mock-gtp"`) {
		t.Fatalf("unknown test model not named: %s", r.Body)
	}
	r = g.admin("POST", "/admin/v1/projects", map[string]any{"name": "lab", "test_budget": map[string]any{"limit_usd": 1, "period": "weekly"}})
	expect(t, "bad test budget period", r, 400, "invalid_request")

	// An alias in test_models allows its model.
	r = g.admin("POST", "/admin/v1/projects", map[string]any{"name": "lab", "test_models": []string{"mock-gpt-2024-01-01", "mock-gpt-mini"},
		"test_budget": map[string]any{"limit_usd": 0.002, "period": "daily"}})
	expect(t, "create project with test key limits", r, 201, "")
	var p struct {
		TestModels []string `json:"test_models"`
		TestBudget *struct {
			LimitUSD float64 `json:"limit_usd"`
			Period   string  `json:"period"`
		} `json:"test_budget"`
		Budget any `json:"budget"`
	}
	r.json(t, &p)
	if len(p.TestModels) != 2 || p.TestBudget == nil || p.TestBudget.LimitUSD != 0.002 || p.TestBudget.Period != "daily" || p.Budget != nil {
		t.Fatalf("project view: %s", r.Body)
	}

	test := g.createKey(map[string]any{"project": "lab", "env": "test"})
	live := g.createKey(map[string]any{"project": "lab"})

	// GET /v1/models lists only what the test key may use.
	var list struct{ Data []struct{ ID string } }
	r = g.call(test.Key, "")
	expect(t, "models of the test key", r, 200, "")
	r.json(t, &list)
	var names []string
	for _, m := range list.Data {
		names = append(names, m.ID)
	}
	if strings.Join(names, ",") != "mock-gpt,mock-gpt-mini" {
		t.Fatalf("test key lists %v, want mock-gpt,mock-gpt-mini", names)
	}
	r = g.call(live.Key, "")
	r.json(t, &list)
	if len(list.Data) <= 2 {
		t.Fatalf("live key of the same project is restricted too: %s", r.Body)
	}

	// A model outside the list: 403 naming the project's restriction.
	r = g.chat(test.Key, "mock-embed")
	expect(t, "test key, model outside test_models", r, 403, "model_not_allowed")
	msg := r.errMessage()
	for _, want := range []string{`project "lab" restricts its test keys`, "mock-gpt-2024-01-01, mock-gpt-mini", test.Display, "It may use mock-gpt, mock-gpt-mini."} {
		if !strings.Contains(msg, want) {
			t.Fatalf("model_not_allowed message lacks %q: %s", want, msg)
		}
	}
	expect(t, "live key, same model", g.do("POST", "/v1/embeddings", http.Header{"Authorization": {"Bearer " + live.Key}},
		[]byte(`{"model":"mock-embed","input":"hi"}`)), 200, "")

	// The test budget: a call that may cost more than what is left is
	// refused, naming the test budget; live keys are not held by it.
	small := `{"model":"mock-gpt","max_tokens":16,"messages":[{"role":"user","content":"hello"}]}`
	expect(t, "small call fits the test budget", g.do("POST", "/v1/chat/completions", http.Header{"Authorization": {"Bearer " + test.Key}}, []byte(small)), 200, "")
	r = g.chat(test.Key, "mock-gpt") // reserves 4,096 output tokens: about $0.0025
	expect(t, "test budget", r, 429, "insufficient_quota")
	msg = r.errMessage()
	for _, want := range []string{`project "lab"'s test keys`, "test budget", "$0.00", test.Display} {
		if !strings.Contains(msg, want) {
			t.Fatalf("insufficient_quota message lacks %q: %s", want, msg)
		}
	}
	expect(t, "live key is not held by the test budget", g.chat(live.Key, "mock-gpt"), 200, "")

	// PATCH changes one field and leaves the others; [] lifts the list.
	r = g.admin("PATCH", "/admin/v1/projects/lab", map[string]any{"test_models": []string{}})
	expect(t, "lift test_models", r, 200, "")
	r.json(t, &p)
	if len(p.TestModels) != 0 || p.TestBudget == nil {
		t.Fatalf("after lifting test_models: %s", r.Body)
	}
	expect(t, "test key after lifting test_models", g.call(test.Key, "mock-embed"), 200, "")
	r = g.admin("PATCH", "/admin/v1/projects/lab", map[string]any{"test_budget": nil})
	expect(t, "remove test budget", r, 200, "")
	expect(t, "test key after removing the test budget", g.chat(test.Key, "mock-gpt"), 200, "")

	// The environment in the request log, the usage report and the impact report.
	g.waitLogs(test.ID, "", 6)
	r = g.admin("GET", "/admin/v1/logs?key_id="+test.ID+"&limit=10", nil)
	var logs struct {
		Data []struct {
			KeyEnv string `json:"key_env"`
		} `json:"data"`
	}
	r.json(t, &logs)
	for _, l := range logs.Data {
		if l.KeyEnv != "test" {
			t.Fatalf("request log of a test key has key_env %q: %s", l.KeyEnv, r.Body)
		}
	}
	g.waitLogs(live.ID, "", 3)
	r = g.admin("GET", "/admin/v1/usage?project=lab&group_by=env", nil)
	expect(t, "usage by env", r, 200, "")
	var rep struct {
		Data []struct {
			Env      string `json:"env"`
			Requests int    `json:"requests"`
		} `json:"data"`
	}
	r.json(t, &rep)
	got := map[string]int{}
	for _, d := range rep.Data {
		got[d.Env] = d.Requests
	}
	if got["test"] != 6 || got["live"] != 3 || len(got) != 2 {
		t.Fatalf("usage by env = %v, want test 6, live 3: %s", got, r.Body)
	}
	r = g.admin("GET", "/admin/v1/usage?project=lab&env=test", nil)
	var totals struct {
		Totals struct {
			Requests int `json:"requests"`
		} `json:"totals"`
	}
	r.json(t, &totals)
	if totals.Totals.Requests != 6 {
		t.Fatalf("usage env=test: %s", r.Body)
	}
	expect(t, "usage env=prod", g.admin("GET", "/admin/v1/usage?env=prod", nil), 400, "invalid_request")
	r = g.admin("GET", "/admin/v1/keys/"+test.ID+"/impact", nil)
	var imp map[string]json.RawMessage
	r.json(t, &imp)
	if string(imp["env"]) != `"test"` {
		t.Fatalf("impact report env: %s", imp["env"])
	}

	// Every change is audited.
	r = g.admin("GET", "/admin/v1/audit?object=project:lab", nil)
	if !strings.Contains(string(r.Body), "test_models") || !strings.Contains(string(r.Body), "test_budget") {
		t.Fatalf("project changes not audited: %s", r.Body)
	}
}
