package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// lastMemberRef is LastMember's reading done the plain way: Valid, then
// Object over the top level keeping the last member named name.
func lastMemberRef(b []byte, name string) ([]byte, bool) {
	if !Valid(b) {
		return nil, false
	}
	i := Space(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, true
	}
	var val []byte
	Object(b, i, func(key []byte, s, e int) bool {
		if string(key) == name {
			val = b[s:e]
		}
		return true
	})
	return val, true
}

func checkLastMember(t *testing.T, b []byte) {
	t.Helper()
	val, valid := LastMember(b, "usage")
	wantVal, wantValid := lastMemberRef(b, "usage")
	if valid != wantValid || !bytes.Equal(val, wantVal) || (val == nil) != (wantVal == nil) {
		t.Fatalf("LastMember(%q) = %q, %v; Valid and Object read %q, %v", b, val, valid, wantVal, wantValid)
	}
	if valid != json.Valid(b) {
		t.Fatalf("LastMember(%q) valid = %v; encoding/json says %v", b, valid, !valid)
	}
}

func TestLastMember(t *testing.T) {
	for _, s := range []string{
		`{"usage":{"a":1}}`, ` {"x":[1,{"usage":2}],"usage":null} `, `{"usage":1,"usage":[true,false]}`,
		`{"\u0075sage":"u","us\"age":1}`, `{"a":{"usage":1}}`, `[{"usage":1}]`, `"usage"`, `{}`, `[]`, `{"a":{},"b":[],"usage":""}`,
		`{"usage":1`, `{"usage":1}}`, `{"usage":1,}`, `{"usage"1}`, `{"a":[1,2}`, `{"a":{"b":1]}`, `{usage:1}`, `{"a":"\x"}`,
		`{"a":01}`, `{"a":-}`, `{"a":tru}`, `{"a":nul}`, "{\"a\":\"\x01\"}", "{\"usage\":\"\xff\"}", `{"a":1} x`, ``, ` `,
		`{"usage":{"prompt_tokens":8,"completion_tokens":8},"service_tier":"default"}`,
		"{ \"usage\" :\t{ } ,\n\"b\" : [ ] }",
	} {
		checkLastMember(t, []byte(s))
	}
	// Nesting past what the walk tracks, and at encoding/json's limit.
	for _, n := range []int{255, 256, 257, 300, maxDepth - 1, maxDepth, maxDepth + 1} {
		arr := strings.Repeat("[", n) + strings.Repeat("]", n)
		checkLastMember(t, []byte(`{"usage":`+arr+`}`))
		checkLastMember(t, []byte(`{"a":`+arr+`,"usage":1}`))
		checkLastMember(t, []byte(`{"a":`+strings.Repeat(`{"b":`, n)+`1`+strings.Repeat("}", n)+`,"usage":2}`))
	}
}

func FuzzLastMember(f *testing.F) {
	for _, s := range []string{`{"usage":{"a":1}}`, `{"x":[1,{"usage":2}],"usage":null}`, `{"\u0075sage":1}`, `[1]`, `{"a":{"b":[]}}`, `{"a":1,}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(checkLastMember)
}

func BenchmarkLastMember(b *testing.B) {
	body := []byte(`{"id":"chatcmpl-a17f7fdaaf502","object":"chat.completion","created":1796138567,"model":"mock-gpt","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the mock upstream. You said: hi","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":8,"completion_tokens":8,"total_tokens":16,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_keygate_mock"}`)
	b.Run("lastmember", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v, ok := LastMember(body, "usage"); !ok || v == nil {
				b.Fatal("no usage")
			}
		}
	})
	b.Run("object", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if v, ok := lastMemberDeep(body, "usage"); !ok || v == nil {
				b.Fatal("no usage")
			}
		}
	})
}
