package usage

import (
	"bytes"

	"github.com/keygate/keygate/internal/jsonscan"
)

// refGeneratedBytes is GeneratedBytes as it was written before its walk
// was made faster (the key found by a search back for its opening quote,
// every value after a key looked at): the reading the faster walk must
// keep, byte for byte (FuzzGeneratedBytesAsBefore).
func refGeneratedBytes(b []byte) int {
	var w refWalker
	for !w.done {
		w.step(b)
	}
	if w.responses {
		return w.delta
	}
	return w.text
}

type refWalker struct {
	i, hi, text, delta int
	responses, done    bool
}

func (w *refWalker) step(b []byte) {
	i := w.i
	c := bytes.IndexByte(b[i:], ':')
	if c < 0 {
		w.done = true
		return
	}
	c += i
	w.i, w.hi = c+1, max(w.hi, c+1)
	ke := c - 1
	for ke >= 0 && (b[ke] == ' ' || b[ke] == '\t' || b[ke] == '\n' || b[ke] == '\r') {
		ke--
	}
	if ke < 1 || b[ke] != '"' {
		return
	}
	ks := bytes.LastIndexByte(b[max(0, ke-maxTextKey-1):ke], '"')
	if ks < 0 {
		return
	}
	key := b[max(0, ke-maxTextKey-1)+ks+1 : ke]
	v := jsonscan.Space(b, c+1)
	if v >= len(b) {
		w.done = true
		return
	}
	w.hi = max(w.hi, v+1)
	switch b[v] {
	case '"':
		switch string(key) {
		case "content", "text", "reasoning", "reasoning_content", "refusal", "arguments", "partial_json", "thinking":
			ve := stringEnd(b, v)
			if ve < 0 {
				w.done = true
				w.responses = false
				return
			}
			w.text += ve - v - 2
			w.i, w.hi = ve, max(w.hi, ve)
		case "delta":
			ve := stringEnd(b, v)
			if ve < 0 {
				w.done = true
				w.responses = false
				return
			}
			w.delta += ve - v - 2
			w.i, w.hi = ve, max(w.hi, ve)
		case "type":
			w.hi = max(w.hi, min(len(b), v+1+len(responsesType)))
			w.responses = w.responses || bytes.HasPrefix(b[v+1:], responsesType)
		}
	case '{', '[':
		switch string(key) {
		case "args", "input":
			if ve, ok := jsonscan.Value(b, v); ok {
				w.text += compactLen(b[v:ve])
				w.i = ve
			}
			w.hi = len(b)
		}
	}
}
