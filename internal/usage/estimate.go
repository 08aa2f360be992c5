package usage

import (
	"bytes"

	"github.com/keygate/keygate/internal/jsonscan"
)

// GeneratedBytes counts the generated text in an upstream answer or in one
// stream event, for the estimate used when the upstream reports no usage:
// every text the model produced, not only "content" — reasoning
// ("reasoning", "reasoning_content", Anthropic's "thinking"), refusals,
// tool-call arguments (OpenAI's "arguments", Anthropic's "partial_json"
// and tool_use "input", Gemini's functionCall "args") — in OpenAI chat and
// completions, Responses, Anthropic Messages and Gemini shapes. It reads
// the JSON, so spacing and member order do not change the count; strings
// count their bytes as sent, argument objects their bytes without
// insignificant whitespace.
//
// A Responses stream repeats its text (each delta, then the part, the item
// and the whole response when done), so in a Responses event only the
// "delta" counts.
func GeneratedBytes(b []byte) int {
	s := jsonscan.Space(b, 0)
	if s >= len(b) {
		return 0
	}
	if b[s] != '{' {
		e, ok := jsonscan.Value(b, s)
		if !ok {
			return 0
		}
		return textIn(b, s, e)
	}
	n, delta, responsesEvent := 0, 0, false
	jsonscan.Object(b, s, func(key []byte, vs, ve int) bool {
		switch string(key) {
		case "type":
			responsesEvent = bytes.HasPrefix(b[vs:ve], responsesType)
		case "delta":
			if b[vs] == '"' {
				delta = ve - vs - 2
			}
		}
		if !responsesEvent {
			n += memberText(b, key, vs, ve)
		}
		return true
	})
	if responsesEvent {
		return delta
	}
	return n
}

var responsesType = []byte(`"response.`)

// textIn counts the generated text inside the value at b[s:e].
func textIn(b []byte, s, e int) int {
	n := 0
	switch b[s] {
	case '{':
		jsonscan.Object(b, s, func(key []byte, vs, ve int) bool {
			n += memberText(b, key, vs, ve)
			return true
		})
	case '[':
		jsonscan.Elements(b, s, func(vs, ve int) bool {
			n += textIn(b, vs, ve)
			return true
		})
	}
	return n
}

func memberText(b []byte, key []byte, vs, ve int) int {
	switch string(key) {
	case "content", "text", "reasoning", "reasoning_content", "refusal", "arguments", "partial_json", "thinking":
		if b[vs] == '"' {
			return ve - vs - 2
		}
	case "args", "input":
		if b[vs] == '{' || b[vs] == '[' {
			return compactLen(b[vs:ve])
		}
	}
	if b[vs] == '{' || b[vs] == '[' {
		return textIn(b, vs, ve)
	}
	return 0
}

// compactLen is the length of a valid JSON value without the whitespace
// between its tokens.
func compactLen(v []byte) int {
	n, inStr := 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case inStr && c == '\\':
			n += 2
			i++
			continue
		case c == '"':
			inStr = !inStr
		case !inStr && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			continue
		}
		n++
	}
	return n
}
