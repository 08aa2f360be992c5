package anthropic_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/keygate/keygate/internal/provider/anthropic"
)

// FuzzParseResponse: an Anthropic answer (or error body), whatever its
// bytes, is parsed without a panic, and what parses renders as valid JSON.
func FuzzParseResponse(f *testing.F) {
	files, _ := filepath.Glob("testdata/response/*.anthropic.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = anthropic.ParseError(b)
		r, err := anthropic.ParseResponse(b)
		if err != nil {
			return
		}
		if out := anthropic.RenderResponse(r, "m"); !json.Valid(out) {
			t.Fatalf("rendered answer is not JSON: %s", out)
		}
	})
}
