package similar

import (
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "abc", 0}, {"", "abc", 3}, {"mock-gtp", "mock-gpt", 2},
		{"gpt-4o", "gpt-4o-mini", 5}, {"kitten", "sitting", 3},
	}
	for _, c := range cases {
		if got := Distance(c.a, c.b); got != c.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := Distance(c.b, c.a); got != c.want {
			t.Errorf("Distance is not symmetric for %q, %q", c.a, c.b)
		}
	}
	if Distance(strings.Repeat("a", 200), "a") < 1<<20 {
		t.Error("long input is not bounded")
	}
}
