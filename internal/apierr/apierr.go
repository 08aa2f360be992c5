// Package apierr holds keygate's error catalogue and renders every client-facing
// error in OpenAI's shape, with the fields that explain it (code, hint, docs,
// request_id). It is the one place where an error becomes a response body, so
// every route answers alike and SDKs surface our messages unchanged.
package apierr

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
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
	Title  string // one line: when this happens
}

var catalogue = []Entry{
	{MissingAuthorization, 401, "authentication_error", "No credential was sent, or it was sent somewhere the gateway does not read it from."},
	{MalformedAuthorization, 401, "authentication_error", "The Authorization header is not of the form `Bearer <key>`."},
	{InvalidAPIKeyFormat, 401, "authentication_error", "The presented key is not a well-formed keygate key (whitespace, quotes, truncated, typo, another provider's key, unset variable)."},
	{InvalidAPIKey, 401, "authentication_error", "The key is well-formed but this gateway never issued it."},
	{KeyDisabled, 401, "authentication_error", "The key was disabled by an owner or by a leak report."},
	{KeyExpired, 401, "authentication_error", "The key passed its expiry time."},
	{KeyRotated, 401, "authentication_error", "The key was replaced by a rotation and its grace period is over."},
	{IPNotAllowed, 403, "permission_error", "The request came from an address outside the key's allowed networks."},
	{ModelNotAllowed, 403, "permission_error", "The key's scope or its group does not include the requested model."},
	{ModelNotFound, 404, "invalid_request_error", "The requested model is not in this gateway's catalogue."},
	{UnknownEndpoint, 404, "invalid_request_error", "The path is not an API route of this gateway; usually a wrong base URL."},
	{MethodNotAllowed, 405, "invalid_request_error", "The route exists but not for this HTTP method."},
	{InsufficientQuota, 429, "insufficient_quota", "A budget that applies to this call (key, member or project) is exhausted."},
	{RateLimitExceeded, 429, "rate_limit_error", "A rate limit (requests or tokens per minute, concurrency) was exceeded."},
	{UpstreamUnavailable, 503, "api_error", "No healthy upstream channel could serve the model, or all attempts failed."},
	{UpstreamAuthFailed, 502, "api_error", "The upstream rejected the gateway's channel credential; an operator must fix the channel."},
	{UpstreamTimeout, 504, "api_error", "The upstream did not answer in time."},
	{UpstreamError, 502, "api_error", "The upstream answered with an error the gateway could not recover from."},
	{InvalidRequest, 400, "invalid_request_error", "The request body or parameters are invalid."},
	{RequestTooLarge, 413, "invalid_request_error", "The request body is larger than the gateway accepts."},
	{PermissionDenied, 403, "permission_error", "The credential is valid but its role may not do this."},
	{NotFound, 404, "invalid_request_error", "The object does not exist or is not visible to this credential."},
	{Conflict, 409, "invalid_request_error", "The object already exists or is in a state that forbids this change."},
	{ServiceUnavailable, 503, "api_error", "The gateway cannot serve this right now (for example its store is unreachable)."},
	{Internal, 500, "api_error", "The gateway failed unexpectedly; the request id lets an operator find the cause."},
}

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
type Error struct {
	Code    Code
	Message string
	Hint    string
	Param   string
	Status  int // overrides the catalogue status when non-zero (e.g. 502 vs 503)
	Cause   error
	Header  http.Header // extra response headers, e.g. Retry-After, Allow
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

// New returns a client error with a message and a hint.
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
	return &Error{Code: Internal, Message: "The gateway failed while handling this request.",
		Hint: "Retry; if it keeps failing, send the request id to your gateway operator.", Cause: err}
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

// DocsPath is the path of the documentation page of a code.
func DocsPath(c Code) string { return "/docs/errors/" + string(c) }

// Body renders the OpenAI-shaped JSON body of e.
func Body(e *Error, requestID string) []byte {
	entry := Lookup(e.Code)
	f := bodyFields{Message: e.Message, Type: entry.Type, Code: entry.Code, Hint: e.Hint,
		Docs: DocsPath(entry.Code), RequestID: requestID}
	if e.Param != "" {
		p := e.Param
		f.Param = &p
	}
	b, _ := json.Marshal(body{Error: f}) // cannot fail: only strings
	return b
}

// Write answers the request with err rendered as an OpenAI error. The caller
// is responsible for having set x-request-id already.
func Write(w http.ResponseWriter, requestID string, err error) *Error {
	e := From(err)
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	b := Body(e, requestID)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(e.HTTPStatus())
	_, _ = w.Write(b)
	return e
}
