package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/provider/gemini"
	"github.com/keygate/keygate/internal/relay"
	"github.com/keygate/keygate/internal/usage"
)

// Images from Gemini's image-output models: an OpenAI images request is
// sent as generateContent with responseModalities ["IMAGE"] (the prompt as
// text, an edit's images as inlineData parts), once per image asked for,
// and the inlineData images come back as b64_json with GPT-image-shaped
// usage (promptTokenCount, candidatesTokenCount). Gemini takes no mask and
// no streamed partial images.

// imageFile is an uploaded image of an edit.
type imageFile struct {
	mime string
	data []byte
}

// readImageFiles returns an edit's image files (not the mask).
func readImageFiles(body []byte, boundary string) ([]imageFile, error) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var out []imageFile
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, apierr.T(apierr.InvalidRequest, i18n.M("multipart.unreadable"), i18n.Message{}).WithCause(err)
		}
		if name := part.FormName(); part.FileName() == "" || name != "image" && name != "image[]" {
			continue
		}
		b, err := io.ReadAll(part)
		if err != nil {
			return nil, apierr.T(apierr.InvalidRequest, i18n.M("multipart.unreadable"), i18n.Message{}).WithCause(err)
		}
		ct := part.Header.Get("Content-Type")
		if ct == "" || ct == "application/octet-stream" {
			ct = http.DetectContentType(b)
		}
		out = append(out, imageFile{mime: ct, data: b})
	}
}

// geminiAspect maps an OpenAI size to Gemini's aspect ratio ("" = the
// model's default).
func geminiAspect(size string) string {
	switch size {
	case "1024x1024", "256x256", "512x512":
		return "1:1"
	case "1536x1024", "1792x1024":
		return "3:2"
	case "1024x1536", "1024x1792":
		return "2:3"
	}
	return ""
}

// geminiImageRequest is the generateContent body for one image (pure).
func geminiImageRequest(prompt, size string, files []imageFile) []byte {
	parts := []map[string]any{{"text": prompt}}
	for _, f := range files {
		parts = append(parts, map[string]any{"inlineData": map[string]string{"mimeType": f.mime, "data": base64.StdEncoding.EncodeToString(f.data)}})
	}
	cfg := map[string]any{"responseModalities": []string{"IMAGE"}}
	if a := geminiAspect(size); a != "" {
		cfg["imageConfig"] = map[string]string{"aspectRatio": a}
	}
	b, _ := json.Marshal(map[string]any{"contents": []any{map[string]any{"role": "user", "parts": parts}}, "generationConfig": cfg})
	return b
}

