package httpapi

import (
	"encoding/json"
	"errors"
	"math"
	"strings"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/jsonscan"
)

// inbound holds the only fields the gateway reads from a request body;
// everything else passes through untouched.
type inbound struct {
	Model  string
	Stream bool
	// StreamOptions is the raw stream_options value, aliasing the body, at
	// offset StreamOptionsAt (nil and -1 when absent); IncludeUsage is its
	// include_usage.
	StreamOptions   []byte
	StreamOptionsAt int
	IncludeUsage    bool
	// Output caps and choice counts, for the budget reservation and the
	// token rate.
	MaxTokens           int
	MaxCompletionTokens int
	MaxOutputTokens     int
	N                   int // chat and completions: choices generated
	BestOf              int // completions: candidates generated server-side
}

// maxOutput is the output cap the caller asked for (0: none).
func (in *inbound) maxOutput() int {
	return max(in.MaxCompletionTokens, in.MaxTokens, in.MaxOutputTokens, 0)
}

// choices is how many completions the upstream generates (and bills) for
// one call: n, or best_of on /v1/completions, at least 1.
func (in *inbound) choices() int { return max(in.N, in.BestOf, 1) }

// The top-level members of the OpenAI-shaped bodies (and Anthropic's
// Messages) the gateway reads. Their names match exactly, as every
// provider matches them; see readObject for what is refused.
const (
	fModel = iota
	fStream
	fStreamOptions
	fN
	fBestOf
	fMaxTokens
	fMaxCompletionTokens
	fMaxOutputTokens
	numInboundFields
)

var inboundNames = []string{"model", "stream", "stream_options", "n", "best_of", "max_tokens", "max_completion_tokens", "max_output_tokens"}

func inboundField(key []byte) int {
	switch string(key) { // compared in place, no allocation
	case "model":
		return fModel
	case "stream":
		return fStream
	case "stream_options":
		return fStreamOptions
	case "n":
		return fN
	case "best_of":
		return fBestOf
	case "max_tokens":
		return fMaxTokens
	case "max_completion_tokens":
		return fMaxCompletionTokens
	case "max_output_tokens":
		return fMaxOutputTokens
	}
	return -1
}

var streamOptionNames = []string{"include_usage"}

func streamOptionField(key []byte) int {
	if string(key) == "include_usage" {
		return 0
	}
	return -1
}

// parseInbound reads the fields of inbound out of a request body.
//
// The gateway needs a handful of top-level fields of bodies that are often
// many kilobytes of messages; encoding/json spends ~4 ns a byte on them,
// more than everything else the gateway does for a call. The scanner
// validates the whole body as strictly as encoding/json but decodes only
// the members it reads, and reads them as the upstream will: names match
// exactly, and a body that could be read two ways — a member given twice,
// or a near-copy differing only in case — is refused (readObject), so
// what the gateway authorizes, routes and bills is what the upstream
// serves. The error is an *apierr.Error for a member problem, and a JSON
// syntax error (for jsonErr) otherwise.
func parseInbound(body []byte, in *inbound) error {
	*in = inbound{StreamOptionsAt: -1}
	end, err := readObject(body, jsonscan.Space(body, 0), "", inboundField, inboundNames, func(id, s, e int) error {
		val := body[s:e]
		var err error
		switch id {
		case fModel:
			in.Model, err = stringMember("model", val)
		case fStream:
			in.Stream, err = boolMember("stream", val)
		case fStreamOptions:
			in.StreamOptions, in.StreamOptionsAt = val, s
			switch val[0] {
			case 'n':
			case '{':
				_, err = readObject(body, s, "stream_options.", streamOptionField, streamOptionNames, func(_, s, e int) error {
					var err error
					in.IncludeUsage, err = boolMember("stream_options.include_usage", body[s:e])
					return err
				})
			default:
				err = typeError("stream_options", "an object", val)
			}
		case fN:
			in.N, err = countMember("n", val)
		case fBestOf:
			in.BestOf, err = countMember("best_of", val)
		case fMaxTokens:
			in.MaxTokens, err = countMember("max_tokens", val)
		case fMaxCompletionTokens:
			in.MaxCompletionTokens, err = countMember("max_completion_tokens", val)
		case fMaxOutputTokens:
			in.MaxOutputTokens, err = countMember("max_output_tokens", val)
		}
		return err
	})
	if err != nil {
		return err
	}
	if jsonscan.Space(body, end) != len(body) {
		return syntaxError(body)
	}
	return nil
}

