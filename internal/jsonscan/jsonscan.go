// Package jsonscan walks JSON bytes without decoding them: it finds where a
// value ends (checking it against the JSON grammar) and hands the members of
// an object to a callback. The hot path uses it to read the few fields it
// needs — the request's model and limits, the answer's usage — from bodies it
// otherwise passes through untouched. Anything it is not sure of is reported
// as not ok, and callers fall back to encoding/json.
package jsonscan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/bits"
)

// maxDepth bounds nesting exactly as encoding/json does (10,000 levels,
// the outermost counted), so the scanner and encoding/json agree on which
// bodies are valid.
const maxDepth = 10000

// Space returns the index of the first non-whitespace byte at or after i.
func Space(b []byte, i int) int {
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

// Value returns the end of the JSON value starting at b[i].
func Value(b []byte, i int) (int, bool) { return value(b, i, 0) }

// Valid reports whether b is exactly one JSON value, with optional
// whitespace around it: json.Valid at a fraction of the cost.
func Valid(b []byte) bool {
	end, ok := value(b, Space(b, 0), 0)
	return ok && Space(b, end) == len(b)
}

// Members walks the object starting at b[i] (a '{'), calling fn with each
// member's key and raw value. It returns the end of the object. It stops
// with ok false when the object is invalid or fn returns false.
//
// The key is the member's name as a JSON reader decodes it: the bytes
// between the quotes, or, for the rare key that holds an escape
// ("mod\u0065l"), its decoded form (one allocation). Names are not folded:
// "Model" is not "model", as every provider reads them.
func Members(b []byte, i int, fn func(key, val []byte) bool) (int, bool) {
	return Object(b, i, func(key []byte, start, end int) bool { return fn(key, b[start:end]) })
}

// Object is Members with each value given as its offsets in b, for callers
// that rewrite a value in place.
func Object(b []byte, i int, fn func(key []byte, start, end int) bool) (int, bool) {
	return ObjectAt(b, i, func(key []byte, start int) (int, bool) {
		end, ok := value(b, start, 1)
		return end, ok && fn(key, start, end)
	})
}

// ObjectAt walks the object starting at b[i] (a '{') as Object does, but
// hands fn only where each member's value starts: fn reads the value
// itself and returns its end — with Members, Elements or ObjectAt for an
// object or array it descends into, with Value to skip one — so a nested
// value a caller reads is walked once, not once per level above it. An end
// before start or past b is not ok, as is fn's ok false.
func ObjectAt(b []byte, i int, fn func(key []byte, start int) (end int, ok bool)) (int, bool) {
	if i >= len(b) || b[i] != '{' {
		return i, false
	}
	i = Space(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, false
		}
		ke, escaped := i+1, false
		for ke < len(b) && b[ke] != '"' {
			switch c := b[ke]; {
			case c == '\\':
				escaped = true
				ke++ // the escaped byte, which may be a quote
			case c < 0x20:
				return ke, false
			}
			ke++
		}
		if ke >= len(b) {
			return ke, false
		}
		key := b[i+1 : ke]
		if escaped {
			var ok bool
			if key, ok = unquote(b[i : ke+1]); !ok {
				return ke, false
			}
		}
		i = Space(b, ke+1)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		i = Space(b, i+1)
		end, ok := fn(key, i)
		if !ok || end <= i || end > len(b) {
			return end, false
		}
		i = Space(b, end)
		if i >= len(b) {
			return i, false
		}
		if b[i] == '}' {
			return i + 1, true
		}
		if b[i] != ',' {
			return i, false
		}
		i = Space(b, i+1)
	}
}

// Elements walks the array starting at b[i] (a '['), calling fn with each
// element's offsets in b. It returns the end of the array; ok is false when
// the array is invalid or fn returns false.
func Elements(b []byte, i int, fn func(start, end int) bool) (int, bool) {
	return ElementsAt(b, i, func(start int) (int, bool) {
		end, ok := value(b, start, 1)
		return end, ok && fn(start, end)
	})
}

// ElementsAt is Elements with fn reading each element itself from where it
// starts and returning its end, as ObjectAt's fn does.
func ElementsAt(b []byte, i int, fn func(start int) (end int, ok bool)) (int, bool) {
	if i >= len(b) || b[i] != '[' {
		return i, false
	}
	i = Space(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		end, ok := fn(i)
		if !ok || end <= i || end > len(b) {
			return end, false
		}
		i = Space(b, end)
		if i >= len(b) {
			return i, false
		}
		if b[i] == ']' {
			return i + 1, true
		}
		if b[i] != ',' {
			return i, false
		}
		i = Space(b, i+1)
	}
}

// String decodes a JSON string value (quotes included). Plain strings are
// returned as they are, aliasing val; one with an escape is decoded by
// encoding/json (invalid UTF-8 becomes U+FFFD, as there).
func String(val []byte) ([]byte, bool) {
	if len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
		return nil, false
	}
	s := val[1 : len(val)-1]
	for _, c := range s {
		if c == '\\' || c >= 0x80 {
			return unquote(val)
		}
	}
	return s, true
}

