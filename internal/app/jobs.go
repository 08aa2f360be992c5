package app

import (
	"context"
	"net/http"
	"time"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/jobs"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/webhook"
)

// wireJobs builds the video job engine: adapters over the upstream client,
// channels from the catalogue, the ledger's caches told of job spend,
// webhooks job.completed and job.failed, and the keygate_jobs gauge.
func (a *App) wireJobs(client *http.Client) error {
	e := &jobs.Engine{Store: a.Store,
		Adapters: map[string]jobs.Adapter{"openai": &jobs.OpenAI{HTTP: client}, "gemini": &jobs.Veo{HTTP: client}},
		Channel: func(name string) *catalog.Channel {
			for _, c := range a.Catalog.Snapshot().Channels {
				if c.Name == name {
					return c
				}
			}
			return nil
		},
		Ledger: a.Ledger, Now: func() time.Time { return a.Server.Now() }, Owner: a.scale.instance, Log: a.log,
		OnChannelDisabled: a.Admin.ChannelDisabled, OnFinish: a.jobFinished}
	a.Server.Jobs, a.Admin.Jobs = e, e
	return a.Server.Metrics.Registry.Register(&jobs.Collector{Store: a.Store})
}

// jobFinished sends job.completed or job.failed (a cancellation is the
// client's own doing and sends nothing).
func (a *App) jobFinished(j store.Job) {
	if a.Webhooks == nil || j.State == store.JobCancelled {
		return
	}
	typ := "job.completed"
	if j.State == store.JobFailed {
		typ = "job.failed"
	}
	data := map[string]any{"job": j.ID, "kind": j.Kind, "status": j.State, "project": j.Project, "key_id": j.KeyID,
		"key": j.KeyDisplay, "model": j.Model, "channel": j.Channel, "seconds": j.Seconds, "charged": j.Charged,
		"cost_usd": ledger.ToUSD(j.ChargedNano), "request_id": j.RequestID}
	if j.ErrorCode != "" {
		data["error"] = map[string]string{"code": j.ErrorCode, "message": j.ErrorMessage}
	}
	a.Webhooks.Notify(webhook.Event{ID: ids.New("evt"), Type: typ, Time: a.Server.Now().UTC(), Data: data})
}

// startJobs runs the engine until bg ends.
func (a *App) startJobs(bg context.Context) {
	if a.Server.Jobs == nil {
		return
	}
	a.jobsDone = make(chan struct{})
	go func() { defer close(a.jobsDone); a.Server.Jobs.Run(bg) }()
}
