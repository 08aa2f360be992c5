package docs

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// mounted mounts Handler the way the gateway does.
func mounted() http.Handler {
	mux := http.NewServeMux()
	h := Handler()
	mux.Handle("GET /docs/", h)
	mux.Handle("GET /llms.txt", h)
	return mux
}

func get(t *testing.T, h http.Handler, path string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func checkHeaders(t *testing.T, w *httptest.ResponseRecorder, status int, contentType string) {
	t.Helper()
	if w.Code != status {
		t.Errorf("status = %d, want %d; body:\n%s", w.Code, status, w.Body)
	}
	if got := w.Header().Get("Content-Type"); got != contentType {
		t.Errorf("Content-Type = %q, want %q", got, contentType)
	}
	if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if status == http.StatusOK {
		if got := w.Header().Get("Cache-Control"); got != "public, max-age=300" {
			t.Errorf("Cache-Control = %q", got)
		}
	}
}

func TestPageHTML(t *testing.T) {
	w := get(t, mounted(), "/docs/errors/invalid_api_key_format",
		"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	checkHeaders(t, w, 200, "text/html; charset=utf-8")
	body := w.Body.String()
	for _, want := range []string{"<!doctype html>", "<title>invalid_api_key_format — keygate errors</title>",
		`<h1 id="invalid_api_key_format">`, `<h2 id="evidence-to-send">`, `href="/docs/errors"`, "<style>"} {
		if !strings.Contains(body, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "<link", "src="} {
		if strings.Contains(body, bad) {
			t.Errorf("HTML contains %q; pages are self-contained and script-free", bad)
		}
	}
	if !strings.Contains(w.Header().Get("Vary"), "Accept") {
		t.Errorf("Vary = %q, want Accept", w.Header().Get("Vary"))
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
}

func TestPageMarkdownNegotiation(t *testing.T) {
	md, _ := Page("key_disabled")
	tests := map[string]struct {
		path   string
		accept string
		md     bool
	}{
		"no accept":              {"/docs/errors/key_disabled", "", false},
		"browser":                {"/docs/errors/key_disabled", "text/html,*/*;q=0.8", false},
		"markdown":               {"/docs/errors/key_disabled", "text/markdown", true},
		"markdown preferred":     {"/docs/errors/key_disabled", "text/markdown, text/html;q=0.5", true},
		"html preferred":         {"/docs/errors/key_disabled", "text/html, text/markdown;q=0.5", false},
		"markdown refused":       {"/docs/errors/key_disabled", "text/markdown;q=0", false},
		"md suffix":              {"/docs/errors/key_disabled.md", "", true},
		"md suffix over browser": {"/docs/errors/key_disabled.md", "text/html", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := get(t, mounted(), tc.path, "Accept", tc.accept)
			if tc.md {
				checkHeaders(t, w, 200, "text/markdown; charset=utf-8")
				if w.Body.String() != string(md) {
					t.Errorf("body is not the page's Markdown")
				}
			} else {
				checkHeaders(t, w, 200, "text/html; charset=utf-8")
			}
		})
	}
}

func TestIndex(t *testing.T) {
	for _, path := range []string{"/docs/errors", "/docs/errors/"} {
		w := get(t, mounted(), path)
		checkHeaders(t, w, 200, "text/html; charset=utf-8")
		for _, c := range Codes() {
			if !strings.Contains(w.Body.String(), `href="/docs/errors/`+c+`"`) {
				t.Errorf("%s: index does not link %s", path, c)
			}
		}
	}
	w := get(t, mounted(), "/docs/errors", "Accept", "text/markdown")
	checkHeaders(t, w, 200, "text/markdown; charset=utf-8")
	if !strings.HasPrefix(w.Body.String(), "# keygate error codes\n") ||
		!strings.Contains(w.Body.String(), "[invalid_api_key](/docs/errors/invalid_api_key) — **401** `authentication_error`") {
		t.Errorf("Markdown index:\n%s", w.Body)
	}
	w = get(t, mounted(), "/docs/errors.md")
	checkHeaders(t, w, 200, "text/markdown; charset=utf-8")
}

func TestLLMsTxt(t *testing.T) {
	w := get(t, mounted(), "/llms.txt")
	checkHeaders(t, w, 200, "text/plain; charset=utf-8")
	body := w.Body.String()
	lines := strings.Split(body, "\n")
	if lines[0] != "# keygate" {
		t.Errorf("first line %q, want the H1 title", lines[0])
	}
	if !strings.HasPrefix(lines[2], "> ") {
		t.Errorf("third line %q, want the blockquote summary", lines[2])
	}
	if !strings.Contains(body, "\n## Error codes\n") || !strings.Contains(body, "\n## Optional\n") {
		t.Errorf("missing sections:\n%s", body)
	}
	for _, c := range Codes() {
		if !strings.Contains(body, "- ["+c+"](/docs/errors/"+c+".md): ") {
			t.Errorf("llms.txt does not list %s with a description", c)
		}
	}
	// Every link it lists answers 200.
	for _, l := range lines {
		if i := strings.Index(l, "]("); strings.HasPrefix(l, "- [") && i > 0 {
			target := l[i+2 : i+2+strings.IndexByte(l[i+2:], ')')]
			if w := get(t, mounted(), target); w.Code != 200 {
				t.Errorf("llms.txt link %s: status %d", target, w.Code)
			}
		}
	}
}

func TestUnknown(t *testing.T) {
	w := get(t, mounted(), "/docs/errors/invalid_api_keyy")
	checkHeaders(t, w, 404, "text/plain; charset=utf-8")
	body := w.Body.String()
	for _, want := range []string{`"invalid_api_keyy"`, "Did you mean invalid_api_key?", "/docs/errors"} {
		if !strings.Contains(body, want) {
			t.Errorf("404 body lacks %q:\n%s", want, body)
		}
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q", cc)
	}

	w = get(t, mounted(), "/docs/errors/%3Cscript%3E")
	checkHeaders(t, w, 404, "text/plain; charset=utf-8")
	if strings.Contains(w.Body.String(), "Did you mean") {
		t.Errorf("suggested a code for an unrelated name:\n%s", w.Body)
	}

	w = get(t, mounted(), "/docs/errors/Invalid_API_Key")
	if !strings.Contains(w.Body.String(), "Did you mean invalid_api_key?") {
		t.Errorf("no suggestion for a wrongly cased code:\n%s", w.Body)
	}

	if w := get(t, mounted(), "/docs/"); w.Code != http.StatusFound || w.Header().Get("Location") != "/docs/errors" {
		t.Errorf("/docs/: status %d, Location %q; want a redirect to the index", w.Code, w.Header().Get("Location"))
	}

	for _, path := range []string{"/docs/nothing", "/docs/errors/a/b", "/docs/errors/x.md.md"} {
		w := get(t, mounted(), path)
		checkHeaders(t, w, 404, "text/plain; charset=utf-8")
		if !strings.Contains(w.Body.String(), "/docs/errors") {
			t.Errorf("%s: 404 does not say where to look:\n%s", path, w.Body)
		}
	}
}

func TestConditionalAndHead(t *testing.T) {
	h := mounted()
	w := get(t, h, "/docs/errors/rate_limit_exceeded")
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	w = get(t, h, "/docs/errors/rate_limit_exceeded", "If-None-Match", etag)
	if w.Code != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", w.Code)
	}
	r := httptest.NewRequest(http.MethodHead, "/docs/errors/rate_limit_exceeded", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD: status %d, %d body bytes", rec.Code, rec.Body.Len())
	}
}

func TestEveryPageRenders(t *testing.T) {
	h := mounted()
	for _, c := range Codes() {
		w := get(t, h, "/docs/errors/"+c)
		if w.Code != 200 || strings.Contains(w.Body.String(), "<script") {
			t.Errorf("%s: status %d", c, w.Code)
		}
	}
}
