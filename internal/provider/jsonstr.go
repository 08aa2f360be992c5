package provider

import (
	"math"
	"strconv"
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

// AppendCompact appends the valid JSON value raw as json.Marshal writes a
// json.RawMessage: without the whitespace between tokens, and with <, >,
// &, U+2028 and U+2029 escaped (invalid UTF-8 is kept as it is). ok is
// false when raw is not one valid JSON value, where json.Marshal fails.
func AppendCompact(dst, raw []byte) ([]byte, bool) {
	if !jsonscan.Valid(raw) {
		return dst, false
	}
	const hex = "0123456789abcdef"
	start, inStr := 0, false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '<' || c == '>' || c == '&':
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			start = i + 1
		case c == 0xE2 && i+2 < len(raw) && raw[i+1] == 0x80 && raw[i+2]&^1 == 0xA8:
			dst = append(dst, raw[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[raw[i+2]&0xF])
			i += 2
			start = i + 1
		case inStr:
			switch c {
			case '\\':
				i++ // the escaped byte, which may be a quote
			case '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			dst = append(dst, raw[start:i]...)
			start = i + 1
		}
	}
	return append(dst, raw[start:]...), true
}

// AppendFloat appends f as json.Marshal writes a float64 (ok is false for
// the infinities and NaN, which it refuses).
func AppendFloat(dst []byte, f float64) ([]byte, bool) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, false
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' { // e-09 is written e-9
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, true
}
