// Package relay sends a routed request to an upstream channel and relays the
// answer to the client: failover across channels before the first byte is
// written, chunk-by-chunk SSE pass-through with a flush per event, usage
// extraction, and a context that stops the upstream call when the client
// leaves.
package relay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/jsonscan"
	"github.com/keygate/keygate/internal/metrics"
	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/usage"
)

// Request is one routed call.
type Request struct {
	Path       string // upstream path below the channel's base URL, e.g. "/chat/completions"
	Body       []byte
	Model      string // catalogue name
	BodyModel  string // the model string as it appears in Body
	Stream     bool
	StripUsage bool // the gateway asked for stream usage; hide that chunk from the client
	Channels   []*catalog.Channel

	// Native, when set, says the client speaks another provider's own
	// format (Anthropic Messages, Gemini, OpenAI Responses): channels of
	// Native.ChannelType get the body passed through as it is. Nil means
	// OpenAI chat/completions/embeddings, passed through to openai channels.
	Native *Native
	// Convert returns the request in neutral form, for channels of another
	// type; nil when the route has no conversion (embeddings, completions).
	// It is called at most once per call, only when such a channel is tried.
	Convert func() (*provider.ChatRequest, error)
	// Codec renders a converted answer in the client's format.
	Codec provider.Codec
	// DefaultMaxTokens is the model's output limit from the catalogue, for
	// providers that require max_tokens.
	DefaultMaxTokens int
	// Route names the client's route in messages ("/v1/embeddings").
	Route string
	// AcceptLanguage is the client's Accept-Language header as it came (not
	// parsed): read only to word the error event of a stream cut short.
	AcceptLanguage []string

	chat    *provider.ChatRequest
	chatErr error
	chatSet bool
	wd      *watchdog // the current attempt's timeouts
	// credential is the current attempt's channel credential, scrubbed
	// from upstream text the stream paths record.
	credential string
}

// Result is what the call produced, for the log row and billing.
type Result struct {
	Channel       string
	ModelServed   string
	Status        int
	Usage         usage.Usage
	HasUsage      bool
	TTFB          time.Duration
	Attempts      int
	FailureReason string
	OutputBytes   int // streamed content bytes, for estimates
	Written       bool
	Completed     bool // the upstream answer was relayed in full

	// attempts holds the first few attempts inline, so the common case (one
	// attempt) records its story without allocating; more spill into extra.
	attempts [inlineAttempts]Attempt
	extra    []Attempt
}

// inlineAttempts is how many attempts Result keeps without allocating.
const inlineAttempts = 4

// Attempt is one try of one channel, for the request's evidence: support
// sees which channel was called, what it answered and how long it took.
type Attempt struct {
	Channel  string
	Status   int    // upstream HTTP status; 0 when no answer arrived
	Code     string // the error code this attempt produced, "" on success
	Error    string // the upstream's own words or the network error, credential scrubbed
	Duration time.Duration
}

// AttemptDetails returns the attempts in order. The slice aliases res; copy
// what must outlive it.
func (res *Result) AttemptDetails() []Attempt {
	n := min(res.Attempts, inlineAttempts)
	if len(res.extra) == 0 {
		return res.attempts[:n]
	}
	return append(append(make([]Attempt, 0, n+len(res.extra)), res.attempts[:n]...), res.extra...)
}

// record stores the attempt numbered res.Attempts.
func (res *Result) record(a Attempt) {
	if i := res.Attempts - 1; i >= 0 && i < inlineAttempts {
		res.attempts[i] = a
		return
	}
	res.extra = append(res.extra, a)
}

// Relay calls upstreams.
type Relay struct {
	Client   *http.Client
	Metrics  *metrics.Metrics
	Log      *slog.Logger
	Cooldown time.Duration // how long a failing channel sits out
	// Providers are the adapters of non-OpenAI channel types; nil uses
	// DefaultProviders over Client.
	Providers provider.Registry
	// MaxAttempts bounds the channels one call tries (0: DefaultMaxAttempts).
	MaxAttempts int
	// OnChannelDisabled is told, once, when an upstream refuses a channel's
	// credential and the channel is disabled (audit event, webhook). It must
	// not block.
	OnChannelDisabled func(channel string, status int, reason string)

	once sync.Once
	// ownProviders: Providers were made over Client here (provider), so
	// their plain calls may go out through send (plainCall).
	ownProviders bool
	// auths caches each channel's credential headers (auth).
	auths sync.Map // *catalog.Channel → *chanAuth
	authN atomic.Int64
	// outs caches each channel's upstream request templates (outTemplate).
	outs sync.Map // outKey → *outTmpl
	outN atomic.Int64
}

// NewTransport returns the tuned transport shared by all upstream calls:
// keep-alive pools large enough that a busy gateway never reconnects per call.
func NewTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 5 * time.Minute,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true, // pass bytes through; never inflate and re-deflate
	}
}

