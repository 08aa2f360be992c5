// Package jobs runs asynchronous generation jobs (videos): a persisted state
// machine (store.JobStore) driven by an Engine that submits a job upstream,
// polls it by lease, and settles it exactly once.
//
// Money: the worst case of a job is charged to its budgets when it is
// created, in the same transaction as the job row; the terminal transition
// settles it to the real cost (completed: the seconds actually produced) or
// to nothing (failed, cancelled, expired) and credits the rest back, in the
// same transaction as the state change. Both are compare-and-set on the
// previous state and keyed by job id in job_ledger, so no sequence of
// polls, instances or restarts charges or refunds a job twice.
//
// Upstreams sit behind Adapter (submit, poll, fetch content, cancel): an
// OpenAI-compatible /v1/videos server (OpenAI) and Gemini Veo (Veo).
package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/provider"
	"github.com/keygate/keygate/internal/store"
)

// Params is what an adapter needs to submit a job (store.Job.Params).
type Params struct {
	Prompt  string `json:"prompt"`
	Seconds int    `json:"seconds"`
	Size    string `json:"size,omitempty"`
	// InputReference is an optional image guiding the video.
	InputReference *Reference `json:"input_reference,omitempty"`
}

// Reference is an uploaded file, or a URL.
type Reference struct {
	Filename    string `json:"filename,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Data        []byte `json:"data,omitempty"`
	URL         string `json:"image_url,omitempty"`
}

// Status is what the upstream says of a job.
type Status struct {
	UpstreamID string
	State      string // queued | in_progress | completed | failed
	Progress   int
	Seconds    int // the real duration of a completed video (0: as asked)
	ErrorCode  string
	ErrorMsg   string
	// RetryAfter is the upstream's hint for the next poll (0: none).
	RetryAfter time.Duration
}

// Adapter talks to one kind of upstream. Adapters only return results;
// the engine decides what they mean for the job and the channel.
type Adapter interface {
	Submit(ctx context.Context, ch *catalog.Channel, j *store.Job, p *Params) (Status, error)
	Poll(ctx context.Context, ch *catalog.Channel, j *store.Job) (Status, error)
	// Content opens the result; the caller closes the body.
	Content(ctx context.Context, ch *catalog.Channel, j *store.Job, variant string) (*http.Response, error)
	Cancel(ctx context.Context, ch *catalog.Channel, j *store.Job) error
}

// UpstreamError is an upstream's refusal or a transport failure.
type UpstreamError struct {
	Status     int // 0 for a transport error
	Code       string
	Message    string // the upstream's words, credential scrubbed
	RetryAfter time.Duration
}

func (e *UpstreamError) Error() string {
	if e.Status == 0 {
		return "upstream unreachable: " + e.Message
	}
	return fmt.Sprintf("upstream answered %d: %s", e.Status, e.Message)
}

// Class is what an upstream error means.
type Class int

const (
	ClassTransient Class = iota // retry later (network, 429, 5xx)
	ClassAuth                   // the channel's credential was refused: disable the channel
	ClassBalance                // the upstream account has no money: the job fails, the channel stays
	ClassPolicy                 // content policy: the caller's problem, the channel stays
	ClassInvalid                // the request was judged invalid
	ClassNotFound               // the upstream does not know the job
)

// Classify sorts an adapter error. An upstream "insufficient balance" or
// content-policy refusal is never taken for a broken channel.
func Classify(err error) Class {
	var ue *UpstreamError
	if !errors.As(err, &ue) {
		return ClassTransient
	}
	words := strings.ToLower(ue.Code + " " + ue.Message)
	switch {
	case ue.Status == 402 || containsAny(words, "insufficient_quota", "insufficient balance", "insufficient_balance", "billing", "credit balance", "quota exceeded"):
		return ClassBalance
	case containsAny(words, "moderation", "content_policy", "content policy", "safety", "policy_violation"):
		return ClassPolicy
	case ue.Status == 401 || ue.Status == 403:
		return ClassAuth
	case ue.Status == 404:
		return ClassNotFound
	case ue.Status == 0 || ue.Status == 429 || ue.Status >= 500 || ue.Status == 408:
		return ClassTransient
	}
	return ClassInvalid
}

func containsAny(s string, subs ...string) bool {
	for _, x := range subs {
		if strings.Contains(s, x) {
			return true
		}
	}
	return false
}

// Engine drives jobs. Several engines (instances) may share one store.
type Engine struct {
	Store    store.JobStore
	Adapters map[string]Adapter // by channel type ("openai", "gemini")
	// Channel resolves a channel by name (the catalogue's current one).
	Channel func(name string) *catalog.Channel
	// Ledger hears of spend written by the store (its caches); nil: none.
	Ledger *ledger.Ledger
	Now    func() time.Time
	Owner  string // this instance, for leases
	Lease  time.Duration
	// MinPoll and MaxPoll bound the backoff between polls of one job.
	MinPoll, MaxPoll time.Duration
	// Retention is how long a completed job's content stays downloadable.
	Retention time.Duration
	Batch     int
	Log       *slog.Logger
	// OnFinish is told of every terminal transition this engine made, once.
	OnFinish func(j store.Job)
	// OnChannelDisabled is told when an upstream refused a channel's
	// credential and the channel was disabled.
	OnChannelDisabled func(channel string, status int, reason string)

	wakeOnce sync.Once
	wake     chan struct{}
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) lease() time.Duration {
	if e.Lease > 0 {
		return e.Lease
	}
	return time.Minute
}

func (e *Engine) minPoll() time.Duration {
	if e.MinPoll > 0 {
		return e.MinPoll
	}
	return 2 * time.Second
}

func (e *Engine) maxPoll() time.Duration {
	if e.MaxPoll > 0 {
		return e.MaxPoll
	}
	return 30 * time.Second
}

func (e *Engine) retention() time.Duration {
	if e.Retention > 0 {
		return e.Retention
	}
	return 24 * time.Hour
}

func (e *Engine) log() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return slog.New(slog.DiscardHandler)
}

// backoff is the wait before poll number n (1-based): doubling from
// MinPoll to MaxPoll, never shorter than the upstream's hint.
func (e *Engine) backoff(n int, hint time.Duration) time.Duration {
	d := e.minPoll()
	for i := 1; i < n && d < e.maxPoll(); i++ {
		d *= 2
	}
	return max(min(d, e.maxPoll()), hint)
}

// Kick wakes Run for due work (a cancel, a new job).
func (e *Engine) Kick() {
	e.wakeOnce.Do(func() { e.wake = make(chan struct{}, 1) })
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// SubmitError is a submission that failed; the job is failed and refunded.
type SubmitError struct {
	Class Class
	Job   store.Job
	Err   error
}

func (e *SubmitError) Error() string { return "submit job " + e.Job.ID + ": " + e.Err.Error() }
func (e *SubmitError) Unwrap() error { return e.Err }

// Submit creates j (charging its reservation) and sends it upstream. On
// success the job is queued or in progress and row — the submitting
// request's log row, which carries the job's charge once it is settled — is
// written before any other instance can settle the job; on an upstream
// refusal the job is failed and refunded, *SubmitError says why, and the
// row is left to the caller (it answers with an error). A
// *store.JobCapError means a cap refused it and nothing was created.
func (e *Engine) Submit(ctx context.Context, j *store.Job, p *Params, row *store.RequestLog, projectCap, channelCap int) (store.Job, error) {
	ch := e.Channel(j.Channel)
	if ch == nil {
		return *j, fmt.Errorf("submit job: channel %s is gone", j.Channel)
	}
	ad := e.Adapters[channelType(ch)]
	if ad == nil {
		return *j, fmt.Errorf("submit job: channel %s has type %s, which runs no jobs", ch.Name, ch.Type)
	}
	now := e.now()
	j.State, j.LeaseOwner, j.LeaseUntil, j.CreatedAt, j.Charged = store.JobSubmitting, e.Owner, now.Add(e.lease()), now, "no"
	if err := e.Store.CreateJob(ctx, j, nil, projectCap, channelCap); err != nil {
		return *j, err
	}
	// From here on the job exists and is charged: a client that hangs up
	// does not leave it half-submitted.
	ctx = context.WithoutCancel(ctx)
	e.adjust(ctx, j, j.ReservedNano)
	// Submit within the lease: past it another instance takes the job for
	// dead and refunds it.
	sctx, cancel := context.WithTimeout(ctx, e.lease()*3/4)
	st, err := ad.Submit(sctx, ch, j, p)
	cancel()
	if err != nil {
		cl := Classify(err)
		if cl == ClassAuth {
			e.channelRefused(ch, err)
		}
		code, msg := submitFailure(cl, err)
		done, _ := e.finish(ctx, j, store.JobSubmitting, store.JobFinal{State: store.JobFailed, ErrorCode: code, ErrorMessage: msg})
		return done, &SubmitError{Class: cl, Job: done, Err: err}
	}
	// The row goes in while this instance still holds the job, so the
	// settlement that updates it always finds it.
	if row != nil {
		if err := e.Store.InsertLogs(context.WithoutCancel(ctx), []store.RequestLog{*row}); err != nil {
			e.log().Warn("the video job's request log row was not written; the log writer retries it, without the job's charge", "job", j.ID, "err", err)
		}
	}
	state := upstreamState(st.State)
	if store.JobTerminal(state) {
		// Some servers answer a finished job at once (or a refusal as a
		// failed job).
		j.UpstreamID = st.UpstreamID
		return e.settle(ctx, j, store.JobSubmitting, st)
	}
	u := store.JobUpdate{State: state, UpstreamID: st.UpstreamID, Progress: st.Progress, Polls: 0,
		NextPollAt: now.Add(e.backoff(1, st.RetryAfter))}
	if state == store.JobInProgress {
		u.StartedAt = now
	}
	ok, err := e.Store.UpdateJob(ctx, j.ID, store.JobSubmitting, e.Owner, u, e.now())
	if err != nil || !ok {
		// The lease ran out and another instance failed the job meanwhile:
		// the upstream job has no owner any more.
		j.UpstreamID = st.UpstreamID
		_ = ad.Cancel(context.WithoutCancel(ctx), ch, j)
		cur, gerr := e.Store.GetJob(ctx, j.ID)
		if gerr != nil {
			return *j, errors.Join(err, gerr)
		}
		return cur, err
	}
	e.Kick()
	return e.Store.GetJob(ctx, j.ID)
}

// submitFailure names a failed submission for the job's error.
func submitFailure(cl Class, err error) (code, msg string) {
	var ue *UpstreamError
	words := err.Error()
	if errors.As(err, &ue) {
		words = ue.Message
	}
	switch cl {
	case ClassBalance:
		return "upstream_insufficient_balance", "The upstream account behind this model has no balance left; the job was refunded. Upstream said: " + words
	case ClassPolicy:
		return "content_policy_violation", "The upstream refused the prompt under its content policy; the job was refunded. Upstream said: " + words
	case ClassAuth:
		return "upstream_auth_failed", "The upstream rejected the gateway's credential for this model's channel; the job was refunded. Your key is fine."
	case ClassInvalid:
		return "invalid_request", "The upstream judged the request invalid; the job was refunded. Upstream said: " + words
	}
	return "upstream_unavailable", "The upstream could not take the job; it was refunded. Retry shortly. (" + words + ")"
}

func (e *Engine) channelRefused(ch *catalog.Channel, err error) {
	status := 401
	var ue *UpstreamError
	if errors.As(err, &ue) {
		status = ue.Status
	}
	reason := fmt.Sprintf("upstream %s answered %d to the channel credential (video job): %s", ch.Name, status, provider.Scrub(err.Error(), ch.APIKey))
	if ch.Disable(reason) && e.OnChannelDisabled != nil {
		e.OnChannelDisabled(ch.Name, status, reason)
	}
}

// upstreamState maps an upstream status to ours.
func upstreamState(s string) string {
	switch s {
	case "queued", "pending", "":
		return store.JobQueued
	case "in_progress", "processing", "running":
		return store.JobInProgress
	case "completed", "succeeded":
		return store.JobCompleted
	case "cancelled", "canceled":
		return store.JobCancelled
	}
	return store.JobFailed
}

// Step does one round of work: it leases the jobs due and handles each. It
// returns how many it handled. Tests drive the engine with Step and an
// injected clock; Run calls it in a loop.
func (e *Engine) Step(ctx context.Context) (int, error) {
	batch := e.Batch
	if batch <= 0 {
		batch = 32
	}
	js, err := e.Store.ClaimJobs(ctx, e.Owner, e.now(), e.lease(), batch)
	if err != nil {
		return 0, err
	}
	for i := range js {
		if err := e.handle(ctx, &js[i]); err != nil {
			e.log().Warn("video job not advanced; retried after its lease", "job", js[i].ID, "err", err)
		}
	}
	return len(js), nil
}

// Run steps until ctx ends: at once when kicked, else every MinPoll.
func (e *Engine) Run(ctx context.Context) {
	e.wakeOnce.Do(func() { e.wake = make(chan struct{}, 1) })
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-e.wake:
		}
		n, err := e.Step(ctx)
		if err != nil && ctx.Err() == nil {
			e.log().Warn("video jobs could not be claimed", "err", err)
		}
		wait := e.minPoll()
		if n > 0 && n >= max(e.Batch, 32) {
			wait = 0 // more may be due
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(wait)
	}
}

// handle advances one leased job.
func (e *Engine) handle(ctx context.Context, j *store.Job) error {
	now := e.now()
	ch := e.Channel(j.Channel)
	var ad Adapter
	if ch != nil {
		ad = e.Adapters[channelType(ch)]
	}
	cancelUpstream := func() {
		if ad != nil && j.UpstreamID != "" {
			if err := ad.Cancel(ctx, ch, j); err != nil {
				e.log().Info("upstream job not cancelled", "job", j.ID, "err", err)
			}
		}
	}
	switch {
	case j.State == store.JobSubmitting:
		// Its submitter died with the job in its hands: whether the
		// upstream got it cannot be known, so the caller is refunded.
		_, err := e.finish(ctx, j, j.State, store.JobFinal{State: store.JobFailed, ErrorCode: "submit_interrupted",
			ErrorMessage: "The gateway instance submitting this job stopped before the upstream answered; the job was refunded. Submit it again."})
		return err
	case j.CancelAsked:
		done, err := e.finish(ctx, j, j.State, store.JobFinal{State: store.JobCancelled, ErrorCode: "cancelled",
			ErrorMessage: "The job was cancelled; it was refunded."})
		if err == nil && done.State == store.JobCancelled {
			cancelUpstream()
		}
		return err
	case !now.Before(j.DeadlineAt):
		done, err := e.finish(ctx, j, j.State, store.JobFinal{State: store.JobFailed, ErrorCode: "job_timeout",
			ErrorMessage: fmt.Sprintf("The upstream did not finish the job by its deadline (%s); the job was refunded.", j.DeadlineAt.UTC().Format(time.RFC3339))})
		if err == nil && done.State == store.JobFailed {
			cancelUpstream()
		}
		return err
	case ad == nil:
		return e.retry(ctx, j, 0, "the job's channel is gone or runs no jobs")
	}
	st, err := ad.Poll(ctx, ch, j)
	if err != nil {
		switch Classify(err) {
		case ClassNotFound:
			_, ferr := e.finish(ctx, j, j.State, store.JobFinal{State: store.JobFailed, ErrorCode: "upstream_job_lost",
				ErrorMessage: "The upstream no longer knows this job; it was refunded."})
			return ferr
		case ClassAuth:
			e.channelRefused(ch, err)
		}
		var ue *UpstreamError
		hint := time.Duration(0)
		if errors.As(err, &ue) {
			hint = ue.RetryAfter
		}
		return e.retry(ctx, j, hint, err.Error())
	}
	state := upstreamState(st.State)
	if store.JobTerminal(state) {
		_, err := e.settle(ctx, j, j.State, st)
		return err
	}
	u := store.JobUpdate{State: state, Progress: st.Progress, Polls: j.Polls + 1, NextPollAt: now.Add(e.backoff(j.Polls+1, st.RetryAfter))}
	if state == store.JobInProgress {
		u.StartedAt = now
	}
	_, err = e.Store.UpdateJob(ctx, j.ID, j.State, e.Owner, u, now)
	return err
}

// retry puts the job back for a later poll.
func (e *Engine) retry(ctx context.Context, j *store.Job, hint time.Duration, why string) error {
	now := e.now()
	u := store.JobUpdate{State: j.State, Progress: j.Progress, Polls: j.Polls + 1, NextPollAt: now.Add(e.backoff(j.Polls+1, hint))}
	_, err := e.Store.UpdateJob(ctx, j.ID, j.State, e.Owner, u, now)
	e.log().Info("video job poll failed; retrying", "job", j.ID, "in", u.NextPollAt.Sub(now), "why", why)
	return err
}

// settle ends a job the upstream finished.
func (e *Engine) settle(ctx context.Context, j *store.Job, from string, st Status) (store.Job, error) {
	switch upstreamState(st.State) {
	case store.JobCompleted:
		secs := j.Seconds
		if st.Seconds > 0 && st.Seconds < secs {
			secs = st.Seconds // billed for what was produced, never above what was reserved
		}
		charged := j.ReservedNano
		if j.Seconds > 0 {
			charged = j.ReservedNano * int64(secs) / int64(j.Seconds)
		}
		now := e.now()
		return e.finish(ctx, j, from, store.JobFinal{State: store.JobCompleted, ChargedNano: charged, Seconds: secs,
			CompletedAt: now, ExpiresAt: now.Add(e.retention())})
	case store.JobCancelled:
		return e.finish(ctx, j, from, store.JobFinal{State: store.JobCancelled, ErrorCode: "cancelled",
			ErrorMessage: "The upstream cancelled the job; it was refunded."})
	}
	code, msg := st.ErrorCode, st.ErrorMsg
	if code == "" {
		code = "generation_failed"
	}
	if msg == "" {
		msg = "The upstream could not generate the video."
	}
	return e.finish(ctx, j, from, store.JobFinal{State: store.JobFailed, ErrorCode: code, ErrorMessage: msg + " The job was refunded."})
}

// finish makes the terminal transition; when another engine (or a cancel)
// got there first it returns the job as it is now, unchanged.
func (e *Engine) finish(ctx context.Context, j *store.Job, from string, f store.JobFinal) (store.Job, error) {
	ctx = context.WithoutCancel(ctx) // a client that hangs up does not leave a job half-settled
	if f.State != store.JobCompleted {
		f.ChargedNano = 0
	}
	f.CostUSD = ledger.ToUSD(f.ChargedNano)
	f.Charged = "yes"
	if f.ChargedNano == 0 {
		f.Charged = "refunded"
	}
	if f.CompletedAt.IsZero() {
		f.CompletedAt = e.now()
	}
	ok, err := e.Store.FinishJob(ctx, j.ID, from, f, e.now())
	if err != nil {
		return *j, err
	}
	cur, gerr := e.Store.GetJob(ctx, j.ID)
	if gerr != nil {
		return *j, gerr
	}
	if ok {
		e.adjust(ctx, &cur, cur.ChargedNano-cur.ReservedNano)
		if e.OnFinish != nil {
			e.OnFinish(cur)
		}
	}
	return cur, nil
}

// adjust tells the ledger's caches of spend the store just wrote.
func (e *Engine) adjust(ctx context.Context, j *store.Job, delta int64) {
	if e.Ledger == nil || delta == 0 || len(j.Windows) == 0 {
		return
	}
	ws := make([]ledger.Window, len(j.Windows))
	for i, w := range j.Windows {
		ws[i] = ledger.Window(w)
	}
	if err := e.Ledger.Adjust(context.WithoutCancel(ctx), ws, delta); err != nil {
		e.log().Warn("budget cache not told of a job's spend; it catches up when it reloads", "job", j.ID, "err", err)
	}
}

// Cancel cancels a job in flight: refunded at once (the transition is a
// compare-and-set, so a poller finishing it meanwhile wins or loses
// cleanly), then the upstream is told. A job being submitted is marked and
// cancelled as soon as its submission returns. A finished job is returned
// as it is.
func (e *Engine) Cancel(ctx context.Context, id string) (store.Job, error) {
	for range 3 {
		j, err := e.Store.GetJob(ctx, id)
		if err != nil || store.JobTerminal(j.State) {
			return j, err
		}
		if j.State == store.JobSubmitting {
			j, err = e.Store.RequestJobCancel(ctx, id, e.now())
			e.Kick()
			return j, err
		}
		done, err := e.finish(ctx, &j, j.State, store.JobFinal{State: store.JobCancelled, ErrorCode: "cancelled",
			ErrorMessage: "The job was cancelled; it was refunded."})
		if err != nil {
			return done, err
		}
		if done.State == store.JobCancelled {
			if ch := e.Channel(j.Channel); ch != nil {
				if ad := e.Adapters[channelType(ch)]; ad != nil && j.UpstreamID != "" {
					if err := ad.Cancel(context.WithoutCancel(ctx), ch, &done); err != nil {
						e.log().Info("upstream job not cancelled", "job", id, "err", err)
					}
				}
			}
			return done, nil
		}
		if store.JobTerminal(done.State) {
			return done, nil
		}
		// It moved between two states; look again.
	}
	return e.Store.GetJob(ctx, id)
}

// Delete is DELETE /v1/videos/{id}: a job in flight is cancelled (and
// refunded); a completed one has its content deleted upstream and expired
// here, so it can no longer be downloaded (its charge stands).
func (e *Engine) Delete(ctx context.Context, id string) (store.Job, error) {
	j, err := e.Cancel(ctx, id)
	if err != nil || j.State != store.JobCompleted {
		return j, err
	}
	if ch := e.Channel(j.Channel); ch != nil && j.UpstreamID != "" {
		if ad := e.Adapters[channelType(ch)]; ad != nil {
			if err := ad.Cancel(context.WithoutCancel(ctx), ch, &j); err != nil {
				e.log().Info("upstream video not deleted", "job", id, "err", err)
			}
		}
	}
	if _, err := e.Store.ExpireJobContent(ctx, id, e.now()); err != nil {
		return j, err
	}
	return e.Store.GetJob(ctx, id)
}

// Content opens a completed job's result through its channel.
func (e *Engine) Content(ctx context.Context, j *store.Job, variant string) (*http.Response, error) {
	ch := e.Channel(j.Channel)
	if ch == nil {
		return nil, fmt.Errorf("the job's channel %s is gone", j.Channel)
	}
	ad := e.Adapters[channelType(ch)]
	if ad == nil {
		return nil, fmt.Errorf("channel %s runs no jobs", ch.Name)
	}
	return ad.Content(ctx, ch, j, variant)
}

func channelType(ch *catalog.Channel) string {
	if ch.Type == "" {
		return "openai"
	}
	return ch.Type
}

// readSnippet reads a bounded, scrubbed piece of an upstream answer.
func readSnippet(r io.Reader, credential string) string {
	b, _ := io.ReadAll(io.LimitReader(r, 2048))
	s := strings.TrimSpace(provider.Scrub(string(b), credential))
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}
