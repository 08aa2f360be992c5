package httpapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/openai"
	"github.com/keygate/keygate/internal/relay"
	"github.com/keygate/keygate/internal/usage"
)

// convertChat lets an OpenAI chat completions call be served by Anthropic
// and Gemini channels: the body is parsed into neutral form only if such a
// channel is tried, and the answer is rendered back as OpenAI JSON/chunks.
// body must be the client's original body (before the gateway added
// stream_options), so the usage chunk appears only if the client asked.
func (s *Server) convertChat(req *relay.Request, body []byte) {
	codec := &openai.Codec{Created: s.Now().Unix()}
	req.Codec = codec
	req.Convert = func() (*provider.ChatRequest, error) {
		c, err := openai.ParseChatRequest(body)
		if err == nil {
			codec.IncludeUsage = c.IncludeUsage
		}
		return c, err
	}
}

// relayCall admits, relays and settles one call of a native route exactly as
// the OpenAI routes do: the same limits, budgets, log fields and billing.
// est gives the route's output cap and choices; the prompt estimate is
// made here.
func (s *Server) relayCall(w http.ResponseWriter, r *http.Request, sc *Scope, m *catalog.Model, g *catalog.Group, req *relay.Request, est Estimate) error {
	est.InputTokens = EstimateInput(len(req.Body))
	if err := s.admit(r.Context(), sc, m, g, est); err != nil {
		return err
	}
	var res relay.Result
	req.AcceptLanguage = r.Header["Accept-Language"] // a map read; parsed only if a stream breaks
	rerr := s.Relay.Do(r.Context(), w, req, &res)
	sctx := context.WithoutCancel(r.Context())
	s.settle(sc, req, &res, m.Prices(), g.PriceMultiplier)
	s.settleAdmission(sctx, sc, sc.Log.CostUSD, sc.Log.InputTokens+sc.Log.OutputTokens)
	return rerr
}

// parseModelBody reads the members every native route needs, with the
// OpenAI routes' scanner (exact names, duplicates refused).
func parseModelBody(body []byte, needModel bool) (model string, stream bool, maxTokens int, err error) {
	var in inbound
	if err := parseInbound(body, &in); err != nil {
		return "", false, 0, bodyError(err, i18n.M("req.hint.json_body"))
	}
	if needModel && in.Model == "" {
		return "", false, 0, apierr.T(apierr.InvalidRequest, i18n.M("req.no_model"), i18n.M("req.no_model.hint")).WithParam("model")
	}
	return in.Model, in.Stream, max(in.MaxTokens, in.MaxOutputTokens, 0), nil
}

// baseJoin returns base + suffix as a string.
func baseJoin(suffix string) func(*url.URL, string) string {
	return func(base *url.URL, _ string) string { return base.String() + suffix }
}

// convertRoute sets up conversion for the OpenAI routes that have one.
func (s *Server) convertRoute(op string, req *relay.Request, body []byte) {
	switch op {
	case "chat":
		s.convertChat(req, body)
	case "responses":
		s.convertResponses(req, body)
	}
}

// convertResponses relays /v1/responses: passed through to OpenAI channels
// (watching the stream for response.completed and its usage), converted for
// Anthropic and Gemini channels (text, images, function tools, streaming).
func (s *Server) convertResponses(req *relay.Request, body []byte) {
	req.Native = &relay.Native{ChannelType: relay.TypeOpenAI, URL: baseJoin("/responses"), ModelInBody: true,
		NewDecoder: func() provider.Decoder { return &openai.ResponsesDecoder{} }, Usage: usage.FromJSON}
	codec := &openai.ResponsesCodec{Created: s.Now().Unix()}
	req.Convert = func() (*provider.ChatRequest, error) {
		codec.Namespaces = openai.Namespaces(body) // namespaced tool calls are rendered back as such
		return openai.ParseResponsesRequest(body)
	}
	req.Codec = codec
}
