package admin_test

import (
	"fmt"
	"math"
	"net/http"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

// TestUsageMatchesLogs makes calls through several keys, members, projects
// and models — successes and failures — and checks that every grouping of
// the usage report adds up to the request log, to the cent and closer.
func TestUsageMatchesLogs(t *testing.T) {
	e := newAzEnv(t)
	_, ana := e.newMember("ana@example.com", "member", "demo")
	_, bo := e.newMember("bo@example.com", "member", "demo", "other")
	var keyIDs []string
	calls := 0
	for i, c := range []struct {
		token, project string
	}{{ana, "demo"}, {bo, "demo"}, {bo, "other"}, {testgw.AdminToken, "other"}} {
		var k struct{ ID, Key string }
		r := e.do(c.token, "POST", "/admin/v1/keys", map[string]any{"project": c.project, "name": fmt.Sprint("k", i)})
		if r.status != http.StatusCreated {
			t.Fatalf("create key: %d %s", r.status, r.body)
		}
		r.decode(t, &k)
		keyIDs = append(keyIDs, k.ID)
		for j, model := range []string{"mock-gpt", "mock-gpt-mini", "mock-gpt", "mock-error-500", "mock-embed"} {
			if j > i+2 {
				break
			}
			body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"count to %d please"}]}`, model, 3*i+j)
			path := "/v1/chat/completions"
			if model == "mock-embed" {
				path, body = "/v1/embeddings", `{"model":"mock-embed","input":"hello there"}`
			}
			e.g.Do("POST", path, testgw.Bearer(k.Key), body)
			calls++
		}
	}
	logs := e.g.Logs("limit=1000", calls)
	if len(logs) != calls {
		t.Fatalf("%d log rows, want %d", len(logs), calls)
	}
	type sums struct {
		requests, errors, in, out float64
		cost                      float64
	}
	want := map[string]map[string]*sums{}
	add := func(dim, v string, l map[string]any) {
		if want[dim] == nil {
			want[dim] = map[string]*sums{}
		}
		s := want[dim][v]
		if s == nil {
			s = &sums{}
			want[dim][v] = s
		}
		s.requests++
		if l["error_code"] != "" {
			s.errors++
		}
		s.in += l["input_tokens"].(float64)
		s.out += l["output_tokens"].(float64)
		s.cost += l["cost_usd"].(float64)
	}
	var total float64
	for _, l := range logs {
		add("model", l["model"].(string), l)
		add("key", l["key_id"].(string), l)
		add("member", l["member"].(string), l)
		add("project", l["project"].(string), l)
		add("day", l["time"].(string)[:10], l)
		total += l["cost_usd"].(float64)
	}
	if total == 0 || len(want["member"]) != 3 {
		t.Fatalf("fixture too thin: cost %v, members %v", total, want["member"])
	}
	field := map[string]string{"model": "model", "key": "key_id", "member": "member", "project": "project", "day": "day"}
	for dim, exp := range want {
		var rep struct {
			Data   []map[string]any `json:"data"`
			Totals map[string]any   `json:"totals"`
		}
		r := e.owner("GET", "/admin/v1/usage?group_by="+dim, nil)
		r.decode(t, &rep)
		if len(rep.Data) != len(exp) {
			t.Fatalf("group_by=%s: %d rows, want %d: %s", dim, len(rep.Data), len(exp), r.body)
		}
		for _, row := range rep.Data {
			s := exp[row[field[dim]].(string)]
			if s == nil {
				t.Fatalf("group_by=%s: unexpected row %v", dim, row)
			}
			if row["requests"].(float64) != s.requests || row["errors"].(float64) != s.errors ||
				row["input_tokens"].(float64) != s.in || row["output_tokens"].(float64) != s.out ||
				math.Abs(row["cost_usd"].(float64)-s.cost) > 1e-9 {
				t.Errorf("group_by=%s row %v, logs say %+v", dim, row, *s)
			}
		}
		if math.Abs(rep.Totals["cost_usd"].(float64)-total) > 1e-9 {
			t.Errorf("group_by=%s totals %v, logs say $%.9f", dim, rep.Totals, total)
		}
	}
	// Filters agree with the same filters on the logs.
	var rep struct {
		Data []map[string]any `json:"data"`
	}
	e.owner("GET", "/admin/v1/usage?key_id="+keyIDs[1]+"&group_by=key", nil).decode(t, &rep)
	if len(rep.Data) != 1 || rep.Data[0]["requests"].(float64) != want["key"][keyIDs[1]].requests || rep.Data[0]["key_display"] == "" {
		t.Fatalf("usage of one key: %v", rep.Data)
	}
	e.owner("GET", "/admin/v1/usage?member=bo@example.com&group_by=project,model", nil).decode(t, &rep)
	var boReq float64
	for _, row := range rep.Data {
		boReq += row["requests"].(float64)
	}
	if boReq == 0 || boReq != float64(len(e.g.Logs("member=bo@example.com&limit=1000", 1))) {
		t.Fatalf("usage of member bo: %v", rep.Data)
	}
	for _, bad := range []string{"group_by=color", "since=yesterday", "since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "member=nobody@example.com"} {
		if r := e.owner("GET", "/admin/v1/usage?"+bad, nil); r.status != 400 && r.status != 404 {
			t.Errorf("usage?%s: %d %s", bad, r.status, r.body)
		}
	}
}
