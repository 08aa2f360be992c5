// Package ui is keygate's web dashboard under /ui/: server-rendered
// html/template pages with every asset embedded in the binary, a strict
// Content-Security-Policy (no inline script or style, nothing from another
// host) and one small script that only adds copy buttons.
//
// The dashboard is a client of the admin API, in process: every read and
// every change is an admin route served for the signed-in person
// (admin.AsActor), so the authorization rules, the validation, the service
// methods and their audit rows are the API's own — a support member's
// forged POST is refused by the same rule that refuses its API call.
//
// Sign-in is by email and password (the member's bcrypt hash) or by a
// personal access token (kg_pat_… or KEYGATE_ADMIN_TOKEN). A session is a
// random id in an HttpOnly, SameSite=Strict cookie (Secure behind TLS),
// stored in the database only as its SHA-256 (ui_sessions), so every
// instance knows it and it outlives a restart; each request re-reads the
// member and ends the session when it was disabled, deleted, re-tokened or
// given a new password. Every POST carries the session's CSRF token, a
// digest of the cookie's value that is stored nowhere; sign-in attempts
// are rate-limited per source address.
package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/keygate/keygate/internal/admin"
	"github.com/keygate/keygate/internal/httpapi"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Session lifetimes.
const (
	sessionIdle    = 2 * time.Hour
	sessionMax     = 12 * time.Hour
	revealLifetime = 10 * time.Minute
	maxLimiters    = 10000
	// touchEvery bounds the writes that keep a session alive: its last
	// use is stored at most once a minute.
	touchEvery = time.Minute
	// sweepEvery bounds how often a sign-in removes expired sessions.
	sweepEvery = 10 * time.Minute
)

// Cookie names.
const (
	cookieSession = "kg_ui_session"
	cookiePre     = "kg_ui_pre" // the sign-in form's CSRF token, before a session exists
	cookieLang    = "kg_ui_lang"
)

// Server serves the dashboard.
type Server struct {
	Store          store.Store
	Admin          *admin.Server // its routes serve every read and change
	Log            *slog.Logger
	TrustedProxies []netip.Prefix
	Now            func() time.Time
	// SignInRate and SignInBurst bound sign-in attempts per source address
	// (default: one every 6 s, 5 at once).
	SignInRate  rate.Limit
	SignInBurst int

	once      sync.Once
	api       *http.ServeMux
	pages     func() map[string]*template.Template // parsed at the first page (parsePages)
	mu        sync.Mutex
	limiters  map[netip.Addr]*rate.Limiter
	lastSweep time.Time
}

// session is one signed-in browser, as one request sees it.
type session struct {
	raw   string // the cookie's value, for this request only (reveal.go)
	hash  string // hex SHA-256 of the cookie's value: the row's key
	csrf  string // derived from the cookie's value, stored nowhere
	actor admin.Actor
}

func (s *Server) init() {
	s.once.Do(func() {
		if s.Now == nil {
			s.Now = time.Now
		}
		if s.Log == nil {
			s.Log = slog.New(slog.DiscardHandler)
		}
		if s.SignInRate == 0 {
			s.SignInRate, s.SignInBurst = rate.Every(6*time.Second), 5
		}
		s.api = http.NewServeMux()
		s.Admin.Routes(s.api)
		s.limiters = map[netip.Addr]*rate.Limiter{}
		// Parsed at the first page, not at start: a gateway whose
		// dashboard is not opened keeps ~1.5 MB of parsed templates (and
		// twice that in heap headroom) out of its resident set.
		s.pages = sync.OnceValue(parsePages)
	})
}

func parsePages() map[string]*template.Template {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "parts" {
			continue
		}
		out[base] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", n))
	}
	return out
}

