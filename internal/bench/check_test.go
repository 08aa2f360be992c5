package bench

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// Each of issue 20's targets is judged from the check's measurements, on
// the right side of its limit, and one that could not be measured says so
// instead of passing.
func TestCheckVerdicts(t *testing.T) {
	sum := func(target string, ok int, cpu time.Duration, ttfb time.Duration) *summary {
		s := &summary{target: target, ok: ok, elapsed: time.Second, cpuTarget: cpu, cpuOK: true}
		for range 3 {
			s.ttfb = append(s.ttfb, ttfb)
		}
		return s
	}
	ms := time.Millisecond
	r := checkResults{
		plain: []*summary{sum(TargetProxy, 1000, 1000*ms, 0), sum(TargetGateway, 950, 1130*ms, 0), // share 0.95, CPU 1.19×
			sum("gw-anthropic", 1000, 1540*ms, 0), sum("gw-gemini", 1000, 1500*ms, 0)}, // 1.295× met, 1.26× met; messages missing
		stream: []*summary{sum(TargetProxy, 1000, 1000*ms, 0), sum(TargetGateway, 800, 1000*ms, 0), // share 0.80, CPU 1.25×
			sum("gw-anthropic", 1000, 1870*ms, 0), sum("gw-gemini", 1000, 1880*ms, 0), sum("gw-messages", 1000, 1000*ms, 0)}, // 1.496× met, 1.504× not
		ttfb: []*summary{sum(TargetProxy, 100, ms, 2*ms), sum(TargetGateway, 100, ms, 2*ms+301*time.Microsecond)},
		open: map[int][]openResult{
			1000: {{target: TargetProxy, opened: 1000, openRSS: 100 << 20}, {target: TargetGateway, opened: 1000, openRSS: 120 << 20}},
			5000: {{target: TargetProxy, opened: 5000, openRSS: 300 << 20}, {target: TargetGateway, opened: 4000, failed: 1000, openRSS: 310 << 20}},
		},
		writer: []writerResult{
			{store: "sqlite", rows: 300_000, stored: 300_000, elapsed: 5 * time.Second},  // 60,000 rows/s, none lost
			{store: "postgres", rows: 100_000, stored: 99_997, elapsed: 1 * time.Second}, // fast, but 3 lost
		},
	}
	want := map[string]string{
		"pass-through plain: throughput":  "met",
		"pass-through plain: CPU":         "met",
		"converted anthropic plain":       "met",
		"converted gemini plain":          "met",
		"converted messages plain":        "not measured",
		"pass-through stream: throughput": "not met",
		"pass-through stream: CPU":        "not met",
		"converted anthropic stream":      "met",
		"converted gemini stream":         "not met",
		"converted messages stream":       "met",
		"1000 slow open streams":          "met",
		"5000 slow open streams":          "not measured", // streams failed to open: no figure
		"TTFB p50 at concurrency 10":      "not met",
		"request log writer into SQLite":  "met",
		"request log writer into Postgre": "not met",
	}
	vs := verdicts(r)
	if len(vs) != len(want) {
		t.Fatalf("%d verdicts, want %d: %+v", len(vs), len(want), vs)
	}
	for _, v := range vs {
		word := "not met"
		switch {
		case !v.known:
			word = "not measured"
		case v.met:
			word = "met"
		}
		found := false
		for prefix, w := range want {
			if strings.HasPrefix(v.target, prefix) {
				found = true
				if word != w {
					t.Errorf("%s (%s): %s, want %s", v.target, v.measured, word, w)
				}
			}
		}
		if !found {
			t.Errorf("unexpected target %q", v.target)
		}
	}
	var out bytes.Buffer
	reportVerdicts(&out, vs, "0.10 0.20 0.30", "0.40 0.50 0.60")
	for _, s := range []string{"load average 0.10 0.20 0.30 before", "+0.301ms (2.30ms vs 2.00ms)", "8 of 15 targets met", "60000 rows/s, 0 lost", "100000 rows/s, 3 lost"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, out.String())
		}
	}
}

func TestCheckRefusesModeFlags(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Executable, cfg.Check, cfg.Stream = "/bin/true", true, true
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "the check chooses its own modes") {
		t.Fatalf("validate = %v", err)
	}
	cfg.Stream = false
	if err := cfg.validate(); err != nil {
		t.Fatalf("plain check: %v", err)
	}
}

// Without a PostgreSQL server the writer's PostgreSQL target is not
// measured, never met; a slow SQLite writer is not met.
func TestWriterVerdictsWithoutPostgres(t *testing.T) {
	vs := writerVerdicts([]writerResult{{store: "sqlite", rows: 100_000, stored: 100_000, elapsed: 4 * time.Second}})
	if len(vs) != 2 {
		t.Fatalf("%d verdicts, want 2: %+v", len(vs), vs)
	}
	if !vs[0].known || vs[0].met || vs[0].measured != "25000 rows/s, 0 lost" {
		t.Errorf("SQLite at 25,000 rows/s: %+v, want measured and not met", vs[0])
	}
	if vs[1].known || vs[1].met || !strings.Contains(vs[1].measured, "no --postgres") {
		t.Errorf("PostgreSQL without a server: %+v, want not measured, saying why", vs[1])
	}
}
