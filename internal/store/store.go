// Package store defines keygate's persistent objects and the Store interface
// that the SQLite and PostgreSQL implementations satisfy. Handlers and the
// relay depend on this interface only, never on a driver.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when an object does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when an object with the same unique name exists.
var ErrConflict = errors.New("already exists")

// Key states (DESIGN.md §2).
const (
	KeyActive   = "active"
	KeyDisabled = "disabled"
	KeyExpired  = "expired"
	KeyRotated  = "rotated"
	KeyDeleted  = "deleted"
)

// Key is an API key. Only its SHA-256 digest is stored; Display is the only
// readable form (prefix + first 4 + last 4 body characters).
type Key struct {
	ID          string
	Hash        string // hex SHA-256 of the full key
	Display     string
	Env         string // live | test
	Name        string
	Project     string
	Group       string
	Models      []string // allow-list; empty = everything the group allows
	AllowedIPs  []string // CIDRs; empty = anywhere
	ExpiresAt   time.Time
	State       string
	StateAt     time.Time
	StateBy     string
	StateReason string
	ReplacedBy  string // id of the replacement after a rotation
	RotatedFrom string // id of the key this one replaced
	// Lineage is the id of the first key of the rotation chain this key
	// belongs to ("" = its own id); budgets and rate limits are kept per
	// lineage (BudgetSubject), so old and new key of a rotation share them.
	// Set at creation, never changed.
	Lineage      string
	Member       string // id of the member who owns the key ("" = the project's, no one's)
	GraceUntil   time.Time
	BudgetUSD    float64 // 0 = none
	BudgetPeriod string  // daily | monthly | total
	RPM          int
	TPM          int
	// Concurrency caps the key's calls in flight on each instance; 0 =
	// its group's default (then KEYGATE_KEY_CONCURRENCY).
	Concurrency int
	// RequestTypes limits the key to these request types (chat,
	// embeddings, images, videos); empty = all.
	RequestTypes []string
	CreatedAt    time.Time
	CreatedBy    string
	UpdatedAt    time.Time
	Version      int64
}

// LineageID is the rotation lineage k's budget and rate limits are kept
// under: its Lineage, or its own id for a key never rotated into.
func (k *Key) LineageID() string {
	if k.Lineage != "" {
		return k.Lineage
	}
	return k.ID
}

// KeyFilter narrows ListKeys.
type KeyFilter struct {
	Project string
	// Projects, when not empty, keeps keys of these projects only (the
	// projects an actor may see).
	Projects []string
	Member   string
	Env      string
	State    string
	Limit    int
}

// Group gives keys access to models and default limits.
type Group struct {
	Name            string
	Models          []string // "*" = all
	PriceMultiplier float64
	RPM             int
	TPM             int
	// Concurrency is the default cap on each key's calls in flight per
	// instance; 0 = KEYGATE_KEY_CONCURRENCY.
	Concurrency int
	ManagedBy   string
	UpdatedAt   time.Time
}