// Routes registers the dashboard on the gateway's mux (httpapi.Mount).
func (s *Server) Routes(mux *http.ServeMux) {
	s.init()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /ui/static/", s.secure(http.StripPrefix("/ui/static/", staticHandler(http.FileServerFS(static)))))
	mux.Handle("GET /ui/{$}", s.secure(http.RedirectHandler("/ui/keys", http.StatusSeeOther)))
	mux.Handle("GET /ui", s.secure(http.RedirectHandler("/ui/keys", http.StatusSeeOther)))
	mux.Handle("GET /ui/signin", s.secure(http.HandlerFunc(s.signInPage)))
	mux.Handle("POST /ui/signin", s.secure(http.HandlerFunc(s.signIn)))
	mux.Handle("GET /ui/lang", s.secure(http.HandlerFunc(s.setLang)))
	mux.Handle("POST /ui/signout", s.page(s.signOut))
	mux.Handle("GET /ui/keys", s.page(s.keysPage))
	mux.Handle("POST /ui/keys", s.page(s.createKey))
	mux.Handle("GET /ui/keys/{id}", s.page(s.keyPage))
	mux.Handle("GET /ui/keys/{id}/shown/{reveal}", s.page(s.shownPage))
	mux.Handle("POST /ui/keys/{id}/disable", s.page(s.disableKey))
	mux.Handle("POST /ui/keys/{id}/enable", s.page(s.enableKey))
	mux.Handle("POST /ui/keys/{id}/rotate", s.page(s.rotateKey))
	mux.Handle("POST /ui/keys/{id}/delete", s.page(s.deleteKey))
	mux.Handle("GET /ui/incidents", s.page(s.incidentsPage))
	mux.Handle("GET /ui/audit", s.page(s.auditPage))
	mux.Handle("POST /ui/keys/{id}/leak", s.page(s.leakKey))
	mux.Handle("GET /ui/keys/{id}/leak", s.page(s.leakPage))
	mux.Handle("POST /ui/keys/{id}/replace", s.page(s.replaceKey))
	mux.Handle("GET /ui/incidents/{id}", s.page(s.incidentPage))
	mux.Handle("GET /ui/logs", s.page(s.logsPage))
	mux.Handle("GET /ui/usage", s.page(s.usagePage))
	mux.Handle("GET /ui/usage.csv", s.page(s.usageCSV))
	mux.Handle("GET /ui/channels", s.page(s.channelsPage))
	mux.Handle("POST /ui/channels/{name}/disable", s.page(s.channelAction("disable")))
	mux.Handle("POST /ui/channels/{name}/enable", s.page(s.channelAction("enable")))
	mux.Handle("POST /ui/channels/{name}/test", s.page(s.channelAction("test")))
	mux.Handle("GET /ui/requests/{request_id}", s.page(s.evidencePage))
	mux.Handle("GET /ui/members", s.page(s.membersPage))
	mux.Handle("POST /ui/members", s.page(s.createMember))
	mux.Handle("POST /ui/members/{id}", s.page(s.patchMember))
	mux.Handle("POST /ui/members/{id}/token", s.page(s.retokenMember))
	mux.Handle("GET /ui/members/{id}/token/{reveal}", s.page(s.tokenPage))
	mux.Handle("POST /ui/members/{id}/delete", s.page(s.deleteMember))
	mux.Handle("GET /ui/projects", s.page(s.projectsPage))
	mux.Handle("POST /ui/projects", s.page(s.createProject))
	mux.Handle("POST /ui/projects/{name}", s.page(s.patchProject))
	mux.Handle("POST /ui/groups", s.page(s.createGroup))
	mux.Handle("GET /ui/jobs", s.page(s.jobsPage))
	mux.Handle("POST /ui/jobs/{id}/cancel", s.page(s.cancelJob))
	mux.Handle("/ui/", s.secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "404 page not found", http.StatusNotFound)
	})))
}

func staticHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// csp allows nothing but this origin's own script, style and images, no
// framing and forms that post only here.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// secure sets the headers every dashboard answer carries.
func (s *Server) secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin") // no-referrer would make browsers send "Origin: null" on our own POSTs
		if !strings.HasPrefix(r.URL.Path, "/ui/static/") {
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// req is one dashboard request: the session and the reader's language.
type req struct {
	s     *Server
	w     http.ResponseWriter
	r     *http.Request
	sess  *session
	actor admin.Actor // the session's actor, read at the start of this request
	lang  i18n.Lang
}

// page wraps a handler that needs a session: without one (or with one
// that ended) it sends the browser to the sign-in page; a POST without the
// session's CSRF token is refused with 403 and changes nothing.
func (s *Server) page(h func(*req) error) http.Handler {
	return s.secure(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := &req{s: s, w: w, r: r, lang: s.lang(r)}
		sess, actor, ok := s.current(r)
		if !ok {
			if r.Method == http.MethodPost {
				s.clearCookie(w, r, cookieSession)
				http.Error(w, i18n.M("ui.session.none").Render(q.lang), http.StatusForbidden)
				return
			}
			s.clearCookie(w, r, cookieSession)
			http.Redirect(w, r, "/ui/signin", http.StatusSeeOther)
			return
		}
		q.sess, q.actor = sess, actor
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
			if err := r.ParseForm(); err != nil || !sameOrigin(r) ||
				subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(sess.csrf)) != 1 {
				http.Error(w, i18n.M("ui.csrf.refused").Render(q.lang), http.StatusForbidden)
				return
			}
		}
		if err := h(q); err != nil {
			q.fail(err)
		}
	}))
}

// sameOrigin refuses a POST whose Origin header names another site (the
// CSRF token is the main defence; this is a second one browsers give).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	return strings.TrimPrefix(strings.TrimPrefix(o, "https://"), "http://") == r.Host
}

