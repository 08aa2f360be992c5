package openai_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/keygate/keygate/internal/provider/openai"
)

// FuzzParseResponse: an upstream's answer (or error body), whatever its
// bytes, is parsed without a panic, and what parses renders as valid JSON.
// Corpus: testdata/fuzz/FuzzParseResponse, plus the recorded answers.
func FuzzParseResponse(f *testing.F) {
	files, _ := filepath.Glob("../*/testdata/response/*.openai.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = openai.ParseError(b)
		r, err := openai.ParseResponse(b)
		if err != nil {
			return
		}
		if out := openai.RenderResponse(r); !json.Valid(out) {
			t.Fatalf("rendered answer is not JSON: %s", out)
		}
	})
}

// FuzzParseResponsesRequest: a client's /v1/responses body.
func FuzzParseResponsesRequest(f *testing.F) {
	files, _ := filepath.Glob("testdata/responses_request/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = openai.ParseResponsesRequest(b)
	})
}
