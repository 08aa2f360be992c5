package usage

import (
	"bytes"

	"github.com/keygate/keygate/internal/jsonscan"
)

// GeneratedBytes counts the generated text in an upstream answer or in one
// stream event, for the estimate used when the upstream reports no usage:
// every text the model produced, not only "content" — reasoning
// ("reasoning", "reasoning_content", Anthropic's "thinking"), refusals,
// tool-call arguments (OpenAI's "arguments", Anthropic's "partial_json"
// and tool_use "input", Gemini's functionCall "args") — in OpenAI chat and
// completions, Responses, Anthropic Messages and Gemini shapes. It reads
// the JSON, so spacing and member order do not change the count; strings
// count their bytes as sent, argument objects their bytes without
// insignificant whitespace.
//
// A Responses stream repeats its text (each delta, then the part, the item
// and the whole response when done), so in a Responses event (a "type"
// of "response.…") only the "delta" strings count.
func GeneratedBytes(b []byte) int {
	var w walker
	w.walk(b, nil)
	return w.result()
}

// Estimator is GeneratedBytes for the events of one stream, at a fraction
// of the cost: consecutive events of a stream share their envelope (id,
// object, created, model, "choices":[{"index":0,"delta":{ …), so it keeps
// the first bytes of the last event with the points its walk passed, and
// resumes the next event's walk from the last point whose bytes are the
// same, instead of reading the envelope again. Count gives exactly what
// GeneratedBytes gives. The zero value is ready; reset it (or use a new
// one) for another stream. Not safe for concurrent use.
type Estimator struct {
	n      int // bytes of prefix kept
	last   int // length of the last event (may exceed the prefix kept)
	ncp    int
	held   int // the point the last Count resumed from, tried first
	shared int
	prefix [estPrefix]byte
	cps    [estCheckpoints]walker

	// The end of an event read after a counted value — the envelope's
	// closing members ("logprobs", "finish_reason", "usage"…), the same
	// in most events of a stream — with the tailBack bytes before it
	// that its walk looked back at, and what the walk from there counted.
	tail                [estTail]byte
	tailN, tailBack     int // bytes of tail kept (0: none), of them before the point
	tailText, tailDelta int
	tailIn, tailOut     bool // responses before and after
}

const (
	estPrefix      = 256
	estCheckpoints = 12
	estTail        = 128
)

// Reset forgets the last event, for another stream.
func (e *Estimator) Reset() { e.n, e.last, e.ncp, e.held, e.shared, e.tailN = 0, 0, 0, 0, 0, 0 }

// Count returns GeneratedBytes(b).
func (e *Estimator) Count(b []byte) int {
	// Resume from a point whose bytes b has too. A point reached by
	// reading the whole last event may owe its counts to that event
	// ending there (a value cut short): only points short of its end
	// carry over. The point that held last time is tried first (in a
	// stream it is the last one before the new text), then the next ones
	// while they hold, or else those before it; any point that holds
	// gives the same count, the later the less is read again.
	holds := func(k int) bool {
		hi := e.cps[k].hi
		return hi < e.last && hi <= len(b) && string(b[:hi]) == string(e.prefix[:hi])
	}
	k := min(e.held, e.ncp-1)
	switch {
	case k < 0:
	case holds(k):
		for k+1 < e.ncp && holds(k+1) {
			k++
		}
	default:
		for k--; k >= 0 && !holds(k); k-- {
		}
	}
	var w walker
	e.ncp, e.shared = k+1, 0
	if k >= 0 {
		w = e.cps[k]
		e.shared, e.held = w.hi, k
	}
	w.walk(b, e)
	if e.held >= e.ncp {
		e.held = e.ncp - 1
	}
	n := min(len(b), estPrefix)
	copy(e.prefix[e.shared:n], b[e.shared:n]) // the bytes before are the same
	e.n, e.last = n, len(b)
	return w.result()
}

// Shared returns how many first bytes of the event of the last Count are
// known to be the first bytes of the event counted before it (0 for the
// first event of a stream): a caller that searched that event for a
// string needs to search only the rest of this one, and the few bytes
// before it where a match could start.
func (e *Estimator) Shared() int { return e.shared }