// geminiImageAnswer is the part of a generateContent answer read here.
type geminiImageAnswer struct {
	Candidates []struct {
		Content struct {
			Parts []struct {
				Text       string `json:"text"`
				InlineData *struct {
					MimeType string `json:"mimeType"`
					Data     string `json:"data"`
				} `json:"inlineData"`
			} `json:"parts"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
	} `json:"candidates"`
	PromptFeedback struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata struct {
		Prompt     int `json:"promptTokenCount"`
		Candidates int `json:"candidatesTokenCount"`
	} `json:"usageMetadata"`
}

// images returns the answer's images (base64) and why there are none.
func (a *geminiImageAnswer) images() (imgs []string, mime, why string) {
	for _, c := range a.Candidates {
		for _, p := range c.Content.Parts {
			if p.InlineData != nil && p.InlineData.Data != "" {
				imgs = append(imgs, p.InlineData.Data)
				mime = p.InlineData.MimeType
			}
		}
		if why == "" && c.FinishReason != "" && c.FinishReason != "STOP" {
			why = "finish reason " + c.FinishReason
		}
	}
	if a.PromptFeedback.BlockReason != "" {
		why = "the prompt was blocked (" + a.PromptFeedback.BlockReason + ")"
	}
	if why == "" {
		why = "the model answered without an image"
	}
	return imgs, mime, why
}

// geminiImageResult is what the calls produced, for the answer and the bill.
type geminiImageResult struct {
	images  []string
	mime    string
	in, out int
	channel string
	model   string
	tries   int
}

// callGeminiImages makes n images, one generateContent call each, trying
// the channels in order when one is unreachable, over its limits or
// failing; a refused credential disables the channel as on every route.
func (s *Server) callGeminiImages(ctx context.Context, chs []*catalog.Channel, model string, body []byte, n int) (*geminiImageResult, error) {
	res := &geminiImageResult{}
	for len(res.images) < n {
		var last error
		got := false
		for _, ch := range chs {
			if _, off := ch.Disabled(); off {
				continue
			}
			res.tries++
			up := ch.UpstreamModel(model)
			b, err := s.geminiImageCall(ctx, ch, up, body)
			if err != nil {
				last = err
				if ae, ok := err.(*apierr.Error); ok && ae.Code != apierr.UpstreamUnavailable && ae.Code != apierr.UpstreamAuthFailed {
					return res, err // the request itself was refused: another channel says the same
				}
				continue
			}
			var a geminiImageAnswer
			if err := json.Unmarshal(b, &a); err != nil {
				last = apierr.T(apierr.UpstreamError, i18n.M("req.the_upstream_s_answer_could"), i18n.M("retry.request")).WithCause(err)
				continue
			}
			imgs, mime, why := a.images()
			res.in += a.UsageMetadata.Prompt
			res.out += a.UsageMetadata.Candidates
			res.channel, res.model = ch.Name, up
			if len(imgs) == 0 {
				return res, apierr.T(apierr.InvalidRequest, i18n.M("req.the_upstream_made_no_image", i18n.S("why", why)), i18n.M("req.change_the_prompt_content_the.hint"))
			}
			res.images = append(res.images, imgs...)
			res.mime = mime
			got = true
			break
		}
		if !got {
			if last == nil {
				last = apierr.T(apierr.UpstreamUnavailable, i18n.M("req.no_enabled_channel_serves_this"), i18n.M("req.retry_shortly_the_operator_sees.hint"))
			}
			return res, last
		}
	}
	res.images = res.images[:n]
	return res, nil
}

// geminiImageCall sends one generateContent call and returns a 2xx body.
func (s *Server) geminiImageCall(ctx context.Context, ch *catalog.Channel, model string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, gemini.URL(ch.URL, model, "generateContent"), bytes.NewReader(body))
	if err != nil {
		return nil, apierr.T(apierr.Internal, i18n.M("relay.build_failed"), i18n.Message{}).WithCause(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "keygate")
	for k, v := range gemini.Header(provider.Credential{APIKey: ch.APIKey}) {
		req.Header[k] = v
	}
	resp, err := s.Relay.Client.Do(req)
	if err != nil {
		msg := err.Error()
		if ue, ok := err.(*url.Error); ok {
			msg = ue.Op + " " + ch.URL.Host + ": " + ue.Err.Error()
		}
		return nil, apierr.T(apierr.UpstreamUnavailable, i18n.M("req.the_upstream_for_this_model"), i18n.M("retry.shortly")).WithCause(fmt.Errorf("%s", provider.Scrub(msg, ch.APIKey)))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, apierr.T(apierr.UpstreamUnavailable, i18n.M("relay.cut_off"), i18n.M("retry.request")).WithCause(err)
	}
	words := strings.TrimSpace(provider.Scrub(string(b[:min(len(b), 500)]), ch.APIKey))
	switch {
	case resp.StatusCode == 401 || resp.StatusCode == 403:
		reason := fmt.Sprintf("upstream %s answered %d to the channel credential: %s", ch.Name, resp.StatusCode, words)
		if ch.Disable(reason) && s.Relay.OnChannelDisabled != nil {
			s.Relay.OnChannelDisabled(ch.Name, resp.StatusCode, reason)
		}
		return nil, apierr.T(apierr.UpstreamAuthFailed, i18n.M("req.image_auth_failed"), i18n.M("relay.auth_failed.hint"))
	case resp.StatusCode == 429 || resp.StatusCode >= 500:
		return nil, apierr.T(apierr.UpstreamUnavailable, i18n.M("req.the_upstream_for_this_model2", i18n.S("status_code", fmt.Sprint(resp.StatusCode))), i18n.M("video.failed.retry.hint"))
	case resp.StatusCode >= 300:
		return nil, apierr.T(apierr.InvalidRequest, i18n.M("req.the_upstream_refused_the_image", i18n.S("status_code", fmt.Sprint(resp.StatusCode)), i18n.S("words", fmt.Sprint(words))), i18n.Message{})
	}
	return b, nil
}

// geminiChannels keeps the Gemini channels.
func geminiChannels(chs []*catalog.Channel) []*catalog.Channel {
	var out []*catalog.Channel
	for _, c := range chs {
		if c.Type == relay.TypeGemini {
			out = append(out, c)
		}
	}
	return out
}

// geminiImages serves an image call from Gemini channels; admission is
// done, and the caller settles it.
func (s *Server) geminiImages(w http.ResponseWriter, r *http.Request, sc *Scope, p *imageParams, body []byte, boundary string,
	m *catalog.Model, mult float64, chs []*catalog.Channel) error {
	var files []imageFile
	if boundary != "" {
		var err error
		if files, err = readImageFiles(body, boundary); err != nil {
			return err
		}
	}
	res, err := s.callGeminiImages(r.Context(), chs, m.Name, geminiImageRequest(p.Prompt, p.Size, files), p.count())
	l := &sc.Log
	l.Channel, l.ModelServed, l.Attempts = res.channel, res.model, res.tries
	l.InputTokens, l.OutputTokens = res.in, res.out
	if len(res.images) > 0 || res.in+res.out > 0 {
		l.Charged = "yes"
		if m.BillsImagesPerImage() {
			l.CostUSD = roundUSD(float64(len(res.images)) * m.ImagePrice(p.Size, p.Quality) * multOr1(mult))
		} else {
			l.CostUSD = usage.Cost(usage.Usage{InputTokens: res.in, OutputTokens: res.out}, m.Prices(), mult)
		}
	}
	if err != nil && len(res.images) == 0 {
		return err
	}
	if err != nil {
		// Some images were made before a failure: they are answered and
		// billed rather than thrown away.
		l.FailureReason = truncate(fmt.Sprintf("%d of %d images made: %v", len(res.images), p.count(), err), 500)
	}
	format := strings.TrimPrefix(res.mime, "image/")
	data := make([]map[string]string, len(res.images))
	for i, img := range res.images {
		data[i] = map[string]string{"b64_json": img}
	}
	writeJSON(w, http.StatusOK, map[string]any{"created": s.Now().Unix(), "data": data, "output_format": format,
		"usage": map[string]any{"input_tokens": res.in, "output_tokens": res.out, "total_tokens": res.in + res.out,
			"input_tokens_details": map[string]int{"text_tokens": res.in, "image_tokens": 0}}})
	return nil
}
