package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// parseInbound reads the fields of inbound out of a request body.
//
// The gateway needs a handful of top-level fields of bodies that are often
// many kilobytes of messages; encoding/json spends ~4 ns a byte on them
// (72 µs for 16 KiB), more than everything else the gateway does for a
// call. scanInbound validates the whole body as strictly as encoding/json
// but only decodes the fields it needs, at about a fifth of the cost. Any
// body it is not sure of — invalid JSON, escaped keys or model names, a
// field of an unexpected type — goes to encoding/json instead, so the
// result and the error message for a bad body are exactly encoding/json's.
func parseInbound(body []byte, in *inbound) error {
	if scanInbound(body, in) {
		return nil
	}
	*in = inbound{}
	return json.Unmarshal(body, in)
}

// inboundTags are the JSON names of inbound's fields. A member with one of
// these names that scanInbound does not decode itself sends the body to
// encoding/json, so a field added to inbound is never silently left empty.
var inboundTags = func() []string {
	var out []string
	t := reflect.TypeFor[inbound]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}()

// maxScanDepth bounds the scanner's recursion; deeper bodies go to
// encoding/json (which allows 10,000 levels).
const maxScanDepth = 512

// scanInbound fills in from body and reports true when body is a valid
// JSON object whose inbound fields it could decode exactly as
// encoding/json would; on false, in is unspecified.
func scanInbound(body []byte, in *inbound) bool {
	var out inbound
	i := skipJSONSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return false
	}
	i = skipJSONSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		i++
	} else {
		for {
			if i >= len(body) || body[i] != '"' {
				return false
			}
			ke := i + 1
			for ke < len(body) && body[ke] != '"' {
				// Escaped or non-ASCII keys may still name a field
				// (encoding/json folds case with Unicode rules): let it decide.
				if c := body[ke]; c == '\\' || c < 0x20 || c >= 0x80 {
					return false
				}
				ke++
			}
			if ke >= len(body) {
				return false
			}
			key := body[i+1 : ke]
			i = skipJSONSpace(body, ke+1)
			if i >= len(body) || body[i] != ':' {
				return false
			}
			i = skipJSONSpace(body, i+1)
			end, ok := skipValue(body, i, 0)
			if !ok || !assignInbound(&out, key, body[i:end]) {
				return false
			}
			i = skipJSONSpace(body, end)
			if i >= len(body) {
				return false
			}
			if body[i] == '}' {
				i++
				break
			}
			if body[i] != ',' {
				return false
			}
			i = skipJSONSpace(body, i+1)
		}
	}
	if skipJSONSpace(body, i) != len(body) {
		return false
	}
	*in = out
	return true
}

// assignInbound decodes one top-level member into out. Names match
// case-insensitively, as encoding/json matches them (keys here are ASCII).
func assignInbound(out *inbound, key, val []byte) bool {
	null := string(val) == "null" // encoding/json leaves the field as it is
	switch {
	case bytes.EqualFold(key, []byte("model")):
		if null {
			return true
		}
		if val[0] != '"' {
			return false
		}
		s := val[1 : len(val)-1]
		for _, c := range s {
			if c == '\\' || c >= 0x80 { // escapes, and invalid UTF-8 that encoding/json would replace
				return false
			}
		}
		out.Model = string(s)
	case bytes.EqualFold(key, []byte("stream")):
		switch string(val) {
		case "true":
			out.Stream = true
		case "false":
			out.Stream = false
		case "null":
		default:
			return false
		}
	case bytes.EqualFold(key, []byte("stream_options")):
		out.StreamOptions = json.RawMessage(val) // aliases the body, which outlives the call
	case bytes.EqualFold(key, []byte("max_tokens")):
		return null || parseIntField(val, &out.MaxTokens)
	case bytes.EqualFold(key, []byte("max_completion_tokens")):
		return null || parseIntField(val, &out.MaxCompletionTokens)
	case bytes.EqualFold(key, []byte("max_output_tokens")):
		return null || parseIntField(val, &out.MaxOutputTokens)
	default:
		for _, t := range inboundTags {
			if bytes.EqualFold(key, []byte(t)) {
				return false // a field of inbound this scanner does not know
			}
		}
	}
	return true
}

// parseIntField decodes a JSON integer that fits an int32 (larger numbers,
// fractions and exponents go to encoding/json).
func parseIntField(val []byte, dst *int) bool {
	neg := val[0] == '-'
	d := val
	if neg {
		d = val[1:]
	}
	if len(d) == 0 || len(d) > 9 {
		return false
	}
	n := 0
	for _, c := range d {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	*dst = n
	return true
}

func skipJSONSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue returns the end of the JSON value starting at b[i], checking
// it against the JSON grammar.
func skipValue(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{':
		if depth >= maxScanDepth {
			return i, false
		}
		i = skipJSONSpace(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1, true
		}
		for {
			if i >= len(b) || b[i] != '"' {
				return i, false
			}
			var ok bool
			if i, ok = skipString(b, i); !ok {
				return i, false
			}
			i = skipJSONSpace(b, i)
			if i >= len(b) || b[i] != ':' {
				return i, false
			}
			if i, ok = skipValue(b, skipJSONSpace(b, i+1), depth+1); !ok {
				return i, false
			}
			i = skipJSONSpace(b, i)
			if i >= len(b) {
				return i, false
			}
			if b[i] == '}' {
				return i + 1, true
			}
			if b[i] != ',' {
				return i, false
			}
			i = skipJSONSpace(b, i+1)
		}
	case c == '[':
		if depth >= maxScanDepth {
			return i, false
		}
		i = skipJSONSpace(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = skipValue(b, i, depth+1); !ok {
				return i, false
			}
			i = skipJSONSpace(b, i)
			if i >= len(b) {
				return i, false
			}
			if b[i] == ']' {
				return i + 1, true
			}
			if b[i] != ',' {
				return i, false
			}
			i = skipJSONSpace(b, i+1)
		}
	case c == 't':
		return skipLiteral(b, i, "true")
	case c == 'f':
		return skipLiteral(b, i, "false")
	case c == 'n':
		return skipLiteral(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return skipNumber(b, i)
	}
	return i, false
}

func skipLiteral(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// skipString returns the end of the string starting at b[i] (a '"').
// Invalid UTF-8 is accepted, as encoding/json accepts it.
func skipString(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		c := b[j]
		switch {
		case c == '"':
			return j + 1, true
		case c < 0x20:
			return j, false
		case c == '\\':
			j++
			if j >= len(b) {
				return j, false
			}
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) {
					return j, false
				}
				for _, h := range b[j+1 : j+5] {
					if !isHex(h) {
						return j, false
					}
				}
				j += 4
			default:
				return j, false
			}
		}
	}
	return len(b), false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// skipNumber returns the end of the number starting at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	digits := func() bool {
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > start
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return i, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return i, false
		}
	}
	return i, true
}
