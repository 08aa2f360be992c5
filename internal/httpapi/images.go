package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/credential"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/jsonscan"
	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/relay"
	"github.com/keygate/keygate/internal/usage"
)

// Images are synchronous costly generation: POST /v1/images/generations
// (JSON) and POST /v1/images/edits (multipart), in OpenAI's shape, passed
// through to OpenAI-compatible channels. A model with per_image (or an
// image_prices table) is billed per image by size and quality; any other
// by the tokens the upstream reports (GPT-image usage). Before the call the
// worst case of n images is reserved against the budgets.

// maxImages is OpenAI's upper bound of n.
const maxImages = 10

// imageMaxOutputTokens bounds one image's output tokens for the
// reservation of a token-billed model without max_output_tokens: GPT-image
// bills at most about 6,240 tokens for one high-quality 1536×1024 image.
const imageMaxOutputTokens = 6240

// imageParams are the fields the gateway reads; everything else passes
// through untouched.
type imageParams struct {
	Model   string `json:"model"`
	Prompt  string `json:"prompt"`
	N       *int   `json:"n"`
	Size    string `json:"size"`
	Quality string `json:"quality"`
	Stream  bool   `json:"stream"`
}

// imageNames are imageParams' members: each given once and spelled exactly,
// so encoding/json reads them as the upstream does.
var imageNames = []string{"model", "prompt", "n", "size", "quality", "stream"}

func (p *imageParams) count() int {
	if p.N == nil {
		return 1
	}
	return *p.N
}

func (s *Server) imageGenerations(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "images"
	if err := s.authenticate(r, sc, credential.OpenAI); err != nil {
		return err
	}
	buf, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	defer bodyPool.Put(buf)
	if err := refuseAmbiguous(buf.Bytes(), imageNames); err != nil {
		return bodyError(err, i18n.M("req.hint.images_body"))
	}
	var p imageParams
	if err := json.Unmarshal(buf.Bytes(), &p); err != nil {
		return apierr.T(apierr.InvalidRequest, i18n.M("req.not_json", i18n.S("detail", jsonErr(err))), i18n.M("req.hint.images_body")).WithCause(err)
	}
	return s.images(w, r, sc, &p, buf.Bytes(), "", "/images/generations")
}

func (s *Server) imageEdits(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "images"
	if err := s.authenticate(r, sc, credential.OpenAI); err != nil {
		return err
	}
	ct, ps, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" || ps["boundary"] == "" {
		return apierr.T(apierr.InvalidRequest, i18n.M("image.bad_content_type", i18n.Q("type", r.Header.Get("Content-Type"))),
			i18n.M("image.bad_content_type.hint"))
	}
	buf, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	defer bodyPool.Put(buf)
	p, images, err := readImageForm(buf.Bytes(), ps["boundary"])
	if err != nil {
		return err
	}
	if images == 0 {
		return apierr.T(apierr.InvalidRequest, i18n.M("image.no_image"), i18n.Message{}).WithParam("image")
	}
	return s.images(w, r, sc, p, buf.Bytes(), ps["boundary"], "/images/edits")
}

// readImageForm reads the fields of a multipart body the gateway needs,
// and counts the image files; the body itself is passed on as it is.
func readImageForm(body []byte, boundary string) (*imageParams, int, error) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var p imageParams
	images := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, apierr.T(apierr.InvalidRequest, i18n.M("multipart.unreadable_detail", i18n.S("detail", err.Error())),
				i18n.M("multipart.unreadable_detail.hint")).WithCause(err)
		}
		name := part.FormName()
		if part.FileName() != "" {
			if name == "image" || name == "image[]" {
				images++
			}
			continue
		}
		v, err := io.ReadAll(io.LimitReader(part, 64<<10))
		if err != nil {
			return nil, 0, apierr.T(apierr.InvalidRequest, i18n.M("multipart.unreadable"), i18n.Message{}).WithCause(err)
		}
		val := string(v)
		switch name {
		case "model":
			p.Model = val
		case "prompt":
			p.Prompt = val
		case "size":
			p.Size = val
		case "quality":
			p.Quality = val
		case "stream":
			p.Stream = val == "true"
		case "n":
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil {
				return nil, 0, apierr.T(apierr.InvalidRequest, i18n.M("image.bad_n", i18n.Q("value", val)), i18n.Message{}).WithParam("n")
			}
			p.N = &n
		}
	}
	return &p, images, nil
}

