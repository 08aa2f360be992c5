package relay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/registry"
	"github.com/keygate/keygate/internal/usage"
)

// Channel types.
const (
	TypeOpenAI    = "openai"
	TypeAnthropic = "anthropic"
	TypeGemini    = "gemini"
	// TypeAzure channels speak the OpenAI chat format to Azure deployments;
	// calls reach them through the azure adapter, never by pass-through.
	TypeAzure = "azure"
)

// Native describes how a client's own wire format is passed through to a
// channel of the same type.
type Native struct {
	ChannelType string
	// URL builds the upstream URL for the (mapped) model below the
	// channel's base URL.
	URL func(base *url.URL, model string) string
	// ModelInBody: the body's "model" member is rewritten to the channel's
	// model name (Gemini carries the model in the URL instead).
	ModelInBody bool
	// Header holds client headers to forward (e.g. anthropic-beta).
	Header http.Header
	// NewDecoder watches a passed-through stream for usage and its
	// terminal event, without changing a byte of it.
	NewDecoder func() provider.Decoder
	// Usage reads usage from a complete answer.
	Usage func(body []byte) (usage.Usage, bool)
}

func channelType(ch *catalog.Channel) string {
	if ch.Type == "" {
		return TypeOpenAI
	}
	return ch.Type
}

// setAuth sets the channel credential the way its provider expects it: the
// registry's headers for its type, so passed-through and converted calls
// authenticate alike (and Anthropic's required anthropic-version goes out
// even on a channel with no api_key).
func setAuth(h http.Header, ch *catalog.Channel) {
	t, ok := registry.Lookup(channelType(ch))
	if !ok {
		t, _ = registry.Lookup(TypeOpenAI)
	}
	for k, vs := range t.Auth(ch.APIKey) {
		h[k] = vs
	}
}

// DefaultProviders returns the adapters of every channel type over client.
func DefaultProviders(client *http.Client) provider.Registry {
	return registry.ProvidersFor(client)
}

func (rl *Relay) provider(typ string) provider.Provider {
	rl.once.Do(func() {
		if rl.Providers == nil {
			rl.Providers = DefaultProviders(rl.Client)
			rl.ownProviders = true
		}
	})
	return rl.Providers[typ]
}

func (req *Request) neutral() (*provider.ChatRequest, error) {
	if !req.chatSet {
		req.chat, req.chatErr = req.Convert()
		req.chatSet = true
	}
	return req.chat, req.chatErr
}

