package jsonscan

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"reflect"
	"strings"
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
	// An escaped key is given decoded, as every JSON reader sees it; a
	// key is never folded.
	keys = keys[:0]
	if _, ok := Members([]byte(`{"mod\u0065l":1,"Model":2,"a\"b":3,"café":4}`), 0, func(k, v []byte) bool {
		keys = append(keys, string(k))
		return true
	}); !ok || len(keys) != 4 || keys[0] != "model" || keys[1] != "Model" || keys[2] != `a"b` || keys[3] != "café" {
		t.Fatalf("keys %q, ok %v", keys, ok)
	}
	if _, ok := Members([]byte(`{"a\x":1}`), 0, func(k, v []byte) bool { return true }); ok {
		t.Fatal("an invalid escape in a key was accepted")
	}
	if _, ok := Members([]byte(`{"a":1,"b":2}`), 0, func(k, v []byte) bool { return string(k) != "b" }); ok {
		t.Fatal("a false from fn must stop the walk")
	}
}

// ObjectAt and ElementsAt hand fn where each value starts and take its
// end from fn, so a caller descends into a nested value once; an end fn
// gets wrong, or a false, stops the walk.
func TestObjectAtDescendsOnce(t *testing.T) {
	b := []byte(`{"a":[{"x":1},{"x":2}],"b":"s","c":{"d":null}}`)
	var xs []string
	end, ok := ObjectAt(b, 0, func(key []byte, i int) (int, bool) {
		switch string(key) {
		case "a":
			return ElementsAt(b, i, func(i int) (int, bool) {
				return Members(b, i, func(k, v []byte) bool { xs = append(xs, string(k)+"="+string(v)); return true })
			})
		case "c":
			return Object(b, i, func(k []byte, start, end int) bool { xs = append(xs, string(k)+"="+string(b[start:end])); return true })
		}
		return Value(b, i)
	})
	if !ok || end != len(b) || strings.Join(xs, " ") != "x=1 x=2 d=null" {
		t.Fatalf("end %d ok %v read %q", end, ok, xs)
	}
	for name, fn := range map[string]func(key []byte, i int) (int, bool){
		"an end at the value's start": func(_ []byte, i int) (int, bool) { return i, true },
		"an end past the bytes":       func(_ []byte, i int) (int, bool) { return len(b) + 1, true },
		"an end inside the value":     func(_ []byte, i int) (int, bool) { e, _ := Value(b, i); return e - 1, true },
		"a false":                     func(_ []byte, i int) (int, bool) { e, _ := Value(b, i); return e, false },
	} {
		if _, ok := ObjectAt(b, 0, fn); ok {
			t.Errorf("ObjectAt accepted %s", name)
		}
	}
	if _, ok := ElementsAt([]byte(`[1,2]`), 0, func(i int) (int, bool) { return i, true }); ok {
		t.Error("ElementsAt accepted an end at the element's start")
	}
	if end, ok := ElementsAt([]byte(`[ ]`), 0, func(i int) (int, bool) { return 0, false }); !ok || end != 3 {
		t.Errorf("ElementsAt on an empty array: %d %v", end, ok)
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

// The scanner and encoding/json agree on how deep a valid body may nest,
// on both sides of the limit, at the top and inside an object.
func TestDepthLimitAgreesWithEncodingJSON(t *testing.T) {
	for _, n := range []int{maxDepth - 1, maxDepth, maxDepth + 1} {
		arr := strings.Repeat("[", n) + strings.Repeat("]", n)
		for _, s := range []string{arr, `{"a":` + arr + `}`} {
			if got, want := Valid([]byte(s)), json.Valid([]byte(s)); got != want {
				t.Errorf("depth %d (%.8s…): scanner valid=%v, encoding/json %v", n, s, got, want)
			}
		}
		obj := `{"a":` + arr + `}`
		_, ok := Members([]byte(obj), 0, func(k, v []byte) bool { return true })
		if ok != json.Valid([]byte(obj)) {
			t.Errorf("depth %d: Members ok=%v, encoding/json %v", n, ok, !ok)
		}
	}
}

func TestElementsAndString(t *testing.T) {
	b := []byte(`[ 1 , "x" ,{"a":[]} ]`)
	var got []string
	end, ok := Elements(b, 0, func(s, e int) bool { got = append(got, string(b[s:e])); return true })
	if !ok || end != len(b) || len(got) != 3 || got[2] != `{"a":[]}` {
		t.Fatalf("elements %q end %d ok %v", got, end, ok)
	}
	for in, want := range map[string]string{`"plain"`: "plain", `"caf\u00e9"`: "café", `"a\nb"`: "a\nb"} {
		if s, ok := String([]byte(in)); !ok || string(s) != strings.ReplaceAll(want, `\n`, "\n") {
			t.Errorf("String(%s) = %q, %v", in, s, ok)
		}
	}
	if _, ok := String([]byte(`5`)); ok {
		t.Error("String accepted a number")
	}
}

func FuzzValid(f *testing.F) {
	for _, s := range []string{`{}`, `[1,{"a":"\u00e9"}]`, `{"a":}`, `01`, "\"\xff\"", ` true `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("%q: scanner valid=%v, encoding/json %v", b, got, want)
		}
	})
}

