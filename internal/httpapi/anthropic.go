package httpapi

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/credential"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/anthropic"
	"github.com/keygate/keygate/internal/provider/registry"
	"github.com/keygate/keygate/internal/relay"
	"github.com/keygate/keygate/internal/usage"
)

// nativeRoutes registers the routes of other vendors' clients, each
// answering errors in its vendor's envelope.
func (s *Server) nativeRoutes(mux *http.ServeMux, post func(path string, h http.Handler)) {
	post("/v1/messages", s.api("messages", vendorErrors(anthropicErrorBody, s.anthropicMessages)))
	post("/v1/messages/count_tokens", s.api("messages", vendorErrors(anthropicErrorBody, s.anthropicCountTokens)))
	mux.Handle("POST /v1beta/models/{call}", s.api("gemini", vendorErrors(googleErrorBody, s.geminiCall)))
	mux.Handle("GET /v1beta/models", s.api("gemini", vendorErrors(googleErrorBody, s.geminiListModels)))
	mux.Handle("GET /v1beta/models/{model}", s.api("gemini", vendorErrors(googleErrorBody, s.geminiGetModel)))
	// GET /v1/models answers Claude clients (anthropic-version sent) in
	// Anthropic's list format, everyone else in OpenAI's.
	anthropicModels := vendorErrors(anthropicErrorBody, s.anthropicListModels)
	mux.Handle("GET /v1/models", s.api("models", func(w http.ResponseWriter, r *http.Request, sc *Scope) error {
		if isAnthropicClient(r) {
			return anthropicModels(w, r, sc)
		}
		return s.listModels(w, r, sc)
	}))
}

// isAnthropicClient: Anthropic's SDKs send anthropic-version on every call.
func isAnthropicClient(r *http.Request) bool { return r.Header.Get("Anthropic-Version") != "" }

// anthropicMessages serves POST /v1/messages for Claude clients (SDKs and
// the tools built on them). The gateway key goes in x-api-key or as
// Authorization: Bearer. Anthropic channels get the body as it is; OpenAI
// and Gemini channels get it converted, and the answer comes back as a
// Message or Anthropic's event sequence.
func (s *Server) anthropicMessages(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "chat"
	if err := s.authenticate(r, sc, credential.Anthropic); err != nil {
		return err
	}
	buf, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	defer bodyPool.Put(buf)
	body := buf.Bytes()
	model, stream, maxTokens, err := parseModelBody(body, true)
	if err != nil {
		return err
	}
	sc.Log.Model, sc.Log.Stream = model, stream
	m, g, chs, err := s.authorizeModel(sc, model)
	if err != nil {
		return err
	}
	req := relay.Request{Body: body, Model: m.Name, BodyModel: model, Stream: stream, Channels: chs,
		Route: "/v1/messages", DefaultMaxTokens: m.MaxOutput,
		Native:  messagesNative(r),
		Convert: func() (*provider.ChatRequest, error) { return anthropic.ParseRequest(body) },
		Codec:   anthropic.Codec{}}
	return s.relayCall(w, r, sc, m, g, &req, Estimate{MaxOutput: maxTokens})
}

// messagesNativeShared is how /v1/messages is passed through to Anthropic
// channels, for the calls that forward no client header: one value,
// shared and read-only (the relay never writes to a Native), instead of a
// Native and a URL closure per call.
var messagesNativeShared = &relay.Native{ChannelType: relay.TypeAnthropic, URL: baseJoin("/messages"), ModelInBody: true,
	NewDecoder: func() provider.Decoder { return &anthropic.StreamDecoder{} },
	Usage:      anthropicUsage}

// messagesNative is r's Native: the shared one, or a copy of it with the
// headers r forwards (anthropicForward).
func messagesNative(r *http.Request) *relay.Native {
	h := anthropicForward(r)
	if h == nil {
		return messagesNativeShared
	}
	n := *messagesNativeShared
	n.Header = h
	return &n
}

// anthropicForward is the client headers an Anthropic upstream needs
// (the betas the client opted into).
func anthropicForward(r *http.Request) http.Header {
	if v := r.Header.Values("Anthropic-Beta"); len(v) > 0 {
		return http.Header{"Anthropic-Beta": v}
	}
	return nil
}

func anthropicUsage(b []byte) (usage.Usage, bool) {
	r, err := anthropic.ParseResponse(b)
	if err != nil {
		return usage.Usage{}, false
	}
	return r.Usage, r.Usage.HasTokens()
}

// TokenCountHeader says where a count_tokens answer came from: "upstream"
// (an Anthropic channel counted it) or "estimate" (the model is served by
// another provider, and the gateway estimated it).
const TokenCountHeader = "Keygate-Token-Count"

