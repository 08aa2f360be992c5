package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/relay"
)

// handlerFunc is the signature of the route handlers s.api wraps.
type handlerFunc = func(http.ResponseWriter, *http.Request, *Scope) error

// vendorErrors renders a handler's error in a vendor's own envelope
// (DESIGN §3: our code, hint, docs and request id inside its "error"), so
// that vendor's SDK surfaces it; s.fail then records it without writing
// again. It also sets Anthropic's request-id header beside x-request-id.
func vendorErrors(render func(e *apierr.Error, requestID string) []byte, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, sc *Scope) error {
		w.Header().Set("Request-Id", sc.RequestID)
		err := h(w, r, sc)
		if err != nil && sc.status == 0 && !relay.IsClientGone(err) {
			e := apierr.From(err)
			for k, vs := range e.Header {
				for _, v := range vs {
					w.Header().Add(k, v)
				}
			}
			b := render(e, sc.RequestID)
			hd := w.Header()
			hd.Set("Content-Type", "application/json")
			hd.Set("Content-Length", strconv.Itoa(len(b)))
			hd.Set("Cache-Control", "no-store")
			w.WriteHeader(e.HTTPStatus())
			_, _ = w.Write(b)
		}
		return err
	}
}

// ourFields are the fields DESIGN §3 adds inside every error envelope.
type ourFields struct {
	Code      apierr.Code `json:"code"`
	Hint      string      `json:"hint,omitempty"`
	Docs      string      `json:"docs"`
	RequestID string      `json:"request_id,omitempty"`
	Param     *string     `json:"param,omitempty"`
}

func fieldsOf(e *apierr.Error, requestID string) ourFields {
	c := apierr.Lookup(e.Code).Code
	f := ourFields{Code: c, Hint: e.Hint, Docs: apierr.DocsPath(c), RequestID: requestID}
	if e.UpstreamCode != "" {
		f.Code = apierr.Code(e.UpstreamCode)
	}
	if e.Param != "" {
		p := e.Param
		f.Param = &p
	}
	return f
}

// anthropicErrorType is Anthropic's error type for an HTTP status.
func anthropicErrorType(status int) string {
	switch status {
	case 400, 405, 422:
		return "invalid_request_error"
	case 401:
		return "authentication_error"
	case 402:
		return "billing_error"
	case 403:
		return "permission_error"
	case 404:
		return "not_found_error"
	case 413:
		return "request_too_large"
	case 429:
		return "rate_limit_error"
	case 503, 529:
		return "overloaded_error"
	case 504:
		return "timeout_error"
	}
	if status >= 400 && status < 500 {
		return "invalid_request_error"
	}
	return "api_error"
}

// anthropicErrorBody is {"type":"error","error":{"type","message",…ours},
// "request_id"}: Anthropic's shape, which its SDKs and Claude Code read.
func anthropicErrorBody(e *apierr.Error, requestID string) []byte {
	b, _ := json.Marshal(struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
			ourFields
		} `json:"error"`
		RequestID string `json:"request_id,omitempty"`
	}{Type: "error", Error: struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		ourFields
	}{Type: anthropicErrorType(e.HTTPStatus()), Message: e.Message, ourFields: fieldsOf(e, requestID)}, RequestID: requestID})
	return b
}

// googleStatus is the google.rpc.Code name Google answers with for an HTTP
// status.
func googleStatus(status int) string {
	switch status {
	case 400, 413:
		return "INVALID_ARGUMENT"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404:
		return "NOT_FOUND"
	case 405:
		return "UNIMPLEMENTED"
	case 409:
		return "ABORTED"
	case 429:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case 501:
		return "UNIMPLEMENTED"
	case 503:
		return "UNAVAILABLE"
	case 504:
		return "DEADLINE_EXCEEDED"
	}
	if status >= 400 && status < 500 {
		return "FAILED_PRECONDITION"
	}
	return "INTERNAL"
}

// googleErrorBody is {"error":{"code":<HTTP status>,"message","status",
// "details":[ErrorInfo{reason: our code}], …ours}}: Google's shape, in
// which "code" is the HTTP status, so our code is the ErrorInfo reason and
// the hint, docs and request id sit beside it.
func googleErrorBody(e *apierr.Error, requestID string) []byte {
	f := fieldsOf(e, requestID)
	type info struct {
		Type   string `json:"@type"`
		Reason string `json:"reason"`
		Domain string `json:"domain"`
	}
	b, _ := json.Marshal(map[string]any{"error": map[string]any{
		"code": e.HTTPStatus(), "message": e.Message, "status": googleStatus(e.HTTPStatus()),
		"details": []info{{Type: "type.googleapis.com/google.rpc.ErrorInfo", Reason: string(f.Code), Domain: "keygate"}},
		"hint":    f.Hint, "docs": f.Docs, "request_id": requestID, "reason": f.Code, "param": f.Param,
	}})
	return b
}
