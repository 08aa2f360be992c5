package provider

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/keygate/keygate/internal/jsonscan"
)

// The scanners below read a JSON value exactly as encoding/json decodes it
// into a Go struct, for the converted paths' fast readers of requests and
// answers, and say not ok for whatever they cannot read the same way: the
// caller then decodes with encoding/json, whose result (or error) stands.
// They take values the scanner already found valid (a member's bytes).

// Fields walks the JSON object b the way encoding/json fills a struct whose
// members are names: fn gets each member named exactly one of them, by
// index. Other members are skipped. Not ok when b is not an object, a name
// comes twice (encoding/json keeps the last; the caller gives up rather
// than guess which copy an upstream reads), a member is named in another
// case (encoding/json folds names, the upstream does not), or fn says so.
func Fields(b []byte, names []string, fn func(i int, val []byte) bool) bool {
	_, ok := FieldsOther(b, names, nil, fn)
	return ok
}

// FieldsOther is Fields for a top-level object, with other, when not nil,
// given every member that is not a field (its key, ASCII only, and value).
// It returns the end of the object.
func FieldsOther(b []byte, names []string, other func(key, val []byte) bool, fn func(i int, val []byte) bool) (int, bool) {
	var seen uint64
	return jsonscan.Members(b, 0, func(key, val []byte) bool {
		for i, n := range names {
			if string(key) == n {
				if seen&(1<<i) != 0 {
					return false
				}
				seen |= 1 << i
				return fn(i, val)
			}
		}
		if jsonscan.FoldsAny(key, names...) {
			return false
		}
		if other == nil {
			return true
		}
		for _, c := range key {
			if c >= 0x80 {
				return false
			}
		}
		return other(key, val)
	})
}

// Extra collects the members of a top-level object that no field reads
// (FieldsOther's other), for a converter's list of what it passes on or
// warns about: each name once, in the order first seen, its last value
// the one that counts, as encoding/json would keep it.
type Extra struct {
	// Known says which names the converter reads elsewhere: they are not
	// collected.
	Known func(name string) bool
	names []string
	null  []bool // the name's last value is null
}

// Add is FieldsOther's other: it records key unless Known.
func (e *Extra) Add(key, val []byte) bool {
	if e.Known(string(key)) {
		return true
	}
	for i, n := range e.names {
		if n == string(key) {
			e.null[i] = IsNull(val)
			return true
		}
	}
	e.names, e.null = append(e.names, string(key)), append(e.null, IsNull(val))
	return true
}

// Names are the collected names whose last value is not null.
func (e *Extra) Names() []string {
	out := e.names[:0]
	for i, n := range e.names {
		if !e.null[i] {
			out = append(out, n)
		}
	}
	return out
}

// IsNull reports whether the value is JSON null.
func IsNull(val []byte) bool { return string(val) == "null" }

// ScanString decodes a string member into *s; null leaves *s as it is.
func ScanString(val []byte, s *string) bool {
	if IsNull(val) {
		return true
	}
	v, ok := jsonscan.String(val)
	if ok {
		*s = string(v)
	}
	return ok
}

// ScanStringPtr decodes a *string member: null is nil.
func ScanStringPtr(val []byte, p **string) bool {
	if IsNull(val) {
		*p = nil
		return true
	}
	var s string
	if !ScanString(val, &s) {
		return false
	}
	*p = &s
	return true
}

// ScanInt decodes an int member of up to 9 digits; null leaves *n.
func ScanInt(val []byte, n *int) bool {
	if IsNull(val) {
		return true
	}
	v, ok := jsonscan.Int(val)
	if ok {
		*n = v
	}
	return ok
}

// ScanIntPtr decodes a *int member: null is nil.
func ScanIntPtr(val []byte, p **int) bool {
	if IsNull(val) {
		*p = nil
		return true
	}
	v, ok := jsonscan.Int(val)
	if ok {
		*p = &v
	}
	return ok
}

// ScanFloatPtr decodes a *float64 member as encoding/json does
// (strconv.ParseFloat of the number's text): null is nil.
func ScanFloatPtr(val []byte, p **float64) bool {
	if IsNull(val) {
		*p = nil
		return true
	}
	if len(val) == 0 || (val[0] != '-' && (val[0] < '0' || val[0] > '9')) {
		return false
	}
	f, err := strconv.ParseFloat(string(val), 64)
	if err != nil {
		return false
	}
	*p = &f
	return true
}

// ScanBool decodes a bool member; null leaves *v.
func ScanBool(val []byte, v *bool) bool {
	switch string(val) {
	case "null":
	case "true":
		*v = true
	case "false":
		*v = false
	default:
		return false
	}
	return true
}

// ScanBoolPtr decodes a *bool member: null is nil.
func ScanBoolPtr(val []byte, p **bool) bool {
	if IsNull(val) {
		*p = nil
		return true
	}
	var v bool
	if !ScanBool(val, &v) {
		return false
	}
	*p = &v
	return true
}

// ScanRaw copies a json.RawMessage member (null included, as
// encoding/json keeps it).
func ScanRaw(val []byte, r *json.RawMessage) bool {
	*r = bytes.Clone(val)
	return true
}

// ScanArray calls fn with each element of an array member; null is no
// elements. Elements that are null (a zero struct for encoding/json) are
// not ok: fn need not handle them.
func ScanArray(val []byte, fn func(elem []byte) bool) bool {
	if IsNull(val) {
		return true
	}
	_, ok := jsonscan.Elements(val, 0, func(start, end int) bool {
		e := val[start:end]
		return !IsNull(e) && fn(e)
	})
	return ok
}

// ScanStrings decodes a []string member: null is nil.
func ScanStrings(val []byte, out *[]string) bool {
	if IsNull(val) {
		*out = nil
		return true
	}
	s := []string{}
	ok := ScanArray(val, func(e []byte) bool {
		v, ok := jsonscan.String(e)
		s = append(s, string(v))
		return ok
	})
	*out = s
	return ok
}
