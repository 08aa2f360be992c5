package gemini_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/keygate/keygate/internal/provider/gemini"
)

// FuzzParseResponse: a Gemini answer (or error body), whatever its bytes,
// is parsed without a panic, and what parses renders as valid JSON.
func FuzzParseResponse(f *testing.F) {
	files, _ := filepath.Glob("testdata/response/*.gemini.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = gemini.ParseError(b)
		_, _ = gemini.ParseUsage(b)
		r, err := gemini.ParseResponse(b)
		if err != nil {
			return
		}
		if out := gemini.RenderResponse(r, "m"); !json.Valid(out) {
			t.Fatalf("rendered answer is not JSON: %s", out)
		}
	})
}
