package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/credential"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/jobs"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/store"
)

// Video jobs in OpenAI's /v1/videos shape: POST creates one (JSON or
// multipart), GET /v1/videos/{id} shows it, GET /v1/videos lists the key's
// project's jobs, GET …/content streams the result through the gateway,
// DELETE cancels. Ids are ours (video_…); the upstream's never leave the
// gateway. The worst case (seconds × the model's per-second price for the
// size) is held against the budgets before anything is sent upstream and
// charged with the job; the engine (internal/jobs) settles it to the real
// seconds or refunds it.

const (
	defaultVideoSeconds = 4
	maxVideoSeconds     = 60
	// jobDeadline is how long a job may take before it is failed and
	// refunded.
	jobDeadline = time.Hour
)

// VideoView is the job as a client sees it (OpenAI's video object).
type VideoView struct {
	ID                 string          `json:"id"`
	Object             string          `json:"object"`
	Model              string          `json:"model"`
	Status             string          `json:"status"`
	Progress           int             `json:"progress"`
	CreatedAt          int64           `json:"created_at"`
	CompletedAt        *int64          `json:"completed_at"`
	ExpiresAt          *int64          `json:"expires_at"`
	Prompt             string          `json:"prompt"`
	Seconds            string          `json:"seconds"`
	Size               string          `json:"size"`
	RemixedFromVideoID *string         `json:"remixed_from_video_id"`
	Error              *VideoViewError `json:"error"`
}

// VideoViewError is a failed job's reason.
type VideoViewError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func unixPtr(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	v := t.Unix()
	return &v
}

// ViewVideo renders a job for clients.
func ViewVideo(j *store.Job) VideoView {
	var p jobs.Params
	_ = json.Unmarshal([]byte(j.Params), &p)
	st := j.State
	if st == store.JobSubmitting {
		st = store.JobQueued
	}
	v := VideoView{ID: j.ID, Object: "video", Model: j.Model, Status: st, Progress: j.Progress, CreatedAt: j.CreatedAt.Unix(),
		CompletedAt: unixPtr(j.CompletedAt), ExpiresAt: unixPtr(j.ExpiresAt), Prompt: p.Prompt, Seconds: strconv.Itoa(j.Seconds), Size: j.Size}
	if j.ErrorCode != "" && j.State != store.JobCompleted {
		v.Error = &VideoViewError{Code: j.ErrorCode, Message: j.ErrorMessage}
	}
	return v
}

type videoRequest struct {
	Model   string
	Prompt  string
	Seconds int
	Size    string
	Ref     *jobs.Reference
}

func badVideoParam(param string, msg, hint i18n.Message) error {
	return apierr.T(apierr.InvalidRequest, msg, hint).WithParam(param)
}

func parseSeconds(v string) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return defaultVideoSeconds, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxVideoSeconds {
		return 0, badVideoParam("seconds", i18n.M("video.bad_seconds", i18n.Q("value", v), i18n.N("max", maxVideoSeconds)),
			i18n.M("video.bad_seconds.hint"))
	}
	return n, nil
}