// converted serves the call from a channel of another type: the neutral
// request goes out through the channel's adapter and the answer comes back
// rendered by the client's codec, chunk by chunk for streams.
func (rl *Relay) converted(ctx context.Context, w http.ResponseWriter, ch *catalog.Channel, req *Request, res *Result) *attemptErr {
	typ := channelType(ch)
	res.Channel, res.ModelServed = ch.Name, ch.UpstreamModel(req.Model)
	p := rl.provider(typ)
	if p == nil {
		return &attemptErr{final: true, reason: "no adapter for channel type " + typ,
			err: apierr.T(apierr.Internal, i18n.M("relay.no_adapter", i18n.S("channel", ch.Name), i18n.Q("type", typ)), i18n.Message{})}
	}
	chat, err := req.neutral()
	if err != nil {
		return rl.providerErr(ctx, ch, res, err)
	}
	if len(chat.Dropped) > 0 {
		// Features with no equivalent on this channel: left out, and named.
		w.Header().Set(provider.DroppedHeader, strings.Join(chat.Dropped, ", "))
	}
	cr := *chat
	cr.Model = res.ModelServed
	cr.Stream = req.Stream
	if req.DefaultMaxTokens > 0 {
		cr.DefaultMaxTokens = req.DefaultMaxTokens
	}
	cred := provider.Credential{BaseURL: ch.URL, APIKey: ch.APIKey}
	start := time.Now()
	if !req.Stream {
		return rl.convertedPlain(ctx, w, ch, p, cred, &cr, req, res, start)
	}
	var st provider.ChatStream
	if sc, ok := p.(provider.StreamCaller); ok && rl.ownProviders {
		st, err = rl.streamCall(ctx, ch, sc, &cr)
	} else {
		st, err = p.ChatStream(ctx, cred, &cr)
	}
	if err != nil {
		return rl.providerErr(ctx, ch, res, err)
	}
	defer st.Close()
	rl.Metrics.Upstream(ch.Name).Observe(time.Since(start).Seconds())
	// Pull the first chunk before answering: until a byte is written, a
	// failure can still move to the next channel.
	first, err := st.Recv()
	if err != nil && !errors.Is(err, io.EOF) {
		return rl.providerErr(ctx, ch, res, err)
	}
	res.Status = http.StatusOK
	id, model := "kg-"+strconv.FormatInt(start.UnixNano(), 36), res.ModelServed
	if first != nil {
		if first.ID != "" {
			id = first.ID
		}
		if first.Model != "" {
			model = first.Model
		}
	}
	enc := req.Codec.NewStream(id, model)
	h := w.Header()
	// Shared, read-only values, as on pass-through: no slice per header.
	h["Content-Type"] = streamContentType(req.Codec.StreamContentType())
	h["Cache-Control"], h["X-Accel-Buffering"] = hdrNoCache, hdrNo
	w.WriteHeader(http.StatusOK)
	res.Written = true
	rc := http.NewResponseController(w)
	bp := chunkBufPool.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		if cap(buf) <= 64<<10 { // one huge event does not stay pooled
			*bp = buf[:0]
			chunkBufPool.Put(bp)
		}
	}()
	// A chunk is written at once and flushed when the upstream has nothing
	// more ready (the stream's idle hook), so events that arrived together
	// leave in one write and none waits on a silent upstream. Streams
	// without the hook flush every chunk.
	var pending, flushFailed bool
	flush := func() {
		if pending {
			pending = false
			flushFailed = flushFailed || rc.Flush() != nil
		}
	}
	idler, coalesce := st.(interface{ OnIdle(func()) })
	if coalesce {
		idler.OnIdle(flush)
		defer idler.OnIdle(nil)
	}
	send := func(b []byte) bool {
		if res.TTFB == 0 {
			res.TTFB = time.Since(start)
		}
		if _, err := w.Write(b); err != nil {
			return false
		}
		pending = true
		if !coalesce {
			flush()
		}
		return !flushFailed
	}
	c := first
	for {
		if c != nil {
			res.OutputBytes += len(c.Text) + len(c.Reasoning) // for the estimate
			for _, tc := range c.ToolCalls {
				res.OutputBytes += len(tc.Arguments)
			}
			if buf = enc.Chunk(buf[:0], c); len(buf) > 0 && !send(buf) {
				rl.noteUsage(st, res)
				return rl.clientGone(res)
			}
		}
		if err != nil { // io.EOF from the first Recv
			break
		}
		c, err = st.Recv()
		req.wd.tick()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rl.noteUsage(st, res)
			if clientLeft(ctx) {
				return rl.clientGone(res)
			}
			reason := "upstream stream broke: " + provider.Scrub(err.Error(), ch.APIKey)
			if te := timedOut(ctx); te != nil {
				reason = te.Error()
			}
			if errors.Is(err, provider.ErrStreamCut) {
				reason = "upstream stream ended before its terminal event"
			}
			res.FailureReason = reason
			rl.Metrics.UpstreamErrors.WithLabelValues(ch.Name, "stream_cut").Inc()
			send(enc.Fail(buf[:0], http.StatusBadGateway, "The upstream stream ended before it was complete. Retry the request; the partial answer is billed only for what was produced."))
			flush()
			return &attemptErr{reason: reason, final: true, verdict: broke}
		}
	}
	u, _ := st.Usage()
	rl.noteUsage(st, res)
	ok := send(enc.Finish(buf[:0], u))
	flush()
	if ok && !flushFailed {
		res.Completed = true
		return nil
	}
	return rl.clientGone(res)
}

