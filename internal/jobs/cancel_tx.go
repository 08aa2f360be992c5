package jobs

import (
	"context"

	"github.com/keygate/keygate/internal/store"
)

// CancelIn cancels job id as Cancel does, with its store writes on tx — a
// transaction the caller owns and commits together with its audit row
// (service.CancelJob). changed says whether it changed anything (a job
// already finished is left as it is). after, once the transaction
// committed, tells the budget caches and OnFinish of the refund and asks
// the upstream to stop; it must not run when the transaction failed.
//
// A job that moved between two states since it was read (a poller finished
// it) is store.ErrConflict: the caller reads it afresh and decides again.
func (e *Engine) CancelIn(ctx context.Context, tx store.JobStore, id string) (before, now store.Job, changed bool, after func(), err error) {
	after = func() {}
	j, err := tx.GetJob(ctx, id)
	if err != nil || store.JobTerminal(j.State) {
		return j, j, false, after, err
	}
	if j.State == store.JobSubmitting {
		got, err := tx.RequestJobCancel(ctx, id, e.now())
		return j, got, err == nil, e.Kick, err
	}
	f := store.JobFinal{State: store.JobCancelled, ErrorCode: "cancelled", ErrorMessage: "The job was cancelled; it was refunded.",
		Charged: "refunded", CompletedAt: e.now()}
	ok, err := tx.FinishJob(ctx, j.ID, j.State, f, e.now())
	if err != nil {
		return j, j, false, after, err
	}
	if !ok {
		return j, j, false, after, store.ErrConflict
	}
	cur, err := tx.GetJob(ctx, id)
	if err != nil {
		return j, j, false, after, err
	}
	after = func() {
		e.adjust(context.WithoutCancel(ctx), &cur, cur.ChargedNano-cur.ReservedNano)
		if e.OnFinish != nil {
			e.OnFinish(cur)
		}
		if e.Channel == nil {
			return
		}
		if ch := e.Channel(cur.Channel); ch != nil {
			if ad := e.Adapters[channelType(ch)]; ad != nil && cur.UpstreamID != "" {
				if err := ad.Cancel(context.WithoutCancel(ctx), ch, &cur); err != nil {
					e.log().Info("upstream job not cancelled", "job", id, "err", err)
				}
			}
		}
	}
	return j, cur, true, after, nil
}