// walker is GeneratedBytes's walk, stopped at one point: the index i it
// goes on from, the counts so far, and hi, the end of the bytes it has read
// to get there (a walk over other bytes with the same b[:hi] reaches the
// same point with the same counts).
type walker struct {
	i, hi, text, delta int
	lo                 int // the first byte a step read back to (see walk)
	responses, done    bool
}

func (w *walker) result() int {
	if w.responses {
		return w.delta
	}
	return w.text
}

// walk goes on from w.i to the end of b. With e, it records the points it
// passes while their bytes fit in e's prefix, and after a counted value it
// takes the rest of b from e's tail when it is the same bytes.
func (w *walker) walk(b []byte, e *Estimator) {
	// One flat pass from colon to colon (bytes.IndexByte finds each): a
	// colon right after a quoted name ends a member's key, and the value
	// after a text key is counted. No recursion and no allocation: on the
	// stream path this runs for every event. A colon inside a string is
	// told apart by what precedes it; one that still looks like a key (a
	// quoted text key, then a colon, inside a string) can only misplace a
	// few bytes of an estimate.
	var mark walker // after the last counted value
	marked := false
	for !w.done {
		counted := w.step(b)
		if e == nil || w.done {
			continue
		}
		if counted {
			if t, back := e.tailN, e.tailBack; t > 0 && len(b)-w.i == t-back && w.responses == e.tailIn && w.i >= back &&
				string(b[w.i-back:]) == string(e.tail[:t]) {
				// The rest of b reads as it did: a walk from here sees
				// only these bytes.
				w.text, w.delta, w.responses, w.done = w.text+e.tailText, w.delta+e.tailDelta, e.tailOut, true
				return
			}
			mark, marked = *w, true
			w.lo = w.i // what the walk from here reads
		}
		if e.ncp < estCheckpoints && w.hi <= estPrefix {
			e.cps[e.ncp] = *w
			e.ncp++
		}
	}
	if marked {
		// The walk from mark.i read b[w.lo:] and nothing else: the same
		// bytes, wherever they are in another event, read the same (from
		// byte 1 on: a key's quote at 0 is not looked at).
		if lo := min(w.lo, mark.i); lo >= 1 && len(b)-lo <= estTail {
			e.tailN, e.tailBack = copy(e.tail[:], b[lo:]), mark.i-lo
			e.tailText, e.tailDelta = w.text-mark.text, w.delta-mark.delta
			e.tailIn, e.tailOut = mark.responses, w.responses
		}
	}
}

// step walks to the next colon and past the value it introduces, when that
// is counted; it reports whether it counted one.
func (w *walker) step(b []byte) bool {
	i := w.i
	c := bytes.IndexByte(b[i:], ':')
	if c < 0 {
		w.done = true
		return false
	}
	c += i
	w.i, w.hi = c+1, max(w.hi, c+1)
	ke := c - 1 // the key's closing quote
	for ke >= 0 && (b[ke] == ' ' || b[ke] == '\t' || b[ke] == '\n' || b[ke] == '\r') {
		ke--
	}
	w.lo = min(w.lo, ke)
	if ke < 1 || b[ke] != '"' {
		return false
	}
	w.lo = min(w.lo, ke-int(keyReach[b[ke-1]]))
	key := keyBefore(b, ke)
	if key == otherKey {
		return false // a value that is not counted: the walk goes on after the colon
	}
	v := jsonscan.Space(b, c+1)
	if v >= len(b) {
		w.done = true
		return false
	}
	w.hi = max(w.hi, v+1)
	switch b[v] {
	case '"':
		switch key {
		case textKey:
			ve := stringEnd(b, v)
			if ve < 0 {
				w.done = true
				w.responses = false // an unended string: the count so far, as text
				return false
			}
			w.text += ve - v - 2
			w.i, w.hi = ve, max(w.hi, ve)
			return true
		case deltaKey:
			ve := stringEnd(b, v)
			if ve < 0 {
				w.done = true
				w.responses = false
				return false
			}
			w.delta += ve - v - 2
			w.i, w.hi = ve, max(w.hi, ve)
			return true
		case typeKey:
			w.hi = max(w.hi, min(len(b), v+1+len(responsesType)))
			w.responses = w.responses || bytes.HasPrefix(b[v+1:], responsesType)
		}
	case '{', '[':
		if key == argsKey { // a tool call's arguments as JSON (Gemini, Anthropic)
			ve, ok := jsonscan.Value(b, v)
			if ok {
				w.text += compactLen(b[v:ve])
				w.i = ve
			}
			w.hi = len(b) // Value read to the end, or to where it failed
			return ok
		}
	}
	return false
}