// images serves one image call: checks, reservation, relay, settlement.
// boundary is the multipart boundary of an edit ("" for JSON).
func (s *Server) images(w http.ResponseWriter, r *http.Request, sc *Scope, p *imageParams, body []byte, boundary, path string) error {
	if p.Model == "" {
		return apierr.T(apierr.InvalidRequest, i18n.M("req.no_model"), i18n.M("image.no_model.hint")).WithParam("model")
	}
	sc.Log.Model, sc.Log.Stream = p.Model, p.Stream
	if strings.TrimSpace(p.Prompt) == "" {
		return apierr.T(apierr.InvalidRequest, i18n.M("image.no_prompt"), i18n.Message{}).WithParam("prompt")
	}
	n := p.count()
	if n < 1 || n > maxImages {
		return apierr.T(apierr.InvalidRequest, i18n.M("image.too_many", i18n.N("n", n), i18n.N("max", maxImages)), i18n.M("image.too_many.hint")).WithParam("n")
	}
	m, g, chs, err := s.authorizeModel(sc, p.Model) // refuses a key not scoped to images
	if err != nil {
		return err
	}
	var gem []*catalog.Channel
	if oa := openAIChannels(chs); len(oa) > 0 {
		chs = oa
	} else if gem = geminiChannels(chs); len(gem) == 0 {
		return apierr.T(apierr.InvalidRequest, i18n.M("image.openai_only", i18n.Q("model", m.Name), i18n.S("route", "/v1"+path)),
			i18n.M("image.openai_only.hint"))
	} else if p.Stream {
		return apierr.T(apierr.InvalidRequest, i18n.M("image.gemini_no_stream", i18n.Q("model", m.Name)), i18n.M("image.gemini_no_stream.hint")).WithParam("stream")
	}
	mult := 0.0
	if g != nil {
		mult = g.PriceMultiplier
	}
	perImage := m.BillsImagesPerImage()
	est := Estimate{InputTokens: EstimateInput(len(body)), MaxOutput: n * imageMaxOutputTokens}
	if m.MaxOutput > 0 {
		est.MaxOutput = n * m.MaxOutput
	}
	if perImage {
		est.MaxOutput = 0
		est.NoOutput = true
		est.ReserveUSD = roundUSD(float64(n) * m.ImagePrice(p.Size, p.Quality) * multOr1(mult))
	}
	if len(gem) > 0 {
		if err := s.admit(r.Context(), sc, m, g, est); err != nil {
			return err
		}
		err := s.geminiImages(w, r, sc, p, body, boundary, m, mult, gem) // images_gemini.go
		s.settleAdmission(context.WithoutCancel(r.Context()), sc, sc.Log.CostUSD, sc.Log.InputTokens+sc.Log.OutputTokens)
		return err
	}
	req := relay.Request{Path: path, Body: body, Model: m.Name, BodyModel: p.Model, Stream: p.Stream, Channels: chs, Route: "/v1" + path}
	var count imageCount
	req.Native = &relay.Native{ChannelType: relay.TypeOpenAI, ModelInBody: boundary == "",
		Usage:      count.fromBody,
		NewDecoder: func() provider.Decoder { count = imageCount{}; return &count }}
	if boundary != "" {
		// A multipart body carries the model as a field: rebuild it once
		// for the channels' own model name, and keep only the channels that
		// use that name.
		up := chs[0].UpstreamModel(m.Name)
		var same []*catalog.Channel
		for _, c := range chs {
			if c.UpstreamModel(m.Name) == up {
				same = append(same, c)
			}
		}
		req.Channels = same
		if up != p.Model {
			b, err := setFormField(body, boundary, "model", up)
			if err != nil {
				return err
			}
			req.Body = b
		}
		req.Native.Header = http.Header{"Content-Type": {"multipart/form-data; boundary=" + boundary}}
	}
	if err := s.admit(r.Context(), sc, m, g, est); err != nil {
		return err
	}
	var res relay.Result
	rerr := s.Relay.Do(r.Context(), w, &req, &res)
	s.settle(sc, &req, &res, m.Prices(), mult)
	if sc.Log.Charged == "yes" {
		if perImage {
			made := count.images
			if made == 0 && !res.HasUsage {
				made = n // an answer we could not count: bill what was asked
			}
			sc.Log.CostUSD = roundUSD(float64(made) * m.ImagePrice(p.Size, p.Quality) * multOr1(mult))
		} else if !res.HasUsage {
			// No usage reported: bill the reserved worst case of what was
			// produced rather than nothing, and say it was estimated.
			sc.Log.OutputTokens = max(count.images, 1) * imageMaxOutputTokens
			sc.Log.CostUSD = usage.Cost(usage.Usage{InputTokens: sc.Log.InputTokens, OutputTokens: sc.Log.OutputTokens},
				usage.Prices{InputPerMTok: m.InputPerMTok, OutputPerMTok: m.OutputPerMTok}, mult)
		}
	}
	s.settleAdmission(context.WithoutCancel(r.Context()), sc, sc.Log.CostUSD, sc.Log.InputTokens+sc.Log.OutputTokens)
	return rerr
}

