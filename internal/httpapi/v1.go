package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/credential"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/relay"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/usage"
)

var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody reads a bounded request body into a pooled buffer.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (*bytes.Buffer, error) {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	var err error
	if n := r.ContentLength; n > 0 && n <= s.MaxBodyBytes {
		// The server's body ends at its declared length (net/http and
		// HTTP/2 refuse more), so no MaxBytesReader (one allocation a call)
		// is needed to bound it; readDeclared still refuses more.
		err = readDeclared(buf, r.Body, n, s.MaxBodyBytes)
	} else {
		_, err = buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes))
	}
	if err != nil {
		bodyPool.Put(buf)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, apierr.T(apierr.RequestTooLarge, i18n.M("req.too_large", i18n.S("limit", fmt.Sprint(s.MaxBodyBytes))),
				i18n.M("req.too_large.hint"))
		}
		return nil, apierr.T(apierr.InvalidRequest, i18n.M("req.unreadable"), i18n.M("req.resend")).WithCause(err)
	}
	return buf, nil
}

// readDeclared reads into buf a body declared n bytes long, refusing with
// a MaxBytesError one that goes on past limit.
func readDeclared(buf *bytes.Buffer, body io.Reader, n, limit int64) error {
	buf.Grow(int(n) + 1) // room to see the end without growing
	for {
		if buf.Available() == 0 {
			buf.Grow(512)
		}
		p := buf.AvailableBuffer()[:buf.Available()]
		if room := limit + 1 - int64(buf.Len()); int64(len(p)) > room {
			p = p[:room]
		}
		k, err := body.Read(p)
		buf.Write(p[:k])
		if int64(buf.Len()) > limit {
			return &http.MaxBytesError{Limit: limit}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func (s *Server) relayHandler(op, path string, canStream bool) func(http.ResponseWriter, *http.Request, *Scope) error {
	route := "/v1" + path
	return func(w http.ResponseWriter, r *http.Request, sc *Scope) error {
		buf, m, g, err := s.prepareRelay(w, r, sc, op, path, route, canStream)
		if buf != nil {
			defer bodyPool.Put(buf)
		}
		if err != nil {
			return err
		}
		req := &sc.req
		res := &sc.res // zero, as the whole scope from the pool

		req.AcceptLanguage = r.Header["Accept-Language"] // a map read; parsed only if a stream breaks
		rerr := s.Relay.Do(r.Context(), w, req, res)
		// settleAdmission settles on a context that outlives the client: a
		// client that hung up is still billed for what was produced.
		s.settle(sc, req, res, m.Prices(), g.PriceMultiplier)
		s.settleAdmission(r.Context(), sc, sc.Log.CostUSD, sc.Log.InputTokens+sc.Log.OutputTokens)
		return rerr
	}
}

// prepareRelay is relayHandler up to the call: authentication, the body
// read (buf, returned to bodyPool by the caller once the call is done, also
// on an error) and parsed, the model authorized, the call admitted, and
// sc.req made. It is a function of its own so that its locals are not on
// the goroutine stack of a relayed stream for as long as the stream lasts:
// that stack stays within Go's 8 KiB size instead of doubling to 16.
//
//go:noinline
func (s *Server) prepareRelay(w http.ResponseWriter, r *http.Request, sc *Scope, op, path, route string, canStream bool) (*bytes.Buffer, *catalog.Model, *catalog.Group, error) {
	sc.Log.RequestType = op
	if err := s.authenticate(r, sc, credential.OpenAI); err != nil {
		return nil, nil, nil, err
	}
	buf, err := s.readBody(w, r)
	if err != nil {
		return nil, nil, nil, err
	}
	body := buf.Bytes()
	var in inbound
	if err := parseInbound(body, &in); err != nil {
		return buf, nil, nil, bodyError(err, i18n.M("req.hint.v1_body"))
	}
	if in.Model == "" {
		return buf, nil, nil, apierr.T(apierr.InvalidRequest, i18n.M("req.no_model"), i18n.M("req.no_model.hint")).WithParam("model")
	}
	sc.Log.Model = in.Model
	stream := in.Stream && canStream
	sc.Log.Stream = in.Stream
	m, g, chs, err := s.authorizeModel(sc, in.Model)
	if err != nil {
		return buf, nil, nil, err
	}
	est := Estimate{InputTokens: EstimateInput(len(body)), MaxOutput: in.maxOutput(), Choices: in.choices(), NoOutput: op == "embeddings",
		CapName: capName(op), Clamp: op != "embeddings"}
	if err := s.admit(r.Context(), sc, m, g, est); err != nil {
		return buf, nil, nil, err
	}
	if n := sc.adm.clamped; n > 0 {
		// budget_clamp: the call goes with the cap its budget affords.
		b, err := relay.SetCap(body, capMembers(op), n)
		if err == nil {
			err = parseInbound(b, &in) // the new offset of stream_options
		}
		if err != nil {
			return buf, nil, nil, apierr.T(apierr.Internal, i18n.M("req.the_request_body_could_not"), i18n.Message{}).WithCause(err)
		}
		body = b
		w.Header().Set("X-Keygate-Budget-Clamped", capName(op)+"="+strconv.Itoa(n))
	}
	// The request lives in the pooled scope: one allocation less a call.
	req := &sc.req
	*req = relay.Request{Path: path, Body: body, Model: m.Name, BodyModel: in.Model, Stream: in.Stream, Channels: chs,
		Route: route, DefaultMaxTokens: m.MaxOutput}
	if op == "responses" || !allOpenAI(chs) {
		// Anthropic and Gemini channels (convert.go); Responses calls
		// always, so their streams are read in the Responses grammar
		// (response.completed, no [DONE]) on OpenAI channels too.
		s.convertRoute(op, req, body)
	}
	if stream {
		// The gateway always writes include_usage:true itself, so the
		// upstream's count is what is billed; a usage chunk the client
		// did not ask for is hidden from it (StripUsage).
		b, err := relay.EnsureStreamUsage(body, in.StreamOptionsAt)
		if err != nil {
			return buf, nil, nil, apierr.T(apierr.InvalidRequest, i18n.M("req.not_object"), i18n.Message{}).WithCause(err)
		}
		req.Body, req.StripUsage = b, !in.IncludeUsage
	}
	return buf, m, g, nil
}

func (s *Server) settle(sc *Scope, req *relay.Request, res *relay.Result, p usage.Prices, mult float64) {
	l := &sc.Log
	l.Channel, l.ModelServed, l.Attempts, l.FailureReason = res.Channel, res.ModelServed, res.Attempts, res.FailureReason
	l.TTFBMS = float64(res.TTFB.Microseconds()) / 1000
	if d := res.AttemptDetails(); len(d) > 1 || len(d) == 1 && (d[0].Code != "" || d[0].Error != "") {
		// Only calls that failed over or failed carry a detail; a clean
		// single attempt is told by Channel and Status, with no allocation.
		l.AttemptsDetail = make([]store.Attempt, len(d))
		for i, a := range d {
			l.AttemptsDetail[i] = store.Attempt{Channel: a.Channel, Status: a.Status, Code: a.Code, Error: a.Error,
				DurationMS: float64(a.Duration.Microseconds()) / 1000}
		}
	}
	u := res.Usage
	if !res.HasUsage && res.Written && res.Status < 300 {
		// No usage from the upstream (it ignored include_usage, or the
		// stream was cut): estimate, and say so in the row.
		u = usage.Usage{InputTokens: usage.EstimateTokens(len(req.Body)), OutputTokens: usage.EstimateTokens(res.OutputBytes), Estimated: true}
	}
	l.InputTokens, l.OutputTokens, l.UsageEstimated = u.InputTokens, u.OutputTokens, u.Estimated
	l.CachedInputTokens, l.CacheWriteTokens, l.ReasoningTokens = u.CachedInputTokens, u.CacheWriteTokens, u.ReasoningTokens
	if res.Written && res.Status < 300 {
		l.CostUSD = usage.Cost(u, p, mult)
		l.Charged = "yes"
	}
	if res.Written && res.Status >= 300 {
		l.Status = res.Status
		l.ErrorCode = string(apierr.InvalidRequest) // the upstream judged the request; its words are in FailureReason
	}
}

func jsonErr(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q must be %s, not %s", te.Field, te.Type, te.Value)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "the body ends before the JSON is complete"
	}
	return err.Error()
}

type modelObject struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

var modelsCreated = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

// listModels lists the models the key may use and the gateway can serve.
func (s *Server) listModels(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "models"
	if err := s.authenticate(r, sc, credential.OpenAI); err != nil {
		return err
	}
	snap := s.Catalog.Snapshot()
	g := snap.Groups[sc.Key.Group]
	data := []modelObject{}
	for _, name := range snap.Names {
		if g == nil || !g.Allows(name) || !sc.Key.AllowsModel(name) || !testKeyAllows(snap, sc.Key, name) ||
			len(snap.ChannelsFor(name, sc.Key.Group)) == 0 {
			continue
		}
		data = append(data, modelObject{ID: name, Object: "model", Created: modelsCreated, OwnedBy: "keygate"})
	}
	writeJSON(w, 200, map[string]any{"object": "list", "data": data})
	return nil
}

func (s *Server) getModel(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "models"
	id := r.PathValue("id")
	if id == "" || strings.HasSuffix(id, "/") {
		return s.unknownEndpoint(w, r, sc) // a trailing slash, explained before any credential check
	}
	if err := s.authenticate(r, sc, credential.OpenAI); err != nil {
		return err
	}
	sc.Log.Model = id
	m, _, _, err := s.authorizeModel(sc, id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, modelObject{ID: m.Name, Object: "model", Created: modelsCreated, OwnedBy: "keygate"})
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = 500, []byte(`{"error":{"message":"encoding the response failed","type":"api_error","code":"internal_error"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// allOpenAI reports whether every channel speaks OpenAI's format, so the
// body passes through and no conversion needs preparing.
func allOpenAI(chs []*catalog.Channel) bool {
	for _, c := range chs {
		if c.Type != "" && c.Type != relay.TypeOpenAI {
			return false
		}
	}
	return true
}

// capMembers are the members that carry a route's output cap; the first is
// added when the body has none.
func capMembers(op string) []string {
	switch op {
	case "responses":
		return []string{"max_output_tokens"}
	case "chat":
		return []string{"max_tokens", "max_completion_tokens"}
	}
	return []string{"max_tokens"}
}

// capName is a route's name for the output cap, for budget refusals.
func capName(op string) string {
	if op == "responses" {
		return "max_output_tokens"
	}
	return "max_tokens"
}
