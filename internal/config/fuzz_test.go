package config

import (
	"os"
	"testing"
)

// FuzzParseFile: a KEYGATE_CONFIG file, whatever its bytes, is parsed and
// validated without a panic.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte("groups: [{name: default, models: [\"*\"]}]\nprojects: [{name: demo}]\n"))
	f.Add([]byte("channels: [{name: c, type: openai, base_url: \"http://169.254.169.254/v1\", models: [m]}]\n"))
	f.Add([]byte("models: [{name: m, input_per_mtok: 1e308, output_per_mtok: -1}]\n"))
	if b, err := os.ReadFile("../../examples/keygate.yaml"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseFile(b, "fuzz.yaml")
	})
}
