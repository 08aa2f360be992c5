package registry

import "testing"

// Base URLs are accepted the way each vendor documents them: host-only or
// versioned, and the default when none is given.
func TestBaseURL(t *testing.T) {
	cases := []struct{ typ, in, want string }{
		{"anthropic", "https://api.anthropic.com", "https://api.anthropic.com/v1"},
		{"anthropic", "https://api.anthropic.com/", "https://api.anthropic.com/v1"},
		{"anthropic", "https://api.anthropic.com/v1", "https://api.anthropic.com/v1"},
		{"anthropic", "", "https://api.anthropic.com/v1"},
		{"gemini", "https://generativelanguage.googleapis.com", "https://generativelanguage.googleapis.com/v1beta"},
		{"gemini", "https://generativelanguage.googleapis.com/v1beta/", "https://generativelanguage.googleapis.com/v1beta"},
		{"gemini", "", "https://generativelanguage.googleapis.com/v1beta"},
		{"openai", "http://localhost:11434", "http://localhost:11434/v1"},
		{"openai", "https://openrouter.ai/api/v1", "https://openrouter.ai/api/v1"},
		{"openai", "https://api.deepseek.com/v1", "https://api.deepseek.com/v1"},
		{"openai", "", "https://api.openai.com/v1"},
	}
	for _, c := range cases {
		ty, ok := Lookup(c.typ)
		if !ok {
			t.Fatal(c.typ)
		}
		u, err := ty.BaseURL(c.in)
		if err != nil || u.String() != c.want {
			t.Errorf("%s %q: got %v %v, want %s", c.typ, c.in, u, err, c.want)
		}
	}
	ty, _ := Lookup("anthropic")
	for _, bad := range []string{"api.anthropic.com", "ftp://x", "https://"} {
		if _, err := ty.BaseURL(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, ok := Lookup("mistral"); ok {
		t.Fatal("unknown type found")
	}
}
