package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/credential"
	"github.com/keygate/keygate/internal/relay"
)

// HandlerFunc is the one handler type of both transports (/v1 here, the
// admin API in internal/admin): it gets the request's scope and returns its
// error, which Serve renders once with Fail.
type HandlerFunc func(w http.ResponseWriter, r *http.Request, sc *Scope) error

// Mount is a set of routes registered on the gateway's mux beside the
// client-facing ones (internal/admin is one); Handler calls Routes once.
type Mount interface{ Routes(mux *http.ServeMux) }

// Serve runs h with the request's scope and renders its error with Fail.
func Serve(log *slog.Logger, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sc := ScopeFrom(r.Context())
		if err := h(w, r, sc); err != nil {
			Fail(log, w, r, sc, err)
		}
	})
}

// Fail is the one error renderer: it answers with err (OpenAI-shaped, by
// apierr) unless a response has started, records status, code and reason
// on the scope for the request log row, and logs internal errors. A client
// that hung up gets nothing and is recorded as 499.
func Fail(log *slog.Logger, w http.ResponseWriter, r *http.Request, sc *Scope, err error) {
	if relay.IsClientGone(err) {
		sc.Log.Status = 499
		sc.Log.ErrorCode = "client_closed"
		return
	}
	e := apierr.From(err)
	if sc.status == 0 {
		apierr.WriteRequest(w, r, sc.RequestID, e)
	}
	sc.Log.Status = e.HTTPStatus()
	sc.Log.ErrorCode = string(e.Code)
	if sc.Log.FailureReason == "" {
		if e.Cause != nil {
			sc.Log.FailureReason = truncate(e.Cause.Error(), 500)
		} else {
			sc.Log.FailureReason = e.Message
		}
	}
	if e.Code == apierr.Internal {
		log.Error("request failed", "request_id", sc.RequestID, "path", r.URL.Path, "err", e.Cause)
	}
}

// WriteJSON writes v as the JSON answer with status.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// JSONError says in plain words what is wrong with a JSON body (where a
// syntax error is, which field has the wrong type), for both transports.
func JSONError(err error) string { return jsonErr(err) }

// ProblemError is the client error of an unusable credential, for both
// transports.
func ProblemError(p *credential.Problem) *apierr.Error { return problemError(p) }
