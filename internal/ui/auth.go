package ui

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/keygate/keygate/internal/admin"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/store"
)

// dummyHash is compared against when the email names no member, so an
// unknown address costs the same bcrypt time as a wrong password.
var dummyHash = sync.OnceValue(func() string {
	h, _ := bcrypt.GenerateFromPassword([]byte("keygate-dashboard-no-such-member"), bcrypt.DefaultCost)
	return string(h)
})

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := s.current(r); ok {
		http.Redirect(w, r, "/ui/keys", http.StatusSeeOther)
		return
	}
	s.signInForm(w, r, http.StatusOK, i18n.Message{})
}

// signInForm renders the sign-in page with a fresh pre-session CSRF token
// (double submit: the cookie and the form field must match).
func (s *Server) signInForm(w http.ResponseWriter, r *http.Request, status int, problem i18n.Message) {
	tok := randomToken()
	s.setCookie(w, r, cookiePre, tok, 0)
	q := &req{s: s, w: w, r: r, lang: s.lang(r)}
	data := map[string]any{"Pre": tok}
	if !problem.IsZero() {
		data["Problem"] = problem.Render(q.lang)
	}
	q.render(status, "signin", data)
}

// signIn checks an email and password or a personal access token.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		s.signInForm(w, r, http.StatusBadRequest, i18n.M("ui.signin.bad_form"))
		return
	}
	c, err := r.Cookie(cookiePre)
	if err != nil || c.Value == "" || !sameOrigin(r) ||
		subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		s.signInForm(w, r, http.StatusForbidden, i18n.M("ui.csrf.refused"))
		return
	}
	if !s.allow(s.clientAddr(r)) {
		w.Header().Set("Retry-After", "6")
		s.signInForm(w, r, http.StatusTooManyRequests, i18n.M("ui.signin.rate_limited"))
		return
	}
	memberID, fp, problem, err := s.authenticate(r)
	if err != nil {
		s.Log.Warn("dashboard sign-in: the store did not answer", "err", err)
		s.signInForm(w, r, http.StatusServiceUnavailable, i18n.M("ui.signin.unavailable"))
		return
	}
	if fp == "" {
		s.signInForm(w, r, http.StatusUnauthorized, problem)
		return
	}
	id, err := s.newSession(r.Context(), memberID, fp)
	if err != nil {
		s.Log.Warn("dashboard sign-in: cannot store the session", "err", err)
		s.signInForm(w, r, http.StatusServiceUnavailable, i18n.M("ui.signin.unavailable"))
		return
	}
	s.clearCookie(w, r, cookiePre)
	s.setCookie(w, r, cookieSession, id, 0)
	http.Redirect(w, r, "/ui/keys", http.StatusSeeOther)
}

// authenticate returns the member id ("" for the bootstrap owner) and the
// credentials' fingerprint of a valid credential, or no fingerprint and
// what to tell the person. The message never says which half was wrong.
func (s *Server) authenticate(r *http.Request) (memberID, fingerprint string, problem i18n.Message, err error) {
	ctx := r.Context()
	if tok := strings.TrimSpace(r.PostFormValue("token")); tok != "" {
		if strings.HasPrefix(tok, keys.PrefixLive) || strings.HasPrefix(tok, keys.PrefixTest) {
			return "", "", i18n.M("ui.signin.api_key"), nil
		}
		h := sha256.Sum256([]byte(tok))
		var zero [32]byte
		if s.Admin.AdminTokenHash != zero && subtle.ConstantTimeCompare(h[:], s.Admin.AdminTokenHash[:]) == 1 {
			return "", s.bootstrapFingerprint(), i18n.Message{}, nil
		}
		m, err := s.Store.GetMemberByTokenHash(ctx, fmt.Sprintf("%x", h))
		if errors.Is(err, store.ErrNotFound) || err == nil && m.Disabled {
			return "", "", i18n.M("ui.signin.bad_token"), nil
		}
		if err != nil {
			return "", "", i18n.Message{}, err
		}
		return m.ID, memberFingerprint(m), i18n.Message{}, nil
	}
	email, pw := strings.TrimSpace(r.PostFormValue("email")), r.PostFormValue("password")
	if email == "" || pw == "" {
		return "", "", i18n.M("ui.signin.missing"), nil
	}
	m, err := s.Store.GetMemberByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword([]byte(dummyHash()), []byte(pw))
		return "", "", i18n.M("ui.signin.bad_password"), nil
	}
	if err != nil {
		return "", "", i18n.Message{}, err
	}
	if !admin.CheckMemberPassword(m, pw) {
		return "", "", i18n.M("ui.signin.bad_password"), nil
	}
	return m.ID, memberFingerprint(m), i18n.Message{}, nil
}

// endSession signs the browser out: the row and the cookie (a pending
// reveal cannot be opened without the session's cookie).
func (q *req) endSession() {
	if q.sess != nil {
		q.s.dropSession(q.r.Context(), q.sess.hash)
	}
	q.s.clearCookie(q.w, q.r, cookieSession)
}

func (s *Server) signOut(q *req) error {
	q.endSession()
	q.redirect("/ui/signin")
	return nil
}