func unquote(q []byte) ([]byte, bool) {
	var s string
	if json.Unmarshal(q, &s) != nil {
		return nil, false
	}
	return []byte(s), true
}

// Int decodes a JSON integer that fits an int32; larger numbers, fractions
// and exponents are not ok.
func Int(val []byte) (int, bool) {
	if len(val) == 0 {
		return 0, false
	}
	neg := val[0] == '-'
	d := val
	if neg {
		d = val[1:]
	}
	if len(d) == 0 || len(d) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func value(b []byte, i, depth int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		return str(b, i)
	case c == '{':
		if depth >= maxDepth {
			return i, false
		}
		i = Space(b, i+1)
		if i < len(b) && b[i] == '}' {
			return i + 1, true
		}
		for {
			if i >= len(b) || b[i] != '"' {
				return i, false
			}
			var ok bool
			if i, ok = str(b, i); !ok {
				return i, false
			}
			i = Space(b, i)
			if i >= len(b) || b[i] != ':' {
				return i, false
			}
			if i, ok = value(b, Space(b, i+1), depth+1); !ok {
				return i, false
			}
			i = Space(b, i)
			if i >= len(b) {
				return i, false
			}
			if b[i] == '}' {
				return i + 1, true
			}
			if b[i] != ',' {
				return i, false
			}
			i = Space(b, i+1)
		}
	case c == '[':
		if depth >= maxDepth {
			return i, false
		}
		i = Space(b, i+1)
		if i < len(b) && b[i] == ']' {
			return i + 1, true
		}
		for {
			var ok bool
			if i, ok = value(b, i, depth+1); !ok {
				return i, false
			}
			i = Space(b, i)
			if i >= len(b) {
				return i, false
			}
			if b[i] == ']' {
				return i + 1, true
			}
			if b[i] != ',' {
				return i, false
			}
			i = Space(b, i+1)
		}
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return number(b, i)
	}
	return i, false
}

func literal(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// str returns the end of the string starting at b[i] (a '"'). Invalid
// UTF-8 is accepted, as encoding/json accepts it.
func str(b []byte, i int) (int, bool) {
	for j := i + 1; j < len(b); j++ {
		// Most of a string is plain bytes: skip them eight at a time while
		// eight are left, then a table lookup each.
		for j+8 <= len(b) {
			if m := specialIn(binary.LittleEndian.Uint64(b[j:])); m != 0 {
				j += bits.TrailingZeros64(m) >> 3
				break
			}
			j += 8
		}
		for j < len(b) && !special[b[j]] {
			j++
		}
		if j >= len(b) {
			break
		}
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

// special marks the bytes str must look at: the closing quote, an escape
// and the control characters a string may not hold.
var special = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// specialIn marks the bytes of x (eight, little-endian) that end a run
// of plain string bytes: a quote, a backslash or a control byte. The
// lowest mark is exact (the classic has-zero-byte trick: a borrow can
// only add marks above a true one), which is all str reads.
func specialIn(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ (lo * '"')
	bs := x ^ (lo * '\\')
	return ((q-lo)&^q | (bs-lo)&^bs | (x-lo*0x20)&^x) & hi
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// number returns the end of the number starting at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func number(b []byte, i int) (int, bool) {
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

// Folds reports whether encoding/json, decoding into a struct, reads the
// member name key as the field name name (ASCII): the same name in any
// case, including through the non-ASCII letters that fold to ASCII ones
// ("ſ" to s, the Kelvin sign to k), which make key longer than name.
func Folds(key []byte, name string) bool {
	switch {
	case len(key) < len(name):
		return false
	case len(key) > len(name) && !hasNonASCII(key):
		return false
	}
	return bytes.EqualFold(key, []byte(name))
}

// FoldsAny reports whether Folds(key, n) holds for any of names, looking
// at key's bytes once for non-ASCII ones rather than once a name: the
// scanners ask it of every member they do not read, against every name
// they do (a chunk's "system_fingerprint" against six names was 6 scans).
// An ASCII key can only fold to a name of its own length, compared here
// without a conversion.
func FoldsAny(key []byte, names ...string) bool {
	if hasNonASCII(key) {
		for _, n := range names {
			if Folds(key, n) {
				return true
			}
		}
		return false
	}
	for _, n := range names {
		if len(n) == len(key) && asciiFold(key, n) {
			return true
		}
	}
	return false
}

// asciiFold reports whether the ASCII key equals name in any case
// (bytes.EqualFold for ASCII bytes: only letters have a case).
func asciiFold(key []byte, name string) bool {
	for i := 0; i < len(key); i++ {
		a, b := key[i], name[i]
		if a == b {
			continue
		}
		if a|0x20 != b|0x20 || a|0x20 < 'a' || a|0x20 > 'z' {
			return false
		}
	}
	return true
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}
