package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/apierr"
)

// inboundCases are bodies whose reading the oracle checks; the fuzz target
// starts from them (and from testdata/fuzz/FuzzParseInbound).
var inboundCases = []string{
	`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`,
	` {"model" : "m" , "stream" : true , "stream_options" : {"include_usage":false} } `,
	`{"messages":[{"content":"a \"quoted\" \\ \u00e9 \n text"}],"model":"m","stream":false,"max_tokens":256}`,
	`{"model":"m","max_completion_tokens":-1,"max_output_tokens":0,"temperature":1.5e-3,"x":null,"y":[]}`,
	`{"model":"m","n":64,"max_tokens":40}`,
	`{"model":"m","best_of":5,"n":2}`,
	`{"model":"m","max_tokens":9223372036854775807}`,
	`{"model":"m","max_tokens":99999999999999999999999}`,
	`{"model":"fake-expensive","Model":"fake-cheap"}`, // a case variant: refused
	`{"MODEL":"m","Stream":true}`,
	`{"model":"a","model":"b"}`, // a duplicate: refused
	`{"model":"m","stream":true,"Stream":false}`,
	`{"model":"m","stream_options":{"include_usage":false,"Include_usage":true}}`,
	`{"model":"m","stream_options":{"include_usage":true,"include_usage":false}}`,
	`{"model":"m","ſtream":true}`,       // folds to "stream" in Unicode
	`{"model":"m","max_\u0074okens":5}`, // escaped key: it is max_tokens
	`{"model":"m","max_\u0074okens":5,"max_tokens":6}`,
	`{"model":"m","messages":[],"messages":[]}`, // members the gateway does not read may repeat
	`{"model":null,"stream":null,"max_tokens":null,"stream_options":null}`,
	`{}`,
	`{"model":"caf\u00e9"}`,
	`{"mod\u0065l":"m"}`,
	`{"model":"m","max_tokens":1.0}`,
	`{"model":"m","max_tokens":"5"}`,
	`{"model":5}`,
	`{"model":"m","stream":"yes"}`,
	`{"model":"m","stream_options":"x"}`,
	`{"model":"m","stream_options":{"include_usage":1}}`,
	`{"model":"m",}`,
	`{"model":"m"} x`,
	`{"model":"m"`,
	`["model"]`,
	`{"model":"m","x":01}`,
	`{"model":"m","x":"bad \x escape"}`,
	"{\"model\":\"m\",\"x\":\"tab\there\"}", // raw control character
	`{"model":"m","x":tru}`,
	"\xef\xbb\xbf{\"model\":\"m\"}",    // byte order mark
	"{\"model\":\"\xff\"}",             // invalid UTF-8 in the model, which a decoder replaces
	"{\"x\":\"\xff\",\"model\":\"m\"}", // elsewhere it is passed through untouched
	"{\"\xffModel\":1,\"model\":\"m\"}",
	``,
}

// oracle is how a case-exact reader built on encoding/json reads body:
// the members in order (encoding/json's decoder, so keys are decoded as any
// JSON reader decodes them), exact names, ints of any size saturated. It
// returns the member the gateway must refuse the body for ("" when none),
// or valid false for a body that is not a JSON object.
func oracle(body []byte) (in inbound, refused string, valid bool) {
	in.StreamOptionsAt = -1
	members, ok := orderedMembers(body)
	if !ok {
		return in, "", false
	}
	problem := func(prefix string, names []string, kvs []kv, set func(name string, v json.RawMessage) bool) string {
		seen := map[string]bool{}
		for _, m := range kvs {
			canon := ""
			for _, n := range names {
				if m.key == n {
					canon = n
				}
			}
			if canon == "" {
				for _, n := range names {
					if strings.EqualFold(m.key, n) {
						return prefix + m.key // a case variant
					}
				}
				continue
			}
			if seen[canon] {
				return prefix + canon
			}
			seen[canon] = true
			if !set(canon, m.val) {
				return prefix + canon
			}
		}
		return ""
	}
	count := func(v json.RawMessage, dst *int) bool {
		if string(v) == "null" {
			*dst = 0
			return true
		}
		var n big.Int
		if json.Unmarshal(v, &n) != nil {
			return false
		}
		switch {
		case n.IsInt64() && n.Int64() >= math.MinInt+1:
			*dst = int(n.Int64())
		case n.Sign() > 0:
			*dst = math.MaxInt
		default:
			*dst = -math.MaxInt
		}
		return true
	}
	inner := ""
	refused = problem("", inboundNames, members, func(name string, v json.RawMessage) bool {
		switch name {
		case "model":
			return json.Unmarshal(v, &in.Model) == nil
		case "stream":
			return json.Unmarshal(v, &in.Stream) == nil
		case "stream_options":
			in.StreamOptions = v
			if string(v) == "null" {
				return true
			}
			kvs, ok := orderedMembers(v)
			if !ok {
				return false
			}
			inner = problem("stream_options.", streamOptionNames, kvs, func(_ string, v json.RawMessage) bool {
				return json.Unmarshal(v, &in.IncludeUsage) == nil
			})
			return inner == ""
		case "n":
			return count(v, &in.N)
		case "best_of":
			return count(v, &in.BestOf)
		case "max_tokens":
			return count(v, &in.MaxTokens)
		case "max_completion_tokens":
			return count(v, &in.MaxCompletionTokens)
		case "max_output_tokens":
			return count(v, &in.MaxOutputTokens)
		}
		return true
	})
	if inner != "" {
		refused = inner
	}
	return in, refused, true
}

