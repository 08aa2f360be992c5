package admin

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/service"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/wire"
)

// Generation jobs for operators: list with filters, show one, cancel one
// (refunded, audited).

func (s *Server) jobRoutes(mux router) {
	mux.Handle("GET /admin/v1/jobs", s.admin(s.listJobs))
	mux.Handle("GET /admin/v1/jobs/{id}", s.admin(s.getJob))
	mux.Handle("POST /admin/v1/jobs/{id}/cancel", s.admin(s.cancelJob))
}

func viewJob(j *store.Job) wire.JobView {
	v := wire.JobView{ID: j.ID, Kind: j.Kind, State: j.State, Project: j.Project, KeyID: j.KeyID, KeyDisplay: j.KeyDisplay,
		Member: j.Member, Model: j.Model, Channel: j.Channel, UpstreamID: j.UpstreamID, RequestID: j.RequestID, Seconds: j.Seconds,
		Size: j.Size, Progress: j.Progress, ReservedUSD: ledger.ToUSD(j.ReservedNano), ChargedUSD: ledger.ToUSD(j.ChargedNano),
		Charged: j.Charged, ErrorCode: j.ErrorCode, ErrorMessage: j.ErrorMessage, Polls: j.Polls, LeaseOwner: j.LeaseOwner,
		CreatedAt: j.CreatedAt, CompletedAt: timePtr(j.CompletedAt), ExpiresAt: timePtr(j.ExpiresAt), DeadlineAt: j.DeadlineAt}
	if !j.LeaseUntil.After(time.Now()) {
		v.LeaseOwner = "" // a lapsed lease holds nothing
	}
	return v
}

var jobStates = []string{store.JobSubmitting, store.JobQueued, store.JobInProgress, store.JobCompleted, store.JobFailed, store.JobCancelled}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.JobFilter{Project: q.Get("project"), Projects: s.visibleProjects(r), KeyID: q.Get("key_id"), State: q.Get("state"),
		Model: q.Get("model"), Channel: q.Get("channel"), After: q.Get("after"), Limit: 100}
	if f.State != "" && !has(jobStates, f.State) {
		return invalid("state", i18n.M("admin.state_is_not_a_job", i18n.Q("state", fmt.Sprint(truncate(f.State, 40)))), i18n.M("admin.use_submitting_queued_in_progress.hint"))
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return invalid("limit", i18n.M("admin.limit_use_1_to_1000", i18n.Q("value", fmt.Sprint(truncate(v, 20)))), i18n.Message{})
		}
		f.Limit = n
	}
	var err error
	if f.Since, err = parseTimeParam(q, "since"); err != nil {
		return err
	}
	list, err := s.Svc.ListJobs(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]wire.JobView, len(list))
	for i := range list {
		out[i] = viewJob(&list[i])
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

// visible says which projects' objects the caller sees.
func (s *Server) visible(r *http.Request) service.Visible {
	a := actorFrom(r.Context())
	return func(p string) bool { return s.canSeeProject(a, p) }
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request) error {
	j, err := s.Svc.GetJob(r.Context(), r.PathValue("id"), s.visible(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewJob(&j))
	return nil
}

func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request) error {
	var e service.JobCanceller
	if s.Jobs != nil {
		e = s.Jobs
	}
	j, err := s.Svc.CancelJob(r.Context(), s.who(r), e, r.PathValue("id"), s.visible(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewJob(&j))
	return nil
}
