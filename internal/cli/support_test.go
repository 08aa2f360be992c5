package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testgw"
)

func TestSupportEvidence(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(nil)
	resp, _ := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key), `{"model":"mock-error-401","messages":[{"role":"user","content":"hi"}]}`)
	id := resp.Header.Get("X-Request-Id")
	t.Setenv("KEYGATE_ADDR", strings.TrimPrefix(g.URL, "http://"))
	t.Setenv("KEYGATE_ADMIN_TOKEN", testgw.AdminToken)
	var out, errb bytes.Buffer
	deadline := time.Now().Add(5 * time.Second)
	for {
		out.Reset()
		errb.Reset()
		if Run(context.Background(), []string{"support", "evidence", id}, &out, &errb) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	text := out.String()
	for _, want := range []string{id, k.Display, k.ID, "upstream_auth_failed", "attempt 1", "mock-badcred → 401", "simulated"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s%s", want, text, errb.String())
		}
	}
	if strings.Contains(text, k.Key) || strings.Contains(text, k.Key[len(k.Key)-10:]) {
		t.Errorf("output holds the key:\n%s", text)
	}
	out.Reset()
	errb.Reset()
	if code := Run(context.Background(), []string{"support", "evidence", "req_nothing"}, &out, &errb); code == 0 ||
		!strings.Contains(errb.String(), "not_found") {
		t.Errorf("unknown id: exit %d, stderr %q", code, errb.String())
	}
}
