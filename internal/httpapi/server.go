// Package httpapi is keygate's client-facing HTTP surface: the router, the
// per-request scope and middleware, the OpenAI-compatible /v1 handlers and
// the native routes of other vendors' clients. The admin API
// (internal/admin) is mounted on the same router (Mounts) and shares the
// one handler type and error renderer (handler.go).
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/docs"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/jobs"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/limit"
	"github.com/keygate/keygate/internal/logwriter"
	"github.com/keygate/keygate/internal/metrics"
	"github.com/keygate/keygate/internal/relay"
	"github.com/keygate/keygate/internal/secretbox"
	"github.com/keygate/keygate/internal/store"
)

// Server holds the dependencies of every handler.
type Server struct {
	Store          store.Store
	Catalog        *catalog.Catalog
	Relay          *relay.Relay
	Logs           *logwriter.Writer
	Metrics        *metrics.Metrics
	Box            *secretbox.Box
	Log            *slog.Logger
	TrustedProxies []netip.Prefix
	CORSOrigins    []string // KEYGATE_CORS_ORIGINS (cors.go); none: no CORS
	MaxBodyBytes   int64
	// MaxKeyStaleness bounds how long cached keys are trusted while key
	// refreshes from the store fail (0 = forever).
	MaxKeyStaleness time.Duration
	Now             func() time.Time
	// Mounts are the route sets served beside the client-facing routes
	// (the admin API, internal/admin).
	Mounts []Mount
	// Limits, Gate and Ledger admit calls (admit.go); nil Limits or Ledger
	// turns that check off.
	Limits         limit.Limiter
	Gate           *limit.Gate
	Ledger         *ledger.Ledger
	KeyConcurrency int // concurrent calls per key and instance when neither the key nor its group sets one; 0 = unlimited
	// BudgetClampGroups are the groups whose calls get max_tokens lowered
	// to what the budget affords instead of a refusal (YAML budget_clamp).
	BudgetClampGroups map[string]bool
	// Health adds fields to GET /healthz (instance id, last applied
	// change-event sequence).
	Health func() map[string]any
	// Jobs runs video jobs (videos.go); nil refuses them.
	Jobs *jobs.Engine
}

// Scope is the typed per-request state (never string keys on a context).
type Scope struct {
	RequestID string
	Start     time.Time
	Key       *catalog.KeyEntry
	Log       store.RequestLog
	adm       admission // what admit holds for this call
	logged    bool      // write a request log row when done
	status    int
	w         http.ResponseWriter
	sw        statusWriter  // the response writer handlers get (w), pooled with the scope
	req       relay.Request // the relayed call of relayHandler, pooled with the scope
	res       relay.Result  // its result: in the scope, not on the stack of a stream's goroutine while it waits
	hreq      http.Request  // the request the handlers get: the server's with the scope's context (withRequest)
}

type scopeKey struct{}

// ScopeFrom returns the request's scope.
func ScopeFrom(ctx context.Context) *Scope {
	s, _ := ctx.Value(scopeKey{}).(*Scope)
	return s
}

var scopePool = sync.Pool{New: func() any { return new(Scope) }}

// statusWriter records the status; Unwrap keeps http.ResponseController
// (Flush) working through it.
type statusWriter struct {
	http.ResponseWriter
	sc *Scope
}