// readVideoRequest reads a JSON or multipart create request.
func (s *Server) readVideoRequest(w http.ResponseWriter, r *http.Request) (*videoRequest, error) {
	buf, err := s.readBody(w, r)
	if err != nil {
		return nil, err
	}
	defer bodyPool.Put(buf)
	var vr videoRequest
	ct, ps, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		mr := multipart.NewReader(bytes.NewReader(buf.Bytes()), ps["boundary"])
		var secs string
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, apierr.T(apierr.InvalidRequest, i18n.M("multipart.unreadable_detail", i18n.S("detail", err.Error())),
					i18n.M("multipart.unreadable_detail.hint")).WithCause(err)
			}
			b, err := io.ReadAll(part)
			if err != nil {
				return nil, apierr.T(apierr.InvalidRequest, i18n.M("multipart.unreadable"), i18n.Message{}).WithCause(err)
			}
			switch part.FormName() {
			case "model":
				vr.Model = string(b)
			case "prompt":
				vr.Prompt = string(b)
			case "seconds":
				secs = string(b)
			case "size":
				vr.Size = string(b)
			case "input_reference":
				vr.Ref = &jobs.Reference{Filename: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: b}
			}
		}
		if vr.Seconds, err = parseSeconds(secs); err != nil {
			return nil, err
		}
		return &vr, nil
	}
	var in struct {
		Model          string          `json:"model"`
		Prompt         string          `json:"prompt"`
		Seconds        json.RawMessage `json:"seconds"`
		Size           string          `json:"size"`
		InputReference json.RawMessage `json:"input_reference"`
	}
	if err := json.Unmarshal(buf.Bytes(), &in); err != nil {
		return nil, apierr.T(apierr.InvalidRequest, i18n.M("req.not_json", i18n.S("detail", jsonErr(err))), i18n.M("video.json.hint")).WithCause(err)
	}
	vr.Model, vr.Prompt, vr.Size = in.Model, in.Prompt, in.Size
	if vr.Seconds, err = parseSeconds(strings.Trim(string(in.Seconds), `"`)); err != nil {
		return nil, err
	}
	if len(in.InputReference) > 0 && string(in.InputReference) != "null" {
		var ref struct {
			ImageURL string `json:"image_url"`
		}
		if json.Unmarshal(in.InputReference, &ref) != nil || ref.ImageURL == "" {
			return nil, badVideoParam("input_reference", i18n.M("video.bad_reference"), i18n.M("video.bad_reference.hint"))
		}
		vr.Ref = &jobs.Reference{URL: ref.ImageURL}
	}
	return &vr, nil
}

func (s *Server) videosCreate(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "videos"
	if err := s.authenticate(r, sc, credential.OpenAI); err != nil {
		return err
	}
	if s.Jobs == nil {
		return apierr.T(apierr.ServiceUnavailable, i18n.M("video.disabled"), i18n.M("video.disabled.hint"))
	}
	vr, err := s.readVideoRequest(w, r)
	if err != nil {
		return err
	}
	if vr.Model == "" {
		return badVideoParam("model", i18n.M("req.no_model"), i18n.M("video.no_model.hint"))
	}
	sc.Log.Model = vr.Model
	if strings.TrimSpace(vr.Prompt) == "" {
		return badVideoParam("prompt", i18n.M("video.no_prompt"), i18n.Message{})
	}
	m, g, chs, err := s.authorizeModel(sc, vr.Model) // refuses a key not scoped to videos
	if err != nil {
		return err
	}
	cands := s.jobChannels(chs)
	if len(cands) == 0 {
		return apierr.T(apierr.UpstreamUnavailable, i18n.M("video.no_channel", i18n.Q("model", m.Name)), i18n.M("video.no_channel.hint"))
	}
	mult := 0.0
	if g != nil {
		mult = g.PriceMultiplier
	}
	worst := roundUSD(float64(vr.Seconds) * m.VideoSecondPrice(vr.Size) * multOr1(mult))
	if err := s.admit(r.Context(), sc, m, g, Estimate{NoOutput: true, ReserveUSD: worst}); err != nil {
		return err // a budget that cannot hold the worst case: nothing is sent upstream
	}
	var windows []store.JobWindow
	if res := sc.adm.res; res != nil {
		for i := 0; i < res.N; i++ {
			w := res.Windows[i]
			windows = append(windows, store.JobWindow(w))
		}
	}
	p := jobs.Params{Prompt: vr.Prompt, Seconds: vr.Seconds, Size: vr.Size, InputReference: vr.Ref}
	params, _ := json.Marshal(p)
	k := sc.Key
	now := s.Now()
	proj := s.Catalog.Snapshot().Projects[k.Project]
	projectCap := 0
	if proj != nil {
		projectCap = proj.MaxJobs
	}
	sc.Log.Charged = "no"
	var job store.Job
	for _, ch := range cands {
		j := &store.Job{ID: ids.New("video"), Kind: "video", RequestID: sc.RequestID, Project: k.Project, KeyID: k.ID,
			KeyDisplay: k.Display, Member: k.Member, Group: k.Group, Model: m.Name, Channel: ch.Name,
			UpstreamModel: ch.UpstreamModel(m.Name), Params: string(params), Seconds: vr.Seconds, Size: vr.Size,
			ReservedNano: ledger.FromUSD(worst), Windows: windows, DeadlineAt: now.Add(jobDeadline)}
		sc.Log.Channel, sc.Log.ModelServed, sc.Log.Attempts = ch.Name, j.UpstreamModel, sc.Log.Attempts+1
		row := s.jobLogRow(sc, r)
		job, err = s.Jobs.Submit(r.Context(), j, &p, &row, projectCap, ch.MaxJobs)
		var ce *store.JobCapError
		if !errors.As(err, &ce) || ce.Which != "channel" {
			break // done, or refused for good; a channel at its cap leaves the next to try
		}
	}
	// The worst case is charged with the job (or nothing was created):
	// the admission's hold goes.
	s.settleAdmission(context.WithoutCancel(r.Context()), sc, 0, 0)
	if err != nil {
		return s.submitError(sc, err)
	}
	sc.Log.CostUSD = 0 // charged when the job settles (the row written with the job)
	writeJSON(w, http.StatusOK, ViewVideo(&job))
	return nil
}

