package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/testgw"
)

// TestCLISpeaksTheReadersLanguage: with a Chinese locale, what the CLI
// prints itself (the shown-once warning, the rotation checklist, the impact
// report) and what the gateway answers (its error messages, asked for with
// Accept-Language) are in Chinese; the key itself is printed exactly once.
func TestCLISpeaksTheReadersLanguage(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	t.Setenv("KEYGATE_ADDR", strings.TrimPrefix(g.URL, "http://"))
	t.Setenv("KEYGATE_ADMIN_TOKEN", testgw.AdminToken)
	t.Setenv("KEYGATE_LANG", "")
	t.Setenv("LC_ALL", "")
	t.Setenv("LC_MESSAGES", "")
	t.Setenv("LANG", "zh_CN.UTF-8")

	code, out, errOut := runCLI(t, "keys", "create", "--project", "demo", "--name", "zh", "--models", "mock-gpt")
	if code != 0 {
		t.Fatalf("create: %d %s %s", code, out, errOut)
	}
	for _, want := range []string{"密钥只显示这一次", "显示形式", "项目"} {
		if !strings.Contains(out, want) {
			t.Errorf("create should print %q in Chinese:\n%s", want, out)
		}
	}
	found := keys.Find(out)
	if len(found) != 1 {
		t.Fatalf("create should print the key once: %s", out)
	}
	code, out, _ = runCLI(t, "keys", "list", "--json")
	var list struct{ Data []struct{ ID string } }
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Data) == 0 {
		t.Fatalf("list: %d %s", code, out)
	}
	id := list.Data[0].ID

	// The gateway's own refusal comes back in Chinese.
	code, _, errOut = runCLI(t, "keys", "show", "key_doesnotexist")
	if code != 1 || !strings.Contains(errOut, "(not_found)") || !containsHan(errOut) {
		t.Fatalf("a refusal should come in the reader's language: %d %s", code, errOut)
	}

	if code, out, _ = runCLI(t, "keys", "rotate", id, "--grace", "1h"); code != 0 || !strings.Contains(out, "已轮换") ||
		!strings.Contains(out, "旧密钥在") {
		t.Fatalf("rotate: %d\n%s", code, out)
	}
	if code, out, _ = runCLI(t, "keys", "rotation", id); code != 0 || !strings.Contains(out, "个客户端中已有") ||
		!strings.Contains(out, "下一步：") {
		t.Fatalf("rotation: %d\n%s", code, out)
	}
	if code, out, _ = runCLI(t, "keys", "impact", id, "--since", "1h"); code != 0 || !strings.Contains(out, "的影响报告") ||
		!strings.Contains(out, "窗口之前的基线") {
		t.Fatalf("impact: %d\n%s", code, out)
	}

	code, out, _ = runCLI(t, "members", "create", "--email", "zh@example.com", "--role", "member", "--projects", "demo")
	if code != 0 || !strings.Contains(out, "个人访问令牌") || !strings.Contains(out, "角色 member") {
		t.Fatalf("members create: %d\n%s", code, out)
	}
	if code, out, _ = runCLI(t, "scan", t.TempDir()); code != 0 || !strings.Contains(out, "没有发现密钥") {
		t.Fatalf("scan: %d %s", code, out)
	}
	if code, out, _ = runCLI(t, "incidents", "list"); code != 0 || !strings.Contains(out, "没有事件") {
		t.Fatalf("incidents list: %d %s", code, out)
	}

	// English stays the default.
	t.Setenv("LANG", "C.UTF-8")
	if code, out, _ = runCLI(t, "keys", "rotation", id); code != 0 || !strings.Contains(out, "clients migrated") || containsHan(out) {
		t.Fatalf("rotation in English: %d\n%s", code, out)
	}
}

func containsHan(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}
