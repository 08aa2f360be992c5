package store

import (
	"context"
	"time"
)

// Member roles. Their powers are decided in one place, the admin API's
// authorization table (internal/httpapi/authz.go).
const (
	RoleOwner   = "owner"
	RoleAdmin   = "admin"
	RoleMember  = "member"
	RoleSupport = "support"
	RoleViewer  = "viewer"
)

// Roles lists every role, most powerful first.
var Roles = []string{RoleOwner, RoleAdmin, RoleMember, RoleSupport, RoleViewer}

// ValidRole reports whether r names a role.
func ValidRole(r string) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// MemberStore keeps the people who use the admin API.
type MemberStore interface {
	// GetMember returns a member by id, or ErrNotFound.
	GetMember(ctx context.Context, id string) (Member, error)
	// GetMemberByEmail returns a member by email (exact match), or ErrNotFound.
	GetMemberByEmail(ctx context.Context, email string) (Member, error)
	// ListMembers returns every member, oldest first.
	ListMembers(ctx context.Context) ([]Member, error)
	// UpdateMember writes the role, projects, token and password hashes,
	// the disabled flag and the budget of an existing member; ErrNotFound
	// when it is gone.
	UpdateMember(ctx context.Context, m Member) error
	// DeleteMember removes a member; ErrNotFound when it is gone.
	DeleteMember(ctx context.Context, id string) error
}

// UsageFilter selects the calls a usage report adds up. Empty fields do
// not filter.
type UsageFilter struct {
	Project  string
	Projects []string // when not empty, only these projects (an actor's view)
	KeyID    string
	Member   string
	Model    string
	Env      string    // live | test: only keys of this environment
	Since    time.Time // inclusive
	Until    time.Time // exclusive
	// GroupBy lists the dimensions of each row, in order: "model", "key",
	// "member", "project", "env", "day". Empty gives one row of totals.
	GroupBy []string
}

// UsageRow is one row of a usage report. Only the fields named by the
// filter's GroupBy are set.
type UsageRow struct {
	Model        string
	KeyID        string
	KeyDisplay   string
	Member       string
	Project      string
	Env          string    // live | test
	Day          time.Time // UTC midnight
	Requests     int64
	Errors       int64 // calls answered with an error code
	InputTokens  int64
	OutputTokens int64
	CostUSD      float64

	// Parts of the token sums: prompt-cache reads and writes, reasoning.
	CachedInputTokens int64
	CacheWriteTokens  int64
	ReasoningTokens   int64
}

// RollupResult says what a RollupLogs call moved.
type RollupResult struct {
	Rows int64 // raw request log rows folded into the rollup and deleted
	Days int   // days touched
}

// UsageStore answers usage reports and keeps totals after raw logs expire.
//
// Request logs older than the retention are folded into a per-day rollup
// (day, project, key, member, model) in the same transaction that deletes
// them, so the two never overlap and a report that reads both is exact.
// Inside a day that has been rolled up, a report cannot split by the hour:
// Since and Until select rolled-up days by their start.
type UsageStore interface {
	UsageReport(ctx context.Context, f UsageFilter) ([]UsageRow, error)
	// RollupLogs folds request logs with time before t into the rollup and
	// deletes them, one day per transaction, oldest first.
	RollupLogs(ctx context.Context, before time.Time) (RollupResult, error)
}
