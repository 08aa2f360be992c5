package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/testgw"
)

// A call to a model with no price (none declared, none in the built-in
// catalogue) is served, and its log row says it was unpriced; a priced
// model's row does not.
func TestUnpricedModelLogRow(t *testing.T) {
	g := testgw.Start(t, testgw.Options{Config: `
groups: [{name: default, models: ["*"]}]
projects: [{name: demo}]
channels:
  - {name: mock, type: openai, base_url: "{{UPSTREAM}}/v1", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [mock-gpt, mock-gpt-mini], groups: [default]}
models:
  - {name: mock-gpt, input_per_mtok: 0.15, output_per_mtok: 0.60}
`})
	k := g.CreateKey(nil)
	h := http.Header{"Authorization": {"Bearer " + k.Key}}
	for _, m := range []string{"mock-gpt", "mock-gpt-mini"} {
		resp, body := g.Do("POST", "/v1/chat/completions", h, `{"model":"`+m+`","messages":[{"role":"user","content":"hi"}]}`)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", m, resp.StatusCode, body)
		}
	}
	if err := g.App.Logs.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	rows, err := g.App.Store.QueryLogs(context.Background(), store.LogFilter{KeyID: k.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range rows {
		got[r.Model] = r.Unpriced
	}
	if len(got) != 2 || got["mock-gpt"] || !got["mock-gpt-mini"] {
		t.Fatalf("unpriced per model = %v, want mock-gpt-mini only", got)
	}
	for _, row := range g.Logs("key_id="+k.ID, 2) { // as GET /admin/v1/logs shows it
		if want := row["model"] == "mock-gpt"; row["priced"] != want {
			t.Fatalf("log row of %v: priced = %v, want %v", row["model"], row["priced"], want)
		}
	}
}
