// Package usage reads token usage out of upstream responses and streams
// without decoding whole bodies, estimates it when an upstream reports none,
// and turns it into cost. All pure functions.
package usage

import (
	"bytes"
	"encoding/json"
	"math"
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

var usageKey = []byte(`"usage"`)

// FromJSON finds the last "usage" object in an OpenAI-shaped body (chat,
// completion, embeddings, responses, a stream chunk) and reads it. Only the
// usage object is decoded, not the whole body.
func FromJSON(body []byte) (Usage, bool) {
	i := bytes.LastIndex(body, usageKey)
	if i < 0 {
		return Usage{}, false
	}
	rest := body[i+len(usageKey):]
	j := 0
	for j < len(rest) && (rest[j] == ' ' || rest[j] == ':' || rest[j] == '\n' || rest[j] == '\t' || rest[j] == '\r') {
		j++
	}
	if j >= len(rest) || rest[j] != '{' {
		return Usage{}, false
	}
	end := matchBrace(rest[j:])
	if end < 0 {
		return Usage{}, false
	}
	var w wire
	if !readTopLevelInts(rest[j:j+end+1], &w) {
		if err := json.Unmarshal(rest[j:j+end+1], &w); err != nil {
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

// matchBrace returns the index of the brace closing b[0], skipping strings.
func matchBrace(b []byte) int {
	depth, inStr := 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
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

// readTopLevelInts reads the integer members of a flat-ish JSON object
// without allocating; nested values are skipped. It reports false when the
// object has a shape it does not handle, and the caller falls back to
// encoding/json.
func readTopLevelInts(obj []byte, w *wire) bool {
	i := 1 // past '{'
	for {
		i = skipSpace(obj, i)
		if i >= len(obj) {
			return false
		}
		if obj[i] == '}' {
			return true
		}
		if obj[i] == ',' {
			i++
			continue
		}
		if obj[i] != '"' {
			return false
		}
		ks := i + 1
		ke := ks
		for ke < len(obj) && obj[ke] != '"' {
			if obj[ke] == '\\' {
				return false
			}
			ke++
		}
		if ke >= len(obj) {
			return false
		}
		key := obj[ks:ke]
		i = skipSpace(obj, ke+1)
		if i >= len(obj) || obj[i] != ':' {
			return false
		}
		i = skipSpace(obj, i+1)
		if i >= len(obj) {
			return false
		}
		switch c := obj[i]; {
		case c == '-' || (c >= '0' && c <= '9'):
			n, end, ok := parseInt(obj, i)
			if !ok {
				return false
			}
			switch string(key) { // no allocation: the compiler compares in place
			case "prompt_tokens":
				w.PromptTokens = n
			case "completion_tokens":
				w.CompletionTokens = n
			case "input_tokens":
				w.InputTokens = n
			case "output_tokens":
				w.OutputTokens = n
			case "total_tokens":
				w.TotalTokens = n
			}
			i = end
		case c == '{':
			e := matchBrace(obj[i:])
			if e < 0 {
				return false
			}
			i += e + 1
		case c == 'n' && len(obj) >= i+4 && string(obj[i:i+4]) == "null":
			i += 4
		case c == 't' && len(obj) >= i+4 && string(obj[i:i+4]) == "true":
			i += 4
		case c == 'f' && len(obj) >= i+5 && string(obj[i:i+5]) == "false":
			i += 5
		default:
			return false // strings, arrays, floats: let encoding/json decide
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

func parseInt(b []byte, i int) (int, int, bool) {
	neg := false
	if b[i] == '-' {
		neg = true
		i++
	}
	start, n := i, 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if i-start > 15 {
			return 0, i, false
		}
		n = n*10 + int(b[i]-'0')
		i++
	}
	if i == start || (i < len(b) && (b[i] == '.' || b[i] == 'e' || b[i] == 'E')) {
		return 0, i, false
	}
	if neg {
		n = -n
	}
	return n, i, true
}
