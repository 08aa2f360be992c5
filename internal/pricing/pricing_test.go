package pricing

import (
	"strings"
	"testing"
)

func TestBuiltinParses(t *testing.T) {
	c := Builtin()
	if c.Date == "" || len(c.Entries()) == 0 {
		t.Fatalf("built-in catalogue is empty: date %q, %d entries", c.Date, len(c.Entries()))
	}
	for _, e := range c.Entries() {
		if !strings.HasPrefix(e.Source, "https://") {
			t.Errorf("%s: source %q is not a provider page", e.Name, e.Source)
		}
	}
	e, ok := c.Lookup("claude-3-5-haiku-20241022") // an alias
	if !ok || e.Name != "claude-3-5-haiku-latest" || e.InputPerMTok != 0.80 || e.CachedInputPerMTok != 0.08 {
		t.Fatalf("alias lookup = %+v, %v", e, ok)
	}
	if _, ok := c.Lookup("claude-3-5-haiku"); ok {
		t.Fatal("a near name must not match")
	}
}

func TestParseRefusesBadFiles(t *testing.T) {
	for name, in := range map[string]string{
		"no date":     `{"providers":[]}`,
		"no source":   `{"date":"2026-01-01","providers":[{"provider":"x","models":[{"name":"m","input_per_mtok":1}]}]}`,
		"negative":    `{"date":"2026-01-01","providers":[{"provider":"x","source":"s","models":[{"name":"m","input_per_mtok":-1}]}]}`,
		"no price":    `{"date":"2026-01-01","providers":[{"provider":"x","source":"s","models":[{"name":"m"}]}]}`,
		"duplicate":   `{"date":"2026-01-01","providers":[{"provider":"x","source":"s","models":[{"name":"m","input_per_mtok":1},{"name":"n","aliases":["m"],"input_per_mtok":1}]}]}`,
		"unnamed":     `{"date":"2026-01-01","providers":[{"provider":"x","source":"s","models":[{"input_per_mtok":1}]}]}`,
		"broken json": `{"date":`,
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
