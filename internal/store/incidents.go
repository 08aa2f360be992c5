package store

import (
	"context"
	"encoding/json"
	"time"
)

// Incident states.
const (
	IncidentOpen      = "open"
	IncidentContained = "contained"
	IncidentResolved  = "resolved"
)

// Incident is a handoff record: which keys and requests, what was seen,
// what evidence was collected and what is left. Every text field holds
// display forms and ids only; the admin API refuses text with a secret.
type Incident struct {
	ID              string
	Title           string
	State           string // open | contained | resolved
	Origin          string // manual | leak-report | key-disable
	Project         string // "" = not tied to one project (global actors only)
	Owner           string
	Environment     string // live | test
	Deployment      string
	Capability      string // affected models, routes
	Symptom         string
	LastGoodAt      time.Time
	LastGoodRequest string
	KeyIDs          []string
	RequestIDs      []string
	Evidence        []Evidence
	NextReview      time.Time
	Resolution      string
	OpenedBy        string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	ResolvedAt      time.Time
	Version         int64
}

// Evidence is one snapshot attached to an incident (an impact report, a
// rotation status, a request's log row), as JSON in display forms.
type Evidence struct {
	Kind string          `json:"kind"` // impact | rotation | request
	Ref  string          `json:"ref"`  // the key or request id it is about
	Time time.Time       `json:"time"`
	Data json.RawMessage `json:"data"`
}

// IncidentNote is one entry of an incident's timeline.
type IncidentNote struct {
	ID         string
	IncidentID string
	Time       time.Time
	Author     string
	Kind       string // note | state | evidence
	Text       string
}

// IncidentFilter narrows ListIncidents.
type IncidentFilter struct {
	// States keeps incidents in these states; empty = all.
	States []string
	KeyID  string
	// Projects, when not empty, keeps incidents of these projects only.
	Projects []string
	// ReviewDue, when set, keeps unresolved incidents whose next review is
	// set and at or before it.
	ReviewDue time.Time
	Limit     int
}

// RotationWindow selects the request logs of a rotation: the old key's
// calls since Since and the replacement's.
type RotationWindow struct {
	OldKeyID string
	NewKeyID string
	Since    time.Time
	// Refused are the error codes of calls refused because of the key's
	// state; RefusedSince selects which of the old key's refused calls are
	// listed one by one (up to MaxRefused, newest first).
	Refused      []string
	RefusedSince time.Time
	MaxRefused   int
	MaxClients   int
}

// RotationClient is one distinct client (address + user agent + declared
// client name) seen with the old or the new key of a rotation.
type RotationClient struct {
	IP, UserAgent, Client string
	CallsOld              int
	RefusedOld            int
	FirstOld, LastOld     time.Time
	CallsNew              int
	FirstNew, LastNew     time.Time
}

// RotationUsage is the aggregate behind a rotation report.
type RotationUsage struct {
	Clients []RotationClient // clients that used the old key, most recent first
	Refused []RequestLog     // the old key's refused calls since RefusedSince
}

// IncidentStore keeps incident records and derives rotation reports from
// the request log.
type IncidentStore interface {
	CreateIncident(ctx context.Context, in *Incident) error
	// GetIncident returns an incident by id, or ErrNotFound.
	GetIncident(ctx context.Context, id string) (Incident, error)
	// ListIncidents returns incidents matching f, newest first.
	ListIncidents(ctx context.Context, f IncidentFilter) ([]Incident, error)
	// UpdateIncident writes in if its stored Version equals in.Version,
	// then increments it; otherwise ErrConflict (ErrNotFound when gone).
	UpdateIncident(ctx context.Context, in *Incident) error
	AddIncidentNote(ctx context.Context, n IncidentNote) error
	// ListIncidentNotes returns an incident's notes, oldest first.
	ListIncidentNotes(ctx context.Context, incidentID string) ([]IncidentNote, error)
	// RotationUsage aggregates the request logs of a rotation by client.
	RotationUsage(ctx context.Context, w RotationWindow) (RotationUsage, error)
}
