package docs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/similar"
)

// Handler serves the error documentation:
//
//	GET /docs/errors          index (HTML; Markdown with Accept: text/markdown)
//	GET /docs/errors/{code}   one page (HTML; Markdown with Accept: text/markdown or a .md suffix)
//	GET /llms.txt             llmstxt.org index of the pages, for agents
//
// /docs/ redirects to the index; anything else under /docs/ is a plain-text 404 that says where to look. It
// works mounted as mux.Handle("GET /docs/", h) and mux.Handle("GET /llms.txt", h):
// it matches on the full request path.
func Handler() http.Handler {
	s := loadSite()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /docs/errors", s.serveIndex)
	mux.HandleFunc("GET /docs/errors/{$}", s.serveIndex)
	mux.HandleFunc("GET /docs/errors.md", s.serveIndex)
	mux.HandleFunc("GET /docs/errors/{name}", s.servePage)
	mux.HandleFunc("GET /llms.txt", s.serveLLMs)
	mux.HandleFunc("GET /docs/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/docs/errors", http.StatusFound)
	})
	mux.HandleFunc("GET /", serveNotFound)
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

type site struct {
	index page
	llms  []byte
	pages map[string]page
	codes []string
}

// loadSite renders every page once; the content is embedded and immutable.
var loadSite = sync.OnceValue(func() *site {
	s := &site{pages: map[string]page{}, codes: Codes()}
	for _, code := range s.codes {
		md, _ := Page(code)
		s.pages[code] = page{markdown: md, html: htmlPage(code, md, false)}
	}
	idx := indexMarkdown(s.codes)
	s.index = page{markdown: idx, html: htmlPage("", idx, true)}
	s.llms = llmsText(s.codes)
	return s
})

func (s *site) serveIndex(w http.ResponseWriter, r *http.Request) {
	s.serve(w, r, s.index, strings.HasSuffix(r.URL.Path, ".md"))
}

func (s *site) servePage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	code, md := strings.CutSuffix(name, ".md")
	p, ok := s.pages[code]
	if !ok {
		s.notFoundCode(w, code)
		return
	}
	s.serve(w, r, p, md)
}

func (s *site) serve(w http.ResponseWriter, r *http.Request, p page, forceMarkdown bool) {
	h := w.Header()
	h.Add("Vary", "Accept")
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

func notFound(w http.ResponseWriter, msg string) {
	h := w.Header()
	h.Set("Content-Type", typeText)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(msg)))
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(msg))
}

func serveNotFound(w http.ResponseWriter, r *http.Request) {
	notFound(w, "No documentation at this path.\n\n"+
		"Error codes are documented at /docs/errors (one page per code: /docs/errors/<code>).\n"+
		"An index for tools and agents is at /llms.txt.\n")
}

