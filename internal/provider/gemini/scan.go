package gemini

import (
	"github.com/keygate/keygate/internal/jsonscan"
)

// scanResponse reads a stream chunk of text parts with jsonscan instead of
// encoding/json (the hot path of a converted Gemini stream). It is not ok
// for whatever encoding/json could read differently or that it does not
// read itself — a member named in another case or twice, a null or a value
// of another kind, a part other than text (function calls, data), prompt
// feedback, trailing bytes — and the caller then uses encoding/json. A
// stream passes its scratch (last, else nil): the parts of the previous
// chunk, reused, and the strings it named: the model version and response
// id repeat on every chunk, and an equal one is kept rather than made
// again. What scanResponse returns then points into last and is valid
// until the next call.
func scanResponse(data []byte, last *repeated) (response, bool) {
	var r response
	var seen [4]bool
	if last != nil {
		r.Candidates = last.cands[:0]
	}
	end, ok := jsonscan.Members(data, jsonscan.Space(data, 0), func(key, val []byte) bool {
		switch k := string(key); k {
		case "candidates":
			return once(&seen[0]) && scanArray(val, func(v []byte) bool {
				var sc *repeated // the scratch serves the first candidate
				if len(r.Candidates) == 0 {
					sc = last
				}
				c, ok := scanCandidate(v, sc)
				r.Candidates = append(r.Candidates, c)
				return ok
			})
		case "usageMetadata":
			if !once(&seen[1]) {
				return false
			}
			var u *usageMetadata
			if last != nil {
				last.usage = usageMetadata{}
				u = &last.usage
			}
			u, ok := scanUsage(val, u)
			r.UsageMetadata = u
			return ok
		case "modelVersion":
			if last != nil {
				return once(&seen[2]) && scanRepeated(val, &last.model, &r.ModelVersion)
			}
			return once(&seen[2]) && scanStr(val, &r.ModelVersion)
		case "responseId":
			if last != nil {
				return once(&seen[3]) && scanRepeated(val, &last.id, &r.ResponseID)
			}
			return once(&seen[3]) && scanStr(val, &r.ResponseID)
		}
		return !folds(key, "candidates", "usageMetadata", "modelVersion", "responseId", "promptFeedback")
	})
	return r, ok && jsonscan.Space(data, end) == len(data)
}

// scanCandidate reads a candidate, its content into sc's when sc is set.
func scanCandidate(b []byte, sc *repeated) (candidate, bool) {
	var c candidate
	var seen [3]bool
	_, ok := jsonscan.Members(b, 0, func(key, val []byte) bool {
		switch string(key) {
		case "content":
			if !once(&seen[0]) {
				return false
			}
			ct, ok := scanContent(val, sc)
			c.Content = ct
			return ok
		case "finishReason":
			return once(&seen[1]) && scanStr(val, &c.FinishReason)
		case "index":
			var ok bool
			c.Index, ok = jsonscan.Int(val)
			return once(&seen[2]) && ok
		}
		return !folds(key, "content", "finishReason", "index")
	})
	return c, ok
}

// scanContent reads a content, into sc's when sc is set (its parts and
// their texts too).
func scanContent(b []byte, sc *repeated) (*content, bool) {
	var c *content
	if sc != nil {
		sc.content = content{Parts: sc.parts[:0]}
		c = &sc.content
	} else {
		c = &content{}
	}
	var seen [2]bool
	_, ok := jsonscan.Members(b, 0, func(key, val []byte) bool {
		switch string(key) {
		case "role":
			if sc != nil {
				return once(&seen[0]) && scanRepeated(val, &sc.role, &c.Role)
			}
			return once(&seen[0]) && scanStr(val, &c.Role)
		case "parts":
			return once(&seen[1]) && scanArray(val, func(v []byte) bool {
				var text *string
				if sc != nil {
					if n := len(c.Parts); n < len(sc.texts) {
						text = &sc.texts[n]
					}
				}
				p, ok := scanPart(v, text)
				c.Parts = append(c.Parts, p)
				return ok
			})
		}
		return !folds(key, "role", "parts")
	})
	return c, ok
}

// scanPart reads a part, its text into *text when text is set.
func scanPart(b []byte, text *string) (part, bool) {
	var p part
	var seen [2]bool
	_, ok := jsonscan.Members(b, 0, func(key, val []byte) bool {
		switch string(key) {
		case "text":
			s := text
			if s == nil {
				s = new(string)
			}
			if !once(&seen[0]) || !scanStr(val, s) {
				return false
			}
			p.Text = s
			return true
		case "thought":
			p.Thought = string(val) == "true"
			return once(&seen[1]) && (p.Thought || string(val) == "false")
		}
		return !folds(key, "text", "thought", "inlineData", "fileData", "functionCall", "functionResponse", "thoughtSignature")
	})
	return p, ok
}

// scanUsage reads a usageMetadata, into u when u is set.
func scanUsage(b []byte, u *usageMetadata) (*usageMetadata, bool) {
	if u == nil {
		u = &usageMetadata{}
	}
	names := [...]string{"promptTokenCount", "cachedContentTokenCount", "toolUsePromptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "totalTokenCount"}
	fields := [...]*int{&u.PromptTokenCount, &u.CachedContentTokenCount, &u.ToolUsePromptTokenCount, &u.CandidatesTokenCount, &u.ThoughtsTokenCount, &u.TotalTokenCount}
	var seen [len(names)]bool
	_, ok := jsonscan.Members(b, 0, func(key, val []byte) bool {
		for i, n := range names {
			if string(key) == n {
				var ok bool
				*fields[i], ok = jsonscan.Int(val)
				return once(&seen[i]) && ok
			}
		}
		return !folds(key, names[:]...)
	})
	return u, ok
}

// scanArray calls fn with each element of the array b; not ok for anything
// else (null included).
func scanArray(b []byte, fn func(v []byte) bool) bool {
	_, ok := jsonscan.Elements(b, 0, func(start, end int) bool { return fn(b[start:end]) })
	return ok
}

// scanStr decodes the JSON string b into s; not ok for anything else.
func scanStr(b []byte, s *string) bool {
	v, ok := jsonscan.String(b)
	if ok {
		*s = string(v)
	}
	return ok
}

// repeated is a stream's scratch: the strings of its previous chunk, and
// the parts of a chunk scanResponse fills again for the next (the first
// candidate, its content, its first parts' texts, the usage).
type repeated struct {
	model, id, role string
	cands           [1]candidate
	content         content
	parts           [2]part
	texts           [2]string
	usage           usageMetadata
}

// scanRepeated decodes the JSON string b into *out, reusing *last when it
// is equal (and otherwise making it the new *last); not ok for anything
// else.
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
