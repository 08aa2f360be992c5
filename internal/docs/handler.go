package docs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/similar"
)

// Handler serves the documentation:
//
//	GET /docs/errors          index of the error codes (HTML; Markdown with Accept: text/markdown)
//	GET /docs/errors/{code}   one page (HTML; Markdown with Accept: text/markdown or a .md suffix)
//	GET /docs/guides          index of the guides
//	GET /docs/guides/{slug}   one guide (HTML or Markdown, as above)
//	GET /llms.txt             llmstxt.org index of the pages in both languages, for agents
//
// Every page is served in English or Simplified Chinese: ?lang=en or
// ?lang=zh-CN chooses, else the Accept-Language header does (English when
// it names neither). /docs/ redirects to the error index; anything else
// under /docs/ is a plain-text 404 that says where to look. It works
// mounted as mux.Handle("GET /docs/", h) and mux.Handle("GET /llms.txt", h):
// it matches on the full request path.
func Handler() http.Handler {
	// The site is rendered at the first request, not here: a gateway that
	// never serves its docs keeps ~0.7 MB of rendered pages (and twice that
	// in heap headroom) out of its resident set.
	on := func(serve func(*site, http.ResponseWriter, *http.Request)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { serve(loadSite(), w, r) }
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /docs/errors", on((*site).serveErrorIndex))
	mux.HandleFunc("GET /docs/errors/{$}", on((*site).serveErrorIndex))
	mux.HandleFunc("GET /docs/errors.md", on((*site).serveErrorIndex))
	mux.HandleFunc("GET /docs/errors/{name}", on((*site).serveError))
	mux.HandleFunc("GET /docs/guides", on((*site).serveGuideIndex))
	mux.HandleFunc("GET /docs/guides/{$}", on((*site).serveGuideIndex))
	mux.HandleFunc("GET /docs/guides.md", on((*site).serveGuideIndex))
	mux.HandleFunc("GET /docs/guides/{name}", on((*site).serveGuide))
	mux.HandleFunc("GET /llms.txt", on((*site).serveLLMs))
	mux.HandleFunc("GET /docs/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/docs/errors", http.StatusFound)
	})
	mux.HandleFunc("GET /", on((*site).serveNotFound))
	return mux
}

const (
	typeHTML     = "text/html; charset=utf-8"
	typeMarkdown = "text/markdown; charset=utf-8"
	typeText     = "text/plain; charset=utf-8"
)

type page struct {
	markdown []byte
	html     []byte
}

// langSite is the rendered site in one language.
type langSite struct {
	errorIndex, guideIndex page
	errors                 map[string]page
	guides                 map[string]page
}

type site struct {
	lang  map[i18n.Lang]*langSite
	llms  []byte
	codes []string // codes with an English page
}

// loadSite renders every page once; the content is embedded and immutable.
var loadSite = sync.OnceValue(func() *site {
	s := &site{lang: map[i18n.Lang]*langSite{}, codes: Codes()}
	for _, l := range i18n.Langs {
		ls := &langSite{errors: map[string]page{}, guides: map[string]page{}}
		for _, code := range s.codes {
			md, ok := PageIn(l, code)
			if !ok {
				md, _ = Page(code) // a test keeps every page in both languages
			}
			ls.errors[code] = render(l, "/docs/errors/"+code, code+" — "+i18n.M("docs.errors.title_suffix").Render(l), md, navErrors)
		}
		for _, g := range guides {
			md, ok := GuideIn(l, g.Slug)
			if !ok {
				if md, ok = GuideIn(i18n.EN, g.Slug); !ok {
					continue
				}
			}
			ls.guides[g.Slug] = render(l, "/docs/guides/"+g.Slug, title(md)+" — "+i18n.M("docs.guides.title_suffix").Render(l), md, navGuides)
		}
		ls.errorIndex = render(l, "/docs/errors", i18n.M("docs.errors.title").Render(l), errorIndexMarkdown(l, s.codes), navIndex)
		ls.guideIndex = render(l, "/docs/guides", i18n.M("docs.guides.title").Render(l), guideIndexMarkdown(l), navIndex)
		s.lang[l] = ls
	}
	s.llms = llmsText(s.codes)
	return s
})