func (s *site) notFoundCode(w http.ResponseWriter, code string) {
	var b strings.Builder
	shown := code
	if len(shown) > 64 {
		shown = shown[:64] + "…"
	}
	fmt.Fprintf(&b, "No documentation page for error code %s.\n\n", strconv.QuoteToASCII(shown))
	if guess := closest(strings.ToLower(code), s.codes); guess != "" {
		fmt.Fprintf(&b, "Did you mean %s? See /docs/errors/%s\n\n", guess, guess)
	}
	b.WriteString("Use the exact value of the \"code\" field of the error body (for example invalid_api_key).\n" +
		"Every documented code is listed at /docs/errors; an index for tools and agents is at /llms.txt.\n")
	notFound(w, b.String())
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

// indexMarkdown lists the pages in catalogue order.
func indexMarkdown(codes []string) []byte {
	var b bytes.Buffer
	b.WriteString("# keygate error codes\n\n")
	b.WriteString("Every error keygate returns is OpenAI-shaped, so SDKs surface it, and carries fields that explain it:\n\n")
	b.WriteString("```json\n" + `{"error": {"message": "…", "type": "authentication_error", "param": null,` + "\n" +
		`           "code": "key_disabled", "hint": "…what to do next…",` + "\n" +
		`           "docs": "/docs/errors/key_disabled", "request_id": "req_…"}}` + "\n```\n\n")
	b.WriteString("Look up the `code` below. When you ask for help, send the `request_id` (also in the `x-request-id` response header), " +
		"the key's display form (like `kg_live_7HqK…p2Xe`), the time in UTC, the base URL and the model. **Never send a full key.**\n\n")
	b.WriteString("## Codes\n\n")
	for _, c := range catalogueOrder(codes) {
		if e, ok := entry(c); ok {
			fmt.Fprintf(&b, "- [%s](/docs/errors/%s) — **%d** `%s` — %s\n", c, c, e.Status, e.Type, e.Title)
		} else {
			fmt.Fprintf(&b, "- [%s](/docs/errors/%s)\n", c, c)
		}
	}
	b.WriteString("\nEach page is also available as Markdown: add `.md` to its path or send `Accept: text/markdown`. " +
		"An index for tools and agents is at [/llms.txt](/llms.txt).\n")
	return b.Bytes()
}

// llmsText is the llmstxt.org index: a title, a summary, then link lists.
// Links are site-relative so a forged Host header cannot end up in a cached copy.
func llmsText(codes []string) []byte {
	var b bytes.Buffer
	b.WriteString("# keygate\n\n")
	b.WriteString("> keygate is an OpenAI-compatible AI API gateway. Clients use the base URL http://HOST:PORT/v1 and a keygate key " +
		"(kg_live_… or kg_test_…, 46 characters) as a Bearer token. Every error body has a stable `code`; each code has a page " +
		"below with its meaning, the causes to check in order, the fix, and the evidence to send support.\n\n")
	b.WriteString("Error bodies have the shape {\"error\":{\"message\",\"type\",\"param\",\"code\",\"hint\",\"docs\",\"request_id\"}}; " +
		"every response carries an x-request-id header. Never ask a user for a full key: the display form " +
		"(prefix plus first and last 4 characters, like kg_live_7HqK…p2Xe) or the key id (key_…) identifies it.\n\n")
	b.WriteString("## Error codes\n\n")
	for _, c := range catalogueOrder(codes) {
		fmt.Fprintf(&b, "- [%s](/docs/errors/%s.md)", c, c)
		if e, ok := entry(c); ok {
			fmt.Fprintf(&b, ": HTTP %d, %s. %s", e.Status, e.Type, e.Title)
		}
		b.WriteString("\n")
	}
	b.WriteString("\n## Optional\n\n")
	b.WriteString("- [Error code index](/docs/errors.md): every code with its HTTP status and error type\n")
	return b.Bytes()
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{margin:0;font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#fff}
main{max-width:46rem;margin:0 auto;padding:1.5rem 1.25rem 3rem}
nav{font-size:.9rem;margin-bottom:1rem}
a{color:#0b5cad}
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
{{if not .Index}}<nav><a href="/docs/errors">← All error codes</a></nav>
{{end}}{{.Body}}
<footer>{{if .Index}}keygate error reference · <a href="/docs/errors.md">Markdown</a> · <a href="/llms.txt">llms.txt</a>{{else}}keygate error reference · <a href="/docs/errors/{{.Code}}.md">Markdown version</a>{{end}}</footer>
</main>
</body>
</html>
`))

func htmlPage(code string, md []byte, index bool) []byte {
	title := "keygate error codes"
	if !index {
		title = code + " — keygate errors"
	}
	var b bytes.Buffer
	err := pageTemplate.Execute(&b, struct {
		Title, Code string
		Index       bool
		Body        template.HTML
	}{title, code, index, template.HTML(renderMarkdown(md))}) // renderMarkdown escapes all source text
	if err != nil {
		panic("docs: page template: " + err.Error()) // the template and its data are static
	}
	return b.Bytes()
}
