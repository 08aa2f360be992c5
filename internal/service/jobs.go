package service

import (
	"context"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/store"
)

// JobCanceller cancels a job inside a store transaction (jobs.Engine).
type JobCanceller interface {
	CancelIn(ctx context.Context, tx store.JobStore, id string) (before, now store.Job, changed bool, after func(), err error)
}

// JobNotFound is the error of an id that names no job the caller sees.
func JobNotFound(id string) error {
	return apierr.T(apierr.NotFound, i18n.M("admin.no_job", i18n.Q("id", truncate(id, 80))), i18n.M("admin.get_admin_v1_jobs_lists.hint"))
}

// Visible says whether the caller may see objects of a project; a job,
// incident or request of a project it does not see is not found.
type Visible func(project string) bool

func getJob(ctx context.Context, st store.Store, id string, visible Visible) (store.Job, error) {
	j, err := st.GetJob(ctx, id)
	if missing(err) || err == nil && visible != nil && !visible(j.Project) {
		return j, JobNotFound(id)
	}
	return j, err
}

// ListJobs returns the jobs f selects.
func (s *Service) ListJobs(ctx context.Context, f store.JobFilter) ([]store.Job, error) {
	js, err := s.Store.ListJobs(ctx, f)
	return js, Err(err)
}

// GetJob returns job id if the caller sees its project.
func (s *Service) GetJob(ctx context.Context, id string, visible Visible) (store.Job, error) {
	j, err := getJob(ctx, s.Store, id, visible)
	return j, Err(err)
}

// CancelJob cancels job id (refunded) with its audit row (job.cancel) in one
// transaction, under the job's lock: a job already finished, or cancelled by
// a concurrent call, is answered as it is and audited once. The refund is
// told to the budget caches and the upstream asked to stop only after the
// commit. e nil (a gateway running no job engine) is refused.
func (s *Service) CancelJob(ctx context.Context, who Who, e JobCanceller, id string, visible Visible) (store.Job, error) {
	var out store.Job
	var after func()
	err := retryConflicts(func() error {
		after = nil
		return s.Store.Tx(ctx, func(tx store.Store) error {
			if err := tx.Lock(ctx, "job:"+id); err != nil {
				return err
			}
			j, err := getJob(ctx, tx, id, visible)
			if err != nil {
				return err
			}
			if e == nil {
				return apierr.T(apierr.ServiceUnavailable, i18n.M("admin.this_gateway_runs_no_job"), i18n.Message{})
			}
			before, now, changed, fin, err := e.CancelIn(ctx, tx, j.ID)
			if err != nil {
				return err
			}
			out = now
			if !changed {
				return nil
			}
			if err := s.audit(ctx, tx, who, "job.cancel", "job:"+j.ID, map[string]any{"project": j.Project, "key_id": j.KeyID,
				"was": before.State, "now": now.State}); err != nil {
				return err
			}
			after = fin
			return nil
		})
	})
	if err != nil {
		return store.Job{}, Err(err)
	}
	if after != nil {
		after()
	}
	return out, nil
}
