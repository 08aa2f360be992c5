package store

import (
	"context"
	"time"
)

// Job states. A job is created submitting (the gateway is sending it
// upstream), then follows the upstream (queued, in_progress) to one of the
// terminal states.
const (
	JobSubmitting = "submitting"
	JobQueued     = "queued"
	JobInProgress = "in_progress"
	JobCompleted  = "completed"
	JobFailed     = "failed"
	JobCancelled  = "cancelled"
)

// JobTerminal reports whether state is final.
func JobTerminal(state string) bool {
	return state == JobCompleted || state == JobFailed || state == JobCancelled
}

// Job is an asynchronous generation job (a video).
type Job struct {
	ID            string // ours: video_…; the upstream id is never shown to clients
	Kind          string // video
	State         string
	RequestID     string // the submitting request: its log row carries the charge
	Project       string
	KeyID         string
	KeyDisplay    string
	Member        string
	Group         string
	Model         string
	Channel       string
	UpstreamModel string
	UpstreamID    string
	Params        string // JSON: what the adapter needs to submit (prompt, seconds, size…)
	Seconds       int
	Size          string
	Progress      int
	// ReservedNano was charged to the budgets (Windows) at submit;
	// ChargedNano is the settled cost once terminal.
	ReservedNano int64
	ChargedNano  int64
	Windows      []JobWindow
	Charged      string // no (in flight) | yes | refunded
	ErrorCode    string
	ErrorMessage string
	LeaseOwner   string
	LeaseUntil   time.Time
	NextPollAt   time.Time
	Polls        int
	CancelAsked  bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	StartedAt    time.Time
	CompletedAt  time.Time
	ExpiresAt    time.Time
	DeadlineAt   time.Time
}

// JobWindow is one budget window a job's reservation was charged to.
type JobWindow struct {
	Scope   string `json:"scope"`
	Subject string `json:"subject"`
	Period  string `json:"period"`
	Start   int64  `json:"start"`
}

// JobFilter narrows ListJobs.
type JobFilter struct {
	Project string
	// Projects, when not empty, keeps jobs of these projects only.
	Projects []string
	KeyID    string
	State    string
	Model    string
	Channel  string
	Since    time.Time
	Limit    int
	// After pages: jobs created before the job with this id.
	After string
}

// JobUpdate is a non-terminal change by the lease holder.
type JobUpdate struct {
	State      string
	UpstreamID string
	Progress   int
	NextPollAt time.Time
	StartedAt  time.Time
	Polls      int
	// KeepLease keeps the job leased to its owner (the submitter holds it
	// until the upstream answered); otherwise the lease is released.
	KeepLease bool
}

// JobFinal is a terminal transition with its money movement.
type JobFinal struct {
	State        string // completed | failed | cancelled
	ChargedNano  int64  // what the job costs; ReservedNano - ChargedNano is credited back
	Seconds      int    // the real duration, when completed
	ErrorCode    string
	ErrorMessage string
	CompletedAt  time.Time
	ExpiresAt    time.Time
	// CostUSD and Charged are written to the submitting request's log row.
	CostUSD float64
	Charged string
}

// JobStore persists generation jobs. Every transition is a compare-and-set
// on the previous state.
type JobStore interface {
	// CreateJob inserts j (state submitting, leased to j.LeaseOwner), its
	// reservation — ReservedNano added to each window's spend, and the
	// 'reserve' ledger row — and, when log is not nil, a request log row, in
	// one transaction. When a cap is given (> 0) and the project or the channel
	// already has that many jobs in flight it inserts nothing and returns
	// *JobCapError.
	CreateJob(ctx context.Context, j *Job, log *RequestLog, projectCap, channelCap int) error
	GetJob(ctx context.Context, id string) (Job, error)
	ListJobs(ctx context.Context, f JobFilter) ([]Job, error)
	// CountJobs returns how many jobs are in each state.
	CountJobs(ctx context.Context) (map[string]int, error)
	// ClaimJobs leases up to limit jobs that need work at now — in flight
	// and due to be polled, past their deadline, or submitting with a lapsed
	// lease (their submitter died) — to owner until now+lease. Two callers
	// never get the same job while its lease runs.
	ClaimJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]Job, error)
	// UpdateJob applies u if the job is still in state from and leased to
	// owner; it reports whether it did.
	UpdateJob(ctx context.Context, id, from, owner string, u JobUpdate, now time.Time) (bool, error)
	// FinishJob moves the job from state from to f.State, settles its
	// charge, credits ReservedNano - f.ChargedNano back to its windows,
	// writes the 'final' ledger row and updates the request log row, all in
	// one transaction; it reports false (and changes nothing) when the job
	// is no longer in state from or was already settled.
	FinishJob(ctx context.Context, id, from string, f JobFinal, now time.Time) (bool, error)
	// RequestJobCancel marks a job for cancellation; it reports the job.
	RequestJobCancel(ctx context.Context, id string, now time.Time) (Job, error)
	// ExpireJobContent ends a completed job's content at now (its
	// deletion); it reports whether the job was completed.
	ExpireJobContent(ctx context.Context, id string, now time.Time) (bool, error)
	// InsertLogs writes request log rows (skipping known request ids).
	InsertLogs(ctx context.Context, rows []RequestLog) error
}

// JobCapError says which cap refused a new job.
type JobCapError struct {
	Which    string // project | channel
	Name     string
	InFlight int
	Cap      int
}

func (e *JobCapError) Error() string {
	return "the " + e.Which + " " + e.Name + " is at its max_jobs"
}
