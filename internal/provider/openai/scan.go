package openai

import (
	"strings"

	"github.com/keygate/keygate/internal/jsonscan"
)

// chunkScratch is what scanChunk reuses from one chunk to the next, so a
// text chunk costs its text and little more: the choice, its delta and the
// strings its pointers point to, and the id and model strings, which every
// chunk of a stream repeats. What scanChunk returns points into it and is
// valid until the next call.
type chunkScratch struct {
	id, model string
	choice    [1]upstreamChoice
	delta     upstreamMessage
	strs      [4]string // content, reasoning_content, reasoning, refusal
	finish    string
	usage     chatUsage
	details   [2]tokenDetails
}

// scanChunk reads a stream chunk with jsonscan instead of encoding/json
// (the hot path of an OpenAI stream converted for another client): its id,
// model, created, usage (null or the counts), and choices whose delta
// holds role, content, reasoning and refusal. It is not ok for whatever
// encoding/json could read differently or that it does not read itself —
// a member named in another case or twice, a value of another kind, tool
// calls, a message, error objects, trailing bytes — and the caller then
// uses encoding/json.
//
// Each nested value it reads (choices, their message or delta, usage and
// its details) is walked once, by the reader of that value (ObjectAt):
// a complete answer's message used to be walked once per level above it.
func scanChunk(data []byte, s *chunkScratch) (upstreamResponse, bool) {
	var r upstreamResponse
	var seen [5]bool
	end, ok := jsonscan.ObjectAt(data, jsonscan.Space(data, 0), func(key []byte, i int) (int, bool) {
		switch string(key) {
		case "usage":
			if !once(&seen[3]) {
				return i, false
			}
			if end, ok := nullAt(data, i); ok {
				return end, true
			}
			r.Usage = &s.usage
			return scanUsage(data, i, s)
		case "choices":
			if !once(&seen[4]) {
				return i, false
			}
			r.Choices = s.choice[:0]
			return jsonscan.ElementsAt(data, i, func(i int) (int, bool) {
				r.Choices = append(r.Choices, upstreamChoice{})
				return scanChoice(data, i, &r.Choices[len(r.Choices)-1], s, len(r.Choices) == 1)
			})
		}
		end, ok := jsonscan.Value(data, i)
		if !ok {
			return end, false
		}
		val := data[i:end]
		switch string(key) {
		case "id":
			return end, once(&seen[0]) && scanRepeated(val, &s.id, &r.ID)
		case "model":
			return end, once(&seen[1]) && scanRepeated(val, &s.model, &r.Model)
		case "created":
			var ok bool
			r.Created, ok = scanInt64(val)
			return end, once(&seen[2]) && ok
		}
		return end, !folds(key, "id", "model", "created", "choices", "usage", "error")
	})
	return r, ok && jsonscan.Space(data, end) == len(data)
}

// scanChoice reads the choice at b[i] into c; the first choice's delta
// and finish reason go in s (the scratch serves the first choice).
func scanChoice(b []byte, i int, c *upstreamChoice, s *chunkScratch, first bool) (int, bool) {
	var seen [4]bool
	return jsonscan.ObjectAt(b, i, func(key []byte, i int) (int, bool) {
		switch string(key) {
		case "message":
			if !once(&seen[3]) {
				return i, false
			}
			var end int
			var ok bool
			c.Message, end, ok = scanAnswerMessage(b, i)
			return end, ok
		case "delta":
			if !once(&seen[1]) {
				return i, false
			}
			var end int
			var ok bool
			c.Delta, end, ok = scanDelta(b, i, s, first)
			return end, ok
		}
		end, ok := jsonscan.Value(b, i)
		if !ok {
			return end, false
		}
		val := b[i:end]
		switch string(key) {
		case "index":
			var ok bool
			c.Index, ok = jsonscan.Int(val)
			return end, once(&seen[0]) && ok
		case "finish_reason":
			if !once(&seen[2]) {
				return end, false
			}
			if !first {
				return end, scanStrPtr(val, &c.FinishReason)
			}
			return end, scanStrInto(val, &s.finish, &c.FinishReason)
		}
		return end, !folds(key, "index", "message", "delta", "finish_reason")
	})
}

// nullAt returns the end of the value at b[i] when it is null.
func nullAt(b []byte, i int) (int, bool) {
	if len(b)-i >= 4 && string(b[i:i+4]) == "null" {
		return i + 4, true
	}
	return i, false
}

