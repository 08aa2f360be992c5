package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/jsonscan"
)

// setModel returns body with the value of its top-level "model" replaced
// and every other byte as the client sent it: key order, spacing and
// escapes are the client's (the README promises byte-exact pass-through).
// A body with no "model" gets one, first.
func setModel(body []byte, model string) ([]byte, error) {
	at := jsonscan.Space(body, 0)
	var buf [2][2]int
	spans := buf[:0]
	end, ok := jsonscan.Object(body, at, func(key []byte, s, e int) bool {
		if string(key) == "model" {
			spans = append(spans, [2]int{s, e}) // the handler refused duplicates; all are replaced if not
		}
		return true
	})
	if !ok || jsonscan.Space(body, end) != len(body) {
		return nil, errNotObject
	}
	v := jsonString(model)
	if len(spans) == 0 {
		return insertMember(body, at, `"model":`+v), nil
	}
	out := make([]byte, 0, len(body)+len(v))
	prev := 0
	for _, sp := range spans {
		out = append(append(out, body[prev:sp[0]]...), v...)
		prev = sp[1]
	}
	return append(out, body[prev:]...), nil
}

var errNotObject = errors.New("body is not a JSON object")

// SetCap returns body with the value of every top-level member named in
// names replaced by n (a lowered output cap, budget_clamp), every other
// byte as the client sent it; a body with none of them gets names[0].
func SetCap(body []byte, names []string, n int) ([]byte, error) {
	at := jsonscan.Space(body, 0)
	var buf [4][2]int
	spans := buf[:0]
	end, ok := jsonscan.Object(body, at, func(key []byte, s, e int) bool {
		if slices.Contains(names, string(key)) {
			spans = append(spans, [2]int{s, e})
		}
		return true
	})
	if !ok || jsonscan.Space(body, end) != len(body) || len(names) == 0 {
		return nil, errNotObject
	}
	v := strconv.Itoa(n)
	if len(spans) == 0 {
		return insertMember(body, at, `"`+names[0]+`":`+v), nil
	}
	out := make([]byte, 0, len(body)+len(v))
	prev := 0
	for _, sp := range spans {
		out = append(append(out, body[prev:sp[0]]...), v...)
		prev = sp[1]
	}
	return append(out, body[prev:]...), nil
}

// EnsureStreamUsage makes a streaming body ask for usage in its last chunk,
// so billing uses the upstream's count: it writes
// stream_options.include_usage:true itself, whatever the client sent there,
// editing the bytes in place (nothing else in the body changes). optsAt is
// the offset of the top-level stream_options value as the handler's
// scanner found it, -1 when there is none. An unchanged body (the client
// already asked for usage) is returned as it is.
func EnsureStreamUsage(body []byte, optsAt int) ([]byte, error) {
	if optsAt < 0 {
		// Append the member before the closing brace.
		end := len(bytes.TrimRight(body, " \t\r\n"))
		if end == 0 || body[end-1] != '}' {
			return nil, errNotObject
		}
		inner := bytes.TrimSpace(body[:end-1])
		out := make([]byte, 0, end+40)
		out = append(out, body[:end-1]...)
		if len(inner) > 1 { // not "{"
			out = append(out, ',')
		}
		out = append(out, `"stream_options":{"include_usage":true}}`...)
		return out, nil
	}
	if optsAt >= len(body) {
		return nil, errors.New("stream_options is not in the body")
	}
	if bytes.HasPrefix(body[optsAt:], []byte("null")) {
		return splice(body, optsAt, optsAt+4, `{"include_usage":true}`), nil
	}
	var buf [2][2]int
	spans := buf[:0]
	_, ok := jsonscan.Object(body, optsAt, func(key []byte, s, e int) bool {
		if string(key) == "include_usage" {
			spans = append(spans, [2]int{s, e})
		}
		return true
	})
	switch {
	case !ok:
		return nil, errors.New("stream_options is not a JSON object")
	case len(spans) == 0:
		return insertMember(body, optsAt, `"include_usage":true`), nil
	case len(spans) == 1 && string(body[spans[0][0]:spans[0][1]]) == "true":
		return body, nil
	}
	out := make([]byte, 0, len(body)+4)
	prev := 0
	for _, sp := range spans {
		out = append(append(out, body[prev:sp[0]]...), "true"...)
		prev = sp[1]
	}
	return append(out, body[prev:]...), nil
}

// insertMember returns body with member ("name":value) added first in the
// object at body[at].
func insertMember(body []byte, at int, member string) []byte {
	sep := ","
	if rest := jsonscan.Space(body, at+1); rest < len(body) && body[rest] == '}' {
		sep = ""
	}
	return splice(body, at+1, at+1, member+sep)
}

// splice returns a copy of body with body[s:e] replaced by v.
func splice(body []byte, s, e int, v string) []byte {
	out := make([]byte, 0, len(body)-(e-s)+len(v))
	return append(append(append(out, body[:s]...), v...), body[e:]...)
}

// jsonString is s as a JSON string; plain names (the usual model name) are
// quoted as they are.
func jsonString(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			b, _ := json.Marshal(s) // cannot fail for a string
			return string(b)
		}
	}
	return `"` + s + `"`
}

// weightedShuffle orders equal-priority channels by weighted random choice.
func weightedShuffle(chs []*catalog.Channel) {
	for start := 0; start < len(chs); {
		end := start + 1
		for end < len(chs) && chs[end].Priority == chs[start].Priority {
			end++
		}
		group := chs[start:end]
		for i := 0; i < len(group)-1; i++ {
			total := 0
			for _, c := range group[i:] {
				total += max(c.Weight, 1)
			}
			r := rand.IntN(total)
			for j := i; j < len(group); j++ {
				r -= max(group[j].Weight, 1)
				if r < 0 {
					group[i], group[j] = group[j], group[i]
					break
				}
			}
		}
		start = end
	}
}
