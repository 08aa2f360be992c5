package wire

import (
	"time"
)

// RotationReport says which clients of a rotated key have moved to its
// replacement.
type RotationReport struct {
	OldKeyID      string           `json:"old_key_id"`
	OldKeyDisplay string           `json:"old_key_display"`
	OldKeyState   string           `json:"old_key_state"`
	NewKeyID      string           `json:"new_key_id"`
	NewKeyDisplay string           `json:"new_key_display"`
	RotatedAt     time.Time        `json:"rotated_at"`
	GraceDeadline *time.Time       `json:"grace_deadline"`
	GraceOver     bool             `json:"grace_over"`
	Since         time.Time        `json:"since"`
	Clients       []RotationClient `json:"clients"`
	Migrated      int              `json:"migrated"`
	Remaining     int              `json:"remaining"`
	AllMigrated   bool             `json:"all_migrated"`
	// RefusedAfterDeadline counts the old key's calls refused since the
	// deadline (or since the rotation, for a key that was disabled).
	RefusedAfterDeadline int    `json:"refused_after_deadline"`
	Summary              string `json:"summary"`
	Next                 string `json:"next"`
}

// RotationClient is one distinct client of the old key.
type RotationClient struct {
	IP          string     `json:"ip"`
	UserAgent   string     `json:"user_agent"`
	Client      string     `json:"client"`
	CallsOld    int        `json:"calls_old"`
	FirstOld    *time.Time `json:"first_seen_old"`
	LastSeenOld *time.Time `json:"last_seen_old"`
	RefusedOld  int        `json:"refused_old"`
	CallsNew    int        `json:"calls_new"`
	LastSeenNew *time.Time `json:"last_seen_new"`
	// Migrated: the client's latest call used the replacement.
	Migrated bool `json:"migrated"`
	// StillUsesOld: seen with the replacement, but it used the old key
	// again afterwards (a second process on the same host, a fallback).
	StillUsesOld bool          `json:"still_uses_old,omitempty"`
	RefusedCalls []RefusedCall `json:"refused_calls"`
}

// RefusedCall is one call of the old key refused after the deadline.
type RefusedCall struct {
	Time      time.Time `json:"time"`
	RequestID string    `json:"request_id"`
	Code      string    `json:"code"`
}