// convertedPlain is converted's non-streaming call: the adapter's answer
// rendered whole by the client's codec, into a pooled buffer when the
// codec can append (apart from converted, so its defer is open-coded and
// none is added to the stream's path).
func (rl *Relay) convertedPlain(ctx context.Context, w http.ResponseWriter, ch *catalog.Channel, p provider.Provider, cred provider.Credential,
	cr *provider.ChatRequest, req *Request, res *Result, start time.Time) *attemptErr {
	var resp *provider.ChatResponse
	var err error
	if pc, ok := p.(provider.PlainCaller); ok && rl.ownProviders {
		resp, err = rl.plainCall(ctx, ch, pc, cr)
	} else {
		resp, err = p.Chat(ctx, cred, cr)
	}
	rl.Metrics.Upstream(ch.Name).Observe(time.Since(start).Seconds())
	if err != nil {
		return rl.providerErr(ctx, ch, res, err)
	}
	if resp.Model == "" {
		resp.Model = res.ModelServed
	}
	if resp.ID == "" {
		resp.ID = "kg-" + strconv.FormatInt(start.UnixNano(), 36)
	}
	res.Status = http.StatusOK
	res.Usage, res.HasUsage = resp.Usage, resp.Usage.HasTokens()
	if !res.HasUsage { // for the estimate: every generated text
		res.OutputBytes = len(resp.Text) + len(resp.Reasoning)
		for _, tc := range resp.ToolCalls {
			res.OutputBytes += len(tc.Arguments)
		}
	}
	var b []byte
	if ra, ok := req.Codec.(provider.ResponseAppender); ok {
		bp := chunkBufPool.Get().(*[]byte)
		b = ra.AppendResponse((*bp)[:0], resp)
		defer func() { // after the Write below, which copies b or has sent it
			if cap(b) <= 64<<10 {
				*bp = b[:0]
				chunkBufPool.Put(bp)
			}
		}()
	} else {
		b = req.Codec.Response(resp)
	}
	h := w.Header()
	h["Content-Type"] = hdrJSON     // shared and read-only, as on pass-through
	if len(b) > serverCountedBody { // as writeHead: a short answer's length is the server's
		h["Content-Length"] = []string{strconv.Itoa(len(b))}
	}
	w.WriteHeader(http.StatusOK)
	res.Written = true
	res.TTFB = time.Since(start)
	if _, err := w.Write(b); err == nil {
		res.Completed = true
	}
	return nil
}

// plainCall is the non-streaming call of an adapter over the relay's own
// client, sent as a passed-through call is: the channel's request template
// for the adapter's path (its URL parsed and its credential headers made
// once), send instead of http.Client.Do (which copies the header for the
// redirects it would refuse anyway), and the answer read into a pooled
// buffer, which PlainAnswer does not keep. Its errors are Chat's: a
// redirect is send's *url.Error over a RedirectError, as Client.Do's with
// refuseRedirect; a non-2xx answer is PlainError's.
func (rl *Relay) plainCall(ctx context.Context, ch *catalog.Channel, pc provider.PlainCaller, cr *provider.ChatRequest) (*provider.ChatResponse, error) {
	path, body, err := pc.PlainRequest(cr)
	if err != nil {
		return nil, err
	}
	resp, err := rl.sendCall(ctx, ch, path, body, false)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, plainError(pc, resp, ch.APIKey)
	}
	abuf, b, err := readAnswer(resp, plainAnswerLimit)
	defer release(abuf)
	if err != nil {
		return nil, fmt.Errorf("read upstream body: %w", err)
	}
	return pc.PlainAnswer(cr, b)
}

// streamCall is the streaming call of an adapter over the relay's own
// client, sent as plainCall sends a plain one (the channel's request
// template for the adapter's path, send instead of http.Client.Do), the
// answer's body read by the adapter's stream. Its errors are ChatStream's.
func (rl *Relay) streamCall(ctx context.Context, ch *catalog.Channel, sc provider.StreamCaller, cr *provider.ChatRequest) (provider.ChatStream, error) {
	path, body, err := sc.StreamRequest(cr)
	if err != nil {
		return nil, err
	}
	resp, err := rl.sendCall(ctx, ch, path, body, true)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		return nil, plainError(sc, resp, ch.APIKey)
	}
	return sc.NewStream(resp.Body), nil
}