// geminiInbound is what the gateway reads of a Gemini GenerateContentRequest.
type geminiInbound struct {
	MaxOutputTokens int
	CandidateCount  int
}

// choices is how many candidates Gemini generates, at least 1.
func (g *geminiInbound) choices() int { return max(g.CandidateCount, 1) }

// Gemini's JSON (protobuf's mapping) accepts each field under its
// lowerCamelCase name and its proto name: both spellings are one member.
var (
	geminiNames       = []string{"generationConfig", "generation_config"}
	geminiConfigNames = []string{"maxOutputTokens", "max_output_tokens", "candidateCount", "candidate_count"}
)

func geminiField(key []byte) int {
	switch string(key) {
	case "generationConfig", "generation_config":
		return 0
	}
	return -1
}

func geminiConfigField(key []byte) int {
	switch string(key) {
	case "maxOutputTokens", "max_output_tokens":
		return 0
	case "candidateCount", "candidate_count":
		return 1
	}
	return -1
}

// parseGemini reads generationConfig's output cap and candidate count out
// of a Gemini body, with parseInbound's rules.
func parseGemini(body []byte) (geminiInbound, error) {
	var g geminiInbound
	end, err := readObject(body, jsonscan.Space(body, 0), "", geminiField, geminiNames, func(_, s, e int) error {
		switch body[s] {
		case 'n':
			return nil
		case '{':
		default:
			return typeError("generationConfig", "an object", body[s:e])
		}
		_, err := readObject(body, s, "generationConfig.", geminiConfigField, geminiConfigNames, func(id, s, e int) error {
			var err error
			if id == 0 {
				g.MaxOutputTokens, err = countMember("generationConfig.maxOutputTokens", body[s:e])
			} else {
				g.CandidateCount, err = countMember("generationConfig.candidateCount", body[s:e])
			}
			return err
		})
		return err
	})
	if err == nil && jsonscan.Space(body, end) != len(body) {
		err = syntaxError(body)
	}
	return g, err
}

// refuseAmbiguous refuses body, with readObject's rules, when a top-level
// member named in names is given twice or in a case variant: for handlers
// that then decode the body with encoding/json, which matches names
// case-insensitively and keeps the last copy.
func refuseAmbiguous(body []byte, names []string) error {
	lookup := func(key []byte) int {
		for i, n := range names {
			if string(key) == n {
				return i
			}
		}
		return -1
	}
	end, err := readObject(body, jsonscan.Space(body, 0), "", lookup, names, func(int, int, int) error { return nil })
	if err == nil && jsonscan.Space(body, end) != len(body) {
		err = syntaxError(body)
	}
	return err
}

// readObject walks the object at body[at], calling set with the id (from
// lookup, which matches names exactly) and value offsets of each member it
// knows. It refuses, with an error naming the member, a known member given
// twice (providers read the last copy; the gateway must not decide on
// another) and a key that matches one only when case is ignored: the
// upstream ignores "Model", but encoding/json — and so the gateway's
// converters to other providers — would read it as "model". An invalid
// object, or a body that is not JSON at all, is a syntax error. It
// returns the end of the object.
//
// Duplicates are tracked in a bit set: nothing is allocated.
func readObject(body []byte, at int, prefix string, lookup func([]byte) int, names []string, set func(id, s, e int) error) (int, error) {
	var seen uint32
	var err error
	end, ok := jsonscan.Object(body, at, func(key []byte, s, e int) bool {
		id := lookup(key)
		if id < 0 {
			if n := foldedName(key, names); n != "" {
				err = caseVariantError(prefix, string(key), n)
				return false
			}
			return true
		}
		if seen&(1<<id) != 0 {
			err = duplicateError(prefix, names, lookup, id)
			return false
		}
		seen |= 1 << id
		err = set(id, s, e)
		return err == nil
	})
	if err != nil && jsonscan.Valid(body) {
		return end, err
	}
	if err != nil || !ok {
		return end, syntaxError(body) // a body that is not JSON is told so first
	}
	return end, nil
}

// foldedName returns the name key matches when case is ignored (the way
// encoding/json matches names, Unicode folding included), or "".
func foldedName(key []byte, names []string) string {
	plain := true
	for _, c := range key {
		if c >= 'A' && c <= 'Z' || c >= 0x80 {
			plain = false
			break
		}
	}
	if plain {
		return "" // the common case: a lowercase key that is not one of ours
	}
	for _, n := range names {
		if strings.EqualFold(string(key), n) {
			return n
		}
	}
	return ""
}

