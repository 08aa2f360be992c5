// Package apierr holds keygate's error catalogue and renders every client-facing
// error in OpenAI's shape, with the fields that explain it (code, hint, docs,
// request_id). It is the one place where an error becomes a response body, so
// every route answers alike and SDKs surface our messages unchanged.
//
// Messages and hints come from the catalogue of internal/i18n: a call site
// builds an error with T(code, i18n.M(key, args…), i18n.M(hintKey, …)), and
// the renderer picks English or Chinese from the request's Accept-Language
// (WriteRequest), only when it writes an error. Errors built with New (a
// literal English text, not yet in the catalogue) are shown in English to
// every reader; `code` and `type` are never translated.
package apierr

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/keygate/keygate/internal/i18n"
)

// Code is a stable, documented error code. Each one has a page under
// /docs/errors/<code>; renaming one breaks users' scripts (DESIGN.md §3).
type Code string

const (
	MissingAuthorization   Code = "missing_authorization"
	MalformedAuthorization Code = "malformed_authorization"
	InvalidAPIKeyFormat    Code = "invalid_api_key_format"
	InvalidAPIKey          Code = "invalid_api_key"
	KeyDisabled            Code = "key_disabled"
	KeyExpired             Code = "key_expired"
	KeyRotated             Code = "key_rotated"
	IPNotAllowed           Code = "ip_not_allowed"
	ModelNotAllowed        Code = "model_not_allowed"
	ModelNotFound          Code = "model_not_found"
	UnknownEndpoint        Code = "unknown_endpoint"
	MethodNotAllowed       Code = "method_not_allowed"
	InsufficientQuota      Code = "insufficient_quota"
	RateLimitExceeded      Code = "rate_limit_exceeded"
	UpstreamUnavailable    Code = "upstream_unavailable"
	UpstreamAuthFailed     Code = "upstream_auth_failed"
	UpstreamTimeout        Code = "upstream_timeout"
	UpstreamError          Code = "upstream_error"
	InvalidRequest         Code = "invalid_request"
	RequestTooLarge        Code = "request_too_large"
	PermissionDenied       Code = "permission_denied"
	NotFound               Code = "not_found"
	Conflict               Code = "conflict"
	ServiceUnavailable     Code = "service_unavailable"
	Internal               Code = "internal_error"
)

// Entry describes one code of the catalogue.
type Entry struct {
	Code   Code
	Status int
	Type   string // OpenAI error type, so SDKs map it to their own exception classes
	Title  string // one line in English: when this happens (i18n key "code.<code>")
}

// TitleIn is the entry's title in l.
func (e Entry) TitleIn(l i18n.Lang) string { return i18n.M(i18n.Title(string(e.Code))).Render(l) }

// codes lists every code with its status and type; the titles are the
// catalogue's (i18n "code.<code>").
var codes = []Entry{
	{MissingAuthorization, 401, "authentication_error", ""},
	{MalformedAuthorization, 401, "authentication_error", ""},
	{InvalidAPIKeyFormat, 401, "authentication_error", ""},
	{InvalidAPIKey, 401, "authentication_error", ""},
	{KeyDisabled, 401, "authentication_error", ""},
	{KeyExpired, 401, "authentication_error", ""},
	{KeyRotated, 401, "authentication_error", ""},
	{IPNotAllowed, 403, "permission_error", ""},
	{ModelNotAllowed, 403, "permission_error", ""},
	{ModelNotFound, 404, "invalid_request_error", ""},
	{UnknownEndpoint, 404, "invalid_request_error", ""},
	{MethodNotAllowed, 405, "invalid_request_error", ""},
	{InsufficientQuota, 429, "insufficient_quota", ""},
	{RateLimitExceeded, 429, "rate_limit_error", ""},
	{UpstreamUnavailable, 503, "api_error", ""},
	{UpstreamAuthFailed, 502, "api_error", ""},
	{UpstreamTimeout, 504, "api_error", ""},
	{UpstreamError, 502, "api_error", ""},
	{InvalidRequest, 400, "invalid_request_error", ""},
	{RequestTooLarge, 413, "invalid_request_error", ""},
	{PermissionDenied, 403, "permission_error", ""},
	{NotFound, 404, "invalid_request_error", ""},
	{Conflict, 409, "invalid_request_error", ""},
	{ServiceUnavailable, 503, "api_error", ""},
	{Internal, 500, "api_error", ""},
}

var catalogue = func() []Entry {
	out := make([]Entry, len(codes))
	for i, e := range codes {
		e.Title = e.TitleIn(i18n.EN)
		out[i] = e
	}
	return out
}()

var byCode = func() map[Code]Entry {
	m := make(map[Code]Entry, len(catalogue))
	for _, e := range catalogue {
		m[e.Code] = e
	}
	return m
}()

// Catalogue returns every documented code, in catalogue order.
func Catalogue() []Entry { return append([]Entry(nil), catalogue...) }

// Lookup returns the catalogue entry of c; unknown codes read as internal_error.
func Lookup(c Code) Entry {
	if e, ok := byCode[c]; ok {
		return e
	}
	return byCode[Internal]
}

