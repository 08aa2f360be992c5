package incident

import (
	"encoding/json"
	"time"
)

// Record is an incident as the admin API answers it and the CLI reads it:
// the stored fields, the keys' current state, the actions taken (from the
// audit log), the timeline of notes and what is left to do.
type Record struct {
	ID          string     `json:"id"`
	Title       string     `json:"title"`
	State       string     `json:"state"`
	Origin      string     `json:"origin"`
	Project     string     `json:"project"`
	Owner       string     `json:"owner"`
	Environment string     `json:"environment"`
	Deployment  string     `json:"deployment"`
	Capability  string     `json:"capability"`
	Symptom     string     `json:"symptom"`
	LastGood    *LastGood  `json:"last_known_good"`
	Keys        []KeyRef   `json:"keys"`
	RequestIDs  []string   `json:"request_ids"`
	Evidence    []Evidence `json:"evidence"`
	Actions     []Action   `json:"actions"`
	Notes       []Note     `json:"notes"`
	Remaining   []string   `json:"remaining"`
	NextReview  *time.Time `json:"next_review"`
	Overdue     bool       `json:"review_overdue"`
	Resolution  string     `json:"resolution,omitempty"`
	OpenedBy    string     `json:"opened_by"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ResolvedAt  *time.Time `json:"resolved_at,omitempty"`
}

// LastGood is the last result known to be good before the symptom.
type LastGood struct {
	Time      *time.Time `json:"time,omitempty"`
	RequestID string     `json:"request_id,omitempty"`
}

// KeyRef is a key linked to an incident, in display form.
type KeyRef struct {
	ID          string     `json:"id"`
	Display     string     `json:"display"`
	State       string     `json:"state"`
	StateReason string     `json:"state_reason,omitempty"`
	ReplacedBy  string     `json:"replaced_by,omitempty"`
	GraceUntil  *time.Time `json:"grace_until,omitempty"`
}

// Evidence is a snapshot attached to an incident: an impact report
// ("impact"), a rotation status ("rotation") or a request's log row
// ("request"), as the admin API produced it at Time.
type Evidence struct {
	Kind string          `json:"kind"`
	Ref  string          `json:"ref"`
	Time time.Time       `json:"time"`
	Data json.RawMessage `json:"data"`
}

// Action is an audit event about the incident's keys or the incident itself.
type Action struct {
	Time   time.Time       `json:"time"`
	Actor  string          `json:"actor"`
	Action string          `json:"action"`
	Object string          `json:"object"`
	Detail json.RawMessage `json:"detail,omitempty"`
}

// Note is one entry of the timeline.
type Note struct {
	Time   time.Time `json:"time"`
	Author string    `json:"author"`
	Kind   string    `json:"kind"`
	Text   string    `json:"text"`
}

// ImpactSummary is the part of an impact report the summary shows.
type ImpactSummary struct {
	KeyID    string    `json:"key_id"`
	Since    time.Time `json:"since"`
	Until    time.Time `json:"until"`
	Requests int       `json:"requests"`
	SpendUSD float64   `json:"spend_usd"`
	ByModel  []struct {
		Model    string  `json:"model"`
		Requests int     `json:"requests"`
		SpendUSD float64 `json:"spend_usd"`
	} `json:"by_model"`
	ByIP []struct {
		IP       string    `json:"ip"`
		Requests int       `json:"requests"`
		Rejected int       `json:"rejected"`
		LastSeen time.Time `json:"last_seen"`
		New      bool      `json:"new"`
	} `json:"by_ip"`
	RejectedAfterDisable int `json:"rejected_after_disable"`
	Anomalies            []struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
	} `json:"anomalies"`
}

// RotationSummary is the part of a rotation report the summary shows.
type RotationSummary struct {
	OldKeyID      string     `json:"old_key_id"`
	NewKeyID      string     `json:"new_key_id"`
	GraceDeadline *time.Time `json:"grace_deadline"`
	Migrated      int        `json:"migrated"`
	Remaining     int        `json:"remaining"`
	Clients       []struct {
		IP        string     `json:"ip"`
		UserAgent string     `json:"user_agent"`
		Client    string     `json:"client"`
		CallsOld  int        `json:"calls_old"`
		LastOld   *time.Time `json:"last_seen_old"`
		Migrated  bool       `json:"migrated"`
	} `json:"clients"`
}

// RequestSummary is the part of a request's log row the summary shows.
type RequestSummary struct {
	RequestID string    `json:"request_id"`
	Time      time.Time `json:"time"`
	Status    int       `json:"status"`
	ErrorCode string    `json:"error_code"`
	Model     string    `json:"model"`
	KeyID     string    `json:"key_id"`
	SourceIP  string    `json:"source_ip"`
}