func duplicateError(prefix string, names []string, lookup func([]byte) int, id int) error {
	var spell []string
	for _, n := range names {
		if lookup([]byte(n)) == id {
			spell = append(spell, `"`+prefix+n+`"`)
		}
	}
	name := spell[0]
	msg := i18n.M("req.duplicate", i18n.S("name", name))
	if len(spell) > 1 {
		items := make([]i18n.Arg, len(spell))
		for i, sp := range spell {
			items[i] = i18n.S("", sp)
		}
		msg = i18n.M("req.duplicate_spellings", i18n.S("name", name), i18n.List("spellings", "req.and", items...))
	}
	return apierr.T(apierr.InvalidRequest, msg, i18n.M("req.duplicate.hint")).WithParam(strings.Trim(name, `"`))
}

func caseVariantError(prefix, key, name string) error {
	return apierr.T(apierr.InvalidRequest,
		i18n.M("req.case_variant", i18n.Q("key", prefix+key), i18n.Q("name", prefix+name)),
		i18n.M("req.case_variant.hint", i18n.Q("name", name))).WithParam(prefix + key)
}

func typeError(name, want string, val []byte) error {
	var got i18n.Message
	switch val[0] {
	case '"':
		got = i18n.M("req.type.string")
	case '{':
		got = i18n.M("req.type.object")
	case '[':
		got = i18n.M("req.type.array")
	case 't', 'f':
		got = i18n.M("req.type.boolean")
	default:
		got = i18n.M("req.type.number")
		if want == "an integer" {
			got = i18n.M("req.type.the_number", i18n.S("value", string(val)))
		}
	}
	w := wantType(want)
	return apierr.T(apierr.InvalidRequest, i18n.M("req.wrong_type", i18n.Q("name", name), i18n.Sub("want", w), i18n.Sub("got", got)),
		i18n.M("req.wrong_type.hint", i18n.Q("name", name), i18n.Sub("want", w))).WithParam(name)
}

// wantType names an expected JSON type ("a string", "an integer"…) in
// the reader's language.
func wantType(want string) i18n.Message {
	switch want {
	case "a string":
		return i18n.M("req.type.string")
	case "an object":
		return i18n.M("req.type.object")
	case "an array":
		return i18n.M("req.type.array")
	case "a boolean":
		return i18n.M("req.type.boolean")
	case "an integer":
		return i18n.M("req.type.integer")
	case "a number":
		return i18n.M("req.type.number")
	}
	return i18n.M("req.type.other", i18n.S("type", want))
}

func stringMember(name string, val []byte) (string, error) {
	if val[0] == 'n' {
		return "", nil
	}
	s, ok := jsonscan.String(val)
	if !ok {
		return "", typeError(name, "a string", val)
	}
	return string(s), nil
}

func boolMember(name string, val []byte) (bool, error) {
	switch string(val) {
	case "true":
		return true, nil
	case "false", "null":
		return false, nil
	}
	return false, typeError(name, "a boolean", val)
}

// countMember reads a JSON integer (null is 0). A value beyond an int
// saturates at math.MaxInt (math.MinInt below): the upstream may well read
// a huge number, and a worst case must never wrap around to a small one.
func countMember(name string, val []byte) (int, error) {
	if val[0] == 'n' {
		return 0, nil
	}
	if n, ok := jsonscan.Int(val); ok {
		return n, nil
	}
	d, neg := val, val[0] == '-'
	if neg {
		d = d[1:]
	}
	n := 0
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, typeError(name, "an integer", val)
		}
		if n > (math.MaxInt-int(c-'0'))/10 {
			n = math.MaxInt
			continue
		}
		n = n*10 + int(c-'0')
	}
	if len(d) == 0 {
		return 0, typeError(name, "an integer", val)
	}
	if neg {
		n = -n // -math.MaxInt, close enough to "very negative"
	}
	return n, nil
}

// errNotObject is a body that is valid JSON but not an object.
var errNotObject = errors.New("the body is not a JSON object")

// syntaxError returns encoding/json's account of what is wrong with body
// (for jsonErr), or errNotObject.
func syntaxError(body []byte) error {
	var raw json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return err
	}
	return errNotObject
}

// bodyError answers a body parseInbound or parseGemini refused: the member
// error as it is, a syntax error explained.
func bodyError(err error, hint i18n.Message) error {
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, errNotObject) {
		return apierr.T(apierr.InvalidRequest, i18n.M("req.not_object"), hint).WithCause(err)
	}
	return apierr.T(apierr.InvalidRequest, i18n.M("req.not_json", i18n.S("detail", jsonErr(err))), hint).WithCause(err)
}