// scanDelta reads the delta at b[i] and returns its end; the first
// choice's goes in s.
func scanDelta(b []byte, i int, s *chunkScratch, first bool) (*upstreamMessage, int, bool) {
	if end, ok := nullAt(b, i); ok {
		return nil, end, true
	}
	var m *upstreamMessage
	var strs *[4]string
	if first {
		s.delta = upstreamMessage{}
		m, strs = &s.delta, &s.strs
	} else {
		m, strs = &upstreamMessage{}, new([4]string)
	}
	var seen [5]bool
	end, ok := jsonscan.Members(b, i, func(key, val []byte) bool {
		switch string(key) {
		case "role":
			return once(&seen[0]) && string(val) != "null" && scanStr(val, &m.Role)
		case "content":
			return once(&seen[1]) && scanStrInto(val, &strs[0], &m.Content)
		case "reasoning_content":
			return once(&seen[2]) && scanStrInto(val, &strs[1], &m.ReasoningContent)
		case "reasoning":
			return once(&seen[3]) && scanStrInto(val, &strs[2], &m.Reasoning)
		case "refusal":
			return once(&seen[4]) && scanStrInto(val, &strs[3], &m.Refusal)
		}
		return !folds(key, "role", "content", "reasoning_content", "reasoning", "refusal", "tool_calls")
	})
	return m, end, ok
}

// scanUsage reads the usage object at b[i] into s.usage and returns its
// end: the counts as integers, the details objects (or null) with theirs.
// Anything else a member could hold is not ok.
func scanUsage(b []byte, i int, s *chunkScratch) (int, bool) {
	s.usage = chatUsage{}
	var seen [5]bool
	return jsonscan.ObjectAt(b, i, func(key []byte, i int) (int, bool) {
		switch string(key) {
		case "prompt_tokens_details":
			if !once(&seen[3]) {
				return i, false
			}
			return scanDetails(b, i, &s.details[0], &s.usage.PromptTokensDetails)
		case "completion_tokens_details":
			if !once(&seen[4]) {
				return i, false
			}
			return scanDetails(b, i, &s.details[1], &s.usage.CompletionTokensDetails)
		}
		end, ok := jsonscan.Value(b, i)
		if !ok {
			return end, false
		}
		val := b[i:end]
		switch string(key) {
		case "prompt_tokens":
			s.usage.PromptTokens, ok = jsonscan.Int(val)
			return end, once(&seen[0]) && ok
		case "completion_tokens":
			s.usage.CompletionTokens, ok = jsonscan.Int(val)
			return end, once(&seen[1]) && ok
		case "total_tokens":
			s.usage.TotalTokens, ok = jsonscan.Int(val)
			return end, once(&seen[2]) && ok
		}
		return end, !folds(key, "prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "completion_tokens_details")
	})
}

// scanDetails reads the token details object (or null) at b[i] into d,
// pointed to by *p, and returns its end.
func scanDetails(b []byte, i int, d *tokenDetails, p **tokenDetails) (int, bool) {
	if end, ok := nullAt(b, i); ok {
		*p = nil
		return end, true
	}
	*d = tokenDetails{}
	var seen [2]bool
	end, ok := jsonscan.Members(b, i, func(key, val []byte) bool {
		var ok bool
		switch string(key) {
		case "cached_tokens":
			d.CachedTokens, ok = jsonscan.Int(val)
			return once(&seen[0]) && ok
		case "reasoning_tokens":
			d.ReasoningTokens, ok = jsonscan.Int(val)
			return once(&seen[1]) && ok
		}
		return !folds(key, "cached_tokens", "reasoning_tokens")
	})
	*p = d
	return end, ok
}

// scanStr decodes the JSON string b into s; not ok for anything else.
func scanStr(b []byte, s *string) bool {
	v, ok := jsonscan.String(b)
	if ok {
		*s = string(v)
	}
	return ok
}

// scanRepeated decodes the JSON string b into *out, reusing *last when it
// holds the same text (a stream's id and model repeat in every chunk).
func scanRepeated(b []byte, last, out *string) bool {
	v, ok := jsonscan.String(b)
	if !ok {
		return false
	}
	if string(v) != *last {
		*last = string(v)
	}
	*out = *last
	return true
}

// scanStrPtr decodes a JSON string or null into *p.
func scanStrPtr(b []byte, p **string) bool {
	return scanStrInto(b, new(string), p)
}

// scanStrInto decodes a JSON string into *slot and points *p at it, or a
// null into a nil *p.
func scanStrInto(b []byte, slot *string, p **string) bool {
	if string(b) == "null" {
		*p = nil
		return true
	}
	if !scanStr(b, slot) {
		return false
	}
	*p = slot
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
func folds(key []byte, names ...string) bool { return jsonscan.FoldsAny(key, names...) }
