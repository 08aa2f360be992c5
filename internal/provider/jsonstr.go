package provider

import (
	"unicode/utf8"

	"github.com/keygate/keygate/internal/jsonscan"
)

// AppendString appends s as a JSON string, byte for byte as json.Marshal
// writes it (HTML characters, U+2028 and U+2029 escaped, invalid UTF-8 as
// U+FFFD), for encoders that append their events instead of marshalling a
// struct per event.
func AppendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// ExtraMembers lists the top-level members of the JSON object body that
// known does not take and whose value is not null, as reading body into a
// map[string]json.RawMessage would give them (a name's last value counts),
// in order of first appearance, without decoding anything. ok is false
// when the scanner cannot say the same — body is not one valid object, or
// a name holds a non-ASCII byte (encoding/json replaces invalid UTF-8) —
// and the caller reads body with encoding/json.
func ExtraMembers(body []byte, known func(string) bool) (names []string, ok bool) {
	var null []bool
	end, ok := jsonscan.Object(body, jsonscan.Space(body, 0), func(key []byte, start, end int) bool {
		for _, c := range key {
			if c >= 0x80 {
				return false
			}
		}
		if known(string(key)) {
			return true
		}
		isNull := string(body[start:end]) == "null"
		for i, n := range names {
			if n == string(key) {
				null[i] = isNull
				return true
			}
		}
		names, null = append(names, string(key)), append(null, isNull)
		return true
	})
	if !ok || jsonscan.Space(body, end) != len(body) {
		return nil, false
	}
	out := names[:0]
	for i, n := range names {
		if !null[i] {
			out = append(out, n)
		}
	}
	return out, true
}