// streamBufSize is the line buffer of a relayed stream. Every SSE line up
// to this size is read whole (the [DONE] marker and the usage chunk are a
// few hundred bytes); a longer line is passed through in pieces. It is held
// for the whole life of a stream, so it is what 1,000 open streams cost:
// 8 KiB each instead of 32.
const streamBufSize = 8 << 10

// streamState is what one relayed stream holds: its read buffer and its
// estimator (the fallback count of the generated text, read only when the
// upstream sends no usage), pooled together — one Get and Put per stream.
type streamState struct {
	buf [streamBufSize]byte
	est usage.Estimator
}

var streamPool = sync.Pool{New: func() any { return new(streamState) }}

// estPool holds the estimators of converted and native streams
// (usage.Estimator, under 1 KiB).
var estPool = sync.Pool{New: func() any { return new(usage.Estimator) }}

func getEstimator() *usage.Estimator {
	e := estPool.Get().(*usage.Estimator)
	e.Reset()
	return e
}

// errClientGone marks a call the client abandoned.
var errClientGone = errors.New("client closed the connection")

// Do performs the call. It returns a client error only when nothing has been
// written to w yet; once the response has started, failures are recorded in
// res and the stream is ended.
func (rl *Relay) Do(ctx context.Context, w http.ResponseWriter, req *Request, res *Result) error {
	if len(req.Channels) == 0 {
		return apierr.T(apierr.UpstreamUnavailable, i18n.M("relay.no_channel", i18n.Q("model", req.Model)), i18n.M("auth.no_channel.hint"))
	}
	order := orderChannels(req.Channels)
	maxAttempts := rl.MaxAttempts
	if len(order) > 0 && order[0].MaxAttempts > 0 {
		maxAttempts = order[0].MaxAttempts // the first channel's own max_attempts
	}
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	var last *attemptErr
	tried := 0
	var held []*catalog.Channel // open breakers, tried only when nothing else is left
	resortFrom := len(order) + 1
	for i := 0; i < len(order) && tried < maxAttempts; i++ {
		ch := order[i]
		if !ch.Acquire() {
			last = atCapacity(ch, res)
			continue
		}
		if why, off := ch.Disabled(); off {
			// A refused credential: never called again until re-enabled.
			ch.Release()
			last = disabled(ch, why, res)
			if i == len(order)-1 && tried == 0 && len(held) > 0 {
				resortFrom = len(order)
				order = append(order[:len(order):len(order)], held...)
			}
			continue
		}
		if i < resortFrom && !ch.Allow() {
			ch.Release()
			held = append(held, ch)
			if i == len(order)-1 && tried == 0 {
				// Every channel's breaker is open: rather than fail without
				// trying, call them in order (the cool-down is advisory).
				resortFrom = len(order)
				order = append(order[:len(order):len(order)], held...)
			}
			continue
		}
		res.Attempts++
		res.Status = 0
		tried++
		start := time.Now()
		actx, wd, stop := watch(ctx, ch)
		req.wd = wd
		ae := rl.attempt(actx, w, ch, req, res)
		stop()
		ch.Release()
		rl.judge(ch, ae, res)
		recordAttempt(ch, ae, res, start)
		if ae == nil {
			return nil
		}
		if ae.final || res.Written {
			return ae.err
		}
		last = ae
		if ctx.Err() != nil {
			break
		}
	}
	if last == nil {
		return apierr.T(apierr.UpstreamUnavailable, i18n.M("relay.none_tried", i18n.Q("model", req.Model)), i18n.M("relay.none_tried.hint"))
	}
	res.FailureReason = last.reason
	return last.err
}

// The helpers below are Do's cold paths and its record of an attempt,
// apart from Do so that their locals are not on a relayed stream's stack
// while it waits for the upstream (Do is below it on that stack).

//go:noinline
func atCapacity(ch *catalog.Channel, res *Result) *attemptErr {
	res.Attempts++
	res.Status = 0
	res.record(Attempt{Channel: ch.Name, Code: "channel_at_capacity",
		Error: fmt.Sprintf("channel %s is at its max_concurrency (%d)", ch.Name, ch.MaxConcurrency)})
	return &attemptErr{reason: fmt.Sprintf("channel %s is at its max_concurrency (%d)", ch.Name, ch.MaxConcurrency),
		err: apierr.T(apierr.UpstreamUnavailable, i18n.M("relay.all_busy"), i18n.M("relay.all_busy.hint")).WithHeader("Retry-After", "1")}
}

//go:noinline
func disabled(ch *catalog.Channel, why string, res *Result) *attemptErr {
	res.Attempts++
	res.Status = 0
	res.record(Attempt{Channel: ch.Name, Code: string(apierr.UpstreamAuthFailed), Error: "channel disabled: " + why})
	return &attemptErr{reason: "channel " + ch.Name + " is disabled: " + why,
		err: apierr.T(apierr.UpstreamAuthFailed, i18n.M("relay.channel_disabled"), i18n.M("relay.channel_disabled.hint"))}
}

