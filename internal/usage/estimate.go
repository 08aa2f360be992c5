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
// and the whole response when done), so in a Responses event (a "type"
// of "response.…") only the "delta" strings count.
func GeneratedBytes(b []byte) int {
	// One flat pass from colon to colon (bytes.IndexByte finds each): a
	// colon right after a quoted name ends a member's key, and the value
	// after a text key is counted. No recursion and no allocation: on the
	// stream path this runs for every event. A colon inside a string is
	// told apart by what precedes it; one that still looks like a key (a
	// quoted text key, then a colon, inside a string) can only misplace a
	// few bytes of an estimate.
	text, delta, responses := 0, 0, false
	for i := 0; ; {
		c := bytes.IndexByte(b[i:], ':')
		if c < 0 {
			break
		}
		c += i
		i = c + 1
		ke := c - 1 // the key's closing quote
		for ke >= 0 && (b[ke] == ' ' || b[ke] == '\t' || b[ke] == '\n' || b[ke] == '\r') {
			ke--
		}
		if ke < 1 || b[ke] != '"' {
			continue
		}
		ks := bytes.LastIndexByte(b[max(0, ke-maxTextKey-1):ke], '"')
		if ks < 0 {
			continue // longer than any key counted
		}
		key := b[max(0, ke-maxTextKey-1)+ks+1 : ke]
		v := jsonscan.Space(b, c+1)
		if v >= len(b) {
			break
		}
		switch b[v] {
		case '"':
			switch string(key) {
			case "content", "text", "reasoning", "reasoning_content", "refusal", "arguments", "partial_json", "thinking":
				ve := stringEnd(b, v)
				if ve < 0 {
					return text
				}
				text += ve - v - 2
				i = ve
			case "delta":
				ve := stringEnd(b, v)
				if ve < 0 {
					return text
				}
				delta += ve - v - 2
				i = ve
			case "type":
				responses = responses || bytes.HasPrefix(b[v+1:], responsesType)
			}
		case '{', '[':
			switch string(key) {
			case "args", "input": // a tool call's arguments as JSON (Gemini, Anthropic)
				if ve, ok := jsonscan.Value(b, v); ok {
					text += compactLen(b[v:ve])
					i = ve
				}
			}
		}
	}
	if responses {
		return delta
	}
	return text
}

// maxTextKey is the length of the longest key GeneratedBytes looks for
// ("reasoning_content").
const maxTextKey = 17

var responsesType = []byte("response.")

// stringEnd returns the index after the string starting at b[s] (a '"'),
// or -1 when it does not end.
func stringEnd(b []byte, s int) int {
	for j := s + 1; ; {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		p := j + k
		bs := 0
		for p-1-bs > s && b[p-1-bs] == '\\' {
			bs++
		}
		if bs%2 == 0 {
			return p + 1
		}
		j = p + 1
	}
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
