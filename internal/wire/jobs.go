package wire

import "time"

// JobView is a generation job as the admin API shows it (GET
// /admin/v1/jobs[/{id}]) and the CLI reads it. Operators see the upstream
// id; clients never do.
type JobView struct {
	ID           string     `json:"id"`
	Kind         string     `json:"kind"`
	State        string     `json:"state"`
	Project      string     `json:"project"`
	KeyID        string     `json:"key_id"`
	KeyDisplay   string     `json:"key_display"`
	Member       string     `json:"member,omitempty"`
	Model        string     `json:"model"`
	Channel      string     `json:"channel"`
	UpstreamID   string     `json:"upstream_id,omitempty"`
	RequestID    string     `json:"request_id"`
	Seconds      int        `json:"seconds"`
	Size         string     `json:"size,omitempty"`
	Progress     int        `json:"progress"`
	ReservedUSD  float64    `json:"reserved_usd"`
	ChargedUSD   float64    `json:"charged_usd"`
	Charged      string     `json:"charged"` // no (in flight) | yes | refunded
	ErrorCode    string     `json:"error_code,omitempty"`
	ErrorMessage string     `json:"error_message,omitempty"`
	Polls        int        `json:"polls"`
	LeaseOwner   string     `json:"lease_owner,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	CompletedAt  *time.Time `json:"completed_at,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	DeadlineAt   time.Time  `json:"deadline_at"`
}
