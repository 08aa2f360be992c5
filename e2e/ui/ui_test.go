// Package ui_e2e drives the dashboard in a real browser: playwright-core
// (pinned in package.json) with Debian's chromium, against a real gateway.
package ui_e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/testgw"
)

const chromium = "/usr/bin/chromium"

func TestDashboardInABrowser(t *testing.T) {
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node is not installed"
	case fileMissing(filepath.Join("node_modules", "playwright-core")):
		missing = "e2e/ui/node_modules/playwright-core is missing (npm ci --prefix e2e/ui)"
	case fileMissing(chromium):
		missing = chromium + " is missing (apt-get install -y chromium)"
	}
	if missing != "" {
		if os.Getenv("CI") != "" {
			t.Fatal(missing + ": .ci/run installs it")
		}
		t.Skip("skipping the dashboard browser test: " + missing)
	}
	g := testgw.Start(t, testgw.Options{Config: strings.Replace(testgw.DefaultConfig, "mock-stream-cut]", "mock-stream-cut, mock-video]", 1) +
		"  - {name: mock-video, per_video_second: 0.10}\n"})
	if st := g.Admin("POST", "/admin/v1/members", map[string]any{"email": "support@example.com", "role": "support",
		"password": "support-passphrase-1"}, nil); st != 201 && st != 200 {
		t.Fatalf("create the support member: %d", st)
	}
	shots := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "flow.mjs")
	cmd.Env = append(os.Environ(), "KEYGATE_URL="+g.URL, "KEYGATE_ADMIN_TOKEN="+testgw.AdminToken, "SHOT_DIR="+shots,
		"SUPPORT_EMAIL=support@example.com", "SUPPORT_PASSWORD=support-passphrase-1", "HOME="+t.TempDir())
	outb, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("flow.mjs: %v\n%s", err, outb)
	}
	lines := strings.Split(strings.TrimSpace(string(outb)), "\n")
	var out struct {
		Axe             map[string][]string `json:"axe"`
		Problems        []string            `json:"problems"`
		CSPViolations   []string            `json:"cspViolations"`
		OutsideRequests []string            `json:"outsideRequests"`
		Widths          map[string]int      `json:"widths"`
		KeyWorks        int                 `json:"keyWorks"`
		AfterDisable    struct {
			Status int    `json:"status"`
			Code   string `json:"code"`
		} `json:"afterDisable"`
		Leak struct {
			Clicks int    `json:"clicks"`
			MS     int    `json:"ms"`
			Title  string `json:"title"`
		} `json:"leak"`
		Rotation struct {
			Before, After, Summary string
		} `json:"rotation"`
		JobCancelled         bool              `json:"jobCancelled"`
		BudgetMarks          int               `json:"budgetMarks"`
		ZHHeadings           map[string]string `json:"zhHeadings"`
		ZHJobState           string            `json:"zhJobState"`
		SupportMembersStatus int               `json:"supportMembersStatus"`
		SupportOrgControls   int               `json:"supportOrgControls"`
		SupportForgedCancel  int               `json:"supportForgedCancel"`
		ReplacementWorks     int               `json:"replacementWorks"`
		NoCSRFStatus         int               `json:"noCsrfStatus"`
		ZHHeading            string            `json:"zhHeading"`
		SupportControls      int               `json:"supportControls"`
		SupportCreateForm    int               `json:"supportCreateForm"`
		SupportForgedStatus  int               `json:"supportForgedStatus"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &out); err != nil {
		t.Fatalf("flow.mjs output: %v\n%s", err, outb)
	}
	for _, p := range out.Problems {
		t.Error(p)
	}
	if len(out.CSPViolations) > 0 || len(out.OutsideRequests) > 0 {
		t.Errorf("CSP violations %q, requests to other hosts %q", out.CSPViolations, out.OutsideRequests)
	}
	if out.KeyWorks != 200 || out.AfterDisable.Status != 401 || out.AfterDisable.Code != "key_disabled" {
		t.Errorf("new key %d; after the dashboard's disable %+v, want 401 key_disabled", out.KeyWorks, out.AfterDisable)
	}
	// The target: the whole leak flow, from the keys list to the
	// incident record, in under ten clicks and under a minute as the
	// browser measured it. (The minute is the product's promise to a
	// person; the flow takes a few seconds even on a loaded machine.)
	if out.Leak.Clicks == 0 || out.Leak.Clicks >= 10 || !strings.Contains(out.Leak.Title, "leaked") {
		t.Errorf("leak flow: %+v, want an incident record in under 10 clicks", out.Leak)
	}
	if out.Leak.MS <= 0 || out.Leak.MS >= 60_000 {
		t.Errorf("leak flow took %d ms in the browser, want under 60 s", out.Leak.MS)
	}
	// The rotation report, left open, refreshed itself as the client moved.
	if !strings.Contains(out.Rotation.Before, "✗") || !strings.Contains(out.Rotation.After, "✓") {
		t.Errorf("rotation report: before %q, after %q; want the client on the old key, then migrated", out.Rotation.Before, out.Rotation.After)
	}
	t.Logf("rotation report: %q → %q (%s)", out.Rotation.Before, out.Rotation.After, out.Rotation.Summary)
	if !out.JobCancelled || out.BudgetMarks < 3 {
		t.Errorf("jobs page cancel %v, budget marks on the usage page %d (want true, ≥ 3)", out.JobCancelled, out.BudgetMarks)
	}
	for page, want := range map[string]string{"/ui/members": "成员", "/ui/projects": "项目与分组", "/ui/jobs": "任务", "/ui/usage": "用量"} {
		if out.ZHHeadings[page] != want {
			t.Errorf("in Chinese %s is headed %q, want %q", page, out.ZHHeadings[page], want)
		}
	}
	if out.ZHJobState != "已取消" {
		t.Errorf("in Chinese the cancelled job reads %q", out.ZHJobState)
	}
	if out.SupportMembersStatus != 403 || out.SupportOrgControls != 0 || out.SupportForgedCancel != 403 {
		t.Errorf("support: members page %d, %d change controls on projects and jobs, forged cancel %d (want 403, 0, 403)",
			out.SupportMembersStatus, out.SupportOrgControls, out.SupportForgedCancel)
	}
	t.Logf("leak flow: %d clicks, %d ms (target: < 10 clicks, < 60 s); screenshots in %s", out.Leak.Clicks, out.Leak.MS, shots)
	if out.ReplacementWorks != 200 {
		t.Errorf("replacement key: %d", out.ReplacementWorks)
	}
	if out.NoCSRFStatus != 403 {
		t.Errorf("POST without the CSRF token: %d, want 403", out.NoCSRFStatus)
	}
	if out.ZHHeading != "API 密钥" {
		t.Errorf("after the switch the heading is %q", out.ZHHeading)
	}
	if out.SupportControls != 0 || out.SupportCreateForm != 0 || out.SupportForgedStatus != 403 {
		t.Errorf("support: %d change controls, %d create forms, forged POST %d (want 0, 0, 403)",
			out.SupportControls, out.SupportCreateForm, out.SupportForgedStatus)
	}
	t.Logf("widths (overflow px): %v", out.Widths)
	if len(out.Axe) < 11 {
		t.Errorf("axe ran on %d pages, want 11", len(out.Axe))
	}
	pages := make([]string, 0, len(out.Axe))
	for page := range out.Axe {
		pages = append(pages, page)
	}
	t.Logf("axe (wcag2a, wcag2aa, best-practice; serious and critical fail) ran on %v", pages)
	for page, v := range out.Axe {
		for _, x := range v {
			t.Errorf("axe on %s: %s", page, x)
		}
	}
}

func fileMissing(p string) bool { _, err := os.Stat(p); return err != nil }
