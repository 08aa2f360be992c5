package docs

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/i18n"
)

// The language of a page: ?lang= first, then Accept-Language, English by
// default — so the English URL every old error body carries keeps working.
func TestPageLanguage(t *testing.T) {
	h := mounted()
	en, _ := PageIn(i18n.EN, "key_disabled")
	zh, _ := PageIn(i18n.ZH, "key_disabled")
	for name, tc := range map[string]struct {
		path   string
		header []string
		want   i18n.Lang
	}{
		"plain English URL":         {"/docs/errors/key_disabled.md", nil, i18n.EN},
		"lang param":                {"/docs/errors/key_disabled.md?lang=zh-CN", nil, i18n.ZH},
		"lang param, lower case":    {"/docs/errors/key_disabled.md?lang=zh-cn", nil, i18n.ZH},
		"Accept-Language":           {"/docs/errors/key_disabled.md", []string{"Accept-Language", "zh-Hans-CN,zh;q=0.9"}, i18n.ZH},
		"lang param wins":           {"/docs/errors/key_disabled.md?lang=en", []string{"Accept-Language", "zh-CN"}, i18n.EN},
		"unknown lang is English":   {"/docs/errors/key_disabled.md?lang=fr", []string{"Accept-Language", "zh-CN"}, i18n.EN},
		"English preferred by q":    {"/docs/errors/key_disabled.md", []string{"Accept-Language", "zh;q=0.3, en;q=0.9"}, i18n.EN},
		"Markdown by Accept, zh-CN": {"/docs/errors/key_disabled?lang=zh-CN", []string{"Accept", "text/markdown"}, i18n.ZH},
	} {
		t.Run(name, func(t *testing.T) {
			w := get(t, h, tc.path, tc.header...)
			checkHeaders(t, w, 200, "text/markdown; charset=utf-8")
			body := w.Body.String()
			if tc.want == i18n.EN && body != string(en) {
				t.Errorf("want the English page")
			}
			if tc.want == i18n.ZH && (!strings.HasPrefix(body, "# key_disabled\n") || !strings.Contains(body, "## 含义") || len(body) < len(zh)/2) {
				t.Errorf("want the Chinese page, got:\n%.200s", body)
			}
			if got := w.Header().Get("Content-Language"); got != string(tc.want) {
				t.Errorf("Content-Language = %q, want %s", got, tc.want)
			}
			if v := strings.Join(w.Header().Values("Vary"), ","); !strings.Contains(v, "Accept-Language") || !strings.Contains(v, "Accept") {
				t.Errorf("Vary = %q", v)
			}
		})
	}
}

// Every HTML page has a switch to the other language, for the same page.
func TestLanguageSwitch(t *testing.T) {
	h := mounted()
	for _, path := range allPaths() {
		for _, l := range i18n.Langs {
			w := get(t, h, path+"?lang="+string(l))
			if w.Code != 200 {
				t.Errorf("%s in %s: status %d", path, l, w.Code)
				continue
			}
			body := w.Body.String()
			if !strings.Contains(body, `<html lang="`+string(l)+`">`) {
				t.Errorf("%s in %s: wrong <html lang>", path, l)
			}
			for _, o := range i18n.Langs {
				link := `href="` + path + "?lang=" + string(o) + `" hreflang="` + string(o) + `"`
				if !strings.Contains(body, link) {
					t.Errorf("%s in %s: no switch to %s (%s)", path, l, o, link)
				}
			}
			if !strings.Contains(body, `aria-current="page">`+i18n.M("docs.lang.name").Render(l)+`</a>`) {
				t.Errorf("%s in %s: the current language is not marked", path, l)
			}
		}
	}
}

// allPaths is every page of the site: the two indexes, every error page and
// every guide.
func allPaths() []string {
	paths := []string{"/docs/errors", "/docs/guides"}
	for _, c := range Codes() {
		paths = append(paths, "/docs/errors/"+c)
	}
	for _, g := range guides {
		paths = append(paths, "/docs/guides/"+g.Slug)
	}
	return paths
}

var (
	hrefAttr = regexp.MustCompile(`href="([^"]*)"`)
	idAttr   = regexp.MustCompile(`id="([^"]*)"`)
	mdLink   = regexp.MustCompile(`\]\(([^)\s]+)\)`)
)

