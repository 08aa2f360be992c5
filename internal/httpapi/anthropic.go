package httpapi

import (
	"net/http"

	"github.com/keygate/keygate/internal/credential"
	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/anthropic"
	"github.com/keygate/keygate/internal/relay"
	"github.com/keygate/keygate/internal/usage"
)

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
	var fwd http.Header
	if v := r.Header.Values("Anthropic-Beta"); len(v) > 0 {
		fwd = http.Header{"Anthropic-Beta": v}
	}
	req := relay.Request{Body: body, Model: m.Name, BodyModel: model, Stream: stream, Channels: chs,
		Route: "/v1/messages", DefaultMaxTokens: m.MaxOutput,
		Native: &relay.Native{ChannelType: relay.TypeAnthropic, URL: baseJoin("/messages"), ModelInBody: true, Header: fwd,
			NewDecoder: func() provider.Decoder { return &anthropic.StreamDecoder{} },
			Usage:      anthropicUsage},
		Convert: func() (*provider.ChatRequest, error) { return anthropic.ParseRequest(body) },
		Codec:   anthropic.Codec{}}
	return s.relayCall(w, r, sc, m, g, &req, Estimate{MaxOutput: maxTokens})
}

func anthropicUsage(b []byte) (usage.Usage, bool) {
	r, err := anthropic.ParseResponse(b)
	if err != nil {
		return usage.Usage{}, false
	}
	return r.Usage, r.Usage.HasTokens()
}
