// Package usage reads token usage out of upstream responses and streams
// without decoding whole bodies, estimates it when an upstream reports none,
// and turns it into cost. All pure functions.
package usage

import (
	"encoding/json"
	"math"

	"github.com/keygate/keygate/internal/jsonscan"
)

// Usage is token usage in the neutral form. InputTokens counts every
// prompt token, the ones read from or written to a prompt cache included;
// OutputTokens counts every generated token, reasoning included. The
// details say how many of those the provider bills at another price, so
// each provider's own convention (OpenAI and Gemini include cached tokens
// in their prompt count, Anthropic excludes them from input_tokens) is
// turned into this one when the usage is read.
type Usage struct {
	InputTokens       int
	OutputTokens      int
	CachedInputTokens int // of InputTokens, read from the provider's prompt cache
	CacheWriteTokens  int // of InputTokens, written to the prompt cache (Anthropic's cache creation)
	ReasoningTokens   int // of OutputTokens, the model's reasoning ("thinking")
	Estimated         bool
}

// HasTokens reports whether u counts any token.
func (u Usage) HasTokens() bool { return u.InputTokens > 0 || u.OutputTokens > 0 }

// wire is a usage object as OpenAI (chat, completions, embeddings,
// Responses), DeepSeek and Anthropic write it.
type wire struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	InputTokens      int `json:"input_tokens"`  // Responses API, Anthropic
	OutputTokens     int `json:"output_tokens"` // Responses API, Anthropic
	TotalTokens      int `json:"total_tokens"`
	// prompt_tokens_details.cached_tokens / input_tokens_details.cached_tokens
	CachedTokens int `json:"-"`
	// completion_tokens_details.reasoning_tokens / output_tokens_details.reasoning_tokens
	ReasoningTokens int `json:"-"`
	// DeepSeek's prompt_cache_hit_tokens (a part of prompt_tokens).
	CacheHitTokens int `json:"prompt_cache_hit_tokens"`
	// Anthropic: not part of input_tokens.
	CacheReadInputTokens     int  `json:"cache_read_input_tokens"`
	CacheCreationInputTokens int  `json:"cache_creation_input_tokens"`
	anthropic                bool // a cache_* member was present

	PromptDetails     *details `json:"prompt_tokens_details"`
	InputDetails      *details `json:"input_tokens_details"`
	CompletionDetails *details `json:"completion_tokens_details"`
	OutputDetails     *details `json:"output_tokens_details"`
}

type details struct {
	CachedTokens    int `json:"cached_tokens"`
	ReasoningTokens int `json:"reasoning_tokens"`
}

// FromJSON reads the top-level "usage" member of an OpenAI-shaped body
// (chat, completion, embeddings, responses, a stream chunk). A "usage"
// anywhere else — inside metadata, a tool's arguments, an output item — is
// not the upstream's bill and is never read. Only the usage object is
// decoded; the rest of the body is walked, not decoded.
func FromJSON(body []byte) (Usage, bool) {
	var obj []byte
	_, ok := jsonscan.Members(body, jsonscan.Space(body, 0), func(key, val []byte) bool {
		if string(key) == "usage" { // the last one wins, as the upstream's own JSON reader takes it
			obj = val
		}
		return true
	})
	if !ok {
		// A top-level key the scanner leaves to encoding/json (escaped,
		// non-ASCII), or a body that is not one whole object. Member names
		// are compared exactly, as the upstream does: a map, not a struct
		// (encoding/json matches struct fields case-insensitively).
		var top map[string]json.RawMessage
		if json.Unmarshal(body, &top) != nil {
			return Usage{}, false
		}
		obj = top["usage"]
	}
	return fromObject(obj)
}

// FromObject reads a usage object itself (the value of a "usage" member)
// in any of the shapes wire describes.
func FromObject(obj []byte) (Usage, bool) { return fromObject(obj) }

// fromObject reads a usage object.
func fromObject(obj []byte) (Usage, bool) {
	if len(obj) == 0 || obj[0] != '{' {
		return Usage{}, false // absent, null, or not an object
	}
	var w wire
	if _, ok := jsonscan.Members(obj, 0, w.member); !ok {
		// A shape the scanner leaves to encoding/json (escaped keys,
		// fractional counts…).
		w = wire{}
		if err := json.Unmarshal(obj, &w); err != nil {
			return Usage{}, false
		}
		w.anthropic = w.CacheReadInputTokens > 0 || w.CacheCreationInputTokens > 0
		for _, d := range []*details{w.PromptDetails, w.InputDetails, w.CompletionDetails, w.OutputDetails} {
			if d != nil {
				w.CachedTokens = max(w.CachedTokens, d.CachedTokens)
				w.ReasoningTokens = max(w.ReasoningTokens, d.ReasoningTokens)
			}
		}
	}
	return w.usage(), true
}