//go:noinline
func recordAttempt(ch *catalog.Channel, ae *attemptErr, res *Result, start time.Time) {
	a := Attempt{Channel: ch.Name, Status: res.Status, Duration: time.Since(start)}
	if ae != nil {
		a.Error = ae.reason
		switch {
		case IsClientGone(ae.err):
			a.Code = "client_closed"
		case ae.err != nil:
			a.Code = string(apierr.CodeOf(ae.err))
		case res.Status >= 300:
			a.Code = string(apierr.InvalidRequest) // the upstream judged the request invalid; its answer was passed on
		case ae.reason != "":
			a.Code = string(apierr.UpstreamError) // a stream cut after it started
		}
	}
	res.record(a)
}

// DefaultMaxAttempts is how many channels one call tries at most.
const DefaultMaxAttempts = 3

// orderChannels puts healthy channels first, keeping priority order, and
// spreads load across equal-priority channels by weight.
func orderChannels(chs []*catalog.Channel) []*catalog.Channel {
	if len(chs) == 1 {
		return chs
	}
	out := make([]*catalog.Channel, 0, len(chs))
	for _, c := range chs {
		if c.Healthy() {
			out = append(out, c)
		}
	}
	weightedShuffle(out)
	for _, c := range chs {
		if !c.Healthy() {
			out = append(out, c)
		}
	}
	return out
}

type attemptErr struct {
	err     error
	reason  string
	final   bool    // do not try another channel
	verdict verdict // what the attempt says of the channel
}

// verdict is what one attempt says of its channel's health. The attempt
// paths only name it; judge records it, once per attempt.
type verdict uint8

const (
	noVerdict verdict = iota // nothing about the channel: the client left, the request cannot be converted, a 429
	answered                 // the upstream answered: its answer, or its judgement of the request
	broke                    // an outage: 5xx, no connection, a timeout, an answer or stream cut short
	refused                  // the upstream refused the channel's credential
)

// judge records one attempt's outcome in the channel's breaker: the only
// place an attempt's success or failure is counted. A nil ae is an answer
// relayed in full.
func (rl *Relay) judge(ch *catalog.Channel, ae *attemptErr, res *Result) {
	v := answered
	if ae != nil {
		v = ae.verdict
	}
	switch v {
	case answered:
		ch.Success(res.TTFB)
	case broke:
		ch.Failure(ae.reason, rl.Cooldown)
	case refused:
		ch.EndProbe()
		// Retrying cannot fix a refused credential: the channel stays out
		// of rotation until an operator fixes it and re-enables it.
		if ch.Disable(ae.reason) {
			rl.Log.Error("upstream rejected the channel credential; channel disabled until an operator fixes its api_key and runs POST /admin/v1/channels/{name}/enable",
				"channel", ch.Name, "status", res.Status)
			if rl.OnChannelDisabled != nil {
				rl.OnChannelDisabled(ch.Name, res.Status, ae.reason)
			}
		}
	default:
		ch.EndProbe() // a half-open probe without a verdict: let the next call probe
	}
}

// attempt tries one channel: the client's bytes passed through when the
// channel speaks the client's format, a conversion otherwise.
func (rl *Relay) attempt(ctx context.Context, w http.ResponseWriter, ch *catalog.Channel, req *Request, res *Result) *attemptErr {
	typ := channelType(ch)
	switch {
	case req.Native == nil && typ == TypeOpenAI, req.Native != nil && req.Native.ChannelType == typ:
		return rl.passThrough(ctx, w, ch, req, res)
	case req.Convert != nil && req.Codec != nil:
		return rl.converted(ctx, w, ch, req, res)
	}
	return cannotServe(ch, typ, req, res)
}

// cannotServe is the attempt error of a channel whose type cannot serve the
// route; apart from attempt so that its locals are not on a relayed
// stream's stack.
//
//go:noinline
func cannotServe(ch *catalog.Channel, typ string, req *Request, res *Result) *attemptErr {
	res.Channel, res.ModelServed = ch.Name, ch.UpstreamModel(req.Model)
	return &attemptErr{final: true, reason: fmt.Sprintf("channel %s has type %s, which cannot serve %s", ch.Name, typ, req.Route),
		err: apierr.T(apierr.InvalidRequest,
			i18n.M("relay.openai_only", i18n.Q("model", req.Model), i18n.S("type", typ), i18n.S("route", req.Route)),
			i18n.M("relay.openai_only.hint"))}
}