// jobLogRow is the submitting request's log row as the job writes it.
func (s *Server) jobLogRow(sc *Scope, r *http.Request) store.RequestLog {
	row := sc.Log
	row.RequestID, row.Time, row.Status, row.Charged = sc.RequestID, sc.Start.UTC(), http.StatusOK, "no"
	row.LatencyMS = float64(s.Now().Sub(sc.Start).Microseconds()) / 1000
	row.SourceIP = s.clientAddr(r).String()
	row.UserAgent = truncate(r.UserAgent(), 256)
	row.Client = clientName(r.Header)
	return row
}

// jobChannels keeps the channels that can run jobs and are not disabled.
func (s *Server) jobChannels(chs []*catalog.Channel) []*catalog.Channel {
	var out []*catalog.Channel
	for _, c := range chs {
		typ := c.Type
		if typ == "" {
			typ = "openai"
		}
		if _, ok := s.Jobs.Adapters[typ]; !ok {
			continue
		}
		if _, off := c.Disabled(); off {
			continue
		}
		out = append(out, c)
	}
	return out
}

// submitError maps a refused submission to the client's error; the job,
// if one was created, is already failed and refunded.
func (s *Server) submitError(sc *Scope, err error) error {
	var ce *store.JobCapError
	if errors.As(err, &ce) {
		which := i18n.M("video.capped.project", i18n.Q("name", ce.Name))
		if ce.Which == "channel" {
			which = i18n.M("video.capped.channel", i18n.S("name", ce.Name))
		}
		return apierr.T(apierr.RateLimitExceeded,
			i18n.M("video.capped", i18n.Sub("which", which), i18n.N("n", ce.InFlight), i18n.N("cap", ce.Cap)),
			i18n.M("video.capped.hint")).WithHeader("Retry-After", "30")
	}
	var se *jobs.SubmitError
	if !errors.As(err, &se) {
		return apierr.T(apierr.ServiceUnavailable, i18n.M("video.create_failed"), i18n.M("retry.shortly")).WithCause(err)
	}
	sc.Log.Charged = "refunded"
	sc.Log.FailureReason = truncate(se.Err.Error(), 500) // the adapters removed the channel credential
	msg := i18n.M("video.failed", i18n.S("detail", se.Job.ErrorMessage), i18n.S("id", se.Job.ID))
	switch se.Class {
	case jobs.ClassPolicy, jobs.ClassInvalid:
		return apierr.T(apierr.InvalidRequest, msg, i18n.M("video.failed.invalid.hint", i18n.S("id", se.Job.ID)))
	case jobs.ClassAuth:
		return apierr.T(apierr.UpstreamAuthFailed, msg, i18n.M("relay.auth_failed.hint"))
	case jobs.ClassBalance:
		return apierr.T(apierr.UpstreamUnavailable, msg, i18n.M("video.failed.balance.hint"))
	}
	return apierr.T(apierr.UpstreamUnavailable, msg, i18n.M("video.failed.retry.hint")).WithHeader("Retry-After", "5")
}

// ownJob finds a job of the caller's project; another project's job is
// not found, so ids cannot be probed.
func (s *Server) ownJob(r *http.Request, sc *Scope) (store.Job, error) {
	sc.Log.RequestType = "videos.read"
	if err := s.authenticate(r, sc, credential.OpenAI); err != nil {
		return store.Job{}, err
	}
	if err := s.allowRequestType(sc, "videos"); err != nil {
		return store.Job{}, err
	}
	id := r.PathValue("id")
	j, err := s.Store.GetJob(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || err == nil && j.Project != sc.Key.Project {
		return j, apierr.T(apierr.NotFound, i18n.M("video.not_found", i18n.Q("id", id), i18n.Q("project", sc.Key.Project)),
			i18n.M("video.not_found.hint")).WithParam("video_id")
	}
	if err != nil {
		return j, apierr.T(apierr.ServiceUnavailable, i18n.M("video.unreadable"), i18n.M("retry.shortly")).WithCause(err)
	}
	sc.Log.Model, sc.Log.Channel = j.Model, j.Channel
	return j, nil
}

func (s *Server) videosGet(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	j, err := s.ownJob(r, sc)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ViewVideo(&j))
	return nil
}