// lang is the language r asks for: ?lang= first, else Accept-Language.
func lang(r *http.Request) i18n.Lang {
	if v := r.URL.Query().Get("lang"); v != "" {
		l, _ := i18n.Parse(v)
		return l
	}
	return i18n.FromAcceptLanguage(r.Header.Values("Accept-Language"))
}

func (s *site) serveErrorIndex(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, s.lang[lang(r)].errorIndex, strings.HasSuffix(r.URL.Path, ".md"))
}

func (s *site) serveGuideIndex(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, s.lang[lang(r)].guideIndex, strings.HasSuffix(r.URL.Path, ".md"))
}

func (s *site) serveError(w http.ResponseWriter, r *http.Request) {
	code, md := strings.CutSuffix(r.PathValue("name"), ".md")
	p, ok := s.lang[lang(r)].errors[code]
	if !ok {
		s.notFoundCode(w, r, code)
		return
	}
	s.serve(w, r, p, md)
}

func (s *site) serveGuide(w http.ResponseWriter, r *http.Request) {
	slug, md := strings.CutSuffix(r.PathValue("name"), ".md")
	p, ok := s.lang[lang(r)].guides[slug]
	if !ok {
		s.notFoundGuide(w, r, slug)
		return
	}
	s.serve(w, r, p, md)
}

func (s *site) serve(w http.ResponseWriter, r *http.Request, p page, forceMarkdown bool) {
	h := w.Header()
	h.Add("Vary", "Accept")
	h.Add("Vary", "Accept-Language")
	h.Set("Content-Language", string(lang(r)))
	if forceMarkdown || wantsMarkdown(r.Header.Values("Accept")) {
		send(w, r, typeMarkdown, p.markdown)
		return
	}
	// The pages carry no script; forbid any, so even a rendering bug cannot run one.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	send(w, r, typeHTML, p.html)
}

func (s *site) serveLLMs(w http.ResponseWriter, r *http.Request) {
	send(w, r, typeText, s.llms)
}

// send answers 200 with body, honouring If-None-Match and HEAD.
func send(w http.ResponseWriter, r *http.Request, contentType string, body []byte) {
	sum := sha256.Sum256(body)
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+hex.EncodeToString(sum[:12])+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func notFound(w http.ResponseWriter, l i18n.Lang, msg string) {
	h := w.Header()
	h.Set("Content-Type", typeText)
	h.Set("Content-Language", string(l))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(msg)))
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(msg))
}

func (s *site) serveNotFound(w http.ResponseWriter, r *http.Request) {
	l := lang(r)
	notFound(w, l, i18n.M("docs.notfound.path").Render(l)+"\n\n"+i18n.M("docs.notfound.where").Render(l)+"\n")
}

func (s *site) notFoundCode(w http.ResponseWriter, r *http.Request, code string) {
	l := lang(r)
	var b strings.Builder
	b.WriteString(i18n.M("docs.notfound.code", i18n.S("code", quoteShown(code))).Render(l) + "\n\n")
	if guess := closest(strings.ToLower(code), s.codes); guess != "" {
		b.WriteString(i18n.M("docs.notfound.did_you_mean", i18n.S("guess", guess), i18n.S("path", "/docs/errors/"+guess)).Render(l) + "\n\n")
	}
	b.WriteString(i18n.M("docs.notfound.code_hint").Render(l) + "\n" + i18n.M("docs.notfound.where").Render(l) + "\n")
	notFound(w, l, b.String())
}

func (s *site) notFoundGuide(w http.ResponseWriter, r *http.Request, slug string) {
	l := lang(r)
	notFound(w, l, i18n.M("docs.notfound.guide", i18n.S("guide", quoteShown(slug))).Render(l)+"\n\n"+i18n.M("docs.notfound.where").Render(l)+"\n")
}

// quoteShown quotes an untrusted name for a plain-text answer, cut short.
func quoteShown(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return strconv.QuoteToASCII(s)
}