// passThrough sends the client's body as it is (model name mapped) and
// relays the answer byte for byte.
func (rl *Relay) passThrough(ctx context.Context, w http.ResponseWriter, ch *catalog.Channel, req *Request, res *Result) *attemptErr {
	body := req.Body
	upstreamModel := ch.UpstreamModel(req.Model)
	if upstreamModel != req.BodyModel && (req.Native == nil || req.Native.ModelInBody) {
		b, err := setModel(body, upstreamModel)
		if err != nil {
			return &attemptErr{err: apierr.T(apierr.InvalidRequest, i18n.M("relay.rewrite_failed"), i18n.M("relay.rewrite_failed.hint")).WithCause(err), final: true}
		}
		body = b
	}
	res.Channel, res.ModelServed = ch.Name, upstreamModel
	req.credential = ch.APIKey
	out, err := rl.outRequest(ctx, ch, req, upstreamModel, body)
	if err != nil {
		return &attemptErr{err: apierr.T(apierr.Internal, i18n.M("relay.build_failed"), i18n.Message{}).WithCause(err), final: true}
	}
	start := time.Now()
	resp, err := rl.send(out)
	if err != nil {
		if clientLeft(ctx) {
			res.FailureReason = "client closed the connection before the upstream answered"
			return &attemptErr{err: errClientGone, reason: res.FailureReason, final: true}
		}
		return rl.networkErr(ctx, ch, err)
	}
	defer resp.Body.Close()
	rl.Metrics.Upstream(ch.Name).Observe(time.Since(start).Seconds())
	res.Status = resp.StatusCode

	switch {
	case resp.StatusCode == 401 || resp.StatusCode == 403:
		return rl.authFailed(ch, resp.StatusCode, readSnippet(resp.Body, ch.APIKey))
	case resp.StatusCode == 429 || resp.StatusCode >= 500:
		return rl.unavailable(ch, resp.StatusCode, readSnippet(resp.Body, ch.APIKey), resp.Header.Get("Retry-After"))
	case resp.StatusCode >= 300:
		// The upstream judged the request itself (bad parameters, unknown
		// upstream model…): the caller needs its words, so they go in our
		// envelope (code, hint, request id, in the route's own shape).
		return rejected(ch, resp, res)
	}
	if req.Stream && isEventStream(resp.Header.Get("Content-Type")) {
		if req.Native != nil {
			return rl.streamNative(ctx, w, resp, req, res, start)
		}
		return rl.stream(ctx, w, resp, req, res, start)
	}
	return rl.whole(ctx, w, ch, req, res, resp, start)
}

// whole relays a whole (non-stream) 2xx answer: read, checked to be JSON,
// its usage read, then written. Apart from passThrough so that both keep
// their defers open-coded (a function with many returns per defer runs
// them through the runtime's slower deferreturn, on every call).
func (rl *Relay) whole(ctx context.Context, w http.ResponseWriter, ch *catalog.Channel, req *Request, res *Result, resp *http.Response, start time.Time) *attemptErr {
	abuf, b, err := readAnswer(resp, 256<<20)
	defer release(abuf) // b is written to the client below, then not used
	if err != nil {
		if clientLeft(ctx) {
			return &attemptErr{err: errClientGone, reason: "client closed the connection while the upstream answered", final: true}
		}
		reason := "read upstream body: " + provider.Scrub(err.Error(), ch.APIKey)
		if te := timedOut(ctx); te != nil {
			reason = te.Error()
		}
		return &attemptErr{err: apierr.T(apierr.UpstreamError, i18n.M("relay.cut_off"), i18n.M("retry.request")).WithCause(err), reason: reason, verdict: broke}
	}
	var valid bool
	if req.Native != nil && req.Native.Usage != nil {
		if valid = jsonscan.Valid(b); valid {
			res.Usage, res.HasUsage = req.Native.Usage(b)
		}
	} else {
		res.Usage, res.HasUsage, valid = usage.FromAnswer(b) // one walk: validity and usage
	}
	if !valid {
		// A 200 that is not JSON (an HTML error page, a proxy's text, a cut
		// body) is no answer: nothing is relayed or charged, and another
		// channel may serve the call.
		reason := fmt.Sprintf("upstream %s answered %d with a body that is not JSON (%d bytes, Content-Type %q): %s", ch.Name, resp.StatusCode, len(b),
			resp.Header.Get("Content-Type"), truncate(provider.Scrub(string(bytes.TrimSpace(b[:min(len(b), 2048)])), ch.APIKey), 200))
		rl.Metrics.UpstreamErrors.WithLabelValues(ch.Name, "invalid_body").Inc()
		e := apierr.T(apierr.UpstreamError, i18n.M("relay.not_json"), i18n.M("relay.not_json.hint"))
		e.Status = http.StatusBadGateway
		return &attemptErr{reason: reason, verdict: broke, err: e}
	}
	if !res.HasUsage {
		res.OutputBytes = usage.GeneratedBytes(b) // for the estimate
	}
	writeHead(w, resp, len(b))
	res.Written = true
	res.TTFB = time.Since(start)
	if _, err := w.Write(b); err == nil {
		res.Completed = true
	}
	return nil
}

