package ui_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

var logRowRe = regexp.MustCompile(`href="/ui/requests/(req_[^"]+)"`)

// The logs page filters on charged: a billed call and a refused one, and
// each filter value keeps only its rows; a value that is not one of the
// three is refused by the admin API with its message on the page.
func TestLogsPageChargedFilterAndColumn(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(map[string]any{"project": "demo", "models": []string{"mock-gpt"}})
	if r, _ := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`); r.StatusCode != 200 {
		t.Fatalf("billed call: %d", r.StatusCode)
	}
	if r, _ := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"mock-gpt-mini","messages":[{"role":"user","content":"hi"}]}`); r.StatusCode != http.StatusForbidden {
		t.Fatalf("refused call: %d", r.StatusCode)
	}
	rows := g.Logs(testgw.Query("key_id", k.ID), 2)
	want := map[string]string{}
	for _, r := range rows {
		want[r["charged"].(string)] = r["request_id"].(string)
	}
	if want["yes"] == "" || want["no"] == "" {
		t.Fatalf("logs lack a charged and an uncharged row: %v", rows)
	}
	b := newBrowser(t, g)
	b.signIn(map[string][]string{"token": {testgw.AdminToken}})
	for _, v := range []string{"yes", "no"} {
		_, page := b.get("/ui/logs?key_id=" + k.ID + "&charged=" + v)
		got := logRowRe.FindAllStringSubmatch(page, -1)
		if len(got) != 1 || got[0][1] != want[v] {
			t.Fatalf("charged=%s shows %v, want only %s", v, got, want[v])
		}
		if !strings.Contains(page, `<option value="`+v+`" selected>`) {
			t.Errorf("charged=%s: the filter does not show its choice", v)
		}
	}
	b.lang = "zh-CN"
	_, page := b.get("/ui/logs?key_id=" + k.ID)
	if !strings.Contains(page, `class="charged-yes">是<`) || !strings.Contains(page, `class="charged-no">否<`) {
		t.Errorf("the charged column is not in Chinese:\n%s", page)
	}
	b.lang = ""
	_, page = b.get("/ui/logs?charged=maybe")
	if !strings.Contains(page, "not one of yes, no, refunded") || logRowRe.MatchString(page) {
		t.Errorf("charged=maybe was not refused with its message")
	}
}
