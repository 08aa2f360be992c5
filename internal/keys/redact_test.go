package keys

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	k, err := Generate(PrefixLive)
	if err != nil {
		t.Fatal(err)
	}
	openai := "sk-proj-" + strings.Repeat("a1B2", 10)
	google := "AIza" + strings.Repeat("x", 35)
	for name, tc := range map[string]struct{ in, want string }{
		"empty":      {"", ""},
		"plain":      {"leaked in a gist", "leaked in a gist"},
		"keygate":    {"key " + k + " in a gist", "key " + Display(k) + " in a gist"},
		"twice":      {k + "," + k, Display(k) + "," + Display(k)},
		"others":     {"a " + openai + " b " + google, "a " + DisplayPresented(openai) + " b " + DisplayPresented(google)},
		"look-alike": {"kg_live_short sk-learn", "kg_live_short sk-learn"},
	} {
		t.Run(name, func(t *testing.T) {
			got := Redact(tc.in)
			if got != tc.want {
				t.Fatalf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if strings.Contains(got, k) || strings.Contains(got, openai) || strings.Contains(got, google) {
				t.Fatalf("Redact left a secret in %q", got)
			}
		})
	}
}