// Folds agrees with encoding/json on which member names fill a field.
func FuzzFolds(f *testing.F) {
	for _, s := range []string{"model", "Model", "MODEL", "mode", "models", "\u017fsage", "u\u017fage", "content_bloc\u212a", "content_block", "\xffusage", "us\u0130ge"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, key []byte) {
		for _, name := range []string{"usage", "model", "content_block", "index", "partial_json"} {
			doc, err := json.Marshal(map[string]int{string(key): 1})
			if err != nil {
				t.Skip()
			}
			var v map[string]int
			if json.Unmarshal(doc, &v) != nil {
				t.Skip()
			}
			key := []byte(func() string {
				for k := range v {
					return k
				}
				return ""
			}()) // the name as encoding/json reads it (invalid UTF-8 replaced)
			field := reflect.StructOf([]reflect.StructField{{Name: "F", Type: reflect.TypeFor[int](), Tag: reflect.StructTag(`json:"` + name + `"`)}})
			p := reflect.New(field)
			if err := json.Unmarshal(doc, p.Interface()); err != nil {
				t.Fatal(err)
			}
			if got, want := Folds(key, name), p.Elem().Field(0).Int() == 1; got != want {
				t.Fatalf("Folds(%q, %q) = %v; encoding/json fills the field: %v", key, name, got, want)
			}
		}
	})
}

// specialIn's lowest mark is the first byte the table calls special, and
// there is none when no byte is: over random words and words of the
// bytes next to the special ones.
func TestSpecialInAgreesWithTable(t *testing.T) {
	near := []byte{0x00, 0x1f, 0x20, 0x21, '"', 0x23, 0x5b, '\\', 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff, 'a'}
	rnd := uint64(0x9e3779b97f4a7c15)
	for n := 0; n < 200000; n++ {
		var w [8]byte
		for i := range w {
			rnd ^= rnd << 13
			rnd ^= rnd >> 7
			rnd ^= rnd << 17
			if n%2 == 0 {
				w[i] = near[rnd%uint64(len(near))]
			} else {
				w[i] = byte(rnd)
			}
		}
		first := 8
		for i, c := range w {
			if special[c] {
				first = i
				break
			}
		}
		m := specialIn(binary.LittleEndian.Uint64(w[:]))
		got := 8
		if m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if got != first {
			t.Fatalf("% x: specialIn says byte %d, the table %d", w, got, first)
		}
	}
}

// FoldsAny is Folds over each name.
func FuzzFoldsAny(f *testing.F) {
	for _, s := range []string{"model", "Model", "MODEL", "mode", "models", "\u017fsage", "u\u017fage", "content_bloc\u212a", "system_fingerprint", "IN@EX", "ind[x", "\xffusage", "us\u0130ge", ""} {
		f.Add([]byte(s))
	}
	names := []string{"usage", "model", "content_block", "index", "partial_json", "id", "Mixed_Case"}
	f.Fuzz(func(t *testing.T, key []byte) {
		want := false
		for _, n := range names {
			want = want || Folds(key, n)
		}
		if got := FoldsAny(key, names...); got != want {
			t.Fatalf("FoldsAny(%q) = %v; Folds over the names: %v", key, got, want)
		}
	})
}
