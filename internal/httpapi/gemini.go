package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/credential"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/gemini"
	"github.com/keygate/keygate/internal/provider/registry"
	"github.com/keygate/keygate/internal/relay"
	"github.com/keygate/keygate/internal/usage"
)

// geminiMethods are the Gemini methods this gateway serves.
const geminiMethods = "generateContent, streamGenerateContent, countTokens, embedContent and batchEmbedContents"

// geminiCall serves POST /v1beta/models/{model}:{method}, the gateway key
// in x-goog-api-key (or ?key=).
func (s *Server) geminiCall(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "chat"
	model, method, ok := strings.Cut(r.PathValue("call"), ":")
	if !ok || model == "" {
		return apierr.T(apierr.UnknownEndpoint, i18n.M("gemini.not_method_path", i18n.S("path", r.URL.Path)), i18n.M("gemini.not_method_path.hint"))
	}
	switch method {
	case "generateContent", "streamGenerateContent":
		return s.geminiGenerate(w, r, sc, model, method)
	case "countTokens":
		return s.geminiCountTokens(w, r, sc, model)
	case "embedContent", "batchEmbedContents":
		return s.geminiEmbed(w, r, sc, model, method)
	}
	return apierr.T(apierr.UnknownEndpoint, i18n.M("gemini.unknown_method", i18n.Q("method", method)),
		i18n.M("gemini.unknown_method.hint", i18n.S("methods", geminiMethods)))
}

// geminiBody authenticates, reads the body and authorizes the model.
func (s *Server) geminiBody(w http.ResponseWriter, r *http.Request, sc *Scope, model string) (*bytes.Buffer, *catalog.Model, *catalog.Group, []*catalog.Channel, error) {
	if err := s.authenticate(r, sc, credential.Gemini); err != nil {
		return nil, nil, nil, nil, err
	}
	buf, err := s.readBody(w, r)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if !json.Valid(buf.Bytes()) {
		var v any
		err := json.Unmarshal(buf.Bytes(), &v)
		bodyPool.Put(buf)
		return nil, nil, nil, nil, apierr.T(apierr.InvalidRequest, i18n.M("req.not_json", i18n.S("detail", jsonErr(err))),
			i18n.M("req.send_json")).WithCause(err)
	}
	sc.Log.Model = model
	m, g, chs, err := s.authorizeModel(sc, model)
	if err != nil {
		bodyPool.Put(buf)
		return nil, nil, nil, nil, err
	}
	return buf, m, g, chs, nil
}

// geminiGenerate serves :generateContent and :streamGenerateContent (with
// ?alt=sse for SSE, without it one JSON array). Gemini channels get the
// body as it is; others get it converted and the answer rendered back as
// GenerateContentResponse.
func (s *Server) geminiGenerate(w http.ResponseWriter, r *http.Request, sc *Scope, model, method string) error {
	stream := method == "streamGenerateContent"
	sc.Log.Stream = stream
	buf, m, g, chs, err := s.geminiBody(w, r, sc, model)
	if err != nil {
		return err
	}
	defer bodyPool.Put(buf)
	body := buf.Bytes()
	gin, err := parseGemini(body)
	if err != nil {
		return bodyError(err, i18n.M("req.hint.gemini_body"))
	}
	sse := r.URL.Query().Get("alt") == "sse"
	req := relay.Request{Body: body, Model: m.Name, BodyModel: model, Stream: stream, Channels: chs,
		Route: r.URL.Path, DefaultMaxTokens: m.MaxOutput,
		Native: &relay.Native{ChannelType: relay.TypeGemini, ModelInBody: false,
			URL: func(base *url.URL, model string) string {
				u := gemini.URL(base, model, method)
				if sse {
					u += "?alt=sse"
				}
				return u
			},
			NewDecoder: func() provider.Decoder { return &gemini.StreamDecoder{} },
			Usage:      gemini.ParseUsage},
		Convert: func() (*provider.ChatRequest, error) { return gemini.ParseRequest(model, body, stream) },
		Codec:   gemini.Codec{Array: stream && !sse}}
	return s.relayCall(w, r, sc, m, g, &req, Estimate{MaxOutput: gin.MaxOutputTokens, Choices: gin.choices(), CapName: "generationConfig.maxOutputTokens"})
}