// Error is an error meant for the client. Message and Hint are shown to the
// caller; Cause is only logged (it may name internals the caller must not see).
//
// Msg and HintMsg, when set (by T), are the catalogue texts the renderer shows
// in the reader's language; Message and Hint then hold their English
// rendering, for logs and for code that reads them.
type Error struct {
	Code    Code
	Message string
	Hint    string
	Msg     i18n.Message
	HintMsg i18n.Message
	Param   string
	Status  int // overrides the catalogue status when non-zero (e.g. 502 vs 503)
	Cause   error
	Header  http.Header // extra response headers, e.g. Retry-After, Allow
	// UpstreamCode, when set, is shown as "code" in place of Code: an
	// upstream's own code for a request it refused (moderation_blocked,
	// context_length_exceeded), which clients match on; docs stay Code's.
	UpstreamCode string
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return string(e.Code) + ": " + e.Message + ": " + e.Cause.Error()
	}
	return string(e.Code) + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// HTTPStatus is the status this error is answered with.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return Lookup(e.Code).Status
}

// T returns a client error whose message and hint are catalogue texts,
// shown in the reader's language. A zero hint means no hint.
func T(code Code, msg, hint i18n.Message) *Error {
	return &Error{Code: code, Msg: msg, HintMsg: hint, Message: msg.Render(i18n.EN), Hint: hint.Render(i18n.EN)}
}

// WithCause sets the cause that is logged but never shown, and returns e.
func (e *Error) WithCause(err error) *Error {
	e.Cause = err
	return e
}

// WithParam sets the "param" field and returns e.
func (e *Error) WithParam(p string) *Error {
	e.Param = p
	return e
}

// Text returns the message and hint of e in l: the catalogue texts when e
// has them, else the literal (English) ones.
func (e *Error) Text(l i18n.Lang) (message, hint string) {
	message, hint = e.Message, e.Hint
	if l == i18n.EN {
		return message, hint
	}
	if !e.Msg.IsZero() {
		message = e.Msg.Render(l)
	}
	if !e.HintMsg.IsZero() {
		hint = e.HintMsg.Render(l)
	}
	return message, hint
}

// New returns a client error with a literal English message and hint, shown
// as they are to every reader. Prefer T: a text of the catalogue is shown in
// the reader's language.
func New(code Code, message, hint string) *Error {
	return &Error{Code: code, Message: message, Hint: hint}
}

// Wrap returns a client error whose cause is logged but not shown.
func Wrap(code Code, cause error, message, hint string) *Error {
	return &Error{Code: code, Message: message, Hint: hint, Cause: cause}
}

// WithHeader adds a response header and returns e.
func (e *Error) WithHeader(k, v string) *Error {
	if e.Header == nil {
		e.Header = http.Header{}
	}
	e.Header.Set(k, v)
	return e
}

// From turns any error into a client error: a wrapped *Error is kept, anything
// else becomes internal_error with a generic message (the cause is logged).
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return T(Internal, i18n.M("internal.message"), i18n.M("internal.hint")).WithCause(err)
}

// CodeOf returns the code of err, or "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	return From(err).Code
}

type body struct {
	Error bodyFields `json:"error"`
}

type bodyFields struct {
	Message   string  `json:"message"`
	Type      string  `json:"type"`
	Param     *string `json:"param"`
	Code      Code    `json:"code"`
	Hint      string  `json:"hint,omitempty"`
	Docs      string  `json:"docs"`
	RequestID string  `json:"request_id,omitempty"`
}

// DocsPath is the path of the (English) documentation page of a code.
func DocsPath(c Code) string { return "/docs/errors/" + string(c) }

// DocsPathIn is the path of the documentation page of a code in l: the
// English path stays as it always was; other languages add ?lang=.
func DocsPathIn(c Code, l i18n.Lang) string {
	if l == i18n.EN {
		return DocsPath(c)
	}
	return DocsPath(c) + "?lang=" + string(l)
}

// Body renders the OpenAI-shaped JSON body of e in English.
func Body(e *Error, requestID string) []byte { return BodyIn(e, requestID, i18n.EN) }

// BodyIn renders the OpenAI-shaped JSON body of e in l.
func BodyIn(e *Error, requestID string, l i18n.Lang) []byte {
	entry := Lookup(e.Code)
	msg, hint := e.Text(l)
	f := bodyFields{Message: msg, Type: entry.Type, Code: entry.Code, Hint: hint,
		Docs: DocsPathIn(entry.Code, l), RequestID: requestID}
	if e.UpstreamCode != "" {
		f.Code = Code(e.UpstreamCode)
	}
	if e.Param != "" {
		p := e.Param
		f.Param = &p
	}
	b, _ := json.Marshal(body{Error: f}) // cannot fail: only strings
	return b
}

// Lang is the language an error for r is shown in, from its
// Accept-Language header. Call it only when an error is written.
func Lang(r *http.Request) i18n.Lang {
	if r == nil {
		return i18n.EN
	}
	return i18n.FromAcceptLanguage(r.Header.Values("Accept-Language"))
}

// WriteRequest answers r with err rendered as an OpenAI error in the
// language r asks for (Accept-Language). The caller is responsible for
// having set x-request-id already.
func WriteRequest(w http.ResponseWriter, r *http.Request, requestID string, err error) *Error {
	return WriteIn(w, Lang(r), requestID, err)
}

// Write answers with err rendered as an OpenAI error in English.
func Write(w http.ResponseWriter, requestID string, err error) *Error {
	return WriteIn(w, i18n.EN, requestID, err)
}

// WriteIn answers with err rendered as an OpenAI error in l.
func WriteIn(w http.ResponseWriter, l i18n.Lang, requestID string, err error) *Error {
	e := From(err)
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	b := BodyIn(e, requestID, l)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if l != i18n.EN {
		h.Set("Content-Language", string(l))
	}
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(e.HTTPStatus())
	_, _ = w.Write(b)
	return e
}
