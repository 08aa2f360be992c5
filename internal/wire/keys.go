package wire

import (
	"encoding/json"
	"github.com/keygate/keygate/internal/anomaly"
	"github.com/keygate/keygate/internal/store"
	"time"
)

// KeyView is the admin API's JSON form of a key; it never holds the key
// itself except, once, in Key at creation.
type KeyView struct {
	ID          string      `json:"id"`
	Key         string      `json:"key,omitempty"`
	Display     string      `json:"display"`
	Env         string      `json:"env"`
	Name        string      `json:"name"`
	Project     string      `json:"project"`
	Group       string      `json:"group"`
	Models      []string    `json:"models"`
	AllowedIPs  []string    `json:"allowed_ips"`
	ExpiresAt   *time.Time  `json:"expires_at"`
	State       string      `json:"state"`
	StateAt     *time.Time  `json:"state_at,omitempty"`
	StateBy     string      `json:"state_by,omitempty"`
	StateReason string      `json:"state_reason,omitempty"`
	ReplacedBy  string      `json:"replaced_by,omitempty"`
	RotatedFrom string      `json:"rotated_from,omitempty"`
	GraceUntil  *time.Time  `json:"grace_until,omitempty"`
	Budget      *BudgetView `json:"budget"`
	// SpentUSD is what the key spent in its budget's current period, and
	// BudgetResetsAt when that period ends (absent for total budgets).
	SpentUSD       *float64   `json:"spent_usd,omitempty"`
	BudgetResetsAt *time.Time `json:"budget_resets_at,omitempty"`
	RPM            int        `json:"rpm"`
	TPM            int        `json:"tpm"`
	// Concurrency is the key's own cap on calls in flight per instance
	// (0 = its group's default, then KEYGATE_KEY_CONCURRENCY).
	Concurrency int `json:"concurrency"`
	// RequestTypes is the key's request-type scope (empty = all).
	RequestTypes []string  `json:"request_types,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	CreatedBy    string    `json:"created_by"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// BudgetView is a budget in USD per period.
type BudgetView struct {
	LimitUSD float64 `json:"limit_usd"`
	Period   string  `json:"period"`
}

// LogView is the admin API's JSON form of a request log row.
type LogView struct {
	RequestID      string    `json:"request_id"`
	Time           time.Time `json:"time"`
	KeyID          string    `json:"key_id"`
	KeyDisplay     string    `json:"key_display"`
	KeyEnv         string    `json:"key_env"`
	Project        string    `json:"project"`
	Member         string    `json:"member"`
	Group          string    `json:"group"`
	Model          string    `json:"model"`
	ModelServed    string    `json:"model_served"`
	Channel        string    `json:"channel"`
	RequestType    string    `json:"request_type"`
	Stream         bool      `json:"stream"`
	Status         int       `json:"status"`
	ErrorCode      string    `json:"error_code"`
	FailureReason  string    `json:"failure_reason"`
	InputTokens    int       `json:"input_tokens"`
	OutputTokens   int       `json:"output_tokens"`
	UsageEstimated bool      `json:"usage_estimated"`
	// Priced is false when the model had no price (none declared, none in
	// the built-in catalogue): cost_usd 0 then means nothing was billed.
	Priced    bool    `json:"priced"`
	CostUSD   float64 `json:"cost_usd"`
	Charged   string  `json:"charged"`
	LatencyMS float64 `json:"latency_ms"`
	TTFBMS    float64 `json:"ttfb_ms"`
	SourceIP  string  `json:"source_ip"`
	UserAgent string  `json:"user_agent"`
	Attempts  int     `json:"attempts"`
	Route     string  `json:"route"`

	// Parts of input_tokens and output_tokens: prompt-cache reads and
	// writes, reasoning.
	CachedInputTokens int `json:"cached_input_tokens"`
	CacheWriteTokens  int `json:"cache_write_tokens"`
	ReasoningTokens   int `json:"reasoning_tokens"`
}

// RotateView is the answer to a rotation: the new key (with its plaintext,
// once) and what became of the old one.
type RotateView struct {
	KeyView
	OldKey   KeyView `json:"old_key"`
	Replayed bool    `json:"idempotent_replay,omitempty"`
	Note     string  `json:"note,omitempty"`
}

// ImpactReport is the incident report of a suspected leak.
type ImpactReport struct {
	KeyID                string          `json:"key_id"`
	Env                  string          `json:"env"` // live | test, as in the key
	Key                  KeyView         `json:"key"`
	Since                time.Time       `json:"since"`
	Until                time.Time       `json:"until"`
	Requests             int             `json:"requests"`
	SpendUSD             float64         `json:"spend_usd"`
	ByModel              []ImpactModel   `json:"by_model"`
	ByIP                 []ImpactIP      `json:"by_ip"`
	ByHour               []ImpactHour    `json:"by_hour"`
	UserAgents           []ImpactUA      `json:"user_agents"`
	RejectedAfterDisable int             `json:"rejected_after_disable"`
	RejectedAttempts     []ImpactAttempt `json:"rejected_attempts"`
	Anomalies            []Anomaly       `json:"anomalies"`
	Baseline             ImpactBaseline  `json:"baseline"`
}

// ImpactModel is traffic to one model.
type ImpactModel struct {
	Model    string  `json:"model"`
	Requests int     `json:"requests"`
	SpendUSD float64 `json:"spend_usd"`
}

// ImpactIP is traffic from one address; New means the key was never used
// from it before the report's start.
type ImpactIP struct {
	IP        string    `json:"ip"`
	Requests  int       `json:"requests"`
	Rejected  int       `json:"rejected"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	New       bool      `json:"new"`
}

// ImpactHour is traffic in one hour (UTC).
type ImpactHour struct {
	Hour     string  `json:"hour"`
	Requests int     `json:"requests"`
	SpendUSD float64 `json:"spend_usd"`
}

// ImpactUA is traffic with one User-Agent.
type ImpactUA struct {
	UserAgent string `json:"user_agent"`
	Requests  int    `json:"requests"`
}

// ImpactAttempt is a call refused because of the key's state.
type ImpactAttempt struct {
	Time      time.Time `json:"time"`
	IP        string    `json:"ip"`
	UserAgent string    `json:"user_agent"`
	Code      string    `json:"code"`
	RequestID string    `json:"request_id"`
}

// ImpactBaseline is the key's own history before the report's start.
type ImpactBaseline struct {
	Requests        int        `json:"requests"`
	SpendUSD        float64    `json:"spend_usd"`
	FirstSeen       *time.Time `json:"first_seen"`
	RequestsPerHour float64    `json:"requests_per_hour"`
	SpendPerHour    float64    `json:"spend_usd_per_hour"`
}

// Anomaly is something in the window far from the key's own baseline.
type Anomaly = anomaly.Anomaly

// DigestStatus says what the gateway knows about one key digest.
type DigestStatus struct {
	Digest  string `json:"digest"`
	Known   bool   `json:"known"`
	ID      string `json:"id,omitempty"`
	Display string `json:"display,omitempty"`
	State   string `json:"state,omitempty"`
	Project string `json:"project,omitempty"`
	Env     string `json:"env,omitempty"`
}

// AuditView is the admin API's JSON form of an audit event.
type AuditView struct {
	ID       string          `json:"id"`
	Time     time.Time       `json:"time"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"`
	Object   string          `json:"object"`
	SourceIP string          `json:"source_ip"`
	Detail   json.RawMessage `json:"detail"`
}

// ViewKey is k as the admin API shows it. An active key past its
// expires_at is shown expired (expiry is judged at use, from expires_at).
func ViewKey(k store.Key, now time.Time) KeyView {
	v := KeyView{ID: k.ID, Display: k.Display, Env: k.Env, Name: k.Name, Project: k.Project, Group: k.Group,
		Models: nonNil(k.Models), AllowedIPs: nonNil(k.AllowedIPs), ExpiresAt: timePtr(k.ExpiresAt), State: k.State,
		StateAt: timePtr(k.StateAt), StateBy: k.StateBy, StateReason: k.StateReason, ReplacedBy: k.ReplacedBy,
		RotatedFrom: k.RotatedFrom, GraceUntil: timePtr(k.GraceUntil), RPM: k.RPM, TPM: k.TPM, Concurrency: k.Concurrency, RequestTypes: k.RequestTypes, CreatedAt: k.CreatedAt, CreatedBy: k.CreatedBy, UpdatedAt: k.UpdatedAt}
	if k.State == store.KeyActive && !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) {
		v.State, v.StateAt = store.KeyExpired, timePtr(k.ExpiresAt)
	}
	if k.BudgetUSD > 0 {
		v.Budget = &BudgetView{LimitUSD: k.BudgetUSD, Period: k.BudgetPeriod}
	}
	return v
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