// usage turns what was read into the neutral convention.
func (w *wire) usage() Usage {
	u := Usage{InputTokens: w.PromptTokens, OutputTokens: w.CompletionTokens}
	if u.InputTokens == 0 && w.InputTokens > 0 {
		u.InputTokens = w.InputTokens
	}
	if u.OutputTokens == 0 && w.OutputTokens > 0 {
		u.OutputTokens = w.OutputTokens
	}
	if w.anthropic {
		// Anthropic's input_tokens are the tokens after the last cache
		// breakpoint only: the cache reads and writes come on top.
		u.InputTokens += w.CacheReadInputTokens + w.CacheCreationInputTokens
		u.CachedInputTokens, u.CacheWriteTokens = w.CacheReadInputTokens, w.CacheCreationInputTokens
	} else {
		u.CachedInputTokens = w.CachedTokens
		if u.CachedInputTokens == 0 {
			u.CachedInputTokens = w.CacheHitTokens
		}
	}
	u.ReasoningTokens = w.ReasoningTokens
	if u.InputTokens == 0 && u.OutputTokens == 0 && w.TotalTokens > 0 {
		u.InputTokens = w.TotalTokens
	}
	u.clamp()
	return u
}

// clamp keeps the details within the totals they are part of, so a
// malformed count can never make a call cost less than nothing.
func (u *Usage) clamp() {
	u.InputTokens, u.OutputTokens = max(u.InputTokens, 0), max(u.OutputTokens, 0)
	u.CachedInputTokens = min(max(u.CachedInputTokens, 0), u.InputTokens)
	u.CacheWriteTokens = min(max(u.CacheWriteTokens, 0), u.InputTokens-u.CachedInputTokens)
	u.ReasoningTokens = min(max(u.ReasoningTokens, 0), u.OutputTokens)
}

// EstimateTokens approximates a token count from text length (≈ 4 bytes a
// token for English; used only when an upstream reports no usage, and the
// log row is marked estimated).
func EstimateTokens(nbytes int) int {
	if nbytes <= 0 {
		return 0
	}
	return (nbytes + 3) / 4
}

// Prices are USD per million tokens. A zero CachedInputPerMTok or
// CacheWritePerMTok means the model declares none: those tokens cost the
// input price, as they did before the fields existed.
type Prices struct {
	InputPerMTok       float64
	OutputPerMTok      float64
	CachedInputPerMTok float64
	CacheWritePerMTok  float64
}

// Cost returns the USD cost of u at prices p times a group multiplier
// (0 means 1), rounded to a millionth of a cent so sums stay stable.
// Cached input and cache writes are billed at their own prices; reasoning
// tokens are output tokens and billed as such, as every provider does.
func Cost(u Usage, p Prices, multiplier float64) float64 {
	if multiplier == 0 {
		multiplier = 1
	}
	u.clamp()
	cached, write := p.CachedInputPerMTok, p.CacheWritePerMTok
	if cached == 0 {
		cached = p.InputPerMTok
	}
	if write == 0 {
		write = p.InputPerMTok
	}
	plain := u.InputTokens - u.CachedInputTokens - u.CacheWriteTokens
	c := (float64(plain)*p.InputPerMTok + float64(u.CachedInputTokens)*cached + float64(u.CacheWriteTokens)*write +
		float64(u.OutputTokens)*p.OutputPerMTok) / 1e6 * multiplier
	return math.Round(c*1e8) / 1e8
}

// member reads one member of a usage object; a known count that is not a
// plain integer sends the object to encoding/json.
func (w *wire) member(key, val []byte) bool {
	var dst *int
	switch string(key) { // compared in place, no allocation
	case "prompt_tokens":
		dst = &w.PromptTokens
	case "completion_tokens":
		dst = &w.CompletionTokens
	case "input_tokens":
		dst = &w.InputTokens
	case "output_tokens":
		dst = &w.OutputTokens
	case "total_tokens":
		dst = &w.TotalTokens
	case "prompt_cache_hit_tokens":
		dst = &w.CacheHitTokens
	case "cache_read_input_tokens":
		w.anthropic = true
		dst = &w.CacheReadInputTokens
	case "cache_creation_input_tokens":
		w.anthropic = true
		dst = &w.CacheCreationInputTokens
	case "prompt_tokens_details", "input_tokens_details", "completion_tokens_details", "output_tokens_details":
		if len(val) == 0 || val[0] != '{' {
			return true // null
		}
		_, ok := jsonscan.Members(val, 0, w.detail)
		return ok
	default:
		return true
	}
	if string(val) == "null" {
		return true
	}
	n, ok := jsonscan.Int(val)
	*dst = n
	return ok
}

// detail reads a member of a *_tokens_details object.
func (w *wire) detail(key, val []byte) bool {
	var dst *int
	switch string(key) {
	case "cached_tokens":
		dst = &w.CachedTokens
	case "reasoning_tokens":
		dst = &w.ReasoningTokens
	default:
		return true // audio_tokens, accepted_prediction_tokens…: part of the totals, same price
	}
	if string(val) == "null" {
		return true
	}
	n, ok := jsonscan.Int(val)
	if ok {
		*dst = max(*dst, n)
	}
	return ok
}
