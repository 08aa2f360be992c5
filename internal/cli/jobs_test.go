package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

const jobsCLIConfig = `
groups: [{name: default, models: ["*"]}]
projects: [{name: demo}, {name: other}]
channels:
  - {name: mock, type: openai, base_url: "{{UPSTREAM}}/v1", api_key_env: KEYGATE_TEST_UPSTREAM_KEY, models: [mock-video], groups: [default]}
models:
  - {name: mock-video, per_video_second: 0.10}
`

// TestJobsCLI lists, shows and cancels a video job through the admin API,
// and a member of another project sees none of it.
func TestJobsCLI(t *testing.T) {
	g := testgw.Start(t, testgw.Options{Config: jobsCLIConfig})
	t.Setenv("KEYGATE_ADDR", strings.TrimPrefix(g.URL, "http://"))
	t.Setenv("KEYGATE_ADMIN_TOKEN", testgw.AdminToken)
	k := g.CreateKey(nil)
	h := testgw.Bearer(k.Key)
	h.Set("Content-Type", "application/json")
	resp, b := g.Do("POST", "/v1/videos", h, `{"model":"mock-video","prompt":"waves mock:hang","seconds":"4"}`)
	var v struct{ ID string }
	if err := json.Unmarshal(b, &v); err != nil || resp.StatusCode != 200 {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	code, out, errOut := runCLI(t, "jobs", "list", "--state", "in_progress")
	if code != 0 || !strings.Contains(out, v.ID) || !strings.Contains(out, k.Display) {
		t.Fatalf("jobs list: %d %s %s", code, out, errOut)
	}
	if code, out, _ = runCLI(t, "jobs", "list", "--state", "completed"); code != 0 || strings.Contains(out, v.ID) {
		t.Fatalf("jobs list --state completed: %d %s", code, out)
	}
	if code, out, _ = runCLI(t, "jobs", "show", v.ID); code != 0 || !strings.Contains(out, "$0.4000") || !strings.Contains(out, "upstream id") {
		t.Fatalf("jobs show: %d %s", code, out)
	}
	// A member of project other does not find it.
	code, out, _ = runCLI(t, "members", "create", "--email", "bo@example.com", "--role", "member", "--projects", "other")
	var tok string
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "kg_pat_") {
			tok = f
		}
	}
	if code != 0 || tok == "" {
		t.Fatalf("members create: %d %s", code, out)
	}
	t.Setenv("KEYGATE_ADMIN_TOKEN", tok)
	if code, _, errOut = runCLI(t, "jobs", "show", v.ID); code == 0 || !strings.Contains(errOut, "not_found") {
		t.Fatalf("jobs show by another project's member: %d %s", code, errOut)
	}
	if code, out, _ = runCLI(t, "jobs", "list"); code != 0 || strings.Contains(out, v.ID) {
		t.Fatalf("jobs list by another project's member: %d %s", code, out)
	}
	t.Setenv("KEYGATE_ADMIN_TOKEN", testgw.AdminToken)
	if code, out, errOut = runCLI(t, "jobs", "cancel", v.ID); code != 0 || !strings.Contains(out, "cancelled") || !strings.Contains(out, "refunded, $0.0000") {
		t.Fatalf("jobs cancel: %d %s %s", code, out, errOut)
	}
	var audit struct {
		Data []struct{ Action, Object string } `json:"data"`
	}
	g.Admin("GET", "/admin/v1/audit?action=job.cancel", nil, &audit)
	if len(audit.Data) != 1 || audit.Data[0].Object != "job:"+v.ID {
		t.Fatalf("audit %+v", audit.Data)
	}
}
