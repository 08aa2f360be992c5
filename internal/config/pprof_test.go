package config

import (
	"strings"
	"testing"
)

// The profiler listener is accepted only on loopback addresses.
func TestPprofMustBeLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:6060": true,
		"[::1]:6060":     true,
		"localhost:6060": true,
		"0.0.0.0:6060":   false,
		":6060":          false,
		"10.0.0.5:6060":  false,
		"127.0.0.1":      false, // no port
	} {
		c := Defaults()
		c.Pprof = addr
		err := c.Validate()
		if ok && err != nil {
			t.Errorf("%s: %v", addr, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "KEYGATE_PPROF")) {
			t.Errorf("%s: accepted (err %v)", addr, err)
		}
	}
	c, err := Defaults().FromEnv(func(k string) string {
		if k == "KEYGATE_PPROF" {
			return "127.0.0.1:6060"
		}
		return ""
	})
	if err != nil || c.Pprof != "127.0.0.1:6060" {
		t.Fatalf("KEYGATE_PPROF not read: %q %v", c.Pprof, err)
	}
}
