// Package usage reads token usage out of upstream responses and streams
// without decoding whole bodies, estimates it when an upstream reports none,
// and turns it into cost. All pure functions.
package usage

import (
	"bytes"
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
	// input_tokens_details.cache_write_tokens (Responses; part of input_tokens)
	CacheWriteTokens int `json:"-"`
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
	CachedTokens     int `json:"cached_tokens"`
	CacheWriteTokens int `json:"cache_write_tokens"`
	ReasoningTokens  int `json:"reasoning_tokens"`
}

// FromJSON reads the top-level "usage" member of an OpenAI-shaped body
// (chat, completion, embeddings, responses, a stream chunk). A "usage"
// anywhere else — inside metadata, a tool's arguments, an output item — is
// not the upstream's bill and is never read. Only the usage object is
// decoded; the rest of the body is walked, not decoded.
func FromJSON(body []byte) (Usage, bool) {
	if u, ok, known := lastUsage(body); known {
		return u, ok
	}
	obj, ok := topUsage(body)
	if !ok {
		// A top-level key that needs decoding (an escape), or a body that
		// is not one whole object. Member names are compared exactly, as
		// the upstream does: a map, not a struct (encoding/json matches
		// struct fields case-insensitively).
		var top map[string]json.RawMessage
		if json.Unmarshal(body, &top) != nil {
			return Usage{}, false
		}
		obj = top["usage"]
	}
	return fromObject(obj)
}

// FromAnswer reads the usage of a whole answer and reports whether the
// answer is one JSON value (jsonscan.Valid), in one walk: the relay checks
// every answer it passes through, and reading the usage after that check
// walked the body two more times (lastKey back, topUsage forth) when
// members follow "usage", as they do in OpenAI's answers (service_tier,
// system_fingerprint). An answer that is not valid has no usage. The
// usage read is FromJSON's: the last top-level member named exactly
// "usage", its name decoded.
func FromAnswer(b []byte) (u Usage, ok, valid bool) {
	val, valid := jsonscan.LastMember(b, "usage")
	if !valid {
		return Usage{}, false, false
	}
	u, ok = fromValid(val)
	return u, ok, true
}

// lastKey returns the index of the last `"usage"` in b, or -1. It walks
// back from 'u' to 'u' (bytes.LastIndex hashes its way back and took most
// of FromJSON's time).
func lastKey(b []byte) int {
	for i := len(b); ; {
		j := bytes.LastIndexByte(b[:i], 'u')
		if j < 1 {
			return -1
		}
		if b[j-1] == '"' && len(b)-j >= 6 && string(b[j:j+6]) == `usage"` {
			return j - 1
		}
		i = j
	}
}

const usageKeyLen = len(`"usage"`)

// lastUsage is the fast path of the common shape — chat, completions,
// embeddings and their stream chunks end with "usage": it reads the last
// "usage" of b when it is the last member of the object b ends with, which
// is the top-level object: the key is preceded by '{' or ',' (so its
// quotes are not inside a string) and its object by nothing but the
// closing brace (and plain string members, see plainEnd). Any other shape
// is left to topUsage.
func lastUsage(b []byte) (u Usage, ok, known bool) {
	k := lastKey(b)
	if k < 0 {
		return Usage{}, false, false
	}
	p := k - 1
	for p >= 0 && (b[p] == ' ' || b[p] == '\t' || b[p] == '\n' || b[p] == '\r') {
		p--
	}
	if p < 0 || (b[p] != '{' && b[p] != ',') {
		return Usage{}, false, false
	}
	i := jsonscan.Space(b, k+usageKeyLen)
	if i >= len(b) || b[i] != ':' {
		return Usage{}, false, false
	}
	if i = jsonscan.Space(b, i+1); i < len(b) && b[i] == 'n' {
		// "usage":null closing the object: a stream chunk of a call that
		// asked for usage (OpenAI ends every chunk so but the last). The
		// top-level usage is null: nothing to read, and no need to walk
		// the whole chunk to learn it.
		if string(b[i:min(i+len("null"), len(b))]) == "null" && plainEnd(b, i+len("null")) {
			return Usage{}, false, true
		}
		return Usage{}, false, false
	}
	if i >= len(b) || b[i] != '{' {
		return Usage{}, false, false
	}
	var w wire
	end, ok := jsonscan.Members(b, i, w.member)
	if !ok {
		return Usage{}, false, false
	}
	if !plainEnd(b, end) {
		return Usage{}, false, false
	}
	return w.usage(), true, true
}

