package keys

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
	"unicode/utf8"
)

// mustKey builds a valid key from a prefix and 32 body characters.
func mustKey(t testing.TB, prefix, random string) string {
	t.Helper()
	if len(random) != randomLen {
		t.Fatalf("random part must be %d characters, got %d", randomLen, len(random))
	}
	return prefix + random + Checksum(prefix+random)
}

const sampleRandom = "7HqKa1b2C3d4E5f6G7h8I9j0KlMnOpQr"

func TestGenerate(t *testing.T) {
	seen := map[string]bool{}
	for _, prefix := range []string{PrefixLive, PrefixTest, PrefixPAT} {
		for range 50 {
			k, err := Generate(prefix)
			if err != nil {
				t.Fatal(err)
			}
			if len(k) != len(prefix)+BodyLen {
				t.Fatalf("len(%s…) = %d", prefix, len(k))
			}
			got, err := Parse(k)
			if err != nil || got != prefix {
				t.Fatalf("Parse(generated) = %q, %v", got, err)
			}
			if seen[k] {
				t.Fatal("duplicate key generated")
			}
			seen[k] = true
		}
	}
	if _, err := Generate("sk-"); !errors.Is(err, ErrUnknownPrefix) {
		t.Fatalf("Generate(sk-) error = %v, want ErrUnknownPrefix", err)
	}
}

// TestGenerateUniform is a coarse check that rejection sampling leaves no
// character visibly favoured (a modulo bias would favour the first 8 by 1/31).
func TestGenerateUniform(t *testing.T) {
	var counts [256]int
	const keys = 2000
	for range keys {
		k, err := Generate(PrefixTest)
		if err != nil {
			t.Fatal(err)
		}
		for i := len(PrefixTest); i < len(PrefixTest)+randomLen; i++ {
			counts[k[i]]++
		}
	}
	want := float64(keys*randomLen) / 62
	for i := 0; i < len(alphabet); i++ {
		got := float64(counts[alphabet[i]])
		if got < want*0.85 || got > want*1.15 {
			t.Errorf("character %q drawn %v times, expected about %v", alphabet[i], got, want)
		}
	}
}

func TestChecksum(t *testing.T) {
	for _, s := range []string{"", "a", "kg_live_" + sampleRandom, strings.Repeat("x", 1000)} {
		c := crc32.ChecksumIEEE([]byte(s))
		got := Checksum(s)
		if len(got) != checksumLen {
			t.Fatalf("Checksum(%q) = %q, want %d characters", s, got, checksumLen)
		}
		// Decode most significant digit first.
		var v uint64
		for i := 0; i < len(got); i++ {
			v = v*62 + uint64(strings.IndexByte(alphabet, got[i]))
		}
		if uint32(v) != c || v > 0xffffffff {
			t.Errorf("Checksum(%q) decodes to %d, want crc32 %d", s, v, c)
		}
	}
	// The zero checksum is all zeros: zero padding on the left.
	var z [checksumLen]byte
	encodeChecksum(&z, 0)
	if string(z[:]) != "000000" {
		t.Errorf("encode(0) = %q", z)
	}
	encodeChecksum(&z, 61)
	if string(z[:]) != "00000z" {
		t.Errorf("encode(61) = %q", z)
	}
}

func TestParse(t *testing.T) {
	good := mustKey(t, PrefixLive, sampleRandom)
	flipped := []byte(good)
	flipped[12] = 'Z'
	if flipped[12] == good[12] {
		flipped[12] = 'Y'
	}
	tests := map[string]struct {
		in     string
		prefix string
		reason Reason
	}{
		"live":               {in: good, prefix: PrefixLive},
		"test":               {in: mustKey(t, PrefixTest, sampleRandom), prefix: PrefixTest},
		"pat":                {in: mustKey(t, PrefixPAT, sampleRandom), prefix: PrefixPAT},
		"empty":              {in: "", reason: ReasonUnknownPrefix},
		"openai key":         {in: "sk-proj-" + sampleRandom, reason: ReasonUnknownPrefix},
		"uppercase prefix":   {in: "KG_LIVE_" + good[8:], reason: ReasonUnknownPrefix},
		"prefix only":        {in: PrefixLive, reason: ReasonWrongLength},
		"truncated":          {in: good[:len(good)-1], reason: ReasonWrongLength},
		"doubled":            {in: good + good, reason: ReasonWrongLength},
		"typo":               {in: string(flipped), reason: ReasonBadChecksum},
		"prefix swapped":     {in: PrefixTest + good[len(PrefixLive):], reason: ReasonBadChecksum},
		"dash inside":        {in: good[:20] + "-" + good[21:], reason: ReasonBadCharacter},
		"trailing newline":   {in: good[:len(good)-1] + "\n", reason: ReasonBadCharacter},
		"multibyte inside":   {in: good[:20] + "é" + good[22:], reason: ReasonBadCharacter},
		"trailing nbsp":      {in: good + "\u00a0", reason: ReasonWrongLength},
		"leading whitespace": {in: " " + good, reason: ReasonUnknownPrefix},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			prefix, err := Parse(tc.in)
			if tc.reason == "" {
				if err != nil || prefix != tc.prefix {
					t.Fatalf("Parse = %q, %v; want %q, nil", prefix, err, tc.prefix)
				}
				return
			}
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("Parse error = %v, want *FormatError", err)
			}
			if fe.Reason != tc.reason {
				t.Fatalf("reason = %s, want %s (%v)", fe.Reason, tc.reason, err)
			}
			if prefix != "" {
				t.Errorf("prefix = %q on error", prefix)
			}
			assertNoSecret(t, tc.in, fe.Error())
		})
	}
}

