package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/credential"
	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/gemini"
	"github.com/keygate/keygate/internal/relay"
)

// geminiGenerate serves Gemini-native POST
// /v1beta/models/{model}:generateContent and :streamGenerateContent (with
// ?alt=sse for SSE, without it one JSON array), the gateway key in
// x-goog-api-key. Gemini channels get the body as it is; others get it
// converted and the answer rendered back as GenerateContentResponse.
func (s *Server) geminiGenerate(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "chat"
	call := r.PathValue("call")
	model, method, ok := strings.Cut(call, ":")
	if !ok || model == "" {
		return apierr.New(apierr.UnknownEndpoint, fmt.Sprintf("%s is not a Gemini method path.", r.URL.Path),
			"Use POST /v1beta/models/MODEL:generateContent or /v1beta/models/MODEL:streamGenerateContent?alt=sse.")
	}
	var stream bool
	switch method {
	case "generateContent":
	case "streamGenerateContent":
		stream = true
	default:
		return apierr.New(apierr.UnknownEndpoint, fmt.Sprintf("Gemini method %q is not served by this gateway.", method),
			"This gateway serves generateContent and streamGenerateContent.")
	}
	if err := s.authenticate(r, sc, credential.Gemini); err != nil {
		return err
	}
	buf, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	defer bodyPool.Put(buf)
	body := buf.Bytes()
	gin, err := parseGemini(body)
	if err != nil {
		return bodyError(err, "Send a GenerateContentRequest JSON object with Content-Type: application/json.")
	}
	sc.Log.Model, sc.Log.Stream = model, stream
	m, g, chs, err := s.authorizeModel(sc, model)
	if err != nil {
		return err
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
