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
	t.Setenv("KEYGATE_LANG", "en")
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
	// Every label is padded to one width: the values start in one column.
	col := -1
	for _, ln := range strings.Split(strings.TrimSpace(text), "\n")[2:] {
		i := strings.Index(ln, ": ")
		j := i + 2 + len(ln[i+2:]) - len(strings.TrimLeft(ln[i+2:], " "))
		if col == -1 {
			col = j
		}
		if j != col {
			t.Errorf("values should start in one column (%d), this one at %d: %q", col, j, ln)
		}
	}

	// In Chinese: the labels, the attempt and the units, aligned by display
	// width (two columns a character).
	t.Setenv("KEYGATE_LANG", "zh")
	out.Reset()
	errb.Reset()
	if code := Run(context.Background(), []string{"support", "evidence", id}, &out, &errb); code != 0 {
		t.Fatalf("evidence in Chinese: exit %d %s", code, errb.String())
	}
	zh := out.String()
	for _, want := range []string{"调用了 chat，请求模型 \"mock-error-401\"", "。第 1 次尝试：渠道 mock-badcred", "调用方收到 502 upstream_auth_failed。是否计费：no。", "请求 ID", "第 1 次尝试", "mock-badcred → 401，用时", "毫秒", id, k.Display} {
		if !strings.Contains(zh, want) {
			t.Errorf("Chinese output lacks %q:\n%s", want, zh)
		}
	}
	col = -1
	for _, ln := range strings.Split(strings.TrimSpace(zh), "\n")[2:] {
		i := strings.Index(ln, "：")
		rest := ln[i+len("："):]
		j := displayWidth(ln[:i+len("：")]) + len(rest) - len(strings.TrimLeft(rest, " "))
		if col == -1 {
			col = j
		}
		if j != col {
			t.Errorf("Chinese values should start in one display column (%d), this one at %d: %q", col, j, ln)
		}
	}
	t.Setenv("KEYGATE_LANG", "en")

	out.Reset()
	errb.Reset()
	if code := Run(context.Background(), []string{"support", "evidence", "req_nothing"}, &out, &errb); code == 0 ||
		!strings.Contains(errb.String(), "not_found") {
		t.Errorf("unknown id: exit %d, stderr %q", code, errb.String())
	}
}