// Every internal link of every page, in both languages, in HTML and in
// Markdown, leads to a page that exists (and to an anchor that exists);
// links of a Chinese page stay in Chinese.
func TestInternalLinks(t *testing.T) {
	h := mounted()
	checked := map[string]bool{}
	follow := func(from, link string, l i18n.Lang) {
		t.Helper()
		if !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "//") {
			return // external (https://…) links are not followed
		}
		link = strings.ReplaceAll(link, "&amp;", "&")
		if !strings.HasPrefix(link, "/docs/") && link != "/llms.txt" {
			t.Errorf("%s links %s, which is not a documentation page", from, link)
			return
		}
		if l == i18n.ZH && link != "/llms.txt" && !strings.Contains(link, "lang=") { // llms.txt lists both languages
			t.Errorf("%s (zh-CN) links %s without ?lang=zh-CN", from, link)
		}
		target, frag, _ := strings.Cut(link, "#")
		key := target + "#" + frag
		if checked[key] {
			return
		}
		checked[key] = true
		w := get(t, h, target)
		if w.Code != 200 {
			t.Errorf("%s links %s: status %d", from, link, w.Code)
			return
		}
		if frag != "" {
			found := false
			for _, m := range idAttr.FindAllStringSubmatch(w.Body.String(), -1) {
				found = found || m[1] == frag
			}
			if !found {
				t.Errorf("%s links %s: no anchor #%s there", from, link, frag)
			}
		}
	}
	n := 0
	for _, path := range allPaths() {
		for _, l := range i18n.Langs {
			from := path + "?lang=" + string(l)
			w := get(t, h, from)
			for _, m := range hrefAttr.FindAllStringSubmatch(w.Body.String(), -1) {
				follow(from, m[1], l)
				n++
			}
			w = get(t, h, from, "Accept", "text/markdown")
			for _, m := range mdLink.FindAllStringSubmatch(w.Body.String(), -1) {
				link := m[1]
				if l == i18n.EN && !strings.HasPrefix(link, "/") && strings.HasSuffix(strings.Split(link, "#")[0], ".md") {
					link = "/docs/errors/" + link // a sibling page, relative to /docs/errors/
				}
				follow(from+" (Markdown)", link, l)
				n++
			}
		}
	}
	if n < 200 {
		t.Fatalf("only %d links checked: the scan is broken", n)
	}
}

func TestLLMsTxtBothLanguages(t *testing.T) {
	body := get(t, mounted(), "/llms.txt").Body.String()
	for _, c := range Codes() {
		if !strings.Contains(body, "- ["+c+"](/docs/errors/"+c+".md?lang=zh-CN)：") {
			t.Errorf("llms.txt does not list the Chinese page of %s", c)
		}
	}
	for _, g := range guides {
		for _, l := range i18n.Langs {
			md, _ := GuideIn(l, g.Slug)
			link := "- [" + title(md) + "](/docs/guides/" + g.Slug + ".md"
			if l != i18n.EN {
				link += "?lang=" + string(l)
			}
			if !strings.Contains(body, link+")") {
				t.Errorf("llms.txt does not list %s", link)
			}
		}
	}
}

func TestGuideIndexAndUnknownGuide(t *testing.T) {
	h := mounted()
	for _, l := range i18n.Langs {
		w := get(t, h, "/docs/guides?lang="+string(l))
		checkHeaders(t, w, 200, "text/html; charset=utf-8")
		for _, g := range guides {
			if !strings.Contains(w.Body.String(), `href="`+withLang(l, "/docs/guides/"+g.Slug)+`"`) {
				t.Errorf("%s guide index does not link %s", l, g.Slug)
			}
		}
	}
	w := get(t, h, "/docs/guides/no-such-guide", "Accept-Language", "zh-CN")
	checkHeaders(t, w, http.StatusNotFound, "text/plain; charset=utf-8")
	if !strings.Contains(w.Body.String(), "没有名为") || !strings.Contains(w.Body.String(), "/docs/guides") {
		t.Errorf("Chinese 404 for a guide:\n%s", w.Body)
	}
}
