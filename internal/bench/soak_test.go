package bench

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func TestSoakFlatness(t *testing.T) {
	mib := float64(1 << 20)
	var leak, noisy, stuck, steady []float64
	for i := range 120 { // 10 minutes sampled every 5 s
		leak = append(leak, 50*mib+float64(i)*mib/4)             // 15 MiB a minute
		noisy = append(noisy, 50*mib+float64((i*7919)%11-5)*mib) // ±5 MiB around 50
		stuck = append(stuck, 40+float64(i/4))                   // a goroutine stuck every 20 s
		steady = append(steady, 45+float64((i*31)%9-4))          // 41 to 49
	}
	noisy[0], steady[0] = 20*mib, 10 // the warm-up
	cases := map[string]struct {
		vals  []float64
		slack float64
		flat  bool
	}{
		"noisy but flat":      {noisy, 4 * mib, true},
		"growing":             {leak, 4 * mib, false},
		"goroutines creeping": {stuck, 5, false},
		"goroutines steady":   {steady, 5, true},
		"unknown":             {[]float64{-1, -1, -1}, 10, true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			verdict, ok := flatness(c.vals, c.slack)
			if ok != c.flat {
				t.Fatalf("flatness = %q, %v; want flat=%v", verdict, ok, c.flat)
			}
		})
	}
}

func TestSoakRefusesUnboundedRuns(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Executable = "/nonexistent"
	for _, o := range []SoakOptions{{Duration: 3 * time.Hour}, {Duration: time.Second}, {Duration: time.Minute, Every: 30 * time.Second}} {
		err := Soak(context.Background(), cfg, o, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "soak") {
			t.Errorf("Soak(%+v) = %v, want a refusal naming the soak", o, err)
		}
	}
}
