package provider

import (
	"encoding/json"
	"math"
	"testing"
)

// AppendString writes every string as json.Marshal does.
func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"b\s`, "<a href='x'>&amp;</a>", "\b\f\n\r\t\x00\x1f\x7f", "é€😀", "\u2028\u2029", "\xff\xfe bad", "a\xe2\x82"} {
		want, _ := json.Marshal(s)
		if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("%q: %s, want %s", s, got[1:], want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("<\u2028\xff\"\\\x01")
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: %s, want %s", s, got, want)
		}
	})
}

// ExtraMembers names what reading the body into a map gives, or leaves it
// to encoding/json: it never accepts a body encoding/json refuses, and
// never lists other names.
func FuzzExtraMembers(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","messages":[],"foo":1,"bar":null}`,
		`{"foo":1,"foo":null,"baz":{"a":[1,2]},"baz":2}`,
		`{"a\u0062":1,"model":2}`,
		`{"\u00e9":1}`, "{\"\xff\":1}", `[]`, `{"a":1} x`, `{"a":}`, ` {"z" : true , "y":"s"} `,
	} {
		f.Add([]byte(s))
	}
	known := func(k string) bool { return k == "model" || k == "messages" }
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := ExtraMembers(body, known)
		var m map[string]json.RawMessage
		err := json.Unmarshal(body, &m)
		if !ok {
			return // read with encoding/json
		}
		if err != nil || m == nil {
			t.Fatalf("%q: scanner ok with %q, encoding/json: %v", body, got, err)
		}
		want := map[string]bool{}
		for k, v := range m {
			if !known(k) && string(v) != "null" {
				want[k] = true
			}
		}
		seen := map[string]bool{}
		for _, k := range got {
			if !want[k] || seen[k] {
				t.Fatalf("%q: scanner %q, encoding/json %v", body, got, want)
			}
			seen[k] = true
		}
		if len(seen) != len(want) {
			t.Fatalf("%q: scanner %q, encoding/json %v", body, got, want)
		}
	})
}

// AppendCompact writes a raw value as json.Marshal writes a RawMessage.
func FuzzAppendCompact(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.5e3, "x y", true, null], "b" : {"<&>": "\u2028 \u2029 \\" "}}`, "\t\"a\\\"b\" ", `[ ]`, "\"\xe2\x80\xa8\xff\"", `{"a":1} x`, ``, `"\\"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := AppendCompact([]byte("x"), raw)
		want, err := json.Marshal(json.RawMessage(raw))
		if ok != (err == nil) || (ok && string(got[1:]) != string(want)) {
			t.Fatalf("%q: %q %v; json.Marshal %q %v", raw, got, ok, want, err)
		}
	})
}

// AppendFloat writes a float64 as json.Marshal does.
func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, 1, -0.5, 1e-7, 1e21, 123456789.125, 1e-9, 5e-324, math.MaxFloat64, math.Inf(1), math.NaN()} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v float64) {
		got, ok := AppendFloat(nil, v)
		want, err := json.Marshal(v)
		if ok != (err == nil) || (ok && string(got) != string(want)) {
			t.Fatalf("%v: %q %v; json.Marshal %q %v", v, got, ok, want, err)
		}
	})
}