// assertNoSecret fails if out contains 5 or more consecutive characters of
// in that mix letters and digits: the messages' own words never do, any
// piece of a key body almost always does.
func assertNoSecret(t testing.TB, in, out string) {
	t.Helper()
	if w := leakedWindow(in, out); w != "" {
		t.Fatalf("output %q leaks %q of the input", out, w)
	}
}

func leakedWindow(in, out string) string {
	const w = 5
	for i := 0; i+w <= len(in); i++ {
		win := in[i : i+w]
		digit, letter := false, false
		for j := 0; j < w; j++ {
			c := win[j]
			switch {
			case c >= '0' && c <= '9':
				digit = true
			case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
				letter = true
			default:
				digit, letter = false, false
				j = w
			}
		}
		if digit && letter && strings.Contains(out, win) {
			return win
		}
	}
	return ""
}

func TestHash(t *testing.T) {
	k := mustKey(t, PrefixLive, sampleRandom)
	want := sha256.Sum256([]byte(k))
	if Hash(k) != want {
		t.Fatal("Hash differs from sha256")
	}
	if HashHex(k) != hex.EncodeToString(want[:]) {
		t.Fatal("HashHex differs from sha256 hex")
	}
	long := strings.Repeat("a", 200)
	if Hash(long) != sha256.Sum256([]byte(long)) {
		t.Fatal("Hash of long input differs from sha256")
	}
}

