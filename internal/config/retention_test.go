package config

import (
	"testing"
	"time"
)

func TestParseRetention(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "1d": 24 * time.Hour, "2160h": 2160 * time.Hour, "0": 0, "forever": 0} {
		if got, err := ParseRetention(in); err != nil || got != want {
			t.Errorf("ParseRetention(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"12h", "ninety", "-5d", "3hd", ""} {
		if _, err := ParseRetention(in); err == nil {
			t.Errorf("ParseRetention(%q): want an error", in)
		}
	}
	c, err := Defaults().FromEnv(func(k string) string {
		if k == "KEYGATE_LOG_RETENTION" {
			return "30d"
		}
		return ""
	})
	if err != nil || c.LogRetention != 30*24*time.Hour || Defaults().LogRetention != 90*24*time.Hour {
		t.Fatalf("KEYGATE_LOG_RETENTION: %v %v", c.LogRetention, err)
	}
}