// outRequest builds the upstream request of a pass-through attempt. An
// OpenAI-format call starts from the channel's template for its path
// (outTemplate): one copy of it with ctx, no URL parsed and no header map
// made per call. A native call (its own URL and headers) is built whole.
func (rl *Relay) outRequest(ctx context.Context, ch *catalog.Channel, req *Request, upstreamModel string, body []byte) (*http.Request, error) {
	if req.Native == nil {
		t, err := rl.outTemplate(ch, req.Path, req.Stream)
		if err != nil {
			return nil, err
		}
		out := t.WithContext(ctx) // a shallow copy: URL and Header are the template's, read-only
		setOutBody(out, body)
		return out, nil
	}
	u := ch.URL.String() + req.Path
	if req.Native.URL != nil {
		u = req.Native.URL(ch.URL, upstreamModel)
	}
	out, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return nil, err
	}
	setOutBody(out, body)
	// The constant values are shared, read-only slices (the transport only
	// reads a request's header), and the map is made at its final size:
	// no allocation per header.
	out.Header = make(http.Header, 8)
	fillHeader(out.Header, rl.auth(ch), req.Stream)
	for k, vs := range req.Native.Header {
		out.Header[k] = vs
	}
	return out, nil
}

// fillHeader sets the header every upstream request carries.
func fillHeader(h, auth http.Header, stream bool) {
	h["Content-Type"], h["User-Agent"] = hdrJSON, hdrKeygate
	if stream {
		h["Accept"] = hdrEventStream
	} else {
		h["Accept"] = hdrJSON
	}
	for k, vs := range auth {
		h[k] = vs
	}
}

// setOutBody gives out body as http.NewRequestWithContext does for a
// *bytes.Reader: its length, a GetBody the transport replays it with when
// a reused connection turns out dead before the request was sent, and a
// reader the transport knows to be in memory, so it writes the header and
// the body in one write (of any other reader type it flushes the header
// on its own first: a second syscall per call).
func setOutBody(out *http.Request, body []byte) {
	out.ContentLength = int64(len(body))
	if len(body) == 0 {
		out.Body, out.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
		return
	}
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
}

// outTemplate returns the channel's upstream request for path, without
// context and body: its URL parsed once and its header made once, shared
// read-only by the calls (neither the transport nor send writes to them).
// Like auth, it is made again when the channel's URL, credential or type
// changes.
func (rl *Relay) outTemplate(ch *catalog.Channel, path string, stream bool) (*http.Request, error) {
	k := outKey{ch: ch, path: path, stream: stream}
	if v, ok := rl.outs.Load(k); ok {
		if t := v.(*outTmpl); t.base == ch.URL && t.key == ch.APIKey && t.typ == ch.Type {
			return t.req, nil
		}
	}
	u, err := url.Parse(ch.URL.String() + path)
	if err != nil {
		return nil, err
	}
	if strings.LastIndex(u.Host, ":") > strings.LastIndex(u.Host, "]") {
		u.Host = strings.TrimSuffix(u.Host, ":") // "host:" is "host", as NewRequestWithContext has it
	}
	t := &http.Request{Method: http.MethodPost, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: make(http.Header, 8), Host: u.Host}
	fillHeader(t.Header, rl.auth(ch), stream)
	if rl.outN.Add(1) > maxCachedAuths {
		rl.outs.Clear()
		rl.outN.Store(1)
	}
	rl.outs.Store(k, &outTmpl{base: ch.URL, key: ch.APIKey, typ: ch.Type, req: t})
	return t, nil
}

type outKey struct {
	ch     *catalog.Channel
	path   string
	stream bool
}

type outTmpl struct {
	base     *url.URL
	key, typ string
	req      *http.Request
}

// rejected is the attempt error of an upstream that judged the request
// (a status 300-499 other than 401, 403, 429): its words, read from resp.
//
//go:noinline
func rejected(ch *catalog.Channel, resp *http.Response, res *Result) *attemptErr {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	res.FailureReason = fmt.Sprintf("upstream %s answered %d: %s", ch.Name, resp.StatusCode, truncate(provider.Scrub(string(bytes.TrimSpace(b)), ch.APIKey), 500))
	return &attemptErr{err: upstreamRejected(ch, res.ModelServed, resp.StatusCode, b), final: true, reason: res.FailureReason, verdict: answered}
}

// writeHead starts a whole answer of n bytes (-1: unknown).
func writeHead(w http.ResponseWriter, resp *http.Response, n int) {
	h := w.Header()
	if ct := resp.Header["Content-Type"]; len(ct) > 0 && ct[0] != "" {
		h["Content-Type"] = ct[:1:1] // the upstream's own slice: no copy until WriteHeader's
	}
	if n > serverCountedBody {
		h["Content-Length"] = []string{strconv.Itoa(n)}
	}
	w.WriteHeader(resp.StatusCode)
}

// serverCountedBody is net/http's bufferBeforeChunkingSize: a handler that
// writes an answer of up to this many bytes in one Write, and returns
// without flushing, gets a Content-Length computed by the server itself,
// outside the header map. Setting it only for longer answers keeps the map
// of a plain answer (request id, six x-ratelimit-* values, Content-Type)
// within Go's eight-entry small map, so neither the insert nor
// WriteHeader's copy of the map allocates a hash table (a tenth of a plain
// call's allocated bytes). Were the server's buffer smaller, a short answer
// would go chunked, still whole.
const serverCountedBody = 2048

