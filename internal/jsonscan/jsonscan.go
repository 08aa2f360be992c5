// Package jsonscan walks JSON bytes without decoding them: it finds where a
// value ends (checking it against the JSON grammar) and hands the members of
// an object to a callback. The hot path uses it to read the few fields it
// needs — the request's model and limits, the answer's usage — from bodies it
// otherwise passes through untouched. Anything it is not sure of is reported
// as not ok, and callers fall back to encoding/json.
package jsonscan

// maxDepth bounds recursion; deeper values are reported as not ok (callers
// fall back to encoding/json, which allows 10,000 levels).
const maxDepth = 512

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

// Members walks the object starting at b[i] (a '{'), calling fn with each
// member's key (the bytes between the quotes) and raw value. It returns the
// end of the object. It stops with ok false when the object is invalid, a
// key holds an escape or a non-ASCII byte (its meaning needs decoding), or
// fn returns false.
func Members(b []byte, i int, fn func(key, val []byte) bool) (int, bool) {
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
		ke := i + 1
		for ke < len(b) && b[ke] != '"' {
			if c := b[ke]; c == '\\' || c < 0x20 || c >= 0x80 {
				return ke, false
			}
			ke++
		}
		if ke >= len(b) {
			return ke, false
		}
		key := b[i+1 : ke]
		i = Space(b, ke+1)
		if i >= len(b) || b[i] != ':' {
			return i, false
		}
		i = Space(b, i+1)
		end, ok := value(b, i, 0)
		if !ok || !fn(key, b[i:end]) {
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