// plainEnd reports whether b[i:] ends the object the usage is a member
// of, and so the top-level one: the closing brace and white space only,
// after members whose name and value are plain strings (no escape, no
// control byte), such as the "obfuscation" padding OpenAI writes after
// "usage" in every stream chunk. No "usage" can follow in them: the usage
// read is the last in b.
func plainEnd(b []byte, i int) bool {
	for {
		i = jsonscan.Space(b, i)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case '}':
			return jsonscan.Space(b, i+1) == len(b)
		case ',':
		default:
			return false
		}
		var ok bool
		if i, ok = plainString(b, jsonscan.Space(b, i+1)); !ok {
			return false
		}
		if i = jsonscan.Space(b, i); i >= len(b) || b[i] != ':' {
			return false
		}
		if i, ok = plainString(b, jsonscan.Space(b, i+1)); !ok {
			return false
		}
	}
}

// plainString returns the end of the string at b[i] when it holds no
// escape and no control byte.
func plainString(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j + 1, true
		case c == '\\' || c < 0x20:
			return j, false
		}
	}
	return len(b), false
}

// topUsage returns the value of the top-level "usage" member of the JSON
// object b (the last one, as the upstream's own JSON reader takes it; nil
// when there is none). It walks b without validating it — strings and
// nesting only, string contents skipped with IndexByte — because it runs
// on every answer; the usage object itself is then read strictly. It is
// not ok when b is not an object it can walk, or a member name holds an
// escape (its meaning needs decoding).
func topUsage(b []byte) ([]byte, bool) {
	i := jsonscan.Space(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	var val []byte
	i = jsonscan.Space(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		ke := skipString(b, i)
		if ke < 0 {
			return nil, false
		}
		key := b[i+1 : ke-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			return nil, false
		}
		i = jsonscan.Space(b, ke)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = jsonscan.Space(b, i+1)
		end := skipValue(b, i)
		if end < 0 {
			return nil, false
		}
		if string(key) == "usage" {
			val = b[i:end]
		}
		i = jsonscan.Space(b, end)
		if i >= len(b) {
			return nil, false
		}
		if b[i] == '}' {
			return val, true
		}
		if b[i] != ',' {
			return nil, false
		}
		i = jsonscan.Space(b, i+1)
	}
}

// skipString returns the index after the string starting at b[i] (a
// quote), or -1 when it does not end.
func skipString(b []byte, i int) int {
	for j := i + 1; ; {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		n := 0 // backslashes right before the quote: an odd count escapes it
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}

// skipValue returns the index after the value starting at b[i], or -1
// when it does not end.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				e := skipString(b, i)
				if e < 0 {
					return -1
				}
				i = e
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	for j := i; j < len(b); j++ { // a number or a literal
		switch b[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
	}
	return len(b)
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
		fw := new(wire) // not &w: that would move w to the heap on the fast path too
		if err := json.Unmarshal(obj, fw); err != nil {
			return Usage{}, false
		}
		w = *fw
		w.anthropic = w.CacheReadInputTokens > 0 || w.CacheCreationInputTokens > 0
		for _, d := range []*details{w.PromptDetails, w.InputDetails, w.CompletionDetails, w.OutputDetails} {
			if d != nil {
				w.CachedTokens = max(w.CachedTokens, d.CachedTokens)
				w.CacheWriteTokens = max(w.CacheWriteTokens, d.CacheWriteTokens)
				w.ReasoningTokens = max(w.ReasoningTokens, d.ReasoningTokens)
			}
		}
	}
	return w.usage(), true
}

// fromValid is fromObject for a value known to be valid JSON (LastMember
// checked it): the members are found without checking the grammar again.
// What it would not read as fromObject does — a name with an escape, a
// count that is not a plain integer — is left to fromObject.
func fromValid(obj []byte) (Usage, bool) {
	if len(obj) == 0 || obj[0] != '{' {
		return Usage{}, false
	}
	var w wire
	if !eachValid(obj, w.member) {
		return fromObject(obj)
	}
	return w.usage(), true
}

// eachValid calls fn with each member of the valid JSON object obj (its
// name as written, its value), as jsonscan.Members does, without checking
// the grammar. It stops with false when fn does, at a name with an escape
// (which needs decoding), or when obj turns out not to be valid after all.
func eachValid(obj []byte, fn func(key, val []byte) bool) bool {
	i := jsonscan.Space(obj, 1)
	if i < len(obj) && obj[i] == '}' {
		return true
	}
	for i < len(obj) && obj[i] == '"' {
		q := bytes.IndexByte(obj[i+1:], '"')
		if q < 0 {
			return false
		}
		ke := i + 1 + q
		key := obj[i+1 : ke]
		if bytes.IndexByte(key, '\\') >= 0 {
			return false // an escape: the name needs decoding (and the quote found may be escaped)
		}
		i = jsonscan.Space(obj, ke+1)
		if i >= len(obj) || obj[i] != ':' {
			return false
		}
		i = jsonscan.Space(obj, i+1)
		var ve int
		if i < len(obj) && (obj[i] == '-' || obj[i] >= '0' && obj[i] <= '9') {
			// A count, the usual value: its digits, sign, point and exponent.
			ve = i + 1
			for ve < len(obj) && numberByte[obj[ve]] {
				ve++
			}
		} else if ve = skipValue(obj, i); ve < 0 {
			return false
		}
		if !fn(key, obj[i:ve]) {
			return false
		}
		if i = jsonscan.Space(obj, ve); i >= len(obj) {
			return false
		}
		if obj[i] == '}' {
			return true
		}
		if obj[i] != ',' {
			return false
		}
		i = jsonscan.Space(obj, i+1)
	}
	return false
}

// numberByte marks the bytes a JSON number is made of.
var numberByte = func() (t [256]bool) {
	for _, c := range "0123456789.eE+-" {
		t[c] = true
	}
	return t
}()

// usage turns what was read into the neutral convention.
func (w *wire) usage() Usage {
	u := Usage{InputTokens: w.PromptTokens, OutputTokens: w.CompletionTokens}
	if u.InputTokens == 0 && w.InputTokens > 0 {
		u.InputTokens = w.InputTokens
	}
	if u.OutputTokens == 0 && w.OutputTokens > 0 {
		u.OutputTokens = w.OutputTokens
	}
	switch {
	case w.anthropic && w.PromptTokens == 0:
		// Anthropic's input_tokens are the tokens after the last cache
		// breakpoint only: the cache reads and writes come on top.
		u.InputTokens += w.CacheReadInputTokens + w.CacheCreationInputTokens
		u.CachedInputTokens, u.CacheWriteTokens = w.CacheReadInputTokens, w.CacheCreationInputTokens
	case w.anthropic:
		// An OpenAI-shaped usage with Anthropic's cache members beside it,
		// as proxies (LiteLLM) write it: today their prompt_tokens include
		// the cache reads and writes; older versions left them out, which
		// shows when the cache counts exceed prompt_tokens.
		u.CachedInputTokens = max(w.CachedTokens, w.CacheReadInputTokens)
		u.CacheWriteTokens = max(w.CacheWriteTokens, w.CacheCreationInputTokens)
		if u.CachedInputTokens+u.CacheWriteTokens > u.InputTokens {
			u.InputTokens += u.CachedInputTokens + u.CacheWriteTokens
		}
	default:
		u.CachedInputTokens, u.CacheWriteTokens = w.CachedTokens, w.CacheWriteTokens
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
		return w.details(val)
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

// details reads a *_tokens_details object, val, which the walk that gave
// it to member has validated (jsonscan.Object validates each value before
// its callback, LastMember the whole answer): its members are stepped over
// by eachValid, not validated a second time. An object with an escape
// anywhere is left to jsonscan, which decodes escaped names.
func (w *wire) details(val []byte) bool {
	if bytes.IndexByte(val, '\\') >= 0 {
		_, ok := jsonscan.Members(val, 0, w.detail)
		return ok
	}
	return eachValid(val, w.detail)
}

// detail reads a member of a *_tokens_details object.
func (w *wire) detail(key, val []byte) bool {
	var dst *int
	switch string(key) {
	case "cached_tokens":
		dst = &w.CachedTokens
	case "cache_write_tokens":
		dst = &w.CacheWriteTokens
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