type kv struct {
	key string
	val json.RawMessage
}

// orderedMembers decodes a JSON object's members in order, duplicates
// kept; ok is false unless b is exactly one valid JSON object.
func orderedMembers(b []byte) ([]kv, bool) {
	if !json.Valid(b) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, false
	}
	var out []kv
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, kv{t.(string), v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false
	}
	return out, true
}

// checkAgainstOracle asserts parseInbound decides about body what the
// oracle decides: the same refusal (naming the same member), or the same
// fields.
func checkAgainstOracle(t *testing.T, body []byte) {
	t.Helper()
	want, refused, valid := oracle(body)
	var got inbound
	err := parseInbound(body, &got)
	var ae *apierr.Error
	switch {
	case !valid:
		if err == nil || errors.As(err, &ae) {
			t.Fatalf("%q: not a JSON object, but parseInbound said %v (%+v)", body, err, got)
		}
	case refused != "":
		if !errors.As(err, &ae) || ae.Param != refused || ae.Code != apierr.InvalidRequest {
			t.Fatalf("%q: must be refused naming %q, got %v (%+v)", body, refused, err, got)
		}
	case err != nil:
		t.Fatalf("%q: a case-exact reader accepts it, parseInbound said %v", body, err)
	default:
		if !bytes.Equal(got.StreamOptions, want.StreamOptions) {
			t.Fatalf("%q: stream_options %q, want %q", body, got.StreamOptions, want.StreamOptions)
		}
		if got.StreamOptions != nil && string(body[got.StreamOptionsAt:got.StreamOptionsAt+len(got.StreamOptions)]) != string(got.StreamOptions) {
			t.Fatalf("%q: stream_options offset %d is wrong", body, got.StreamOptionsAt)
		}
		got.StreamOptions, want.StreamOptions = nil, nil
		got.StreamOptionsAt, want.StreamOptionsAt = 0, 0
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: parseInbound read %+v, a case-exact reader %+v", body, got, want)
		}
	}
}

func TestParseInboundReadsWhatTheUpstreamReads(t *testing.T) {
	for _, body := range inboundCases {
		checkAgainstOracle(t, []byte(body))
	}
}

// The fixed cases say what the oracle says, so the oracle itself is
// checked too.
func TestParseInboundDecisions(t *testing.T) {
	cases := map[string]struct {
		refused string
		check   func(inbound) bool
	}{
		`{"model":"fake-expensive","Model":"fake-cheap"}`:                             {refused: "Model"},
		`{"model":"a","model":"b"}`:                                                   {refused: "model"},
		`{"model":"m","stream":true,"Stream":false}`:                                  {refused: "Stream"},
		`{"model":"m","stream_options":{"include_usage":false,"Include_usage":true}}`: {refused: "stream_options.Include_usage"},
		`{"model":"m","stream_options":{"include_usage":true,"include_usage":false}}`: {refused: "stream_options.include_usage"},
		`{"model":"m","max_\u0074okens":5,"max_tokens":6}`:                            {refused: "max_tokens"},
		`{"model":"m","ſtream":true}`:                                                 {refused: "ſtream"},
		`{"model":"m","n":64,"max_tokens":40}`:                                        {check: func(in inbound) bool { return in.choices() == 64 && in.maxOutput() == 40 }},
		`{"model":"m","max_tokens":99999999999999999999999}`:                          {check: func(in inbound) bool { return in.MaxTokens == math.MaxInt }},
		`{"mod\u0065l":"m"}`:                                                          {check: func(in inbound) bool { return in.Model == "m" }},
		`{"model":"m","messages":[],"messages":[]}`:                                   {check: func(in inbound) bool { return in.Model == "m" }},
	}
	for body, c := range cases {
		var in inbound
		err := parseInbound([]byte(body), &in)
		var ae *apierr.Error
		if c.refused != "" {
			if !errors.As(err, &ae) || ae.Param != c.refused || !strings.Contains(ae.Message, c.refused) {
				t.Errorf("%s: want a refusal naming %q, got %v", body, c.refused, err)
			}
		} else if err != nil || !c.check(in) {
			t.Errorf("%s: read %+v, %v", body, in, err)
		}
		_, refused, _ := oracle([]byte(body))
		if refused != c.refused {
			t.Errorf("%s: the oracle refuses %q, want %q", body, refused, c.refused)
		}
	}
}

