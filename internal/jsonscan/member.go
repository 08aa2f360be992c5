package jsonscan

import (
	"bytes"
	"math/bits"
)

// LastMember reports whether b is exactly one JSON value with optional
// white space around it (Valid's verdict) and, when that value is an
// object, returns the value of its last top-level member named name (nil
// when it has none). Member names are read as Object reads them: decoded
// when they hold an escape, compared exactly. name must be plain (no
// quote, backslash or control byte).
//
// It is one function without recursion or a callback per member (the
// relay checks every whole answer it passes through and reads its usage;
// Object over the top level, value recursing into each member, cost more):
// a value, the separator after it and a member's name are each read at a
// label of their own, jumped to as the grammar says what comes next.
func LastMember(b []byte, name string) (val []byte, valid bool) {
	// open holds a bit per open container, set for an object; depth is
	// how many are open (the depth value would be called with). The
	// separators of compact JSON (`"k":v,`) are looked for first; white
	// space is skipped only where there is some.
	var open [4]uint64
	depth := 0
	vs := noValue // where the value of a top-level member named name starts (nextValue: the next value read)
	vs0, ve0 := 0, -1
	n := len(b)
	i := Space(b, 0)
	var ok bool
	var c byte

	// A value starts at b[i] (the document's, a member's or an element's).
value:
	if i >= n {
		return nil, false
	}
	if vs == nextValue {
		vs = i
	}
	c = b[i]
	switch {
	case c == '"':
		if i, ok = strEnd(b, i); !ok {
			return nil, false
		}
	case c == '{' || c == '[':
		if depth >= len(open)*64 {
			if depth >= maxDepth {
				return nil, false
			}
			return lastMemberDeep(b, name)
		}
		i = Space(b, i+1)
		if c == '{' {
			open[depth>>6] |= 1 << (depth & 63)
			depth++
			if i < n && b[i] == '}' {
				i++
				depth--
				break
			}
			goto member
		}
		open[depth>>6] &^= 1 << (depth & 63)
		depth++
		if i < n && b[i] == ']' {
			i++
			depth--
			break
		}
		goto value
	default:
		if i, ok = scalar(b, i); !ok {
			return nil, false
		}
	}

	// A value ended at b[i]: what follows it in its container.
next:
	if depth == 1 && vs >= 0 {
		vs0, ve0, vs = vs, i, noValue
	}
	if depth == 0 {
		if Space(b, i) != n {
			return nil, false
		}
		if ve0 >= 0 {
			val = b[vs0:ve0]
		}
		return val, true
	}
	if i < n && b[i] <= ' ' {
		i = Space(b, i)
	}
	if i >= n {
		return nil, false
	}
	c = b[i]
	if open[(depth-1)>>6]&(1<<((depth-1)&63)) != 0 {
		switch c {
		case ',':
			i++
			if i < n && b[i] <= ' ' {
				i = Space(b, i)
			}
			goto member
		case '}':
			i++
			depth--
			goto next
		}
		return nil, false
	}
	switch c {
	case ',':
		i++
		if i < n && b[i] <= ' ' {
			i = Space(b, i)
		}
		goto value
	case ']':
		i++
		depth--
		goto next
	}
	return nil, false

	// A member's name starts at b[i], in the object depth opened.
member:
	if i >= n || b[i] != '"' {
		return nil, false
	}
	{
		s := i
		if i, ok = strEnd(b, i); !ok {
			return nil, false
		}
		if depth == 1 && isName(b[s:i], name) {
			vs = nextValue
		}
	}
	if i < n && b[i] == ':' {
		i++
	} else {
		if i = Space(b, i); i >= n || b[i] != ':' {
			return nil, false
		}
		i++
	}
	if i < n && b[i] <= ' ' {
		i = Space(b, i)
	}
	goto value
}

// strEnd returns the end of the string at b[i] (a quote): a run of plain
// bytes then the closing quote, or str's reading of the rest.
func strEnd(b []byte, i int) (int, bool) {
	j := plainRun(b, i+1)
	if j < len(b) && b[j] == '"' {
		return j + 1, true
	}
	return str(b, i)
}

// LastMember's vs when no value of the member it looks for is being read.
const (
	noValue   = -1
	nextValue = -2
)

// plainRun returns the index of the first byte at or after b[j] that a
// string cannot hold as it is (a quote, a backslash, a control byte), or
// len(b).
func plainRun(b []byte, j int) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for ; j+8 <= len(b); j += 8 {
		w := b[j : j+8 : j+8]
		x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		q := x ^ (lo * '"')
		bs := x ^ (lo * '\\')
		if m := ((q-lo)&^q | (bs-lo)&^bs | (x-lo*0x20)&^x) & hi; m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
	}
	for j < len(b) && !special[b[j]] {
		j++
	}
	return j
}

// isName reports whether the member name q (quotes included) reads as
// name.
func isName(q []byte, name string) bool {
	key := q[1 : len(q)-1]
	if string(key) == name {
		return true
	}
	if bytes.IndexByte(key, '\\') < 0 {
		return false
	}
	k, ok := unquote(q)
	return ok && string(k) == name
}

// scalar returns the end of the number or literal at b[i].
func scalar(b []byte, i int) (int, bool) {
	switch c := b[i]; {
	case c >= '1' && c <= '9':
		// A plain integer, the common case, without number's general
		// grammar.
		j := i + 1
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j == len(b) || b[j] != '.' && b[j] != 'e' && b[j] != 'E' {
			return j, true
		}
		return number(b, i)
	case c == '-' || c == '0':
		return number(b, i)
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	}
	return i, false
}

// lastMemberDeep is LastMember for an answer nested deeper than its walk
// keeps track of: Object over the top level, each value checked by value.
func lastMemberDeep(b []byte, name string) ([]byte, bool) {
	i := Space(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, Valid(b)
	}
	var val []byte
	end, ok := Object(b, i, func(key []byte, s, e int) bool {
		if string(key) == name {
			val = b[s:e]
		}
		return true
	})
	if !ok || Space(b, end) != len(b) {
		return nil, false
	}
	return val, true
}