func (s *Server) videosList(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "videos.read"
	if err := s.authenticate(r, sc, credential.OpenAI); err != nil {
		return err
	}
	if err := s.allowRequestType(sc, "videos"); err != nil {
		return err
	}
	q := r.URL.Query()
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return badVideoParam("limit", i18n.M("video.bad_limit", i18n.Q("value", v)), i18n.Message{})
		}
		limit = n
	}
	list, err := s.Store.ListJobs(r.Context(), store.JobFilter{Project: sc.Key.Project, After: q.Get("after"), Limit: limit + 1})
	if err != nil {
		return apierr.T(apierr.ServiceUnavailable, i18n.M("video.list_failed"), i18n.M("retry.shortly")).WithCause(err)
	}
	more := len(list) > limit
	if more {
		list = list[:limit]
	}
	data := make([]VideoView, len(list))
	for i := range list {
		data[i] = ViewVideo(&list[i])
	}
	out := map[string]any{"object": "list", "data": data, "has_more": more, "first_id": nil, "last_id": nil}
	if len(data) > 0 {
		out["first_id"], out["last_id"] = data[0].ID, data[len(data)-1].ID
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// videosContent streams a completed job's result from its channel, under
// the caller's key: the upstream URL and credential never reach the client.
func (s *Server) videosContent(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	j, err := s.ownJob(r, sc)
	if err != nil {
		return err
	}
	variant := r.URL.Query().Get("variant")
	switch variant {
	case "":
		variant = "video"
	case "video", "thumbnail", "spritesheet":
	default:
		return badVideoParam("variant", i18n.M("video.bad_variant", i18n.Q("value", variant)), i18n.Message{})
	}
	if j.State != store.JobCompleted {
		return apierr.T(apierr.InvalidRequest, i18n.M("video.not_ready", i18n.S("id", j.ID), i18n.S("status", string(ViewVideo(&j).Status))),
			i18n.M("video.not_ready.hint", i18n.S("id", j.ID)))
	}
	if !j.ExpiresAt.IsZero() && !s.Now().Before(j.ExpiresAt) {
		return apierr.T(apierr.NotFound, i18n.M("video.expired", i18n.S("id", j.ID), i18n.S("at", stamp(j.ExpiresAt))), i18n.M("video.expired.hint"))
	}
	resp, err := s.Jobs.Content(r.Context(), &j, variant)
	if err != nil {
		var ue *jobs.UpstreamError
		if errors.As(err, &ue) && ue.Status == 404 {
			return apierr.T(apierr.NotFound, i18n.M("video.no_variant", i18n.S("variant", variant), i18n.S("id", j.ID)), i18n.Message{}).WithCause(err)
		}
		return apierr.T(apierr.UpstreamUnavailable, i18n.M("video.fetch_failed"), i18n.M("retry.shortly")).WithCause(err)
	}
	defer resp.Body.Close()
	h := w.Header()
	for _, k := range []string{"Content-Type", "Content-Length", "Content-Disposition", "Last-Modified", "Etag"} {
		if v := resp.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, resp.Body); err != nil {
		sc.Log.FailureReason = "content copy stopped: " + err.Error()
	}
	return nil
}

// videosDelete cancels a job in flight (refunded), or deletes a completed
// job's content, and answers OpenAI's deletion object.
func (s *Server) videosDelete(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	j, err := s.ownJob(r, sc)
	if err != nil {
		return err
	}
	sc.Log.RequestType = "videos"
	got, err := s.Jobs.Delete(r.Context(), j.ID)
	if err != nil {
		return apierr.T(apierr.ServiceUnavailable, i18n.M("video.cancel_failed"), i18n.M("retry.shortly")).WithCause(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": got.ID, "object": "video.deleted", "deleted": true, "status": ViewVideo(&got).Status})
	return nil
}