// The keys step tells apart.
const (
	otherKey = iota
	textKey  // "content", "text", "reasoning", "reasoning_content", "refusal", "arguments", "partial_json", "thinking"
	deltaKey // "delta"
	typeKey  // "type"
	argsKey  // "args", "input"
)

// keyBefore names the key whose closing quote is b[ke]: the bytes after
// the quote before it, when that quote is within maxTextKey+1 bytes (the
// key as a search back for its opening quote finds it). Told apart by its
// last letter first, so that most keys (id, model, index, finish_reason…)
// cost a switch and a byte or two.
func keyBefore(b []byte, ke int) int {
	switch b[ke-1] {
	case 't':
		switch {
		case isKey(b, ke, "content"), isKey(b, ke, "text"), isKey(b, ke, "reasoning_content"):
			return textKey
		case isKey(b, ke, "input"):
			return argsKey
		}
	case 'g':
		if isKey(b, ke, "reasoning") || isKey(b, ke, "thinking") {
			return textKey
		}
	case 'l':
		if isKey(b, ke, "refusal") {
			return textKey
		}
	case 's':
		switch {
		case isKey(b, ke, "arguments"):
			return textKey
		case isKey(b, ke, "args"):
			return argsKey
		}
	case 'n':
		if isKey(b, ke, "partial_json") {
			return textKey
		}
	case 'a':
		if isKey(b, ke, "delta") {
			return deltaKey
		}
	case 'e':
		if isKey(b, ke, "type") {
			return typeKey
		}
	}
	return otherKey
}

// keyReach is how far back from a key's closing quote keyBefore reads,
// by the key's last letter: the quote before its longest candidate.
var keyReach = func() (t [256]uint8) {
	for c := range t {
		t[c] = 1
	}
	t['t'] = uint8(len("reasoning_content")) + 1
	t['g'] = uint8(len("reasoning")) + 1
	t['l'] = uint8(len("refusal")) + 1
	t['s'] = uint8(len("arguments")) + 1
	t['n'] = uint8(len("partial_json")) + 1
	t['a'] = uint8(len("delta")) + 1
	t['e'] = uint8(len("type")) + 1
	return t
}()

// isKey reports whether the key closed by the quote b[ke] is k (which has
// no quote in it): k right before b[ke], and a quote right before k.
func isKey(b []byte, ke int, k string) bool {
	s := ke - len(k)
	return s >= 1 && b[s-1] == '"' && string(b[s:ke]) == k
}

// maxTextKey is the length of the longest key GeneratedBytes looks for
// ("reasoning_content").
const maxTextKey = 17

var responsesType = []byte("response.")

// stringEnd returns the index after the string starting at b[s] (a '"'),
// or -1 when it does not end.
func stringEnd(b []byte, s int) int {
	for j := s + 1; ; {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		p := j + k
		bs := 0
		for p-1-bs > s && b[p-1-bs] == '\\' {
			bs++
		}
		if bs%2 == 0 {
			return p + 1
		}
		j = p + 1
	}
}

// compactLen is the length of a valid JSON value without the whitespace
// between its tokens.
func compactLen(v []byte) int {
	n, inStr := 0, false
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case inStr && c == '\\':
			n += 2
			i++
			continue
		case c == '"':
			inStr = !inStr
		case !inStr && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			continue
		}
		n++
	}
	return n
}