// Project is a team's unit of ownership and budget.
type Project struct {
	Name         string
	BudgetUSD    float64
	BudgetPeriod string
	// TestModels restricts the project's test keys (kg_test_) to these
	// catalogue names; empty = no restriction beyond group and key scope.
	TestModels []string
	// TestBudgetUSD is one budget shared by all the project's test keys
	// (0 = none), per TestBudgetPeriod.
	TestBudgetUSD    float64
	TestBudgetPeriod string
	// MaxJobs caps the project's generation jobs in flight (0 = no cap).
	MaxJobs   int
	ManagedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Channel is an upstream endpoint with its credential.
type Channel struct {
	Name         string
	Type         string // openai | anthropic | gemini | azure
	BaseURL      string
	APIKeySealed string            // credential sealed with the secret key ("" when from env)
	APIKeyEnv    string            // name of the environment variable holding the credential
	Models       []string          // models served
	ModelMap     map[string]string // catalogue name → upstream name
	Groups       []string
	Priority     int
	Weight       int
	Enabled      bool
	ManagedBy    string
	UpdatedAt    time.Time
	// APIVersion is an azure channel's api-version ("" = the adapter's
	// default).
	APIVersion string
	// LastTest is the report of the channel's last test (JSON; "" = never
	// tested), shown by GET /admin/v1/channels. UpsertChannel keeps the
	// stored one on a replace; SetChannelLastTest writes it.
	LastTest string
	// DisabledReason says why a channel was taken out of rotation when the
	// gateway did it (an upstream refused its credential); "" otherwise.
	DisabledReason string
	ChannelLimits
}

// ChannelLimits bound one channel's calls; zero fields use the gateway's
// defaults (no cap).
type ChannelLimits struct {
	ConnectTimeout   time.Duration // establishing the connection
	FirstByteTimeout time.Duration // from sending the request to the response headers / first event
	IdleTimeout      time.Duration // between two stream events
	MaxConcurrency   int           // concurrent calls on this instance
	MaxJobs          int           // generation jobs in flight on this channel, all instances together (0 = no cap)
	MaxAttempts      int           // channels one call may try when this one is first (0 = the gateway's default)
	BreakerFailures  int           // consecutive failures that open the breaker (0 = the default)
	BreakerCooldown  time.Duration // how long an open breaker keeps the channel out (0 = the gateway's cool-down)
}

// Model is a catalogue entry with prices in USD.
type Model struct {
	Name           string
	Aliases        []string
	InputPerMTok   float64
	OutputPerMTok  float64
	PerImage       float64
	PerVideoSecond float64
	Media          MediaPrices // image prices by size/quality, video prices by size (media.go)
	MaxOutput      int
	ManagedBy      string
	UpdatedAt      time.Time

	// CachedInputPerMTok prices prompt tokens read from the provider's
	// cache, CacheWritePerMTok those written to it; 0 = the input price.
	CachedInputPerMTok float64
	CacheWritePerMTok  float64
}

// Member is a person with a role; TokenHash authenticates the admin API.
type Member struct {
	ID        string
	Email     string
	Role      string // owner | admin | member | support | viewer
	TokenHash string // hex SHA-256 of the personal access token
	// PasswordHash is a bcrypt hash for the dashboard ("" = no password).
	PasswordHash string
	// Projects limits what the member sees; empty means every project
	// (not allowed for the member role).
	Projects []string
	Disabled bool
	// BudgetUSD bounds the spend of every key the member owns together,
	// per BudgetPeriod (daily | monthly | total); 0 = none.
	BudgetUSD    float64
	BudgetPeriod string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// RequestLog is one row per call, rejected calls included. Never bodies.
type RequestLog struct {
	RequestID      string
	Time           time.Time
	KeyID          string
	KeyDisplay     string
	KeyEnv         string
	Project        string
	Member         string
	Group          string
	Model          string // as asked
	ModelServed    string
	Channel        string
	RequestType    string // chat, completion, embeddings, responses, models
	Stream         bool
	Status         int
	ErrorCode      string
	FailureReason  string
	InputTokens    int
	OutputTokens   int
	UsageEstimated bool
	// Unpriced is set when the model had no price from the operator or
	// the built-in catalogue: CostUSD is 0 because nothing was billed.
	Unpriced  bool
	CostUSD   float64
	Charged   string // yes | no | refunded
	LatencyMS float64
	TTFBMS    float64
	SourceIP  string
	UserAgent string
	// Client is the caller's declared name (X-Client-Name and similar
	// headers), bounded and sanitized; "" when none was sent.
	Client   string
	Attempts int
	Route    string
	// AttemptsDetail is the story of each upstream attempt (channel,
	// upstream status, error, duration), kept for the request's evidence.
	// Empty when the only attempt succeeded: Channel and Status tell it.
	AttemptsDetail []Attempt

	// Parts of InputTokens and OutputTokens, billed at their own price or
	// worth telling apart: prompt-cache reads and writes, reasoning.
	CachedInputTokens int
	CacheWriteTokens  int
	ReasoningTokens   int

	// Spend is what the call settled against its budgets; not a column.
	// InsertLogs adds it to each window's spend in the transaction that
	// inserts the row (once: a row already stored adds nothing), so the
	// budgets' recorded spend is the sum of the stored rows whenever the
	// process dies.
	Spend Spend
}

// BudgetWindow is one period of one budget (ledger.Window); Start is unix
// milliseconds (0 for total).
type BudgetWindow struct {
	Scope, Subject, Period string
	Start                  int64
}

// Spend is a call's settled cost on its budget windows.
type Spend struct {
	Nano    int64 // nano-USD
	Windows []BudgetWindow
	// Hold is the database hold the call's settle left in place of the
	// spend (the ledger's DB backend), removed with the row's insert.
	Hold string
}

// Attempt is one upstream try of a request, as the request log keeps it.
// Error holds the upstream's own words with the channel credential scrubbed;
// it is shown to operators and support, never to the caller.
type Attempt struct {
	Channel    string  `json:"channel"`
	Status     int     `json:"upstream_status"`
	Code       string  `json:"code,omitempty"`
	Error      string  `json:"error,omitempty"`
	DurationMS float64 `json:"duration_ms"`
}

// LogFilter narrows QueryLogs.
type LogFilter struct {
	KeyID   string
	Project string
	// Projects, when not empty, keeps rows of these projects only.
	Projects []string
	Member   string
	Model    string
	Status   int
	Code     string
	// Charged, when set, keeps rows with this charged value (yes, no,
	// refunded).
	Charged string
	Since   time.Time
	Until   time.Time
	Limit   int
}

// AuditEvent records who did what to which object, from where.
type AuditEvent struct {
	ID       string
	Time     time.Time
	Actor    string
	Action   string
	Object   string
	SourceIP string
	Detail   string // JSON, display forms only
}

// AuditFilter narrows ListAudit.
type AuditFilter struct {
	Actor  string
	Object string
	Action string
	Since  time.Time
	Limit  int
}

// LogWindow selects the request logs of one key for AggregateKeyLogs.
type LogWindow struct {
	KeyID string
	Since time.Time // inclusive; zero = from the beginning
	Until time.Time // exclusive; zero = no end
	// Refused lists the error codes that count as refused because of the
	// key's state (key_disabled, key_rotated…).
	Refused []string
	// RecentRefused is how many of the latest refused rows to return.
	RecentRefused int
}

// LogGroup is one row of an aggregate: requests, spend and refusals sharing
// a value (a model, an address, an hour, a user agent).
type LogGroup struct {
	Value    string
	Requests int
	Refused  int
	SpendUSD float64
	First    time.Time
	Last     time.Time
}

// LogAggregate summarises a key's request logs in a window.
type LogAggregate struct {
	Requests      int
	Refused       int
	SpendUSD      float64
	First, Last   time.Time
	ByModel       []LogGroup // most requests first
	ByIP          []LogGroup
	ByHour        []LogGroup // Value is the hour's start, RFC 3339; oldest first
	UserAgents    []LogGroup
	RecentRefused []RequestLog // newest first
}

// ChannelStore reads and removes single channels and models, for the
// admin API (the catalogue reads them whole with ListChannels/ListModels).
type ChannelStore interface {
	GetChannel(ctx context.Context, name string) (Channel, error) // ErrNotFound
	DeleteChannel(ctx context.Context, name string) error         // ErrNotFound
	// SetChannelLastTest stores a channel test's report without touching
	// the channel's definition (its UpdatedAt, and so its live health, stay).
	SetChannelLastTest(ctx context.Context, name, report string) error
	GetModel(ctx context.Context, name string) (Model, error) // ErrNotFound
	DeleteModel(ctx context.Context, name string) error       // ErrNotFound
}

// Store is the persistence boundary. Implementations must be safe for
// concurrent use.
type Store interface {
	Ping(ctx context.Context) error
	Close() error

	// Tx runs fn in one transaction: every call on tx is part of it, and
	// reads on tx see its writes. fn's error (or a failed commit) rolls
	// all of it back; nil commits. A Tx on tx joins the transaction.
	// Request logs (InsertLogs) are not written inside one.
	Tx(ctx context.Context, fn func(tx Store) error) error
	// Lock, inside a Tx, holds the named lock until the transaction ends:
	// transactions taking the same lock run one after the other, on every
	// instance. Outside a Tx it is an error.
	Lock(ctx context.Context, name string) error

	MemberStore
	UsageStore
	IncidentStore
	JobStore
	ChannelStore

	UpsertGroup(ctx context.Context, g Group) error
	ListGroups(ctx context.Context) ([]Group, error)
	UpsertProject(ctx context.Context, p Project) error
	GetProject(ctx context.Context, name string) (Project, error)
	ListProjects(ctx context.Context) ([]Project, error)
	UpsertChannel(ctx context.Context, c Channel) error
	ListChannels(ctx context.Context) ([]Channel, error)
	UpsertModel(ctx context.Context, m Model) error
	ListModels(ctx context.Context) ([]Model, error)

	CreateKey(ctx context.Context, k *Key) error
	GetKey(ctx context.Context, id string) (Key, error)
	GetKeyByHash(ctx context.Context, hash string) (Key, error)
	ListKeys(ctx context.Context, f KeyFilter) ([]Key, error)
	// KeysChangedSince returns keys whose UpdatedAt is at or after t, for
	// refreshing caches.
	KeysChangedSince(ctx context.Context, t time.Time) ([]Key, error)
	// UpdateKey writes k if its stored Version equals k.Version, then
	// increments it; otherwise ErrConflict.
	UpdateKey(ctx context.Context, k *Key) error
	// AggregateKeyLogs summarises one key's request logs (the impact report).
	AggregateKeyLogs(ctx context.Context, w LogWindow) (LogAggregate, error)

	// ClaimOnce records value under (scope, id) unless something is already
	// recorded there; it returns the recorded value and whether this call
	// recorded it. It makes retried operations idempotent.
	ClaimOnce(ctx context.Context, scope, id, value string) (recorded string, claimed bool, err error)
	// ReleaseOnce forgets a claim whose operation failed, so it can be retried.
	ReleaseOnce(ctx context.Context, scope, id string) error
	// ClaimFor is ClaimOnce for a claim that lapses: a claim recorded more
	// than ttl ago is replaced by this one (idempotency keys).
	ClaimFor(ctx context.Context, scope, id, value string, ttl time.Duration) (recorded string, claimed bool, err error)

	CreateMember(ctx context.Context, m Member) error
	GetMemberByTokenHash(ctx context.Context, hash string) (Member, error)
	CountMembers(ctx context.Context) (int, error)

	InsertLogs(ctx context.Context, rows []RequestLog) error
	QueryLogs(ctx context.Context, f LogFilter) ([]RequestLog, error)
	GetLog(ctx context.Context, requestID string) (RequestLog, error)

	InsertAudit(ctx context.Context, e AuditEvent) error
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEvent, error)
	UISessionStore
}
