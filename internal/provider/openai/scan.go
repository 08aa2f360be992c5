package openai

import (
	"strings"

	"github.com/keygate/keygate/internal/jsonscan"
)

// scanChunk reads a stream chunk with jsonscan instead of encoding/json
// (the hot path of an OpenAI stream converted for another client): its id,
// model, created, usage when null, and choices whose delta holds role,
// content, reasoning and refusal. It is not ok for whatever encoding/json
// could read differently or that it does not read itself — a member named
// in another case or twice, a value of another kind, tool calls, a
// message, usage or error objects, trailing bytes — and the caller then
// uses encoding/json.
func scanChunk(data []byte) (upstreamResponse, bool) {
	var r upstreamResponse
	var seen [5]bool
	end, ok := jsonscan.Members(data, jsonscan.Space(data, 0), func(key, val []byte) bool {
		switch string(key) {
		case "id":
			return once(&seen[0]) && scanStr(val, &r.ID)
		case "model":
			return once(&seen[1]) && scanStr(val, &r.Model)
		case "created":
			var ok bool
			r.Created, ok = scanInt64(val)
			return once(&seen[2]) && ok
		case "usage":
			return once(&seen[3]) && string(val) == "null"
		case "choices":
			if !once(&seen[4]) {
				return false
			}
			r.Choices = r.Choices[:0:0]
			_, ok := jsonscan.Elements(val, 0, func(start, end int) bool {
				r.Choices = append(r.Choices, struct {
					Index        int `json:"index"`
					Message      *upstreamMessage
					Delta        *upstreamMessage
					FinishReason *string `json:"finish_reason"`
				}{})
				c := &r.Choices[len(r.Choices)-1]
				var seen [3]bool
				_, ok := jsonscan.Members(val[start:end], 0, func(key, val []byte) bool {
					switch string(key) {
					case "index":
						var ok bool
						c.Index, ok = jsonscan.Int(val)
						return once(&seen[0]) && ok
					case "delta":
						if !once(&seen[1]) {
							return false
						}
						var ok bool
						c.Delta, ok = scanDelta(val)
						return ok
					case "finish_reason":
						return once(&seen[2]) && scanStrPtr(val, &c.FinishReason)
					}
					return !folds(key, "index", "message", "delta", "finish_reason")
				})
				return ok
			})
			return ok
		}
		return !folds(key, "id", "model", "created", "choices", "usage", "error")
	})
	return r, ok && jsonscan.Space(data, end) == len(data)
}

func scanDelta(b []byte) (*upstreamMessage, bool) {
	if string(b) == "null" {
		return nil, true
	}
	m := &upstreamMessage{}
	var seen [5]bool
	_, ok := jsonscan.Members(b, 0, func(key, val []byte) bool {
		switch string(key) {
		case "role":
			return once(&seen[0]) && string(val) != "null" && scanStr(val, &m.Role)
		case "content":
			return once(&seen[1]) && scanStrPtr(val, &m.Content)
		case "reasoning_content":
			return once(&seen[2]) && scanStrPtr(val, &m.ReasoningContent)
		case "reasoning":
			return once(&seen[3]) && scanStrPtr(val, &m.Reasoning)
		case "refusal":
			return once(&seen[4]) && scanStrPtr(val, &m.Refusal)
		}
		return !folds(key, "role", "content", "reasoning_content", "reasoning", "refusal", "tool_calls")
	})
	return m, ok
}

// scanStr decodes the JSON string b into s; not ok for anything else.
func scanStr(b []byte, s *string) bool {
	v, ok := jsonscan.String(b)
	if ok {
		*s = string(v)
	}
	return ok
}

// scanStrPtr decodes a JSON string or null into *p.
func scanStrPtr(b []byte, p **string) bool {
	if string(b) == "null" {
		*p = nil
		return true
	}
	var s string
	if !scanStr(b, &s) {
		return false
	}
	*p = &s
	return true
}

// scanInt64 decodes a JSON integer of up to 18 digits.
func scanInt64(b []byte) (int64, bool) {
	d := strings.TrimPrefix(string(b), "-")
	if len(d) == 0 || len(d) > 18 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return 0, false
		}
		n = n*10 + int64(d[i]-'0')
	}
	if len(d) < len(b) {
		n = -n
	}
	return n, true
}

// once marks a member seen; not ok the second time.
func once(seen *bool) bool {
	if *seen {
		return false
	}
	*seen = true
	return true
}

// folds reports whether key is one of names, or one in another case (which
// encoding/json reads as that name).
func folds(key []byte, names ...string) bool {
	for _, n := range names {
		if len(key) == len(n) && strings.EqualFold(string(key), n) {
			return true
		}
	}
	return false
}
