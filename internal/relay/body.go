package relay

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"

	"github.com/keygate/keygate/internal/catalog"
)

// setModel returns body with its top-level "model" replaced.
func setModel(body []byte, model string) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	v, _ := json.Marshal(model)
	m["model"] = v
	return json.Marshal(m)
}

// EnsureStreamUsage makes a streaming body ask for usage in its last chunk,
// so billing uses the upstream's count. It reports whether it changed the
// body (the client did not ask, so the usage chunk must be hidden from it).
func EnsureStreamUsage(body []byte, hasOptions bool, includeUsage bool) ([]byte, bool, error) {
	if includeUsage {
		return body, false, nil
	}
	if !hasOptions {
		// Fast path: append a member before the closing brace.
		end := len(bytes.TrimRight(body, " \t\r\n"))
		if end == 0 || body[end-1] != '}' {
			return nil, false, errors.New("body is not a JSON object")
		}
		inner := bytes.TrimSpace(body[:end-1])
		out := make([]byte, 0, end+40)
		out = append(out, body[:end-1]...)
		if len(inner) > 1 { // not "{"
			out = append(out, ',')
		}
		out = append(out, `"stream_options":{"include_usage":true}}`...)
		return out, true, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, false, err
	}
	var so map[string]json.RawMessage
	_ = json.Unmarshal(m["stream_options"], &so)
	if so == nil {
		so = map[string]json.RawMessage{}
	}
	so["include_usage"] = json.RawMessage("true")
	b, _ := json.Marshal(so)
	m["stream_options"] = b
	out, err := json.Marshal(m)
	return out, true, err
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
