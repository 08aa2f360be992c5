package storable

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/store"
)

func TestText(t *testing.T) {
	key, err := keys.Generate(keys.PrefixLive)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		in   string
		max  int
		want string
	}{
		"clean":            {"OpenAI/Python 1.55.0", 256, "OpenAI/Python 1.55.0"},
		"unicode":          {"模型-ü", 256, "模型-ü"},
		"invalid byte":     {"curl\xff/8", 256, "curl\uFFFD/8"},
		"nul":              {"mock\x00gpt", 256, "mock\uFFFDgpt"},
		"key":              {"ua " + key + " end", 256, "ua " + keys.Display(key) + " end"},
		"cut on rune":      {"ab模", 4, "ab"},
		"cut ascii":        {"abcdef", 3, "abc"},
		"key past the cut": {strings.Repeat("a", 10) + key, 12, strings.Repeat("a", 10) + "kg"},
		"huge":             {strings.Repeat("é", 10_000), 5, "éé"},
	} {
		got := Text(c.in, c.max)
		if got != c.want {
			t.Errorf("%s: Text(%q, %d) = %q, want %q", name, c.in, c.max, got, c.want)
		}
		if !utf8.ValidString(got) || strings.IndexByte(got, 0) >= 0 || len(got) > c.max {
			t.Errorf("%s: %q is not storable", name, got)
		}
	}
}

func TestLogCopiesAttemptsOnChange(t *testing.T) {
	shared := []store.Attempt{{Channel: "a", Error: "bad\x00"}}
	r := store.RequestLog{AttemptsDetail: shared}
	Log(&r)
	if shared[0].Error != "bad\x00" {
		t.Fatal("Log rewrote the caller's attempts array")
	}
	if r.AttemptsDetail[0].Error != "bad\uFFFD" {
		t.Fatalf("attempt error = %q", r.AttemptsDetail[0].Error)
	}
}

// FuzzText: whatever the bytes, the result is storable and holds no
// keygate key in full.
func FuzzText(f *testing.F) {
	f.Add("curl\xff", 16)
	f.Add("kg_live_0123456789abcdefghijABCDEFGHIJKL", 64)
	f.Add("a\x00b", 2)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 || max > 1<<16 {
			return
		}
		got := Text(s, max)
		if !utf8.ValidString(got) || strings.IndexByte(got, 0) >= 0 || len(got) > max {
			t.Fatalf("Text(%q, %d) = %q: not storable", s, max, got)
		}
		for _, m := range keys.Find(got) {
			t.Fatalf("Text(%q, %d) = %q keeps key %q", s, max, got, m.Key)
		}
	})
}

func BenchmarkLogCleanRow(b *testing.B) {
	r := store.RequestLog{
		RequestID: "req_bench000000000001", KeyID: "key_01HBENCH0000000000000000", KeyDisplay: "kg_live_7HqK…p2Xe", KeyEnv: "live",
		Project: "bench", Group: "default", Model: "mock-gpt", ModelServed: "mock-gpt", Channel: "mock", RequestType: "chat",
		Charged: "yes", SourceIP: "127.0.0.1", UserAgent: "OpenAI/Python 1.55.0", Route: "chat",
	}
	b.ReportAllocs()
	for b.Loop() {
		c := r
		Log(&c)
	}
}