var (
	hdrJSON        = []string{"application/json"}
	hdrEventStream = []string{"text/event-stream"}
	hdrKeygate     = []string{"keygate"}
	hdrNoCache     = []string{"no-cache"}
	hdrNo          = []string{"no"}
)

// auth returns the channel's credential headers (setAuth), made once per
// channel and credential and then shared read-only by its calls, instead
// of a map and a "Bearer …" string per call.
func (rl *Relay) auth(ch *catalog.Channel) http.Header {
	if v, ok := rl.auths.Load(ch); ok {
		if a := v.(*chanAuth); a.key == ch.APIKey && a.typ == ch.Type {
			return a.h
		}
	}
	h := make(http.Header, 2)
	setAuth(h, ch)
	if rl.authN.Add(1) > maxCachedAuths {
		// Catalogue refreshes make new channel objects; the old ones'
		// entries are dropped now and then instead of kept for ever.
		rl.auths.Clear()
		rl.authN.Store(1)
	}
	rl.auths.Store(ch, &chanAuth{key: ch.APIKey, typ: ch.Type, h: h})
	return h
}

type chanAuth struct {
	key, typ string
	h        http.Header
}

const maxCachedAuths = 4096

// send is rl.Client.Do(out) for the gateway's own client (NewClient: no
// jar, no timeout, redirects refused), done as the transport's RoundTrip
// and the refusal of a redirect here: Client.Do copies the request's
// headers on every call for the redirects it might follow
// (makeHeadersCopier), a few per cent of a pass-through call's CPU. Any
// other client goes through Do.
func (rl *Relay) send(out *http.Request) (*http.Response, error) {
	c := rl.Client
	if c.Jar != nil || c.Timeout != 0 || c.CheckRedirect == nil ||
		reflect.ValueOf(c.CheckRedirect).Pointer() != reflect.ValueOf(refuseRedirect).Pointer() {
		// Client.Do may add to the header (a jar's cookies), which is the
		// channel's shared template's (outTemplate): it gets its own.
		out.Header = out.Header.Clone()
		return c.Do(out)
	}
	tr := c.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	resp, err := tr.RoundTrip(out)
	if err != nil || resp == nil {
		return nil, sendErr(out, err)
	}
	switch resp.StatusCode {
	case 301, 302, 303, 307, 308: // what Client.Do would follow (a body to re-send is always there: GetBody)
		return redirected(out, resp)
	}
	return resp, nil
}

// sendErr is send's error for a failed RoundTrip (err) or a nil answer
// without one, worded as Client.Do words it. It and redirected are apart
// from send so that their locals are not on a relayed stream's stack.
//
//go:noinline
func sendErr(out *http.Request, err error) error {
	if err == nil {
		err = errors.New("http: RoundTripper implementation returned a nil *Response with a nil error")
	}
	return &url.Error{Op: "Post", URL: stripPassword(out.URL), Err: err}
}

// redirected is send's answer to a 3xx: the answer itself without a
// Location, as Client.Do, else a refused redirect.
//
//go:noinline
func redirected(out *http.Request, resp *http.Response) (*http.Response, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return resp, nil // as Client.Do: a 3xx without Location is an answer
	}
	resp.Body.Close()
	target, err := out.URL.Parse(loc)
	if err != nil {
		return nil, sendErr(out, fmt.Errorf("failed to parse Location header %q: %v", loc, err))
	}
	return nil, sendErr(out, &RedirectError{Status: resp.StatusCode, Location: redirectTarget(target)})
}

// stripPassword is how Client.Do names a URL in its errors: a password in
// it replaced by "***".
func stripPassword(u *url.URL) string {
	if _, set := u.User.Password(); set {
		return strings.Replace(u.String(), u.User.String()+"@", u.User.Username()+":***@", 1)
	}
	return u.String()
}

var (
	dataPrefix   = []byte("data:")
	doneMarker   = []byte("[DONE]")
	errorField   = []byte(`"error"`)
	emptyChoices = []byte(`"choices":[]`)
	nullUsageEnd = []byte(`"usage":null}`)
)

