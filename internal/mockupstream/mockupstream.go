// Package mockupstream is a built-in fake of the OpenAI, Anthropic and
// Gemini HTTP APIs: every route the gateway serves, in each vendor's shape.
//
// It exists so that a newcomer can try keygate without any provider account
// (`keygate mock-upstream`), so that end-to-end tests can drive the gateway
// with the official SDKs against a predictable upstream, and so that the
// throughput benchmark has an upstream whose own cost is small and constant.
//
// Answers are deterministic: the same request gives the same text, token
// counts and embedding vectors (only ids and timestamps change). Some model
// names simulate upstream failures so the gateway's diagnostics can be
// exercised:
//
//	mock-error-401   401 invalid_api_key (the channel's upstream key is wrong)
//	mock-error-429   429 rate_limit_exceeded with Retry-After
//	mock-error-500   500 server_error
//	mock-slow        answers like mock-gpt after 2 s (or gives up when the client leaves)
//	mock-stream-cut  a stream that stops after two chunks without [DONE];
//	                 a non-streaming body that is cut in the middle
//
// The handler does no per-request logging and builds its JSON by appending
// to pooled buffers, because in the benchmark it shares the CPU with the
// gateway being measured.
package mockupstream

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures the fake upstream.
type Options struct {
	// APIKey, when non-empty, must be presented as "Authorization: Bearer <APIKey>";
	// anything else gets OpenAI's 401 invalid_api_key.
	APIKey string
	// Latency is waited before answering each request (0 = none).
	Latency time.Duration
	// ChunkDelay is waited between stream chunks (0 = none).
	ChunkDelay time.Duration
}

// maxBody bounds request bodies; real OpenAI limits are larger, but a mock
// has no reason to hold more in memory.
const maxBody = 8 << 20

// slowDelay is how long the mock-slow model takes before answering.
const slowDelay = 2 * time.Second

// server holds the per-handler state. There is no global state, so tests can
// run many independent handlers in parallel.
type server struct {
	opts   Options
	bearer []byte // "Bearer <APIKey>", precomputed for the constant-time compare
	mux    *http.ServeMux
	// anthropic and gemini serve the other vendors' routes (/v1/messages…,
	// /v1beta/…), so one mock stands in for all three.
	anthropic, gemini http.Handler

	// ids are a random per-handler prefix plus a counter: unique enough for
	// a mock, and far cheaper than reading crypto/rand on every request.
	idPrefix string
	idSeq    atomic.Uint64
}

// New returns an http.Handler serving the fake OpenAI API under /v1
// (chat, completions, embeddings, models, Responses), Anthropic's
// /v1/messages, /v1/messages/count_tokens and model list (GET /v1/models
// with anthropic-version and no Authorization), and Gemini's /v1beta
// routes. Each vendor's routes check that vendor's credential header.
func New(o Options) http.Handler {
	var nonce [6]byte
	_, _ = rand.Read(nonce[:])
	s := &server{opts: o, idPrefix: hex.EncodeToString(nonce[:]), mux: http.NewServeMux(),
		anthropic: NewAnthropic(o), gemini: NewGemini(o)}
	if o.APIKey != "" {
		s.bearer = []byte("Bearer " + o.APIKey)
	}
	s.mux.HandleFunc("GET /v1/models", s.listModels)
	s.mux.HandleFunc("GET /v1/models/{id}", s.getModel)
	s.mux.HandleFunc("POST /v1/chat/completions", s.chatCompletions)
	s.mux.HandleFunc("POST /v1/completions", s.completions)
	s.mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	s.mux.HandleFunc("POST /v1/responses", s.responses)
	s.registerImages() // images.go
	s.registerVideos() // videos.go
	// The catch-all also takes known paths with the wrong method, which is
	// what OpenAI does too: an "Invalid URL" 404 rather than a 405.
	s.mux.HandleFunc("/", s.notFound)
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The other vendors' routes, with their own credentials and errors.
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/v1beta/"):
		s.gemini.ServeHTTP(w, r)
		return
	case p == "/v1/messages" || strings.HasPrefix(p, "/v1/messages/"),
		r.Method == http.MethodGet && (p == "/v1/models" || strings.HasPrefix(p, "/v1/models/")) &&
			r.Header.Get("Anthropic-Version") != "" && r.Header.Get("Authorization") == "":
		// Anthropic's SDKs list models with x-api-key and anthropic-version.
		s.anthropic.ServeHTTP(w, r)
		return
	}
	if s.bearer != nil {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, s.bearer) != 1 {
			msg := "Incorrect API key provided. You can find your API key at the mock upstream's --api-key flag."
			if len(got) == 0 {
				msg = "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
			}
			writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "", msg)
			return
		}
	}
	w.Header().Set("X-Request-Id", "req_"+s.nextID())
	if s.opts.Latency > 0 {
		if err := sleep(r.Context(), s.opts.Latency); err != nil {
			return // the client left; nobody is reading an answer
		}
	}
	s.mux.ServeHTTP(w, r)
}

