package wire

import (
	"encoding/json"
	"time"
)

// CredentialView is how the admin API shows a channel credential: never
// its value, only where it comes from and a fingerprint.
type CredentialView struct {
	Source string `json:"source"`        // sealed | env | none
	Env    string `json:"env,omitempty"` // the variable, for source env
	Set    bool   `json:"set"`           // a value is present (env: the variable is set)
	Kind   string `json:"kind,omitempty"`
	Length int    `json:"length,omitempty"`
	Last4  string `json:"last4,omitempty"`
}

// ChannelHealth is a channel's breaker state and statistics on the
// answering instance.
type ChannelHealth struct {
	State        string    `json:"state"`
	OpenUntil    time.Time `json:"open_until,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	LastErrorAt  time.Time `json:"last_error_at,omitzero"`
	Calls        int64     `json:"calls"`
	Failures     int64     `json:"failures"`
	SuccessRate  *float64  `json:"success_rate"`
	LatencyP50MS *float64  `json:"latency_p50_ms"`
	LatencyP95MS *float64  `json:"latency_p95_ms"`
	InFlight     int64     `json:"in_flight"`
}

// ChannelView is one channel as the admin API shows it.
type ChannelView struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	BaseURL string `json:"base_url"`
	// Credential says where the credential comes from: "env:VAR",
	// "sealed" or "none"; CredentialFingerprint identifies it without
	// showing it (kind, length, last 4 characters).
	Credential            string            `json:"credential"`
	CredentialFingerprint *CredentialView   `json:"credential_fingerprint,omitempty"`
	Models                []string          `json:"models"`
	ModelMap              map[string]string `json:"model_map,omitempty"`
	Groups                []string          `json:"groups"`
	Priority              int               `json:"priority"`
	Weight                int               `json:"weight"`
	Enabled               bool              `json:"enabled"`
	DisabledReason        string            `json:"disabled_reason,omitempty"`
	ManagedBy             string            `json:"managed_by,omitempty"`
	APIVersion            string            `json:"api_version,omitempty"`
	ConnectTimeoutMS      int64             `json:"connect_timeout_ms,omitempty"`
	FirstByteMS           int64             `json:"first_byte_timeout_ms,omitempty"`
	IdleTimeoutMS         int64             `json:"idle_timeout_ms,omitempty"`
	MaxConcurrency        int               `json:"max_concurrency,omitempty"`
	MaxAttempts           int               `json:"max_attempts,omitempty"`
	BreakerFailures       int               `json:"breaker_failures,omitempty"`
	BreakerCooldownMS     int64             `json:"breaker_cooldown_ms,omitempty"`
	UpdatedAt             time.Time         `json:"updated_at"`
	// LastTest is the report of the channel's last test (POST
	// …/{name}/test), null when it was never tested.
	LastTest json.RawMessage `json:"last_test"`
	ChannelHealth
}

// ChannelRequest is the body of POST and PATCH /admin/v1/channels. On
// PATCH, absent (null) fields are left as they are. APIKey is write-only:
// it is sealed with KEYGATE_SECRET_KEY and never shown again.
type ChannelRequest struct {
	Name              string             `json:"name,omitempty"`
	Type              *string            `json:"type,omitempty"`
	BaseURL           *string            `json:"base_url,omitempty"`
	APIKey            *string            `json:"api_key,omitempty"`
	APIKeyEnv         *string            `json:"api_key_env,omitempty"`
	Models            *[]string          `json:"models,omitempty"`
	ModelMap          *map[string]string `json:"model_map,omitempty"`
	Groups            *[]string          `json:"groups,omitempty"`
	Priority          *int               `json:"priority,omitempty"`
	Weight            *int               `json:"weight,omitempty"`
	Enabled           *bool              `json:"enabled,omitempty"`
	APIVersion        *string            `json:"api_version,omitempty"`
	ConnectTimeoutMS  *int64             `json:"connect_timeout_ms,omitempty"`
	FirstByteMS       *int64             `json:"first_byte_timeout_ms,omitempty"`
	IdleTimeoutMS     *int64             `json:"idle_timeout_ms,omitempty"`
	MaxConcurrency    *int               `json:"max_concurrency,omitempty"`
	MaxAttempts       *int               `json:"max_attempts,omitempty"`
	BreakerFailures   *int               `json:"breaker_failures,omitempty"`
	BreakerCooldownMS *int64             `json:"breaker_cooldown_ms,omitempty"`
}

// ModelsDiff is GET /admin/v1/channels/{name}/models: the upstream's model
// list against the models the channel claims (upstream names). New ones
// are offered, never added by themselves.
type ModelsDiff struct {
	Channel string   `json:"channel"`
	Listed  []string `json:"listed"`
	New     []string `json:"new"`
	Missing []string `json:"missing"`
}

// ModelView is one catalogue model as the admin API shows it. Prices are
// the ones in force: the operator's, or the built-in catalogue's
// (price_source says which); priced is false when neither has one.
type ModelView struct {
	Name          string   `json:"name"`
	Aliases       []string `json:"aliases"`
	MaxOutput     int      `json:"max_output,omitempty"`
	InputPerMTok  float64  `json:"input_per_mtok"`
	OutputPerMTok float64  `json:"output_per_mtok"`
	// CachedInputPerMTok and CacheWritePerMTok price prompt tokens read
	// from and written to the provider's cache (0 = the input price).
	CachedInputPerMTok float64  `json:"cached_input_per_mtok,omitempty"`
	CacheWritePerMTok  float64  `json:"cache_write_per_mtok,omitempty"`
	PerImage           float64  `json:"per_image,omitempty"`
	PerVideoSecond     float64  `json:"per_video_second,omitempty"`
	Priced             bool     `json:"priced"`
	PriceSource        string   `json:"price_source,omitempty"`
	Channels           []string `json:"channels"`
	Declared           bool     `json:"declared"` // false: only a channel names it
	ManagedBy          string   `json:"managed_by,omitempty"`
}

// ModelRequest is the body of POST and PATCH /admin/v1/models (absent
// fields unchanged on PATCH). Prices are USD per million tokens, per image
// or per second of video; all zero means "use the built-in catalogue".
type ModelRequest struct {
	Name               string    `json:"name,omitempty"`
	Aliases            *[]string `json:"aliases,omitempty"`
	MaxOutput          *int      `json:"max_output,omitempty"`
	InputPerMTok       *float64  `json:"input_per_mtok,omitempty"`
	OutputPerMTok      *float64  `json:"output_per_mtok,omitempty"`
	CachedInputPerMTok *float64  `json:"cached_input_per_mtok,omitempty"`
	CacheWritePerMTok  *float64  `json:"cache_write_per_mtok,omitempty"`
	PerImage           *float64  `json:"per_image,omitempty"`
	PerVideoSecond     *float64  `json:"per_video_second,omitempty"`
}
