package ui_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/i18n"
)

var (
	textRe    = regexp.MustCompile(`\.T "(ui\.[a-z0-9_.]+)"|M\("(ui\.[a-z0-9_.]+)"`)
	familyRe  = regexp.MustCompile(`printf "(ui\.[a-z0-9_.]+\.)%s"`)
	inlineRe  = regexp.MustCompile(`(?i)<script>|<script [^>]*>[^<]|\son[a-z]+=|\sstyle=|<style|javascript:|https?://[a-z]`)
	scriptSrc = regexp.MustCompile(`<script[^>]*src="([^"]+)"`)
)

// Every dashboard text the templates and handlers name is in the catalogue
// in both languages, and every ui.* text of the catalogue is used.
func TestTemplateTexts(t *testing.T) {
	files, _ := filepath.Glob("templates/*.html")
	gofiles, _ := filepath.Glob("*.go")
	used, families := map[string]bool{}, []string{}
	for _, f := range append(files, gofiles...) {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range textRe.FindAllStringSubmatch(string(b), -1) {
			used[m[1]+m[2]] = true
		}
		for _, m := range familyRe.FindAllStringSubmatch(string(b), -1) {
			families = append(families, m[1])
		}
	}
	if len(used) < 50 {
		t.Fatalf("only %d texts found: the scan is broken", len(used))
	}
	for k := range used {
		tx, ok := i18n.Entry(i18n.Key(k))
		if !ok || tx.EN == "" || tx.ZH == "" {
			t.Errorf("%s is used but not in the catalogue in both languages", k)
		}
	}
	for _, k := range i18n.Keys() {
		s := string(k)
		if !strings.HasPrefix(s, "ui.") || used[s] {
			continue
		}
		inFamily := false
		for _, f := range families {
			inFamily = inFamily || strings.HasPrefix(s, f)
		}
		if !inFamily {
			t.Errorf("%s is in the catalogue but the dashboard does not use it", s)
		}
	}
}

// No template has inline script, inline style, an event handler attribute
// or a reference to another host: the CSP would block them, and a page
// must not depend on anything outside the binary.
func TestTemplatesHaveNoInlineCodeOrOutsideHost(t *testing.T) {
	files, _ := filepath.Glob("templates/*.html")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if m := inlineRe.FindString(string(b)); m != "" {
			t.Errorf("%s: %q", f, m)
		}
		for _, m := range scriptSrc.FindAllStringSubmatch(string(b), -1) {
			if !strings.HasPrefix(m[1], "/ui/static/") {
				t.Errorf("%s: script from %q", f, m[1])
			}
		}
	}
}