func (w *statusWriter) WriteHeader(code int) {
	if w.sc.status == 0 {
		w.sc.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.sc.status == 0 {
		w.sc.status = 200
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Handler returns the full HTTP handler.
func (s *Server) Handler() http.Handler {
	if s.Now == nil {
		s.Now = time.Now
	}
	mux := http.NewServeMux()
	exact := s.routes(mux)
	return s.withScope(s.withCORS(exactFirst(exact, s.explainUncleanPaths(mux))))
}

// routes registers every route on mux and returns the relayed ones by
// their exact path, which Handler serves before the mux (it spends a
// microsecond a call matching patterns).
func (s *Server) routes(mux *http.ServeMux) map[string]exactRoute {
	exact := map[string]exactRoute{}
	post := func(path string, h http.Handler) {
		pattern := "POST " + path
		mux.Handle(pattern, h)
		exact[path] = exactRoute{pattern: pattern, h: h}
	}
	// OpenAI-compatible surface.
	post("/v1/chat/completions", s.api("chat", s.relayHandler("chat", "/chat/completions", true)))
	post("/v1/completions", s.api("completion", s.relayHandler("completion", "/completions", true)))
	post("/v1/embeddings", s.api("embeddings", s.relayHandler("embeddings", "/embeddings", false)))
	post("/v1/responses", s.api("responses", s.relayHandler("responses", "/responses", false)))
	mux.Handle("POST /v1/images/generations", s.api("images", s.imageGenerations)) // images.go
	mux.Handle("POST /v1/images/edits", s.api("images", s.imageEdits))
	mux.Handle("POST /v1/videos", s.api("videos", s.videosCreate)) // videos.go
	mux.Handle("GET /v1/videos", s.api("videos", s.videosList))
	mux.Handle("GET /v1/videos/{id}", s.api("videos", s.videosGet))
	mux.Handle("GET /v1/videos/{id}/content", s.api("videos", s.videosContent))
	mux.Handle("DELETE /v1/videos/{id}", s.api("videos", s.videosDelete))
	// Native routes of other vendors' clients (anthropic.go, gemini.go);
	// Claude's POST /v1/messages is found by its exact path too.
	s.nativeRoutes(mux, post) // also GET /v1/models, answered in Anthropic's format to Claude clients
	mux.Handle("GET /v1/models/{id...}", s.api("models", s.getModel))
	// Admin API and secret-scanning reports (internal/admin).
	for _, m := range s.Mounts {
		m.Routes(mux)
	}
	// Ops and docs.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Metrics.Registry, promhttp.HandlerOpts{}))
	d := docs.Handler()
	mux.Handle("GET /docs/", d)
	mux.Handle("GET /docs", http.RedirectHandler("/docs/errors", http.StatusFound))
	mux.Handle("GET /llms.txt", d)
	mux.HandleFunc("GET /{$}", s.index)
	// Everything else: explain the wrong base URL.
	mux.Handle("/", s.api("unknown", s.unknownEndpoint))
	return exact
}

type exactRoute struct {
	pattern string
	h       http.Handler
}

// exactFirst serves a POST to one of the exact paths with its handler, as
// the mux would (the path is clean, the pattern has no wildcard, so the
// request carries the pattern and no path values), and everything else
// with next. The request is withScope's own copy, so setting its Pattern
// touches nobody else's.
func exactFirst(exact map[string]exactRoute, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			if e, ok := exact[r.URL.Path]; ok && r.URL.RawPath == "" {
				r.Pattern = e.pattern
				e.h.ServeHTTP(w, r)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// withScope assigns the request id, sets x-request-id on every response,
// and writes the request log row once the handler is done. What a call
// holds is released in one deferred function, so a panicking handler frees
// it too: the in-flight gauge, and an admission (concurrency slot, budget
// hold) the handler did not settle. That function is also the one place a
// panic is recovered: logged with its stack and answered 500 internal_error.
func (s *Server) withScope(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sc := scopePool.Get().(*Scope) // zero: new, or cleared before it was put back
		sc.RequestID, sc.Start = ids.Request(), s.Now()
		w.Header().Set("X-Request-Id", sc.RequestID)
		sc.sw = statusWriter{ResponseWriter: w, sc: sc}
		sw := &sc.sw
		sc.w = sw
		ctx := context.WithValue(r.Context(), scopeKey{}, sc)
		s.Metrics.InFlight.Inc()
		defer func() {
			p := recover()
			started := sc.status != 0
			if p != nil {
				s.recovered(r, sc, p)
			}
			if sc.adm.active { // a handler that admitted but never settled
				s.settleAdmission(context.WithoutCancel(ctx), sc, 0, 0)
			}
			s.Metrics.InFlight.Dec()
			if sc.logged {
				s.finish(sc, r)
			}
			*sc = Scope{}
			scopePool.Put(sc)
			if p != nil && started {
				// The answer had begun (a stream): abort the connection so
				// the client sees a failure, not an answer that looks whole.
				panic(http.ErrAbortHandler)
			}
		}()
		next.ServeHTTP(sw, sc.withRequest(r, ctx))
	})
}

// withRequest returns r with ctx as its context, as r.WithContext does,
// but copied into the scope instead of a new Request (a quarter of a
// kilobyte a call): nothing holds the handlers' request after withScope
// returns, as nothing holds GuardBodies' copy (the upstream request is a
// request of its own). Apart from withScope so that WithContext's copy on
// the way is not on a relayed stream's goroutine stack while it waits.
//
//go:noinline
func (sc *Scope) withRequest(r *http.Request, ctx context.Context) *http.Request {
	sc.hreq = *r.WithContext(ctx)
	return &sc.hreq
}

// recovered handles a handler's panic: the stack goes to the gateway log
// (never to the client), the client gets 500 internal_error with the
// request id unless its answer has begun, and the log row says so.
func (s *Server) recovered(r *http.Request, sc *Scope, p any) {
	if p == http.ErrAbortHandler { // a deliberate abort, not a bug
		sc.Log.Status, sc.Log.ErrorCode = 499, "client_closed"
		return
	}
	s.Log.Error("handler panicked", "request_id", sc.RequestID, "route", sc.Log.Route, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	if sc.status == 0 {
		apierr.WriteRequest(sc.w, r, sc.RequestID, apierr.T(apierr.Internal, i18n.M("internal.message"), i18n.M("internal.hint")))
	}
	sc.Log.Status, sc.Log.ErrorCode = http.StatusInternalServerError, string(apierr.Internal)
	sc.Log.FailureReason = "the gateway panicked while handling the request; the stack is in the gateway's log"
}

func (s *Server) finish(sc *Scope, r *http.Request) {
	row := &sc.Log
	row.RequestID, row.Time = sc.RequestID, sc.Start.UTC()
	if row.Status == 0 {
		row.Status = sc.status
	}
	if row.Status == 0 {
		row.Status = 499 // the client left before any answer
	}
	row.LatencyMS = float64(s.Now().Sub(sc.Start).Microseconds()) / 1000
	if row.SourceIP == "" {
		row.SourceIP = s.sourceIP(r)
	}
	if row.UserAgent == "" {
		row.UserAgent = truncate(r.UserAgent(), 256)
	}
	if row.Client == "" {
		row.Client = clientName(r.Header) // tells apart the services sharing a key (admin_rotation.go)
	}
	if row.Charged == "" {
		row.Charged = "no"
	}
	model := "-"
	if row.Model != "" {
		if _, ok := s.Catalog.Snapshot().Model(row.Model); ok {
			model = row.Model // only catalogue names become label values
		} else {
			model = "(unknown)"
		}
	}
	s.Metrics.Request(row.Route, model, row.Status).Inc()
	if row.ErrorCode != "" {
		s.Metrics.Rejection(row.ErrorCode).Inc()
	}
	s.Logs.WriteRow(row)
}

// api wraps a /v1 handler: marks it for logging and renders its error.
func (s *Server) api(route string, h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sc := ScopeFrom(r.Context())
		sc.logged = true
		sc.Log.Route = route
		if err := h(w, r, sc); err != nil {
			Fail(s.Log, w, r, sc, err)
		}
	})
}

// healthz answers while the process serves; with several instances it
// names this one and the last change event it applied, so an operator can
// see that every instance has caught up.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"status": "ok"}
	if s.Health != nil {
		for k, v := range s.Health() {
			out[k] = v
		}
	}
	writeJSON(w, 200, out)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Store.Ping(ctx); err != nil {
		writeJSON(w, 503, map[string]string{"status": "unavailable", "reason": "store unreachable: " + err.Error()})
		return
	}
	writeJSON(w, 200, map[string]string{"status": "ready"})
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{
		"name":     "keygate",
		"base_url": s.baseURL(r),
		"hint":     "Point your OpenAI SDK's base_url at base_url and use a keygate key (kg_live_…).",
		"docs":     "/docs/errors",
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