// ofType returns the channels of type typ.
func ofType(chs []*catalog.Channel, typ string) []*catalog.Channel {
	var out []*catalog.Channel
	for _, c := range chs {
		t := c.Type
		if t == "" {
			t = relay.TypeOpenAI
		}
		if t == typ {
			out = append(out, c)
		}
	}
	return out
}

// geminiCountTokens serves :countTokens: forwarded to the model's Gemini
// channel when it has one, estimated otherwise; the Keygate-Token-Count
// header says which. It costs nothing.
func (s *Server) geminiCountTokens(w http.ResponseWriter, r *http.Request, sc *Scope, model string) error {
	sc.Log.RequestType = "count_tokens"
	buf, m, g, chs, err := s.geminiBody(w, r, sc, model)
	if err != nil {
		return err
	}
	defer bodyPool.Put(buf)
	body := buf.Bytes()
	if t, _ := registry.Lookup(relay.TypeGemini); t.Caps.CountTokens && len(ofType(chs, relay.TypeGemini)) > 0 {
		native := ofType(chs, relay.TypeGemini)
		w.Header().Set(TokenCountHeader, "upstream")
		req := relay.Request{Body: body, Model: m.Name, BodyModel: model, Channels: native, Route: r.URL.Path,
			Native: &relay.Native{ChannelType: relay.TypeGemini,
				URL:   func(base *url.URL, model string) string { return gemini.URL(base, model, "countTokens") },
				Usage: func([]byte) (usage.Usage, bool) { return usage.Usage{}, true }}}
		return s.relayCall(w, r, sc, m, g, &req, Estimate{NoOutput: true})
	}
	// countTokens takes {"contents": …} or {"generateContentRequest": {…}}.
	var wrapped struct {
		GenerateContentRequest json.RawMessage `json:"generateContentRequest"`
	}
	if json.Unmarshal(body, &wrapped) == nil && len(wrapped.GenerateContentRequest) > 0 {
		body = wrapped.GenerateContentRequest
	}
	cr, err := gemini.ParseRequest(model, body, false)
	if err != nil {
		return convertErr(err)
	}
	w.Header().Set(TokenCountHeader, "estimate")
	writeJSON(w, 200, map[string]int{"totalTokens": estimateChatTokens(cr)})
	return nil
}

