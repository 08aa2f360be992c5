package jsonscan

import (
	"encoding/json"
	"testing"
)

func TestValueAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range []string{`{}`, `[]`, `"a\u00e9\n"`, `-0.5e+3`, `{"a":[1,{"b":null}],"c":true}`, `01`, `{"a":}`, `"\x"`, `[1,]`, `{"a" 1}`, `tru`, `"open`} {
		end, ok := Value([]byte(s), 0)
		valid := ok && end == len(s)
		if valid != json.Valid([]byte(s)) {
			t.Errorf("%q: scanner says valid=%v, encoding/json says %v", s, valid, !valid)
		}
	}
}

func TestMembers(t *testing.T) {
	var keys []string
	end, ok := Members([]byte(`{ "a" : 1 , "b":{"x":[2]}, "c":"s"} tail`), 0, func(k, v []byte) bool {
		keys = append(keys, string(k)+"="+string(v))
		return true
	})
	if !ok || end != 35 || len(keys) != 3 || keys[1] != `b={"x":[2]}` {
		t.Fatalf("end %d ok %v keys %q", end, ok, keys)
	}
	if _, ok := Members([]byte(`{"a\u0062":1}`), 0, func(k, v []byte) bool { return true }); ok {
		t.Fatal("an escaped key must be left to encoding/json")
	}
	if _, ok := Members([]byte(`{"a":1,"b":2}`), 0, func(k, v []byte) bool { return string(k) != "b" }); ok {
		t.Fatal("a false from fn must stop the walk")
	}
}

func TestInt(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "-12": -12, "999999999": 999999999} {
		if n, ok := Int([]byte(in)); !ok || n != want {
			t.Errorf("Int(%q) = %d, %v", in, n, ok)
		}
	}
	for _, in := range []string{"", "-", "1.5", "1e3", "1000000000", `"1"`, "null"} {
		if _, ok := Int([]byte(in)); ok {
			t.Errorf("Int(%q) accepted", in)
		}
	}
}