// sendCall sends an adapter's request body to path on ch over the
// channel's request template (its URL parsed and its credential headers
// made once; the copy is shallow, so both stay the template's, read-only)
// with send, as a passed-through call is sent.
func (rl *Relay) sendCall(ctx context.Context, ch *catalog.Channel, path string, body []byte, stream bool) (*http.Response, error) {
	t, err := rl.outTemplate(ch, path, stream)
	if err != nil {
		return nil, err
	}
	out := t.WithContext(ctx)
	setOutBody(out, body)
	return rl.send(out)
}

// plainAnswerLimit bounds a converted answer as provider.ReadBody does.
const plainAnswerLimit = 64 << 20

// plainError reads a non-2xx answer of plainCall into the adapter's error.
//
//go:noinline
func plainError(pc provider.PlainCaller, resp *http.Response, apiKey string) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, provider.MaxErrorBody))
	return pc.PlainError(resp.StatusCode, b, resp.Header.Get("Retry-After"), apiKey)
}

// The content types of the codecs' streams, shared and read-only.
var (
	hdrSSEUTF8     = []string{"text/event-stream; charset=utf-8"}
	hdrJSONArrUTF8 = []string{"application/json; charset=UTF-8"}
)

// streamContentType returns a converted stream's Content-Type value: a
// shared slice for the codecs' own types, a new one for any other.
func streamContentType(ct string) []string {
	switch ct {
	case hdrSSEUTF8[0]:
		return hdrSSEUTF8
	case hdrEventStream[0]:
		return hdrEventStream
	case hdrJSONArrUTF8[0]:
		return hdrJSONArrUTF8
	}
	return []string{ct}
}

func (rl *Relay) noteUsage(st provider.ChatStream, res *Result) {
	if u, ok := st.Usage(); ok && u.HasTokens() {
		res.Usage, res.HasUsage = u, true
	}
}

// providerErr classifies an adapter's error like the pass-through path
// classifies an upstream status: conversion problems are the caller's 400,
// credential failures and outages move on to the next channel.
func (rl *Relay) providerErr(ctx context.Context, ch *catalog.Channel, res *Result, err error) *attemptErr {
	var un *provider.UnsupportedError
	var inv *provider.InvalidError
	var ue *provider.UpstreamError
	var bt *provider.BuiltinToolError
	switch {
	case errors.As(err, &bt):
		e := apierr.T(apierr.InvalidRequest, i18n.M("relay.model_is_served_by_a", i18n.Q("model_served", fmt.Sprint(res.ModelServed)), i18n.S("ch", fmt.Sprint(channelType(ch))), i18n.S("name", fmt.Sprint(ch.Name)), i18n.Q("tool", fmt.Sprint(bt.Tool)), i18n.S("param", fmt.Sprint(bt.Param)), i18n.S("provider", fmt.Sprint(bt.Provider))), i18n.M("relay.turn_the_tool_off_in.hint", i18n.S("setting", bt.Setting)))
		e.Param = bt.Param
		return &attemptErr{err: e, final: true, reason: bt.Error()}
	case errors.As(err, &un):
		var d i18n.Message
		if un.Detail != "" {
			d = i18n.M("relay.detail", i18n.S("detail", un.Detail))
		}
		e := apierr.T(apierr.InvalidRequest,
			i18n.M("relay.unsupported_param", i18n.Q("param", un.Param), i18n.S("provider", un.Provider), i18n.Q("model", res.ModelServed),
				i18n.S("channel", ch.Name), i18n.Sub("detail", d)),
			i18n.M("relay.unsupported_param.hint")).WithParam(un.Param)
		return &attemptErr{err: e, final: true, reason: un.Error()}
	case errors.As(err, &inv):
		e := apierr.T(apierr.InvalidRequest,
			i18n.M("relay.unconvertible", i18n.S("type", channelType(ch)), i18n.Q("model", res.ModelServed), i18n.S("detail", inv.Msg)),
			i18n.M("relay.unconvertible.hint")).WithParam(inv.Param)
		return &attemptErr{err: e, final: true, reason: inv.Msg}
	case errors.As(err, &ue):
		res.Status = ue.Status
		msg := provider.Scrub(ue.Message, ch.APIKey)
		switch {
		case ue.Status == 401 || ue.Status == 403:
			return rl.authFailed(ch, ue.Status, msg)
		case ue.Status == 429 || ue.Status >= 500:
			return rl.unavailable(ch, ue.Status, msg, ue.RetryAfter)
		}
		reason := fmt.Sprintf("upstream %s answered %d: %s", ch.Name, ue.Status, msg)
		res.FailureReason = reason
		e := apierr.T(apierr.InvalidRequest,
			i18n.M("relay.rejected", i18n.S("type", channelType(ch)), i18n.Q("model", res.ModelServed), i18n.S("detail", msg)),
			i18n.M("relay.rejected.hint"))
		e.Status = ue.Status
		return &attemptErr{final: true, reason: reason, verdict: answered, err: e}
	case clientLeft(ctx):
		res.FailureReason = "client closed the connection before the upstream answered"
		return &attemptErr{err: errClientGone, reason: res.FailureReason, final: true}
	case errors.Is(err, provider.ErrStreamCut):
		reason := "upstream stream ended before it sent anything"
		rl.Metrics.UpstreamErrors.WithLabelValues(ch.Name, "stream_cut").Inc()
		return &attemptErr{reason: reason, verdict: broke, err: apierr.T(apierr.UpstreamError, i18n.M("relay.cut_off"), i18n.M("retry.request")).WithCause(err)}
	}
	return rl.networkErr(ctx, ch, err)
}