// FuzzParseInbound: for any body, what the gateway decides is what a
// case-exact reader built on encoding/json decides. The seed corpus is in
// testdata/fuzz/FuzzParseInbound.
func FuzzParseInbound(f *testing.F) {
	for _, body := range inboundCases {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkAgainstOracle(t, body) })
}

func TestParseInboundDeepNesting(t *testing.T) {
	deep := `{"model":"m","x":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`
	var in inbound
	if err := parseInbound([]byte(deep), &in); err != nil || in.Model != "m" {
		t.Fatalf("deep body: %v %+v", err, in)
	}
}

func TestParseGemini(t *testing.T) {
	cases := map[string]struct {
		refused        string
		maxOut, choice int
	}{
		`{"contents":[],"generationConfig":{"maxOutputTokens":40,"candidateCount":8}}`:          {maxOut: 40, choice: 8},
		`{"generation_config":{"max_output_tokens":40,"candidate_count":2}}`:                    {maxOut: 40, choice: 2},
		`{"generationConfig":{"maxOutputTokens":10,"maxOutputTokens":100000}}`:                  {refused: "generationConfig.maxOutputTokens"},
		`{"generationConfig":{"maxOutputTokens":10,"max_output_tokens":100000}}`:                {refused: "generationConfig.maxOutputTokens"},
		`{"generationConfig":{"maxOutputTokens":10,"MaxOutputTokens":100000}}`:                  {refused: "generationConfig.MaxOutputTokens"},
		`{"generationConfig":{"maxOutputTokens":10},"generation_config":{"maxOutputTokens":9}}`: {refused: "generationConfig"},
		`{"GenerationConfig":{"maxOutputTokens":10}}`:                                           {refused: "GenerationConfig"},
		`{"generationConfig":[]}`: {refused: "generationConfig"},
	}
	for body, c := range cases {
		g, err := parseGemini([]byte(body))
		var ae *apierr.Error
		if c.refused != "" {
			if !errors.As(err, &ae) || ae.Param != c.refused {
				t.Errorf("%s: want a refusal naming %q, got %v", body, c.refused, err)
			}
			continue
		}
		if err != nil || g.MaxOutputTokens != c.maxOut || g.choices() != c.choice {
			t.Errorf("%s: read %+v, %v", body, g, err)
		}
	}
	if _, err := parseGemini([]byte(`{"contents":[]`)); err == nil {
		t.Error("invalid JSON accepted")
	}
}

// A guard for the hot path: the scanner allocates nothing but the model
// string, camelCase keys and all (Gemini bodies are all camelCase, and
// each such key goes through the case-variant check).
func TestParseAllocations(t *testing.T) {
	openai := []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}],"Metadata":{"A":1},"stream":true,"stream_options":{"include_usage":true,"X":1},"max_tokens":5}`)
	if n := testing.AllocsPerRun(100, func() {
		var in inbound
		if err := parseInbound(openai, &in); err != nil {
			t.Fatal(err)
		}
	}); n > 1 {
		t.Errorf("parseInbound: %v allocations, want at most 1 (the model)", n)
	}
	gemini := []byte(`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"systemInstruction":{"parts":[]},"safetySettings":[],"generationConfig":{"maxOutputTokens":40,"topP":0.9,"responseMimeType":"text/plain"}}`)
	if n := testing.AllocsPerRun(100, func() {
		if _, err := parseGemini(gemini); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("parseGemini: %v allocations, want 0", n)
	}
}

// Budget amounts keep the digits that make them non-zero (the old "$%.2f"
// showed a $0.00008 budget as "$0.00").
func TestUSDKeepsSignificantDigits(t *testing.T) {
	for nano, want := range map[int64]string{0: "$0", 80_000: "$0.00008", 2_460_000: "$0.00246", 10_000_000: "$0.01",
		123_456_789: "$0.123", 1_500_000_000: "$1.50", 1: "$0.000000001", 12_345_678_900_000: "$12345.68"} {
		if got := usd(nano); got != want {
			t.Errorf("usd(%d) = %q, want %q", nano, got, want)
		}
	}
}