// anthropicCountTokens serves POST /v1/messages/count_tokens: forwarded to
// the model's Anthropic channel when it has one, estimated otherwise
// (≈ 4 bytes a token over the text, tool definitions included). It costs
// nothing and is logged as request type "count_tokens".
func (s *Server) anthropicCountTokens(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "count_tokens"
	if err := s.authenticate(r, sc, credential.Anthropic); err != nil {
		return err
	}
	buf, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	defer bodyPool.Put(buf)
	body := buf.Bytes()
	model, _, _, err := parseModelBody(body, true)
	if err != nil {
		return err
	}
	sc.Log.Model = model
	m, g, chs, err := s.authorizeModel(sc, model)
	if err != nil {
		return err
	}
	var native []*catalog.Channel // Anthropic channels count natively (the registry's CountTokens)
	if t, _ := registry.Lookup(relay.TypeAnthropic); t.Caps.CountTokens {
		native = ofType(chs, relay.TypeAnthropic)
	}
	if len(native) > 0 {
		w.Header().Set(TokenCountHeader, "upstream")
		req := relay.Request{Body: body, Model: m.Name, BodyModel: model, Channels: native, Route: "/v1/messages/count_tokens",
			Native: &relay.Native{ChannelType: relay.TypeAnthropic, URL: baseJoin("/messages/count_tokens"), ModelInBody: true,
				Header: anthropicForward(r), Usage: func([]byte) (usage.Usage, bool) { return usage.Usage{}, true }}}
		return s.relayCall(w, r, sc, m, g, &req, Estimate{NoOutput: true})
	}
	// count_tokens bodies carry no max_tokens, which the Messages parser
	// requires; a member put first loses to the client's own, if any.
	rest := bytes.TrimSpace(bytes.TrimSpace(body)[1:])
	withMax := []byte(`{"max_tokens":1`)
	if len(rest) > 0 && rest[0] != '}' {
		withMax = append(withMax, ',')
	}
	withMax = append(withMax, rest...)
	cr, err := anthropic.ParseRequest(withMax)
	if err != nil {
		return convertErr(err)
	}
	w.Header().Set(TokenCountHeader, "estimate")
	writeJSON(w, 200, map[string]int{"input_tokens": estimateChatTokens(cr)})
	return nil
}

// estimateChatTokens estimates a request's input tokens from its text,
// tool calls and tool definitions.
func estimateChatTokens(cr *provider.ChatRequest) int {
	n := 0
	for i := range cr.Messages {
		m := &cr.Messages[i]
		n += 4 // role and framing
		for _, p := range m.Parts {
			n += len(p.Text)
			if p.Type == provider.PartImage {
				n += 1600 * 4 // an image is about 1,600 tokens
			}
		}
		for _, tc := range m.ToolCalls {
			n += len(tc.Name) + len(tc.Arguments)
		}
	}
	for _, t := range cr.Tools {
		n += len(t.Name) + len(t.Description) + len(t.Parameters)
	}
	return usage.EstimateTokens(n)
}

// convertErr is the client error for a body the converters cannot read.
func convertErr(err error) error {
	var inv *provider.InvalidError
	var un *provider.UnsupportedError
	switch {
	case errors.As(err, &inv):
		return apierr.T(apierr.InvalidRequest, i18n.M("req.unconvertible", i18n.S("detail", inv.Msg)), i18n.M("req.unconvertible.hint")).WithParam(inv.Param)
	case errors.As(err, &un):
		return apierr.T(apierr.InvalidRequest, i18n.M("req.unsupported", i18n.S("detail", un.Error())), i18n.M("req.unsupported.hint")).WithParam(un.Param)
	}
	return apierr.T(apierr.InvalidRequest, i18n.M("req.unreadable_detail", i18n.S("detail", err.Error())), i18n.M("req.send_valid_json")).WithCause(err)
}

// anthropicListModels answers GET /v1/models for Claude clients in
// Anthropic's format ({"data":[{"type":"model","id",…}],"has_more",…}).
func (s *Server) anthropicListModels(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "models"
	if err := s.authenticate(r, sc, credential.Anthropic); err != nil {
		return err
	}
	type model struct {
		Type        string `json:"type"`
		ID          string `json:"id"`
		DisplayName string `json:"display_name"`
		CreatedAt   string `json:"created_at"`
	}
	data := []model{}
	for _, name := range s.visibleModels(sc) {
		data = append(data, model{Type: "model", ID: name, DisplayName: name, CreatedAt: "2024-01-01T00:00:00Z"})
	}
	out := map[string]any{"data": data, "has_more": false, "first_id": nil, "last_id": nil}
	if len(data) > 0 {
		out["first_id"], out["last_id"] = data[0].ID, data[len(data)-1].ID
	}
	writeJSON(w, 200, out)
	return nil
}

// visibleModels are the models the key may use and the gateway can serve.
func (s *Server) visibleModels(sc *Scope) []string {
	snap := s.Catalog.Snapshot()
	g := snap.Groups[sc.Key.Group]
	var out []string
	for _, name := range snap.Names {
		if g == nil || !g.Allows(name) || !sc.Key.AllowsModel(name) || !testKeyAllows(snap, sc.Key, name) ||
			len(snap.ChannelsFor(name, sc.Key.Group)) == 0 {
			continue
		}
		out = append(out, name)
	}
	return out
}