// authFailed handles an upstream 401/403: the channel's credential is wrong.
func (rl *Relay) authFailed(ch *catalog.Channel, status int, msg string) *attemptErr {
	reason := fmt.Sprintf("upstream %s answered %d to the channel credential: %s", ch.Name, status, msg)
	rl.Metrics.UpstreamErrors.WithLabelValues(ch.Name, "auth").Inc()
	return &attemptErr{reason: reason, verdict: refused, err: apierr.T(apierr.UpstreamAuthFailed, i18n.M("relay.auth_failed"), i18n.M("relay.auth_failed.hint"))}
}

// unavailable handles an upstream 429 or 5xx: try the next channel.
func (rl *Relay) unavailable(ch *catalog.Channel, status int, msg, retryAfter string) *attemptErr {
	reason := fmt.Sprintf("upstream %s answered %d: %s", ch.Name, status, msg)
	kind, v := "5xx", broke
	if status == 429 {
		kind, v = "429", noVerdict // the channel works; this caller is over its quota
	}
	rl.Metrics.UpstreamErrors.WithLabelValues(ch.Name, kind).Inc()
	e := apierr.T(apierr.UpstreamUnavailable, i18n.M("relay.unavailable", i18n.N("status", status)), i18n.M("relay.unavailable.hint"))
	if retryAfter != "" {
		e = e.WithHeader("Retry-After", retryAfter)
	}
	return &attemptErr{err: e, reason: reason, verdict: v}
}

// networkErr handles a failed connection or a timeout.
func (rl *Relay) networkErr(ctx context.Context, ch *catalog.Channel, err error) *attemptErr {
	if re, ok := asRedirect(err); ok {
		return rl.redirected(ch, re)
	}
	if te := timedOut(ctx); te != nil {
		err = te
	}
	reason := "connect to upstream: " + provider.Scrub(err.Error(), ch.APIKey)
	rl.Metrics.UpstreamErrors.WithLabelValues(ch.Name, "network").Inc()
	code, msg := apierr.UpstreamUnavailable, i18n.M("relay.unreachable")
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		code, msg = apierr.UpstreamTimeout, i18n.M("relay.timeout")
	}
	return &attemptErr{err: apierr.T(code, msg, i18n.M("relay.network.hint")).WithCause(err), reason: reason, verdict: broke}
}