func multOr1(m float64) float64 {
	if m == 0 {
		return 1
	}
	return m
}

func roundUSD(v float64) float64 { return math.Round(v*1e8) / 1e8 }

func openAIChannels(chs []*catalog.Channel) []*catalog.Channel {
	if allOpenAI(chs) {
		return chs
	}
	var out []*catalog.Channel
	for _, c := range chs {
		if c.Type == "" || c.Type == relay.TypeOpenAI {
			out = append(out, c)
		}
	}
	return out
}

// imageCount watches an image answer: how many images it holds and the
// usage it reports. As a stream decoder it counts *.completed events; the
// last usage seen is the call's (OpenAI sends it on the completed event).
type imageCount struct {
	images int
	done   bool
	u      usage.Usage
	hasU   bool
}

// fromBody reads a complete JSON answer: the entries of its top-level
// "data" array and its usage.
func (c *imageCount) fromBody(b []byte) (usage.Usage, bool) {
	c.images = 0
	i := jsonscan.Space(b, 0)
	jsonscan.Members(b, i, func(key, val []byte) bool {
		if string(key) != "data" || len(val) == 0 || val[0] != '[' {
			return true
		}
		j := jsonscan.Space(val, 1)
		for j < len(val) && val[j] != ']' {
			e, ok := jsonscan.Value(val, j)
			if !ok {
				return false
			}
			c.images++
			j = jsonscan.Space(val, e)
			if j < len(val) && val[j] == ',' {
				j = jsonscan.Space(val, j+1)
			}
		}
		return true
	})
	return usage.FromJSON(b)
}

func (c *imageCount) Decode(event string, data []byte) (*provider.ChatChunk, error) {
	typ := event
	if typ == "" {
		var t struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(data, &t)
		typ = t.Type
	}
	if strings.HasSuffix(typ, ".completed") {
		c.images++
		c.done = true
		if u, ok := usage.FromJSON(data); ok {
			c.u, c.hasU = u, true
		}
	}
	return nil, nil
}

func (c *imageCount) Done() bool { return c.done }

func (c *imageCount) Usage() (provider.Usage, bool) {
	return provider.Usage{InputTokens: c.u.InputTokens, OutputTokens: c.u.OutputTokens}, c.hasU
}

// setFormField returns body with the named text field's value replaced,
// every other part copied byte for byte.
func setFormField(body []byte, boundary, name, value string) ([]byte, error) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var out bytes.Buffer
	mw := multipart.NewWriter(&out)
	if err := mw.SetBoundary(boundary); err != nil {
		return nil, apierr.T(apierr.InvalidRequest, i18n.M("multipart.boundary"), i18n.Message{}).WithCause(err)
	}
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, apierr.T(apierr.InvalidRequest, i18n.M("multipart.unreadable"), i18n.Message{}).WithCause(err)
		}
		h := textproto.MIMEHeader{}
		for k, v := range part.Header {
			h[k] = v
		}
		pw, err := mw.CreatePart(h)
		if err != nil {
			return nil, apierr.T(apierr.Internal, i18n.M("multipart.rewrite"), i18n.Message{}).WithCause(err)
		}
		if part.FormName() == name && part.FileName() == "" {
			_, err = io.WriteString(pw, value)
		} else {
			_, err = io.Copy(pw, part)
		}
		if err != nil {
			return nil, apierr.T(apierr.InvalidRequest, i18n.M("multipart.unreadable"), i18n.Message{}).WithCause(err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, apierr.T(apierr.Internal, i18n.M("multipart.rewrite"), i18n.Message{}).WithCause(err)
	}
	return out.Bytes(), nil
}

// RequestTypes are the request types a key may be scoped to
// (request_types); a key with none may make all of them.
var RequestTypes = []string{"chat", "embeddings", "images", "videos"}

// requestTypeOf maps a request log's request type to the scope it needs
// ("" for what every key may do: listing models).
func requestTypeOf(rt string) string {
	switch rt {
	case "embeddings", "images", "videos":
		return rt
	case "videos.read":
		return "videos"
	case "models":
		return ""
	}
	return "chat" // chat, completion, responses, count_tokens
}

// allowRequestType refuses a key scoped to other request types.
func (s *Server) allowRequestType(sc *Scope, typ string) error {
	k := sc.Key
	if typ == "" || len(k.RequestTypes) == 0 || slices.Contains(k.RequestTypes, typ) {
		return nil
	}
	return apierr.T(apierr.ModelNotAllowed,
		i18n.M("key.request_type", i18n.S("key", k.Display), i18n.S("type", typ), i18n.S("types", strings.Join(k.RequestTypes, ", "))),
		i18n.M("key.request_type.hint", i18n.S("type", typ), i18n.Q("quoted", typ)))
}