// stream relays an SSE body as the upstream wrote it. The complete lines
// of each read are looked at ([DONE], the usage chunk, error events to
// scrub) and go out in one write, flushed before the next read, which may
// wait: the events of one read go out together, and none waits for a read
// (the bare proxy too writes and flushes once per read). The read that
// ends the body is not flushed here: the handler settles the call and
// returns, and net/http writes what is left with the end of the chunked
// body, in one write instead of two, as it writes a whole answer. (In
// `keygate bench --stream` ~97% of streams come whole in one read that
// also ends the body.)
func (rl *Relay) stream(ctx context.Context, w http.ResponseWriter, resp *http.Response, req *Request, res *Result, start time.Time) *attemptErr {
	h := w.Header()
	if ct := resp.Header["Content-Type"]; len(ct) > 0 {
		h["Content-Type"] = ct[:1:1]
	}
	h["Cache-Control"], h["X-Accel-Buffering"] = hdrNoCache, hdrNo
	w.WriteHeader(resp.StatusCode)
	res.Written = true
	rc := http.NewResponseController(w) // on the stack: flush makes its own for its goroutine
	flushed := false                    // the response head has gone out (flush)
	st := streamPool.Get().(*streamState)
	defer streamPool.Put(st)
	st.est.Reset()
	sl := sseLines{req: req, res: res, est: &st.est, start: start}
	buf := st.buf[:]
	n, empty := 0, 0 // buf[:n] is read and not relayed: the start of a line
	for {
		m, err := resp.Body.Read(buf[n:])
		if m > 0 {
			n += m
			empty = 0
			req.wd.tick()
		} else if err == nil {
			if empty++; empty >= maxEmptyReads {
				err = io.ErrNoProgress
			}
		}
		r := sl.relay(w, buf, n, err != nil)
		if sl.werr != nil {
			return rl.clientGone(res)
		}
		if err == nil {
			if sl.pending {
				if ferr := flush(w, rc, &flushed); ferr != nil {
					return rl.clientGone(res)
				}
				sl.pending = false
			}
			n = copy(buf, buf[r:n])
			continue
		}
		// The body ended (err): what this read relayed is not flushed. A
		// clean end leaves it to the end of the response; a cut flushes it
		// with its error event (streamCut).
		if clientLeft(ctx) {
			return rl.clientGone(res)
		}
		if errors.Is(err, io.EOF) && sl.sawDone {
			res.Completed = true
			return nil
		}
		return rl.streamCut(ctx, w, rc, err, req, res)
	}
}

// streamCut ends a stream the upstream cut short (err, not a clean EOF
// after [DONE]): the reason recorded, an error event to the client. Apart
// from stream so that its locals are not on the stream's stack while it
// waits for the upstream.
//
//go:noinline
func (rl *Relay) streamCut(ctx context.Context, w http.ResponseWriter, rc *http.ResponseController, err error, req *Request, res *Result) *attemptErr {
	reason := "upstream stream ended without [DONE]"
	if te := timedOut(ctx); te != nil {
		reason = te.Error()
	} else if !errors.Is(err, io.EOF) {
		reason = "upstream stream broke: " + provider.Scrub(err.Error(), req.credential)
	}
	res.FailureReason = reason
	rl.Metrics.UpstreamErrors.WithLabelValues(res.Channel, "stream_cut").Inc()
	// Tell the SDK the stream failed instead of letting it look complete.
	e := apierr.T(apierr.UpstreamError, i18n.M("relay.stream_cut"), i18n.M("relay.stream_cut.hint"))
	_, _ = fmt.Fprintf(w, "data: %s\n\n", apierr.BodyIn(e, "", i18n.FromAcceptLanguage(req.AcceptLanguage)))
	_ = rc.Flush()
	return &attemptErr{err: nil, reason: reason, final: true, verdict: broke}
}

// maxEmptyReads is how many reads in a row may return nothing before a
// stream is taken as broken (bufio's limit).
const maxEmptyReads = 100

// sseLines is what stream knows of the lines it relayed.
type sseLines struct {
	req   *Request
	res   *Result
	est   *usage.Estimator
	start time.Time
	werr  error // the client's connection failed

	sawDone   bool
	skipBlank bool // the blank line ending a hidden usage chunk is hidden too
	midLine   bool // within a line longer than the buffer: the rest passes as it comes
	pending   bool // written and not flushed
	errFree   int  // how many first bytes of the last chunk counted hold no "error"
}

// relay relays the complete lines of b[:n] to w and returns the length
// of the incomplete line left at its end, which the next read completes.
// With last (the body ended), or when one line fills all of b, what is
// left is relayed as a line too. Lines passed as they came go out in one
// write. (w is not kept in s: a call through it would move what s points
// to — the caller's Result — to the heap.)
func (s *sseLines) relay(w http.ResponseWriter, b []byte, n int, last bool) int {
	r, run := 0, 0 // b[run:r] goes out as it came
	for r < n && s.werr == nil {
		e := n
		if i := bytes.IndexByte(b[r:n], '\n'); i >= 0 {
			e = r + i + 1
		} else if !last && (r > 0 || n < len(b)) {
			break
		}
		line := b[r:e]
		cont := s.midLine
		s.midLine = line[len(line)-1] != '\n'
		if !cont {
			if keep, repl := s.look(line); !keep || repl != nil {
				s.write(w, b[run:r])
				s.write(w, repl)
				run = e
			}
		}
		r = e
	}
	s.write(w, b[run:r])
	return r
}