// wantsMarkdown reports whether the Accept header values prefer Markdown to
// HTML. HTML stays the default: browsers send text/html and */*.
func wantsMarkdown(accept []string) bool {
	mdQ, htmlQ := -1.0, -1.0
	for _, v := range accept {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			q := 1.0
			if qs, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(qs, 64); err == nil {
					q = f
				}
			}
			switch mt {
			case "text/markdown", "text/x-markdown":
				mdQ = max(mdQ, q)
			case "text/html":
				htmlQ = max(htmlQ, q)
			}
		}
	}
	return mdQ > 0 && mdQ >= htmlQ
}

// closest returns the known code nearest to s, or "" when none is close.
func closest(s string, codes []string) string {
	best, bestD := "", len(s)/3+2
	for _, c := range codes {
		if d := similar.Distance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// catalogueOrder returns codes in catalogue order (the order a reader meets
// them: credentials, access, routing, limits, upstream, requests, admin),
// followed by any code the catalogue lacks (a test keeps those away).
func catalogueOrder(codes []string) []string {
	has := make(map[string]bool, len(codes))
	for _, c := range codes {
		has[c] = true
	}
	out := make([]string, 0, len(codes))
	for _, e := range apierr.Catalogue() {
		if c := string(e.Code); has[c] {
			out = append(out, c)
			delete(has, c)
		}
	}
	for _, c := range codes {
		if has[c] {
			out = append(out, c)
		}
	}
	return out
}

// entry returns the catalogue entry of code, if the catalogue has it.
func entry(code string) (apierr.Entry, bool) {
	for _, e := range apierr.Catalogue() {
		if string(e.Code) == code {
			return e, true
		}
	}
	return apierr.Entry{}, false
}

// errorIndexMarkdown lists the pages in catalogue order.
func errorIndexMarkdown(l i18n.Lang, codes []string) []byte {
	var b bytes.Buffer
	b.WriteString("# " + i18n.M("docs.errors.title").Render(l) + "\n\n")
	b.WriteString(i18n.M("docs.errors.intro").Render(l) + "\n\n")
	b.WriteString("```json\n" + `{"error": {"message": "…", "type": "authentication_error", "param": null,` + "\n" +
		`           "code": "key_disabled", "hint": "…what to do next…",` + "\n" +
		`           "docs": "/docs/errors/key_disabled", "request_id": "req_…"}}` + "\n```\n\n")
	b.WriteString(i18n.M("docs.errors.lookup").Render(l) + "\n\n")
	b.WriteString("## " + i18n.M("docs.errors.codes").Render(l) + "\n\n")
	for _, c := range catalogueOrder(codes) {
		if e, ok := entry(c); ok {
			fmt.Fprintf(&b, "- [%s](/docs/errors/%s) — **%d** `%s` — %s\n", c, c, e.Status, e.Type, e.TitleIn(l))
		} else {
			fmt.Fprintf(&b, "- [%s](/docs/errors/%s)\n", c, c)
		}
	}
	b.WriteString("\n" + i18n.M("docs.errors.guides").Render(l) + "\n\n")
	b.WriteString(i18n.M("docs.errors.markdown").Render(l) + "\n")
	return b.Bytes()
}

// guideIndexMarkdown lists the guides in reading order, by their titles.
func guideIndexMarkdown(l i18n.Lang) []byte {
	var b bytes.Buffer
	b.WriteString("# " + i18n.M("docs.guides.title").Render(l) + "\n\n")
	b.WriteString(i18n.M("docs.guides.intro").Render(l) + "\n\n")
	for _, g := range guides {
		md, ok := GuideIn(l, g.Slug)
		if !ok {
			md, _ = GuideIn(i18n.EN, g.Slug)
		}
		fmt.Fprintf(&b, "- [%s](/docs/guides/%s)\n", title(md), g.Slug)
	}
	b.WriteString("\n" + i18n.M("docs.guides.errors").Render(l) + "\n")
	return b.Bytes()
}

// llmsText is the llmstxt.org index: a title, a summary, then link lists,
// English first, then the same pages in Chinese. Links are site-relative so
// a forged Host header cannot end up in a cached copy.
func llmsText(codes []string) []byte {
	var b bytes.Buffer
	b.WriteString("# keygate\n\n")
	b.WriteString("> keygate is an OpenAI-compatible AI API gateway. Clients use the base URL http://HOST:PORT/v1 and a keygate key " +
		"(kg_live_… or kg_test_…, 46 characters) as a Bearer token. Every error body has a stable `code`; each code has a page " +
		"below with its meaning, the causes to check in order, the fix, and the evidence to send support. " +
		"Every page also exists in Simplified Chinese (add ?lang=zh-CN).\n\n")
	b.WriteString("Error bodies have the shape {\"error\":{\"message\",\"type\",\"param\",\"code\",\"hint\",\"docs\",\"request_id\"}}; " +
		"every response carries an x-request-id header. Send Accept-Language: zh-CN to get message and hint in Chinese (code and type never change). " +
		"Never ask a user for a full key: the display form " +
		"(prefix plus first and last 4 characters, like kg_live_7HqK…p2Xe) or the key id (key_…) identifies it.\n\n")
	for _, l := range i18n.Langs {
		q := ""
		if l != i18n.EN {
			q = "?lang=" + string(l)
		}
		b.WriteString("## " + i18n.M("docs.llms.errors").Render(l) + "\n\n")
		for _, c := range catalogueOrder(codes) {
			fmt.Fprintf(&b, "- [%s](/docs/errors/%s.md%s)", c, c, q)
			if e, ok := entry(c); ok {
				b.WriteString(i18n.M("docs.llms.code_line", i18n.N("status", e.Status), i18n.S("type", e.Type), i18n.S("title", e.TitleIn(l))).Render(l))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n## " + i18n.M("docs.llms.guides").Render(l) + "\n\n")
		for _, g := range guides {
			if md, ok := GuideIn(l, g.Slug); ok {
				fmt.Fprintf(&b, "- [%s](/docs/guides/%s.md%s)\n", title(md), g.Slug, q)
			}
		}
		b.WriteString("\n")
	}
	b.WriteString("## Optional\n\n")
	b.WriteString("- [Error code index](/docs/errors.md): every code with its HTTP status and error type\n")
	b.WriteString("- [Guide index](/docs/guides.md): the guides above in one list\n")
	b.WriteString("- [错误代码索引](/docs/errors.md?lang=zh-CN): 全部错误代码及其 HTTP 状态和错误类型\n")
	b.WriteString("- [指南索引](/docs/guides.md?lang=zh-CN): 上面的指南列表\n")
	return b.Bytes()
}

// nav is what the top of a page links back to.
type nav int

const (
	navIndex nav = iota
	navErrors
	navGuides
)

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{margin:0;font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"PingFang SC","Microsoft YaHei",sans-serif;color:#1f2328;background:#fff}
main{max-width:46rem;margin:0 auto;padding:1.5rem 1.25rem 3rem}
nav{font-size:.9rem;margin-bottom:1rem;display:flex;justify-content:space-between;gap:1rem;flex-wrap:wrap}
a{color:#0b5cad}
a[aria-current]{color:inherit;text-decoration:none;font-weight:600}
h1{font-size:1.8rem;line-height:1.25;margin:.5rem 0 1rem;word-break:break-word}
h2{font-size:1.3rem;margin:2rem 0 .5rem;padding-bottom:.25rem;border-bottom:1px solid #d8dee4}
h3{font-size:1.05rem;margin:1.5rem 0 .4rem}
code{font:.88em/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f3f4f6;padding:.1em .3em;border-radius:4px;word-break:break-word}
pre{background:#f6f8fa;border:1px solid #d8dee4;border-radius:6px;padding:.75rem 1rem;overflow-x:auto}
pre code{background:none;padding:0;word-break:normal}
li{margin:.25rem 0}
footer{margin-top:3rem;font-size:.85rem;color:#59636e}
@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}a{color:#4493f8}code{background:#262c36}pre{background:#161b22;border-color:#30363d}h2{border-color:#30363d}footer{color:#9198a1}}
</style>
</head>
<body>
<main>
<nav><span>{{if .Back}}<a href="{{.Back}}">{{.BackText}}</a> · {{end}}<a href="{{.Other}}">{{.OtherText}}</a></span><span>{{range $i, $s := .Switch}}{{if $i}} · {{end}}<a href="{{$s.Href}}" hreflang="{{$s.Lang}}" lang="{{$s.Lang}}"{{if $s.Current}} aria-current="page"{{end}}>{{$s.Name}}</a>{{end}}</span></nav>
{{.Body}}
<footer>{{.Footer}} · <a href="{{.Markdown}}">Markdown</a> · <a href="/llms.txt">llms.txt</a></footer>
</main>
</body>
</html>
`))

type langLink struct {
	Lang, Name, Href string
	Current          bool
}

// render makes the page at path (its canonical, English URL) in l: the
// Markdown with its internal links made to keep the language, and the HTML
// with a language switch.
func render(l i18n.Lang, path, pageTitle string, md []byte, n nav) page {
	md = localizeMarkdownLinks(l, md)
	data := struct {
		Lang, Title, Back, BackText, Other, OtherText, Footer, Markdown string
		Switch                                                          []langLink
		Body                                                            template.HTML
	}{Lang: string(l), Title: pageTitle, Footer: i18n.M("docs.footer").Render(l), Markdown: withLang(l, mdPath(path))}
	switch n {
	case navErrors:
		data.Back, data.BackText = withLang(l, "/docs/errors"), i18n.M("docs.nav.all_errors").Render(l)
		data.Other, data.OtherText = withLang(l, "/docs/guides"), i18n.M("docs.nav.guides").Render(l)
	case navGuides:
		data.Back, data.BackText = withLang(l, "/docs/guides"), i18n.M("docs.nav.all_guides").Render(l)
		data.Other, data.OtherText = withLang(l, "/docs/errors"), i18n.M("docs.nav.errors").Render(l)
	default:
		if strings.HasPrefix(path, "/docs/guides") {
			data.Other, data.OtherText = withLang(l, "/docs/errors"), i18n.M("docs.nav.errors").Render(l)
		} else {
			data.Other, data.OtherText = withLang(l, "/docs/guides"), i18n.M("docs.nav.guides").Render(l)
		}
	}
	for _, o := range i18n.Langs {
		data.Switch = append(data.Switch, langLink{Lang: string(o), Name: i18n.M("docs.lang.name").Render(o), Href: path + "?lang=" + string(o), Current: o == l})
	}
	data.Body = template.HTML(renderMarkdown(md)) // renderMarkdown escapes all source text
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, data); err != nil {
		panic("docs: page template: " + err.Error()) // the template and its data are static
	}
	return page{markdown: md, html: b.Bytes()}
}

// mdPath is the Markdown URL of a page.
func mdPath(path string) string { return path + ".md" }

// withLang adds ?lang= to a site path for a language other than English.
func withLang(l i18n.Lang, path string) string {
	if l == i18n.EN {
		return path
	}
	p, frag, _ := strings.Cut(path, "#")
	if frag != "" {
		frag = "#" + frag
	}
	return p + "?lang=" + string(l) + frag
}

var (
	mdSibling = regexp.MustCompile(`\]\((?:\./)?([a-z0-9_]+)\.md(#[A-Za-z0-9_-]*)?\)`)
	mdSite    = regexp.MustCompile(`\]\((/docs/[A-Za-z0-9_./-]*)(#[^)\s]*)?\)`)
)

// localizeMarkdownLinks makes the links of a page in l lead to pages in l:
// "key_rotated.md" and "/docs/guides/rotation" get ?lang=zh-CN. English
// pages are left as written.
func localizeMarkdownLinks(l i18n.Lang, md []byte) []byte {
	if l == i18n.EN {
		return md
	}
	md = mdSibling.ReplaceAllFunc(md, func(m []byte) []byte {
		s := mdSibling.FindSubmatch(m)
		return []byte("](" + withLang(l, "/docs/errors/"+string(s[1])+string(s[2])) + ")")
	})
	return mdSite.ReplaceAllFunc(md, func(m []byte) []byte {
		s := mdSite.FindSubmatch(m)
		return []byte("](" + withLang(l, string(s[1])+string(s[2])) + ")")
	})
}
