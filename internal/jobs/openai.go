package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"time"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/store"
)

// OpenAI is the adapter of OpenAI-compatible video servers: POST /videos
// (JSON, or multipart when an input_reference file is sent), GET
// /videos/{id}, GET /videos/{id}/content?variant=…, DELETE /videos/{id},
// below the channel's base URL (which ends in /v1).
type OpenAI struct {
	HTTP *http.Client
}

var _ Adapter = (*OpenAI)(nil)

// videoObject is the part of OpenAI's video object the gateway reads.
type videoObject struct {
	ID       string          `json:"id"`
	Status   string          `json:"status"`
	Progress int             `json:"progress"`
	Seconds  json.RawMessage `json:"seconds"` // "8" (OpenAI) or 8
	Error    *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (v *videoObject) status(h http.Header) Status {
	st := Status{UpstreamID: v.ID, State: v.Status, Progress: v.Progress, Seconds: flexInt(v.Seconds), RetryAfter: retryAfter(h)}
	if v.Error != nil {
		st.ErrorCode, st.ErrorMsg = v.Error.Code, v.Error.Message
	}
	return st
}

// flexInt reads a number sent as a number or a string.
func flexInt(raw json.RawMessage) int {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		f, _ := n.Float64()
		return int(f)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		f, _ := strconv.ParseFloat(s, 64)
		return int(f)
	}
	return 0
}

func retryAfter(h http.Header) time.Duration {
	if v := h.Get("Retry-After"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return time.Duration(min(n, 3600)) * time.Second
		}
	}
	return 0
}

func (o *OpenAI) do(ctx context.Context, ch *catalog.Channel, method, path string, body io.Reader, ctype string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, ch.URL.String()+path, body)
	if err != nil {
		return nil, &UpstreamError{Message: err.Error()}
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("User-Agent", "keygate")
	if ch.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+ch.APIKey)
	}
	resp, err := o.HTTP.Do(req)
	if err != nil {
		return nil, &UpstreamError{Message: scrubErr(err, ch)}
	}
	return resp, nil
}

// answer decodes a video object, or turns a refusal into *UpstreamError.
func answer(resp *http.Response, ch *catalog.Channel) (Status, error) {
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return Status{}, upstreamErr(resp, ch)
	}
	var v videoObject
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&v); err != nil {
		return Status{}, &UpstreamError{Status: 502, Message: "the upstream's video object could not be read: " + err.Error()}
	}
	if v.ID == "" {
		return Status{}, &UpstreamError{Status: 502, Message: "the upstream's answer has no video id"}
	}
	return v.status(resp.Header), nil
}

// upstreamErr reads an OpenAI-shaped error answer.
func upstreamErr(resp *http.Response, ch *catalog.Channel) error {
	snippet := readSnippet(resp.Body, ch.APIKey)
	ue := &UpstreamError{Status: resp.StatusCode, Message: snippet, RetryAfter: retryAfter(resp.Header)}
	var e struct {
		Error struct {
			Code    any    `json:"code"`
			Message string `json:"message"`
			Type    string `json:"type"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(snippet), &e) == nil && e.Error.Message != "" {
		ue.Message = e.Error.Message
		if c, ok := e.Error.Code.(string); ok {
			ue.Code = c
		} else if e.Error.Type != "" {
			ue.Code = e.Error.Type
		}
	}
	return ue
}

// Submit implements Adapter.
func (o *OpenAI) Submit(ctx context.Context, ch *catalog.Channel, j *store.Job, p *Params) (Status, error) {
	var body bytes.Buffer
	ctype := "application/json"
	if ref := p.InputReference; ref != nil && len(ref.Data) > 0 {
		mw := multipart.NewWriter(&body)
		_ = mw.WriteField("model", j.UpstreamModel)
		_ = mw.WriteField("prompt", p.Prompt)
		_ = mw.WriteField("seconds", strconv.Itoa(p.Seconds))
		if p.Size != "" {
			_ = mw.WriteField("size", p.Size)
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="input_reference"; filename=%q`, ref.Filename))
		h.Set("Content-Type", ref.ContentType)
		fw, _ := mw.CreatePart(h)
		_, _ = fw.Write(ref.Data)
		_ = mw.Close()
		ctype = mw.FormDataContentType()
	} else {
		req := map[string]any{"model": j.UpstreamModel, "prompt": p.Prompt, "seconds": strconv.Itoa(p.Seconds)}
		if p.Size != "" {
			req["size"] = p.Size
		}
		if ref := p.InputReference; ref != nil && ref.URL != "" {
			req["input_reference"] = map[string]string{"image_url": ref.URL}
		}
		b, _ := json.Marshal(req)
		body.Write(b)
	}
	resp, err := o.do(ctx, ch, http.MethodPost, "/videos", &body, ctype)
	if err != nil {
		return Status{}, err
	}
	return answer(resp, ch)
}

// Poll implements Adapter.
func (o *OpenAI) Poll(ctx context.Context, ch *catalog.Channel, j *store.Job) (Status, error) {
	resp, err := o.do(ctx, ch, http.MethodGet, "/videos/"+url.PathEscape(j.UpstreamID), nil, "")
	if err != nil {
		return Status{}, err
	}
	return answer(resp, ch)
}

// Content implements Adapter.
func (o *OpenAI) Content(ctx context.Context, ch *catalog.Channel, j *store.Job, variant string) (*http.Response, error) {
	resp, err := o.do(ctx, ch, http.MethodGet, "/videos/"+url.PathEscape(j.UpstreamID)+"/content?variant="+url.QueryEscape(variant), nil, "")
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, upstreamErr(resp, ch)
	}
	return resp, nil
}

// Cancel implements Adapter: DELETE, which OpenAI's API offers for a job
// in any state.
func (o *OpenAI) Cancel(ctx context.Context, ch *catalog.Channel, j *store.Job) error {
	resp, err := o.do(ctx, ch, http.MethodDelete, "/videos/"+url.PathEscape(j.UpstreamID), nil, "")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode != 404 {
		return upstreamErr(resp, ch)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return nil
}

// scrubErr renders a transport error without the channel credential or
// the URL's query (a *url.Error repeats the whole URL).
func scrubErr(err error, ch *catalog.Channel) string {
	var ue *url.Error
	msg := err.Error()
	if e, ok := err.(*url.Error); ok {
		ue = e
		msg = ue.Op + " " + ch.URL.Host + ": " + ue.Err.Error()
	}
	return readSnippet(bytes.NewReader([]byte(msg)), ch.APIKey)
}