// look reads one line (with its newline, if it has one): whether it goes
// to the client, and the text it goes as when that differs.
func (s *sseLines) look(line []byte) (keep bool, repl []byte) {
	if blankLine(line) {
		if s.skipBlank {
			s.skipBlank = false
			return false, nil
		}
		return true, nil
	}
	if !bytes.HasPrefix(line, dataPrefix) {
		return true, nil
	}
	p := bytes.TrimSpace(line[len(dataPrefix):])
	if bytes.Equal(p, doneMarker) {
		s.sawDone = true
		return true, nil
	}
	keep = true
	if !nullUsage(p) && indexWord(p, 0, `"usage"`, 4) >= 0 {
		u, ok := usage.FromJSON(p)
		if ok && u.HasTokens() {
			s.res.Usage, s.res.HasUsage = u, true
		}
		if ok && s.req.StripUsage && bytes.Contains(p, emptyChoices) {
			// The usage chunk the gateway asked for, not the client.
			s.skipBlank, keep = true, false
		}
	}
	counted, from := false, 0
	if !s.res.HasUsage {
		// The estimate is read only when no usage came: once one did
		// (Gemini sends it in every event), counting stops.
		s.res.OutputBytes += s.est.Count(p)
		// The first bytes this chunk shares with the last one counted
		// were searched for "error" there.
		counted, from = true, max(0, min(s.est.Shared(), s.errFree)-len(errorField)+1)
	}
	at := -1
	if keep {
		at = indexWord(p, from, `"error"`, 2)
	}
	if counted {
		switch {
		case !keep:
			s.errFree = 0 // not searched
		case at >= 0:
			s.errFree = at + len(errorField) - 1
		default:
			s.errFree = len(p)
		}
	}
	if at >= 0 {
		// An error event may quote the channel credential (as a 4xx body
		// may): it reaches the client scrubbed.
		if sc := provider.Scrub(string(line), s.req.credential); sc != string(line) {
			repl = []byte(sc)
		}
	}
	return keep, repl
}

// indexWord returns the index of the first w in p at or after from, or
// -1. It looks only at the bytes equal to w[k] (k >= 1), a letter rarer in
// a chunk than the quote bytes.Index would stop at: 'r' of "error", 'g'
// of "usage".
func indexWord(p []byte, from int, w string, k int) int {
	for i := from + k; i < len(p); {
		j := bytes.IndexByte(p[i:], w[k])
		if j < 0 {
			return -1
		}
		j += i
		if s := j - k; p[j-1] == w[k-1] && s+len(w) <= len(p) && string(p[s:s+len(w)]) == w {
			return s
		}
		i = j + 1
	}
	return -1
}

// nullUsage reports whether the chunk p ends with a top-level
// "usage":null, written so: OpenAI ends every chunk but the last so when
// usage was asked for, and such a chunk has no usage (usage.FromJSON's
// reading) and needs no search for one.
func nullUsage(p []byte) bool {
	k := len(p) - len(nullUsageEnd)
	return k > 0 && (p[k-1] == ',' || p[k-1] == '{') && bytes.Equal(p[k:], nullUsageEnd)
}

// blankLine reports whether line is white space only, as the event
// boundary of the SSE stream.
func blankLine(line []byte) bool {
	switch c := line[0]; {
	case c == '\n':
		return true
	case c == '\r' || c == ' ' || c == '\t' || c == '\v' || c == '\f' || c >= 0x80:
		return len(bytes.TrimSpace(line)) == 0
	}
	return false
}

// write sends b to the client, unless its connection failed.
func (s *sseLines) write(w http.ResponseWriter, b []byte) {
	if len(b) == 0 || s.werr != nil {
		return
	}
	if s.res.TTFB == 0 {
		s.res.TTFB = time.Since(s.start)
	}
	_, s.werr = w.Write(b)
	s.pending = true
}

func (rl *Relay) clientGone(res *Result) *attemptErr {
	res.FailureReason = "client closed the connection during the stream"
	return &attemptErr{err: errClientGone, reason: res.FailureReason, final: true}
}

// IsClientGone reports whether err means the client left.
func IsClientGone(err error) bool { return errors.Is(err, errClientGone) }

func isEventStream(ct string) bool {
	return len(ct) >= 17 && ct[:17] == "text/event-stream"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readSnippet reads the start of an upstream error body with the channel's
// credential removed — before truncating, so a cut cannot leave half a key.
func readSnippet(r io.Reader, credential string) string {
	b, _ := io.ReadAll(io.LimitReader(r, 2048))
	return truncate(provider.Scrub(string(bytes.TrimSpace(b)), credential), 500)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// flush flushes a relayed stream to the client. The first flush writes the
// response head, and net/http does that with about 4 KiB of stack below
// the caller (chunkWriter.writeHeader alone has a 2.8 KiB frame): on the
// stream's own goroutine, already deep in the handler chain, that would
// double its stack to 16 KiB, which it then keeps for the whole stream,
// 8 KiB more per open stream than Go's 8 KiB. So the first flush runs on a
// goroutine of its own, whose stack is freed when it ends; the stream
// waits for it, so the response writer is never used by two goroutines at
// once. Later flushes only write bytes and run here.
func flush(w http.ResponseWriter, rc *http.ResponseController, flushed *bool) error {
	if *flushed {
		return rc.Flush()
	}
	*flushed = true
	done := make(chan error, 1)
	go func() { done <- http.NewResponseController(w).Flush() }()
	return <-done
}
