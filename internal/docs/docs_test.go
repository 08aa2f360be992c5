package docs

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
)

// Every code of the catalogue has a page in every language, and every page
// documents a code.
func TestEveryCodeHasAPage(t *testing.T) {
	for _, l := range i18n.Langs {
		has := map[string]bool{}
		for _, c := range CodesIn(l) {
			has[c] = true
		}
		inCatalogue := map[string]bool{}
		for _, e := range apierr.Catalogue() {
			code := string(e.Code)
			inCatalogue[code] = true
			if !has[code] {
				t.Errorf("code %s has no %s page: write internal/docs/%s/%s.md", code, l, dir("errors", l), code)
			}
			if _, ok := PageIn(l, code); !ok && has[code] {
				t.Errorf("PageIn(%s, %q) = false, but CodesIn lists it", l, code)
			}
		}
		for c := range has {
			if !inCatalogue[c] {
				t.Errorf("page %s/%s.md documents no code of apierr.Catalogue()", dir("errors", l), c)
			}
		}
	}
}

var (
	realKey = regexp.MustCompile(`kg_(live|test|pat)_[0-9A-Za-z]{38}`)
	// Other providers' keys, in case an example ever gets "realistic".
	otherKey    = regexp.MustCompile(`sk-(ant-)?[A-Za-z0-9_-]{24,}|AIza[0-9A-Za-z_-]{35}`)
	siblingLink = regexp.MustCompile(`\]\(([a-z0-9_]+)\.md(#[^)]*)?\)`)
	hanChar     = regexp.MustCompile(`\p{Han}`)
)

// required are the sections of an error page, in order, per language.
var required = map[i18n.Lang][]string{
	i18n.EN: {"## What it means", "## Check in this order", "## Fix", "## Evidence to send", "## Never send"},
	i18n.ZH: {"## 含义", "## 按顺序检查", "## 解决办法", "## 需要提供的证据", "## 切勿发送"},
}

func TestPagesAreComplete(t *testing.T) {
	for _, l := range i18n.Langs {
		for _, e := range apierr.Catalogue() {
			code := string(e.Code)
			t.Run(string(l)+"/"+code, func(t *testing.T) {
				md, ok := PageIn(l, code)
				if !ok {
					t.Skip("no page (reported by TestEveryCodeHasAPage)")
				}
				text := string(md)
				if !strings.HasPrefix(text, "# "+code+"\n") {
					t.Errorf("page must start with the heading %q", "# "+code)
				}
				last := -1
				for _, h := range required[l] {
					i := strings.Index(text, "\n"+h+"\n")
					if i < 0 {
						t.Errorf("missing section %q", h)
						continue
					}
					if i < last {
						t.Errorf("section %q is out of order", h)
					}
					last = i
				}
				if want := "HTTP " + strconv.Itoa(e.Status); !strings.Contains(text, want) {
					t.Errorf("page does not state the status %q", want)
				}
				if want := "`" + e.Type + "`"; !strings.Contains(text, want) {
					t.Errorf("page does not state the type %s", want)
				}
				if l == i18n.ZH && len(hanChar.FindAllString(text, -1)) < 200 {
					t.Errorf("the zh-CN page is hardly Chinese")
				}
				checkText(t, text)
				if n := strings.Count(text, "\n"); n < 35 || n > 100 {
					t.Errorf("page has %d lines; keep it focused (40–90)", n)
				}
				for _, m := range siblingLink.FindAllStringSubmatch(text, -1) {
					if _, ok := PageIn(l, m[1]); !ok {
						t.Errorf("link to %s.md, which does not exist", m[1])
					}
				}
			})
		}
	}
}

// checkText holds every page and guide to the same rules.
func checkText(t *testing.T, text string) {
	t.Helper()
	if m := realKey.FindString(text); m != "" {
		t.Errorf("page contains a string shaped like a real keygate key: %s", m)
	}
	if m := otherKey.FindString(text); m != "" {
		t.Errorf("page contains a string shaped like a real provider key: %s", m)
	}
	if strings.Count(text, "```")%2 != 0 {
		t.Errorf("unbalanced code fence")
	}
	// There is no dashboard yet: pages name only surfaces that exist.
	if strings.Contains(strings.ToLower(text), "dashboard") || strings.Contains(text, "/ui/") || strings.Contains(text, "控制台（/ui") {
		t.Errorf("page names the dashboard, which does not exist yet")
	}
}

// Every guide exists in both languages, and every error page it belongs to
// links it, in both languages.
func TestGuides(t *testing.T) {
	for _, l := range i18n.Langs {
		if got, want := len(GuideSlugs(l)), len(guides); got != want {
			t.Errorf("%s: %d guide files, %d guides declared", l, got, want)
		}
		for _, g := range guides {
			md, ok := GuideIn(l, g.Slug)
			if !ok {
				t.Errorf("guide %s has no %s version: write internal/docs/%s/%s.md", g.Slug, l, dir("guides", l), g.Slug)
				continue
			}
			text := string(md)
			if !strings.HasPrefix(text, "# ") || title(md) == "" {
				t.Errorf("%s/%s: must start with a title", l, g.Slug)
			}
			if l == i18n.ZH && len(hanChar.FindAllString(text, -1)) < 150 {
				t.Errorf("%s/%s is hardly Chinese", l, g.Slug)
			}
			checkText(t, text)
			for _, code := range g.Codes {
				page, ok := PageIn(l, code)
				if !ok {
					t.Errorf("guide %s names code %s, which has no page", g.Slug, code)
					continue
				}
				if !strings.Contains(string(page), "](/docs/guides/"+g.Slug+")") {
					t.Errorf("%s page of %s does not link the guide %s", l, code, g.Slug)
				}
			}
		}
	}
}

// The repository's docs/README.md points readers at every page.
func TestReadmeListsEveryPage(t *testing.T) {
	b, err := os.ReadFile("../../docs/README.md")
	if err != nil {
		t.Skipf("docs/README.md: %v", err)
	}
	for _, c := range Codes() {
		if !bytes.Contains(b, []byte("(../internal/docs/errors/"+c+".md)")) {
			t.Errorf("docs/README.md does not link errors/%s.md", c)
		}
	}
}

func TestPageRejectsPaths(t *testing.T) {
	for _, code := range []string{"", "../docs", "errors/x", "Invalid_API_Key", "x.md", strings.Repeat("a", 100), "zh-CN"} {
		if _, ok := Page(code); ok {
			t.Errorf("Page(%q) = true", code)
		}
		if _, ok := PageIn(i18n.ZH, code); ok {
			t.Errorf("PageIn(zh-CN, %q) = true", code)
		}
	}
	for _, slug := range []string{"", "../errors/key_disabled", "zh-CN", "Key-Leaked", "key_leaked"} {
		if _, ok := GuideIn(i18n.EN, slug); ok {
			t.Errorf("GuideIn(%q) = true", slug)
		}
	}
}
