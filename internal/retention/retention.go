// Package retention keeps the request log from growing without bound.
// Rows older than the retention (KEYGATE_LOG_RETENTION, default 90 days)
// are folded into per-day usage totals and deleted, in one transaction per
// hour of logs, so usage reports stay exact after the raw rows are gone.
// The cut-off is always a UTC midnight: a day is either wholly raw or wholly
// rolled up (late rows for a rolled-up day are added to its totals).
package retention

import (
	"context"
	"log/slog"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// DefaultInterval is how often the job runs.
const DefaultInterval = time.Hour

// Job rolls up and expires request logs.
type Job struct {
	Store     store.UsageStore
	Retention time.Duration // 0 = keep raw logs forever (the job does nothing)
	Interval  time.Duration // default DefaultInterval
	Log       *slog.Logger
	Now       func() time.Time // default time.Now
}

// Cutoff returns the time before which raw logs expire: the UTC midnight at
// or before now − retention.
func (j *Job) Cutoff() time.Time {
	now := time.Now
	if j.Now != nil {
		now = j.Now
	}
	return now().UTC().Add(-j.Retention).Truncate(24 * time.Hour)
}

// RunOnce expires what is due now.
func (j *Job) RunOnce(ctx context.Context) (store.RollupResult, error) {
	if j.Retention <= 0 {
		return store.RollupResult{}, nil
	}
	cut := j.Cutoff()
	res, err := j.Store.RollupLogs(ctx, cut)
	if j.Log != nil {
		switch {
		case err != nil && ctx.Err() == nil:
			j.Log.Error("request log retention failed; raw rows stay until the next run", "before", cut, "err", err)
		case res.Rows > 0:
			j.Log.Info("request logs rolled up into daily usage totals and deleted", "rows", res.Rows, "days", res.Days, "before", cut)
		}
	}
	return res, err
}

// Run expires logs at start and then every Interval until ctx is done.
func (j *Job) Run(ctx context.Context) {
	if j.Retention <= 0 {
		return
	}
	every := j.Interval
	if every <= 0 {
		every = DefaultInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		_, _ = j.RunOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