func TestEnv(t *testing.T) {
	for in, want := range map[string]string{
		"kg_live_x": "live", "kg_test_x": "test", "kg_pat_x": "pat", "kg_prod_x": "", "sk-x": "", "": "",
	} {
		if got := Env(in); got != want {
			t.Errorf("Env(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDisplay(t *testing.T) {
	k := mustKey(t, PrefixLive, sampleRandom)
	want := "kg_live_7HqK…" + k[len(k)-4:]
	if got := Display(k); got != want {
		t.Fatalf("Display = %q, want %q", got, want)
	}
}

func TestDisplayPresented(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"keygate":        {"kg_test_ABCDEFGHIJKLMNOP", "kg_test_ABCD…MNOP"},
		"pat":            {"kg_pat_ABCDEFGHIJKL", "kg_pat_ABCD…IJKL"},
		"openai project": {"sk-proj-abcdefghijklmnopqrstuvwxyz", "sk-proj-abcd…wxyz"},
		"openai":         {"sk-abcdefghijklmnopqrstuvwxyz", "sk-abcd…wxyz"},
		"anthropic":      {"sk-ant-api03-abcdefghijklmnop", "sk-ant-api0…mnop"},
		"google":         {"AIzaSyABCDEFGHIJKLMNOP", "AIzaSyAB…MNOP"},
		"unknown":        {"abcdefghijklmnop", "abcd…mnop"},
		"short body":     {"kg_live_ABCDEFGHIJK", ""},
		"short unknown":  {"hunter2", ""},
		"empty":          {"", ""},
		"newline hidden": {"kg_live_\nBCDEFGHIJKLMNO\u200b", "kg_live_\ufffdBCD…MNO\ufffd"},
		"invalid utf8":   {"kg_live_\xffBCDEFGHIJKLMNOP", "kg_live_\ufffdBCD…MNOP"},
		"multibyte":      {"ééééééééééééé", "éééé…éééé"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := DisplayPresented(tc.in)
			if got != tc.want {
				t.Fatalf("DisplayPresented(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestFind(t *testing.T) {
	k1 := mustKey(t, PrefixLive, sampleRandom)
	k2 := mustKey(t, PrefixPAT, strings.Repeat("a", 32))
	bad := []byte(k1)
	bad[15] ^= 1
	text := "export KEYGATE_API_KEY=" + k1 + "\nnot a key: " + string(bad) + " kg_live_short kg_ and " +
		"token=\"" + k2 + "\"" + k1 + k1[:10]
	got := Find(text)
	if len(got) != 3 {
		t.Fatalf("Find found %d keys, want 3: %+v", len(got), got)
	}
	for i, want := range []string{k1, k2, k1} {
		m := got[i]
		if m.Key != want || text[m.Start:m.End] != want {
			t.Errorf("match %d = %+v, want %s", i, m, Display(want))
		}
	}
	if Find("no keys here kg_live_") != nil {
		t.Error("Find on keyless text returned matches")
	}
}

func TestFindOtherProviders(t *testing.T) {
	openai := "sk-proj-" + strings.Repeat("Ab3_", 20)
	legacy := "sk-" + strings.Repeat("x1Y", 16)
	anthropic := "sk-ant-api03-" + strings.Repeat("Qz9-", 23) + "AA"
	google := "AIza" + strings.Repeat("B", 34) + "7"
	text := "OPENAI_API_KEY=" + openai + " old " + legacy + "\n" +
		"anthropic: '" + anthropic + "' google=" + google +
		" ignore: task-list-item sk-learn pip install scikit-learn AIzaShort " +
		"AIza" + strings.Repeat("C", 40) + " xsk-" + strings.Repeat("1a", 20)
	got := FindOtherProviders(text)
	want := []struct{ key, provider string }{
		{openai, "OpenAI"}, {legacy, "OpenAI"}, {anthropic, "Anthropic"}, {google, "Google"},
	}
	if len(got) != len(want) {
		t.Fatalf("found %d, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		m := got[i]
		if text[m.Start:m.End] != w.key || m.Provider != w.provider || m.Display != DisplayPresented(w.key) {
			t.Errorf("match %d = %+v, want %s %s", i, m, w.provider, DisplayPresented(w.key))
		}
	}
}

func FuzzParse(f *testing.F) {
	good := mustKey(f, PrefixLive, sampleRandom)
	for _, s := range []string{
		good, mustKey(f, PrefixPAT, sampleRandom), "", "kg_", PrefixLive, good[:len(good)-1], good + good,
		good + "\n", " " + good, good[:20] + "\u200b" + good[20:], "sk-proj-abc", "kg_test_" + good[8:],
		"kg_live_\xff\xfe", "kg_live_" + strings.Repeat("0", 38),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		prefix, err := Parse(s)
		if err == nil {
			if prefix == "" || !strings.HasPrefix(s, prefix) || len(s) != len(prefix)+BodyLen {
				t.Fatalf("Parse(%q) accepted with prefix %q", s, prefix)
			}
			if Checksum(s[:len(s)-checksumLen]) != s[len(s)-checksumLen:] {
				t.Fatalf("Parse accepted %q with a wrong checksum", s)
			}
			if crcString(s[:len(s)-checksumLen]) != crc32.ChecksumIEEE([]byte(s[:len(s)-checksumLen])) {
				t.Fatal("crcString differs from hash/crc32")
			}
			if m := Find("x " + s + " y"); len(m) != 1 || m[0].Key != s {
				t.Fatalf("Find missed a valid key: %+v", m)
			}
			return
		}
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("error %v is not a *FormatError", err)
		}
		if prefix != "" {
			t.Fatalf("prefix %q returned with error", prefix)
		}
		assertNoSecret(t, s, fe.Error())
		d := DisplayPresented(s)
		if !utf8.ValidString(d) || utf8.RuneCountInString(d) > len(PrefixLive)+2*displayEdge+1 {
			t.Fatalf("DisplayPresented(%q) = %q", s, d)
		}
		_ = Find(s)
		_ = FindOtherProviders(s)
	})
}

var sinkPrefix string
var sinkHash [32]byte

func BenchmarkParse(b *testing.B) {
	k := mustKey(b, PrefixLive, sampleRandom)
	b.ReportAllocs()
	for b.Loop() {
		p, err := Parse(k)
		if err != nil {
			b.Fatal(err)
		}
		sinkPrefix = p
	}
}

func BenchmarkHash(b *testing.B) {
	k := mustKey(b, PrefixLive, sampleRandom)
	b.ReportAllocs()
	for b.Loop() {
		sinkHash = Hash(k)
	}
}

func BenchmarkFind(b *testing.B) {
	k := mustKey(b, PrefixLive, sampleRandom)
	text := strings.Repeat("some log line with kg_ look-alikes and no secret\n", 200) + k
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if len(Find(text)) != 1 {
			b.Fatal("key not found")
		}
	}
}
