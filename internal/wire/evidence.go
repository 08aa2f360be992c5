package wire

import (
	"github.com/keygate/keygate/internal/store"
	"time"
)

// EvidenceView is the redacted story of one request.
type EvidenceView struct {
	RequestID string    `json:"request_id"`
	Time      time.Time `json:"time"`
	// Summary says in one paragraph what happened, for a support reply.
	Summary string `json:"summary"`

	Key         EvidenceKey     `json:"key"`
	Project     string          `json:"project"`
	Member      string          `json:"member"`
	Group       string          `json:"group"`
	Route       string          `json:"route"`
	RequestType string          `json:"request_type"`
	Stream      bool            `json:"stream"`
	Model       EvidenceModel   `json:"model"`
	Channel     string          `json:"channel"`
	Attempts    []store.Attempt `json:"attempts"`
	Outcome     EvidenceOutcome `json:"outcome"`
	Usage       EvidenceUsage   `json:"usage"`
	CostUSD     float64         `json:"cost_usd"`
	Charged     string          `json:"charged"`
	Timing      EvidenceTiming  `json:"timing"`
	Client      EvidenceClient  `json:"client"`
	Access      string          `json:"access"`
}

// EvidenceKey identifies the key of a request without revealing it.
type EvidenceKey struct {
	ID      string `json:"id"`      // "" when no issued key matched
	Display string `json:"display"` // what was presented, prefix + 4 + 4 at most
	Env     string `json:"env"`
	// StateNow is the key's state at the time of this lookup (it may have
	// changed since the request), with when and why.
	StateNow    string     `json:"state_now,omitempty"`
	StateAt     *time.Time `json:"state_at,omitempty"`
	StateReason string     `json:"state_reason,omitempty"`
}

// EvidenceModel is the model asked for and the one the upstream served.
type EvidenceModel struct {
	Asked  string `json:"asked"`
	Served string `json:"served"`
}

// EvidenceOutcome is what the caller got back.
type EvidenceOutcome struct {
	Status        int    `json:"status"`
	ErrorCode     string `json:"error_code"`
	Docs          string `json:"docs,omitempty"`
	FailureReason string `json:"failure_reason"`
}

// EvidenceUsage is the tokens counted for billing.
type EvidenceUsage struct {
	InputTokens       int  `json:"input_tokens"`
	OutputTokens      int  `json:"output_tokens"`
	CachedInputTokens int  `json:"cached_input_tokens"` // of input_tokens, read from the prompt cache
	CacheWriteTokens  int  `json:"cache_write_tokens"`  // of input_tokens, written to the prompt cache
	ReasoningTokens   int  `json:"reasoning_tokens"`    // of output_tokens
	Estimated         bool `json:"estimated"`
}

// EvidenceTiming is how long the call took.
type EvidenceTiming struct {
	LatencyMS float64 `json:"latency_ms"`
	TTFBMS    float64 `json:"ttfb_ms"`
}

// EvidenceClient is where the call came from.
type EvidenceClient struct {
	SourceIP  string `json:"source_ip"`
	UserAgent string `json:"user_agent"`
}
