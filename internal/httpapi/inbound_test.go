package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// inboundCases are bodies the scanner must read exactly as encoding/json
// does (fast: it must not need the fallback) or must hand to encoding/json.
var inboundCases = []struct {
	body string
	fast bool
}{
	{`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, true},
	{` {"model" : "m" , "stream" : true , "stream_options" : {"include_usage":false} } `, true},
	{`{"messages":[{"content":"a \"quoted\" \\ \u00e9 \n text"}],"model":"m","stream":false,"max_tokens":256}`, true},
	{`{"model":"m","max_completion_tokens":-1,"max_output_tokens":0,"temperature":1.5e-3,"n":[1,2,{}],"x":null,"y":[]}`, true},
	{`{"MODEL":"m","Stream":true}`, true}, // encoding/json matches names case-insensitively
	{`{"model":"a","model":"b"}`, true},   // the last one wins
	{`{"model":null,"stream":null,"max_tokens":null,"stream_options":null}`, true},
	{`{}`, true},
	{`{"model":"caf\u00e9"}`, false},          // escaped model name
	{`{"mod\u0065l":"m"}`, false},             // escaped key
	{`{"model":"m","max_tokens":1.0}`, false}, // not an int: encoding/json's error
	{`{"model":"m","max_tokens":"5"}`, false},
	{`{"model":"m","max_tokens":12345678901}`, false},
	{`{"model":5}`, false},
	{`{"model":"m","stream":"yes"}`, false},
	{`{"model":"m",}`, false},
	{`{"model":"m"} x`, false},
	{`{"model":"m"`, false},
	{`["model"]`, false},
	{`{"model":"m","x":01}`, false},
	{`{"model":"m","x":"bad \x escape"}`, false},
	{"{\"model\":\"m\",\"x\":\"tab\there\"}", false}, // raw control character
	{`{"model":"m","x":tru}`, false},
	{"\xef\xbb\xbf{\"model\":\"m\"}", false},   // byte order mark
	{"{\"model\":\"\xff\"}", false},            // invalid UTF-8 in the model, which encoding/json replaces
	{"{\"x\":\"\xff\",\"model\":\"m\"}", true}, // elsewhere it is passed through untouched
	{``, false},
}

func TestScanInboundMatchesEncodingJSON(t *testing.T) {
	for _, tc := range inboundCases {
		var want inbound
		wantErr := json.Unmarshal([]byte(tc.body), &want)
		var got inbound
		ok := scanInbound([]byte(tc.body), &got)
		if ok != tc.fast {
			t.Errorf("%q: scanned=%v, want %v", tc.body, ok, tc.fast)
		}
		if ok && wantErr != nil {
			t.Errorf("%q: scanner accepted a body encoding/json rejects: %v", tc.body, wantErr)
		}
		if ok && !sameInbound(got, want) {
			t.Errorf("%q: scanner read %+v, encoding/json %+v", tc.body, got, want)
		}
		// parseInbound gives encoding/json's result either way.
		var viaParse inbound
		err := parseInbound([]byte(tc.body), &viaParse)
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Errorf("%q: parseInbound error %v, encoding/json %v", tc.body, err, wantErr)
		}
		if err == nil && !sameInbound(viaParse, want) {
			t.Errorf("%q: parseInbound read %+v, encoding/json %+v", tc.body, viaParse, want)
		}
	}
}

// Every field of inbound is decoded by the scanner itself: a field added
// to inbound without teaching the scanner would silently send every body
// to the slow path (still correct, see assignInbound).
func TestScanInboundKnowsEveryField(t *testing.T) {
	for _, tag := range inboundTags {
		val := `1`
		switch tag {
		case "model":
			val = `"m"`
		case "stream":
			val = `true`
		case "stream_options":
			val = `{"include_usage":true}`
		}
		var in inbound
		if body := `{"` + tag + `":` + val + `}`; !scanInbound([]byte(body), &in) {
			t.Errorf("field %q is not decoded by scanInbound (body %s)", tag, body)
		}
	}
}

func sameInbound(a, b inbound) bool {
	return reflect.DeepEqual(a.withoutOptions(), b.withoutOptions()) && bytes.Equal(a.StreamOptions, b.StreamOptions)
}

func (in inbound) withoutOptions() inbound { in.StreamOptions = nil; return in }

func FuzzScanInbound(f *testing.F) {
	for _, tc := range inboundCases {
		f.Add([]byte(tc.body))
	}
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]}],"tools":[{"a":{"b":[1,-2.5e+3,true,false,null]}}]}`))
	f.Add([]byte(`{"model":"m","stream":true,"stream_options":{"include_usage":true},"max_tokens":7}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var want inbound
		wantErr := json.Unmarshal(body, &want)
		var got inbound
		if !scanInbound(body, &got) {
			return // encoding/json decides
		}
		if wantErr != nil {
			t.Fatalf("%q: scanner accepted a body encoding/json rejects: %v", body, wantErr)
		}
		if !sameInbound(got, want) {
			t.Fatalf("%q: scanner read %+v, encoding/json %+v", body, got, want)
		}
	})
}

func TestScanInboundDeepNesting(t *testing.T) {
	deep := `{"model":"m","x":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`
	var in inbound
	if err := parseInbound([]byte(deep), &in); err != nil || in.Model != "m" {
		t.Fatalf("deep body: %v %+v", err, in)
	}
}