// current returns the request's live session. A session ends when it is
// idle or old, or when its member was disabled, deleted, re-tokened or
// given a new password since sign-in (its credentials' fingerprint no
// longer matches), or, for the bootstrap owner, when KEYGATE_ADMIN_TOKEN
// changed. An ended session's row is deleted.
func (s *Server) current(r *http.Request) (*session, admin.Actor, bool) {
	c, err := r.Cookie(cookieSession)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil, admin.Actor{}, false
	}
	ctx := r.Context()
	h := hashID(c.Value)
	now := s.Now().UTC()
	row, err := s.Store.GetUISession(ctx, h, now)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.Log.Warn("dashboard: cannot read the session; signing out", "err", err)
		}
		return nil, admin.Actor{}, false
	}
	var actor admin.Actor
	ended := false
	if row.MemberID == "" {
		ended = row.Fingerprint != s.bootstrapFingerprint()
		actor = admin.Actor{ID: "bootstrap", Role: store.RoleOwner}
	} else {
		m, err := s.Store.GetMember(ctx, row.MemberID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.Log.Warn("dashboard: cannot check the session's member; signing out", "err", err)
			return nil, admin.Actor{}, false
		}
		ended = err != nil || m.Disabled || subtle.ConstantTimeCompare([]byte(row.Fingerprint), []byte(memberFingerprint(m))) != 1
		actor = admin.Actor{ID: m.ID, Email: m.Email, Role: m.Role, Projects: m.Projects} // role and projects as they are now
	}
	if ended {
		s.dropSession(ctx, h)
		return nil, admin.Actor{}, false
	}
	if now.Sub(row.SeenAt) >= touchEvery {
		exp := now.Add(sessionIdle)
		if end := row.CreatedAt.Add(sessionMax); end.Before(exp) {
			exp = end
		}
		if err := s.Store.TouchUISession(ctx, h, now, exp); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.Log.Warn("dashboard: cannot record the session's use", "err", err)
		}
	}
	return &session{raw: c.Value, hash: h, csrf: csrfOf(c.Value), actor: actor}, actor, true
}

// hashID is the stored form of a session cookie's value.
func hashID(v string) string {
	h := sha256.Sum256([]byte(v))
	return hex.EncodeToString(h[:])
}

// csrfOf is the session's CSRF token: a digest of the cookie's value under
// another label, so neither the table nor the page reveals the other.
func csrfOf(v string) string {
	h := sha256.Sum256([]byte("keygate-ui-csrf\x00" + v))
	return base64.RawURLEncoding.EncodeToString(h[:])
}

// memberFingerprint digests the credentials a member signs in with: it
// changes with a new token or a new password.
func memberFingerprint(m store.Member) string {
	h := sha256.Sum256([]byte("member\x00" + m.ID + "\x00" + m.TokenHash + "\x00" + m.PasswordHash))
	return hex.EncodeToString(h[:])
}

func (s *Server) bootstrapFingerprint() string {
	h := sha256.Sum256(append([]byte("bootstrap\x00"), s.Admin.AdminTokenHash[:]...))
	return hex.EncodeToString(h[:])
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// newSession stores a session for memberID ("" for the bootstrap owner)
// with the fingerprint of its credentials and returns the cookie value.
// Now and then it also removes the sessions that have expired.
func (s *Server) newSession(ctx context.Context, memberID, fingerprint string) (string, error) {
	id := randomToken()
	now := s.Now().UTC()
	row := store.UISession{IDHash: hashID(id), MemberID: memberID, Fingerprint: fingerprint,
		CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(min(sessionIdle, sessionMax))}
	if err := s.Store.CreateUISession(ctx, row); err != nil {
		return "", err
	}
	s.mu.Lock()
	sweep := now.Sub(s.lastSweep) >= sweepEvery
	if sweep {
		s.lastSweep = now
	}
	s.mu.Unlock()
	if sweep {
		if n, err := s.Store.DeleteExpiredUISessions(ctx, now); err != nil {
			s.Log.Warn("dashboard: cannot remove expired sessions", "err", err)
		} else if n > 0 {
			s.Log.Info("dashboard: removed expired sessions", "n", n)
		}
	}
	return id, nil
}

// dropSession deletes a session's row.
func (s *Server) dropSession(ctx context.Context, h string) {
	if err := s.Store.DeleteUISession(context.WithoutCancel(ctx), h); err != nil {
		s.Log.Warn("dashboard: cannot delete an ended session", "err", err)
	}
}

// secureCookie: the browser reached us over TLS (directly or through a
// trusted proxy that says so).
func (s *Server) secureCookie(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if r.Header.Get("X-Forwarded-Proto") != "https" {
		return false
	}
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	if err != nil {
		return false
	}
	for _, p := range s.TrustedProxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/ui/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.secureCookie(r), MaxAge: int(maxAge / time.Second)})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	if _, err := r.Cookie(name); err != nil {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/ui/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: s.secureCookie(r), MaxAge: -1})
}