func (s *server) nextID() string {
	return s.idPrefix + strconv.FormatUint(s.idSeq.Add(1), 36)
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "invalid_request_error", "", "",
		"Invalid URL ("+r.Method+" "+r.URL.Path+")")
}

// readBody reads a bounded request body, answering the client itself when
// that fails (ok=false).
func readBody(w http.ResponseWriter, r *http.Request) (body []byte, ok bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", "",
				"The request body is larger than "+strconv.Itoa(maxBody)+" bytes.")
			return nil, false
		}
		// A read error means the client went away or sent garbage framing;
		// a 400 is the best we can say, if anybody is still listening.
		writeError(w, http.StatusBadRequest, "invalid_request_error", "", "", "Could not read the request body.")
		return nil, false
	}
	return body, true
}

func badJSON(w http.ResponseWriter, err error) {
	writeError(w, http.StatusBadRequest, "invalid_request_error", "", "",
		"We could not parse the JSON body of your request ("+err.Error()+"). The OpenAI API expects a JSON payload.")
}

// simulateFailure answers for the failure-simulating models and reports
// whether it did. mock-slow is handled here too: it waits, then lets the
// caller answer normally.
func simulateFailure(w http.ResponseWriter, r *http.Request, m *model) (handled bool) {
	switch m.behaviour {
	case failAuth:
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "",
			"Incorrect API key provided (simulated by model "+m.id+"). The upstream rejected the channel's credential.")
		return true
	case failRateLimit:
		h := w.Header()
		h.Set("Retry-After", "1")
		h.Set("X-Ratelimit-Limit-Requests", "60")
		h.Set("X-Ratelimit-Remaining-Requests", "0")
		h.Set("X-Ratelimit-Reset-Requests", "1s")
		writeError(w, http.StatusTooManyRequests, "requests", "rate_limit_exceeded", "",
			"Rate limit reached for requests (simulated by model "+m.id+"). Please try again in 1s.")
		return true
	case failServer:
		writeError(w, http.StatusInternalServerError, "server_error", "", "",
			"The server had an error while processing your request (simulated by model "+m.id+").")
		return true
	case slow:
		if err := sleep(r.Context(), slowDelay); err != nil {
			return true // client gone; nothing to answer
		}
	}
	return false
}

// sleep waits d or until ctx is done, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// bufPool recycles response buffers; a chat answer is a few hundred bytes
// and the benchmark sends tens of thousands of them.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 64<<10 {
		return // let big one-off buffers (large embeddings batches) go
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}

// writeJSON sends a complete JSON body with an explicit Content-Length.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError renders OpenAI's error shape:
// {"error":{"message":…,"type":…,"param":…|null,"code":…|null}}.
func writeError(w http.ResponseWriter, status int, typ, code, param, msg string) {
	bp := getBuf()
	defer putBuf(bp)
	b := append(*bp, `{"error":{"message":`...)
	b = appendString(b, msg)
	b = append(b, `,"type":`...)
	b = appendString(b, typ)
	b = append(b, `,"param":`...)
	b = appendNullableString(b, param)
	b = append(b, `,"code":`...)
	b = appendNullableString(b, code)
	b = append(b, "}}\n"...)
	*bp = b
	writeJSON(w, status, b)
}

// Serve answers on ln until ctx is cancelled, then shuts down gracefully:
// requests in flight get a few seconds to finish. It returns nil after a
// clean shutdown.
func Serve(ctx context.Context, ln net.Listener, o Options) error {
	srv := &http.Server{
		Handler: New(o),
		// No WriteTimeout: streams with a ChunkDelay may legitimately run long.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("mock upstream shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