// geminiEmbed serves :embedContent and :batchEmbedContents: passed through
// to Gemini channels, converted to /v1/embeddings for OpenAI-compatible
// ones (the vectors come back as {"embedding":{"values"}} or
// {"embeddings":[…]}).
func (s *Server) geminiEmbed(w http.ResponseWriter, r *http.Request, sc *Scope, model, method string) error {
	sc.Log.RequestType = "embeddings"
	buf, m, g, chs, err := s.geminiBody(w, r, sc, model)
	if err != nil {
		return err
	}
	defer bodyPool.Put(buf)
	body := buf.Bytes()
	if native := ofType(chs, relay.TypeGemini); len(native) > 0 {
		req := relay.Request{Body: body, Model: m.Name, BodyModel: model, Channels: native, Route: r.URL.Path,
			Native: &relay.Native{ChannelType: relay.TypeGemini,
				URL:   func(base *url.URL, model string) string { return gemini.URL(base, model, method) },
				Usage: func(b []byte) (usage.Usage, bool) { return usage.Usage{}, false }}}
		return s.relayCall(w, r, sc, m, g, &req, Estimate{NoOutput: true})
	}
	compat := ofType(chs, relay.TypeOpenAI)
	if len(compat) == 0 {
		return apierr.T(apierr.InvalidRequest, i18n.M("gemini.embed_model", i18n.Q("model", model)), i18n.M("gemini.embed_model.hint"))
	}
	texts, err := geminiEmbedTexts(body, method == "batchEmbedContents")
	if err != nil {
		return err
	}
	ob, _ := json.Marshal(map[string]any{"model": model, "input": texts})
	rec := &captureWriter{header: http.Header{}}
	req := relay.Request{Path: "/embeddings", Body: ob, Model: m.Name, BodyModel: model, Channels: compat, Route: r.URL.Path}
	if err := s.relayCall(rec, r, sc, m, g, &req, Estimate{NoOutput: true}); err != nil {
		return err
	}
	if rec.status >= 300 {
		return apierr.T(apierr.InvalidRequest, i18n.M("gemini.embed_rejected", i18n.S("detail", rec.body.String())), i18n.Message{})
	}
	var oa struct {
		Data []struct {
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(rec.body.Bytes(), &oa); err != nil || len(oa.Data) != len(texts) {
		return apierr.T(apierr.UpstreamError, i18n.M("gemini.embed_unreadable"), i18n.M("retry.request"))
	}
	vals := make([]map[string][]float64, len(oa.Data))
	for i, d := range oa.Data {
		vals[i] = map[string][]float64{"values": d.Embedding}
	}
	if method == "batchEmbedContents" {
		writeJSON(w, 200, map[string]any{"embeddings": vals})
	} else {
		writeJSON(w, 200, map[string]any{"embedding": vals[0]})
	}
	return nil
}

// geminiEmbedTexts reads the text of each EmbedContentRequest.
func geminiEmbedTexts(body []byte, batch bool) ([]string, error) {
	type content struct {
		Parts []struct {
			Text string `json:"text"`
		} `json:"parts"`
	}
	type one struct {
		Content *content `json:"content"`
	}
	var in struct {
		one
		Requests []one `json:"requests"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, apierr.T(apierr.InvalidRequest, i18n.M("gemini.not_embed_request", i18n.S("detail", jsonErr(err))), i18n.Message{}).WithCause(err)
	}
	items := []one{in.one}
	if batch {
		items = in.Requests
	}
	if len(items) == 0 {
		return nil, apierr.T(apierr.InvalidRequest, i18n.M("gemini.no_requests"), i18n.M("gemini.no_requests.hint")).WithParam("requests")
	}
	texts := make([]string, len(items))
	for i, it := range items {
		if it.Content == nil {
			return nil, apierr.T(apierr.InvalidRequest, i18n.M("gemini.no_content", i18n.N("n", i)), i18n.M("gemini.no_content.hint")).WithParam("content")
		}
		var b strings.Builder
		for _, p := range it.Content.Parts {
			b.WriteString(p.Text)
		}
		texts[i] = b.String()
	}
	return texts, nil
}

// captureWriter keeps a relayed answer the handler converts before sending.
type captureWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *captureWriter) Header() http.Header { return c.header }
func (c *captureWriter) WriteHeader(s int) {
	if c.status == 0 {
		c.status = s
	}
}
func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = 200
	}
	return c.body.Write(b)
}

// geminiModel is a Model resource of Google's API.
type geminiModel struct {
	Name                       string   `json:"name"`
	BaseModelID                string   `json:"baseModelId"`
	Version                    string   `json:"version"`
	DisplayName                string   `json:"displayName"`
	InputTokenLimit            int      `json:"inputTokenLimit,omitempty"`
	OutputTokenLimit           int      `json:"outputTokenLimit,omitempty"`
	SupportedGenerationMethods []string `json:"supportedGenerationMethods"`
}

func geminiModelOf(m *catalog.Model) geminiModel {
	methods := []string{"generateContent", "streamGenerateContent", "countTokens"}
	if m.InputPerMTok > 0 && m.OutputPerMTok == 0 || strings.Contains(m.Name, "embed") {
		methods = []string{"embedContent", "batchEmbedContents", "countTokens"}
	}
	return geminiModel{Name: "models/" + m.Name, BaseModelID: m.Name, Version: "keygate", DisplayName: m.Name,
		OutputTokenLimit: m.MaxOutput, SupportedGenerationMethods: methods}
}

// geminiListModels serves GET /v1beta/models: the models the key may use,
// as Google lists them ({"models":[{"name":"models/…"}]}).
func (s *Server) geminiListModels(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "models"
	if err := s.authenticate(r, sc, credential.Gemini); err != nil {
		return err
	}
	snap := s.Catalog.Snapshot()
	out := []geminiModel{}
	for _, name := range s.visibleModels(sc) {
		if m, ok := snap.Model(name); ok {
			out = append(out, geminiModelOf(m))
		}
	}
	writeJSON(w, 200, map[string]any{"models": out})
	return nil
}

// geminiGetModel serves GET /v1beta/models/{model}.
func (s *Server) geminiGetModel(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "models"
	if err := s.authenticate(r, sc, credential.Gemini); err != nil {
		return err
	}
	name := strings.TrimPrefix(r.PathValue("model"), "models/")
	sc.Log.Model = name
	m, _, _, err := s.authorizeModel(sc, name)
	if err != nil {
		return err
	}
	writeJSON(w, 200, geminiModelOf(m))
	return nil
}