// allow reports whether a sign-in attempt from addr may proceed.
func (s *Server) allow(addr netip.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.limiters[addr]
	if l == nil {
		if len(s.limiters) >= maxLimiters { // bounded: forget every full bucket
			for a, o := range s.limiters {
				if o.Tokens() >= float64(s.SignInBurst) {
					delete(s.limiters, a)
				}
			}
		}
		l = rate.NewLimiter(s.SignInRate, s.SignInBurst)
		s.limiters[addr] = l
	}
	return l.AllowN(s.Now(), 1)
}

// lang is the reader's language: the switch's cookie, else Accept-Language.
func (s *Server) lang(r *http.Request) i18n.Lang {
	if c, err := r.Cookie(cookieLang); err == nil {
		if l, ok := i18n.Parse(c.Value); ok {
			return l
		}
	}
	return i18n.FromAcceptLanguage(r.Header.Values("Accept-Language"))
}

// setLang is the language switch: it remembers the choice in a cookie and
// goes back to the page it came from (a path on this dashboard only).
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	l, _ := i18n.Parse(r.URL.Query().Get("to"))
	s.setCookie(w, r, cookieLang, string(l), 365*24*time.Hour)
	back := r.URL.Query().Get("back")
	if !strings.HasPrefix(back, "/ui/") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = "/ui/keys"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// apiError is an admin API error answer.
type apiError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

func (e *apiError) Error() string { return e.Message }

// recorder is the in-process admin answer.
type recorder struct {
	h      http.Header
	status int
	body   bytes.Buffer
}

func (w *recorder) Header() http.Header { return w.h }
func (w *recorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	return w.body.Write(b)
}

// call serves one admin API request for the session's actor, in process:
// the same route, rules, services and audit rows as over HTTP. body is
// sent as JSON; a 2xx answer is decoded into out, an error answer is
// returned as *apiError (in the reader's language).
func (q *req) call(method, path string, body, out any) error {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	ar, err := http.NewRequestWithContext(admin.AsActor(q.r.Context(), q.actor), method, path, rd)
	if err != nil {
		return err
	}
	ar.RemoteAddr = q.r.RemoteAddr // the audit row's source address is the browser's
	for _, h := range []string{"X-Forwarded-For", "User-Agent"} {
		if v := q.r.Header.Values(h); len(v) > 0 {
			ar.Header[h] = v
		}
	}
	ar.Header.Set("Accept-Language", string(q.lang))
	ar.Header.Set("Content-Type", "application/json")
	rec := &recorder{h: http.Header{}}
	q.s.api.ServeHTTP(rec, ar)
	if rec.status >= 400 {
		var env struct {
			Error apiError `json:"error"`
		}
		if err := json.Unmarshal(rec.body.Bytes(), &env); err != nil || env.Error.Message == "" {
			return &apiError{Status: rec.status, Message: http.StatusText(rec.status)}
		}
		env.Error.Status = rec.status
		return &env.Error
	}
	if out != nil {
		if err := json.Unmarshal(rec.body.Bytes(), out); err != nil {
			return fmt.Errorf("admin %s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// fail shows err on an error page: an admin API error with its message and
// hint and its own status, anything else as 500 without its details.
func (q *req) fail(err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		q.s.Log.Error("dashboard request failed", "path", q.r.URL.Path, "err", err)
		ae = &apiError{Status: 500, Code: "internal_error", Message: i18n.M("ui.error.internal").Render(q.lang)}
	}
	q.render(ae.Status, "error", map[string]any{"Err": ae})
}

// render writes a page.
func (q *req) render(status int, name string, data map[string]any) {
	t := q.s.pages()[name]
	if data == nil {
		data = map[string]any{}
	}
	p := &view{Lang: q.lang, Path: q.r.URL.RequestURI(), Data: data, Now: q.s.Now().UTC()}
	if q.sess != nil {
		p.CSRF, p.Actor = q.sess.csrf, q.actor
	}
	var b bytes.Buffer
	if err := t.Execute(&b, p); err != nil {
		q.s.Log.Error("dashboard template failed", "page", name, "err", err)
		http.Error(q.w, "template error", 500)
		return
	}
	q.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	q.w.WriteHeader(status)
	_, _ = q.w.Write(b.Bytes())
}

func (q *req) redirect(path string) { http.Redirect(q.w, q.r, path, http.StatusSeeOther) }

// clientAddr is the browser's address, as the admin API sees it.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	return httpapi.ClientAddr(r, s.TrustedProxies)
}
