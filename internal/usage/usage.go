// Package usage reads token usage out of upstream responses and streams
// without decoding whole bodies, estimates it when an upstream reports none,
// and turns it into cost. All pure functions.
package usage

import (
	"encoding/json"
	"math"

	"github.com/keygate/keygate/internal/jsonscan"
)

// Usage is token usage in the neutral form.
type Usage struct {
	InputTokens  int
	OutputTokens int
	Estimated    bool
}

type wire struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	InputTokens      int `json:"input_tokens"`  // Responses API
	OutputTokens     int `json:"output_tokens"` // Responses API
	TotalTokens      int `json:"total_tokens"`
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
	}
	u := Usage{InputTokens: w.PromptTokens, OutputTokens: w.CompletionTokens}
	if u.InputTokens == 0 && w.InputTokens > 0 {
		u.InputTokens = w.InputTokens
	}
	if u.OutputTokens == 0 && w.OutputTokens > 0 {
		u.OutputTokens = w.OutputTokens
	}
	if u.InputTokens == 0 && u.OutputTokens == 0 && w.TotalTokens > 0 {
		u.InputTokens = w.TotalTokens
	}
	return u, true
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

// Prices are USD per million tokens.
type Prices struct {
	InputPerMTok  float64
	OutputPerMTok float64
}

// Cost returns the USD cost of u at prices p times a group multiplier
// (0 means 1), rounded to a millionth of a cent so sums stay stable.
func Cost(u Usage, p Prices, multiplier float64) float64 {
	if multiplier == 0 {
		multiplier = 1
	}
	c := (float64(u.InputTokens)*p.InputPerMTok + float64(u.OutputTokens)*p.OutputPerMTok) / 1e6 * multiplier
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
	default:
		return true
	}
	n, ok := jsonscan.Int(val)
	*dst = n
	return ok
}
