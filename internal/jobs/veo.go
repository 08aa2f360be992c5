package jobs

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/store"
)

// Veo is the adapter of Gemini's Veo models: POST
// models/{model}:predictLongRunning below the channel's base URL (…/v1beta)
// answers an operation {"name": "models/…/operations/…"}; GET {name} polls
// it until "done", with the video's URI in
// response.generateVideoResponse.generatedSamples[0].video.uri (or an
// "error"). The URI is fetched with the channel's credential only when it
// is on the channel's own host. Gemini has no cancel for these operations,
// so Cancel only forgets the job.
type Veo struct {
	HTTP *http.Client
}

var _ Adapter = (*Veo)(nil)

type veoOperation struct {
	Name     string `json:"name"`
	Done     bool   `json:"done"`
	Metadata struct {
		Progress int `json:"progressPercent"`
	} `json:"metadata"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
	} `json:"error"`
	Response struct {
		GenerateVideoResponse struct {
			GeneratedSamples []struct {
				Video struct {
					URI string `json:"uri"`
				} `json:"video"`
			} `json:"generatedSamples"`
			RAIMediaFilteredCount   int      `json:"raiMediaFilteredCount"`
			RAIMediaFilteredReasons []string `json:"raiMediaFilteredReasons"`
		} `json:"generateVideoResponse"`
	} `json:"response"`
}

func (v *Veo) do(ctx context.Context, ch *catalog.Channel, method, u string, body []byte) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, &UpstreamError{Message: err.Error()}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "keygate")
	if ch.APIKey != "" && sameHost(u, ch) {
		req.Header.Set("X-Goog-Api-Key", ch.APIKey)
	}
	resp, err := v.HTTP.Do(req)
	if err != nil {
		return nil, &UpstreamError{Message: scrubErr(err, ch)}
	}
	return resp, nil
}

func sameHost(u string, ch *catalog.Channel) bool {
	p, err := url.Parse(u)
	return err == nil && p.Scheme == ch.URL.Scheme && p.Host == ch.URL.Host
}

// googleErr reads Google's {"error":{"code","message","status"}}.
func googleErr(resp *http.Response, ch *catalog.Channel) error {
	snippet := readSnippet(resp.Body, ch.APIKey)
	ue := &UpstreamError{Status: resp.StatusCode, Message: snippet, RetryAfter: retryAfter(resp.Header)}
	var e struct {
		Error struct {
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(snippet), &e) == nil && e.Error.Message != "" {
		ue.Message, ue.Code = e.Error.Message, e.Error.Status
	}
	return ue
}

// veoAspect maps an OpenAI size to Veo's aspect ratio and resolution.
func veoAspect(size string) (aspect, resolution string) {
	w, h, ok := strings.Cut(size, "x")
	if !ok {
		return "", ""
	}
	aspect = "16:9"
	if len(w) < len(h) || len(w) == len(h) && w < h {
		aspect = "9:16"
	}
	resolution = "720p"
	if strings.Contains(size, "1080") || strings.Contains(size, "1920") {
		resolution = "1080p"
	}
	return aspect, resolution
}

// Submit implements Adapter.
func (v *Veo) Submit(ctx context.Context, ch *catalog.Channel, j *store.Job, p *Params) (Status, error) {
	inst := map[string]any{"prompt": p.Prompt}
	if ref := p.InputReference; ref != nil && len(ref.Data) > 0 {
		inst["image"] = map[string]any{"bytesBase64Encoded": base64.StdEncoding.EncodeToString(ref.Data), "mimeType": ref.ContentType}
	}
	params := map[string]any{}
	if p.Seconds > 0 {
		params["durationSeconds"] = p.Seconds
	}
	if a, r := veoAspect(p.Size); a != "" {
		params["aspectRatio"], params["resolution"] = a, r
	}
	body, _ := json.Marshal(map[string]any{"instances": []any{inst}, "parameters": params})
	u := ch.URL.String() + "/models/" + url.PathEscape(j.UpstreamModel) + ":predictLongRunning"
	resp, err := v.do(ctx, ch, http.MethodPost, u, body)
	if err != nil {
		return Status{}, err
	}
	return v.operation(resp, ch)
}

func (v *Veo) operation(resp *http.Response, ch *catalog.Channel) (Status, error) {
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return Status{}, googleErr(resp, ch)
	}
	var op veoOperation
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&op); err != nil || op.Name == "" {
		return Status{}, &UpstreamError{Status: 502, Message: "the upstream's operation could not be read"}
	}
	st := Status{UpstreamID: op.Name, State: "in_progress", Progress: op.Metadata.Progress, RetryAfter: retryAfter(resp.Header)}
	if !op.Done {
		return st, nil
	}
	gv := op.Response.GenerateVideoResponse
	switch {
	case op.Error != nil:
		st.State, st.ErrorCode, st.ErrorMsg = "failed", strings.ToLower(op.Error.Status), op.Error.Message
		if st.ErrorCode == "" {
			st.ErrorCode = "generation_failed"
		}
	case len(gv.GeneratedSamples) == 0 || gv.GeneratedSamples[0].Video.URI == "":
		st.State, st.ErrorCode, st.ErrorMsg = "failed", "content_policy_violation", "The upstream produced no video"
		if len(gv.RAIMediaFilteredReasons) > 0 {
			st.ErrorMsg += ": " + strings.Join(gv.RAIMediaFilteredReasons, "; ")
		}
	default:
		st.State, st.Progress = "completed", 100
	}
	return st, nil
}

// Poll implements Adapter.
func (v *Veo) Poll(ctx context.Context, ch *catalog.Channel, j *store.Job) (Status, error) {
	resp, err := v.do(ctx, ch, http.MethodGet, ch.URL.String()+"/"+strings.TrimPrefix(j.UpstreamID, "/"), nil)
	if err != nil {
		return Status{}, err
	}
	return v.operation(resp, ch)
}

// Content implements Adapter: the operation is read again for the video's
// URI, which is then fetched. Veo makes no thumbnail.
func (v *Veo) Content(ctx context.Context, ch *catalog.Channel, j *store.Job, variant string) (*http.Response, error) {
	if variant != "" && variant != "video" {
		return nil, &UpstreamError{Status: 404, Code: "variant_not_available", Message: "Veo makes only the video, no " + variant}
	}
	resp, err := v.do(ctx, ch, http.MethodGet, ch.URL.String()+"/"+strings.TrimPrefix(j.UpstreamID, "/"), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return nil, googleErr(resp, ch)
	}
	var op veoOperation
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&op); err != nil {
		return nil, &UpstreamError{Status: 502, Message: "the upstream's operation could not be read"}
	}
	s := op.Response.GenerateVideoResponse.GeneratedSamples
	if len(s) == 0 || s[0].Video.URI == "" {
		return nil, &UpstreamError{Status: 404, Message: "the operation holds no video"}
	}
	out, err := v.do(ctx, ch, http.MethodGet, s[0].Video.URI, nil)
	if err != nil {
		return nil, err
	}
	if out.StatusCode >= 300 {
		defer out.Body.Close()
		return nil, googleErr(out, ch)
	}
	return out, nil
}

// Cancel implements Adapter: Veo operations cannot be cancelled through the
// Gemini API; the job is forgotten and never polled again.
func (v *Veo) Cancel(context.Context, *catalog.Channel, *store.Job) error { return nil }