// chunkBufPool holds the buffers converted streams encode their chunks in.
var chunkBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// streamNative relays a stream of the client's own non-OpenAI format byte
// for byte, flushing at each event, while its decoder watches for usage and
// the terminal event.
func (rl *Relay) streamNative(ctx context.Context, w http.ResponseWriter, resp *http.Response, req *Request, res *Result, start time.Time) *attemptErr {
	h := w.Header()
	h.Set("Content-Type", resp.Header.Get("Content-Type"))
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(resp.StatusCode)
	res.Written = true
	rc := http.NewResponseController(w)
	dec := req.Native.NewDecoder()
	sr := provider.NewSSEReader(resp.Body)
	defer sr.Release()
	sr.Capture()
	// The upstream's bytes go out as it wrote them, whole lines at a time:
	// after each event, and before any read that would wait (so a comment
	// or a partial event is never held back). Text that may be an error
	// is scrubbed of the channel credential first, as on the OpenAI path;
	// a credential never spans lines, so a line-aligned write holds it whole.
	var werr error
	pending := false
	forward := func() {
		raw := sr.TakeRaw()
		if len(raw) == 0 || werr != nil {
			return
		}
		if bytes.Contains(raw, errorWord) {
			if s := provider.Scrub(string(raw), req.credential); s != string(raw) {
				raw = []byte(s)
			}
		}
		if _, werr = w.Write(raw); werr == nil {
			pending = true
		}
	}
	sr.OnIdle(func() {
		forward()
		if pending && werr == nil {
			pending = false
			werr = rc.Flush()
		}
	})
	est := getEstimator()
	defer estPool.Put(est)
	for {
		ev, data, err := sr.Next()
		forward()
		if werr != nil {
			return rl.clientGone(res)
		}
		if err == nil {
			req.wd.tick()
			_, _ = dec.Decode(ev, data) // it tracks usage and the terminal event
			res.OutputBytes += est.Count(data)
			if res.TTFB == 0 {
				res.TTFB = time.Since(start)
			}
			continue
		}
		_ = rc.Flush()
		if u, ok := dec.Usage(); ok {
			res.Usage, res.HasUsage = u, true
		}
		if clientLeft(ctx) {
			return rl.clientGone(res)
		}
		if (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) && dec.Done() {
			res.Completed = true
			return nil
		}
		reason := "upstream stream ended before its terminal event"
		if te := timedOut(ctx); te != nil {
			reason = te.Error()
		} else if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			reason = "upstream stream broke: " + provider.Scrub(err.Error(), req.credential)
		}
		res.FailureReason = reason
		rl.Metrics.UpstreamErrors.WithLabelValues(res.Channel, "stream_cut").Inc()
		if req.Codec != nil {
			// End the stream with the format's own error event, so the
			// client's SDK raises instead of taking a cut answer as whole.
			_, _ = w.Write(req.Codec.NewStream("", "").Fail(nil, http.StatusBadGateway,
				"The upstream stream ended before it was complete. Retry the request; the partial answer is billed only for what was produced."))
			_ = rc.Flush()
		}
		return &attemptErr{err: nil, reason: reason, final: true, verdict: broke}
	}
}

// errorWord marks forwarded stream text that may quote the upstream's
// error, and so the channel credential: every vendor's error event names
// "error" (Anthropic's event: error, Gemini's and Responses' "error"
// members).
var errorWord = []byte("error")

// upstreamRejected is the client's error for an upstream 4xx the gateway
// passed a request to: the upstream's own words (credential scrubbed) and
// status, with our code, hint and request id.
func upstreamRejected(ch *catalog.Channel, model string, status int, body []byte) *apierr.Error {
	msg, code, param := provider.UpstreamWords(body)
	msg = truncate(provider.Scrub(msg, ch.APIKey), 2000)
	e := apierr.T(apierr.InvalidRequest,
		i18n.M("relay.rejected_status", i18n.S("type", channelType(ch)), i18n.Q("model", model), i18n.N("status", status), i18n.S("detail", msg)),
		i18n.M("relay.rejected_status.hint")).WithParam(truncate(param, 200))
	e.Status, e.UpstreamCode = status, upstreamCode(code)
	return e
}

// upstreamCode keeps an upstream's own error code when it is a plain
// identifier (what clients match on); anything else is not shown as a code.
func upstreamCode(c string) string {
	if len(c) == 0 || len(c) > 64 {
		return ""
	}
	for i := 0; i < len(c); i++ {
		b := c[i]
		if !(b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '_' || b == '.' || b == '-') {
			return "" // Google's "INVALID_ARGUMENT", numbers, text
		}
	}
	return c
}
