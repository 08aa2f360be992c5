package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// Issue 20's targets, as the check judges them.
const (
	minShare         = 0.90 // pass-through throughput, of the bare proxy's
	maxPassCPU       = 1.2  // pass-through CPU per request, × the bare proxy's
	maxConvStreamCPU = 1.5  // converted stream CPU, × the pass-through stream's
	maxConvPlainCPU  = 1.3  // converted non-stream CPU, × the pass-through's
	maxOpenRSS       = 1.2  // RSS with N slow streams open, × the bare proxy's
	maxTTFBGap       = 300 * time.Microsecond
	ttfbConcurrency  = 10
)

// openCounts are the open-stream counts the check holds.
var openCounts = []int{1000, 5000}

// verdict is one target's figure in a check.
type verdict struct {
	target   string // what is promised
	measured string // what this run measured ("n/a" when it could not)
	met      bool
	known    bool // false when the figure could not be measured
}

// checkResults is what the check's runs measured.
type checkResults struct {
	plain, stream, ttfb []*summary
	open                map[int][]openResult
	writer              []writerResult
}

// runCheck runs each measurement in turn and prints the verdicts. A run
// that fails is reported and its targets marked not measured; the others
// still run.
func runCheck(ctx context.Context, cfg Config, out io.Writer) error {
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	loadBefore := loadAverage()
	var res checkResults
	var failed []error
	step := func(name string, c Config) ([]*summary, []openResult) {
		c.Check = false
		fmt.Fprintf(out, "\n=== %s ===\n", name)
		sums, open, err := runOnce(ctx, c, out)
		if err != nil {
			fmt.Fprintf(out, "%s: %v\n", name, err)
			failed = append(failed, fmt.Errorf("%s: %w", name, err))
		}
		return sums, open
	}
	all := []string{ConvertAnthropic, ConvertGemini, ConvertMessages}
	plain := cfg
	plain.Convert = all
	res.plain, _ = step("plain JSON, pass-through and converted", plain)
	stream := plain
	stream.Stream = true
	if ctx.Err() == nil {
		res.stream, _ = step("streams, pass-through and converted", stream)
	}
	ttfb := cfg
	ttfb.Stream, ttfb.Concurrency = true, ttfbConcurrency
	if ctx.Err() == nil {
		res.ttfb, _ = step(fmt.Sprintf("streams at concurrency %d, for time to first byte", ttfbConcurrency), ttfb)
	}
	res.open = map[int][]openResult{}
	for _, n := range openCounts {
		if ctx.Err() != nil {
			break
		}
		o := cfg
		o.OpenStreams = n
		_, res.open[n] = step(fmt.Sprintf("%d slow streams held open", n), o)
	}
	if ctx.Err() == nil && cfg.WriterStore.Open != nil {
		fmt.Fprintf(out, "\n=== request log writer ===\n")
		var err error
		res.writer, err = measureWriter(ctx, cfg.WriterStore, out)
		reportWriter(out, cfg.WriterStore, res.writer)
		if err != nil {
			failed = append(failed, err)
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("bench: check interrupted: %w", ctx.Err())
	}
	reportVerdicts(out, verdicts(res), loadBefore, loadAverage())
	if len(failed) > 0 {
		return fmt.Errorf("bench: %d of the check's runs failed, first: %w", len(failed), failed[0])
	}
	return nil
}

// loadAverage is /proc/loadavg's three figures ("n/a" elsewhere).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

func find(sums []*summary, target string) *summary {
	for _, s := range sums {
		if s.target == target && s.ok > 0 {
			return s
		}
	}
	return nil
}

// cpuRatio is a's CPU per request over b's; not ok when either is unknown.
func cpuRatio(a, b *summary) (float64, bool) {
	if a == nil || b == nil || !a.cpuOK || !b.cpuOK || a.cpuTarget <= 0 || b.cpuTarget <= 0 {
		return 0, false
	}
	return cpuPerReq(a.cpuTarget, a.ok) / cpuPerReq(b.cpuTarget, b.ok), true
}

// verdicts judges every target from what the check measured.
func verdicts(r checkResults) []verdict {
	var vs []verdict
	atMost := func(target string, v float64, ok bool, limit float64) {
		vd := verdict{target: target, measured: "n/a", known: ok}
		if ok {
			vd.measured, vd.met = fmt.Sprintf("%.3f×", v), v <= limit
		}
		vs = append(vs, vd)
	}
	for _, m := range []struct {
		name string
		sums []*summary
	}{{"plain", r.plain}, {"stream", r.stream}} {
		proxy, pass := find(m.sums, TargetProxy), find(m.sums, TargetGateway)
		vd := verdict{target: fmt.Sprintf("pass-through %s: throughput ≥ %.2f of the bare proxy's", m.name, minShare), measured: "n/a"}
		if proxy != nil && pass != nil && proxy.rps() > 0 {
			share := pass.rps() / proxy.rps()
			vd.measured, vd.met, vd.known = fmt.Sprintf("%.3f", share), share >= minShare, true
		}
		vs = append(vs, vd)
		v, ok := cpuRatio(pass, proxy)
		atMost(fmt.Sprintf("pass-through %s: CPU per request ≤ %.1f× the bare proxy's", m.name, maxPassCPU), v, ok, maxPassCPU)
		limit := maxConvPlainCPU
		if m.name == "stream" {
			limit = maxConvStreamCPU
		}
		for _, path := range []string{ConvertAnthropic, ConvertGemini, ConvertMessages} {
			v, ok := cpuRatio(find(m.sums, "gw-"+path), pass)
			atMost(fmt.Sprintf("converted %s %s: CPU per request ≤ %.1f× pass-through's", path, m.name, limit), v, ok, limit)
		}
	}
	for _, n := range openCounts {
		var proxy, gateway *openResult
		for i, o := range r.open[n] {
			switch o.target {
			case TargetProxy:
				proxy = &r.open[n][i]
			case TargetGateway:
				gateway = &r.open[n][i]
			}
		}
		ok := proxy != nil && gateway != nil && proxy.openRSS > 0 && gateway.openRSS > 0 && proxy.failed == 0 && gateway.failed == 0
		var v float64
		if ok {
			v = float64(gateway.openRSS) / float64(proxy.openRSS)
		}
		atMost(fmt.Sprintf("%d slow open streams: RSS ≤ %.1f× the bare proxy's", n, maxOpenRSS), v, ok, maxOpenRSS)
	}
	vd := verdict{target: fmt.Sprintf("TTFB p50 at concurrency %d: within %v of the bare proxy's", ttfbConcurrency, maxTTFBGap), measured: "n/a"}
	if proxy, gw := find(r.ttfb, TargetProxy), find(r.ttfb, TargetGateway); proxy != nil && gw != nil && len(proxy.ttfb) > 0 && len(gw.ttfb) > 0 {
		gap := percentile(gw.ttfb, 50) - percentile(proxy.ttfb, 50)
		vd.measured = fmt.Sprintf("%+.3fms (%s vs %s)", float64(gap)/float64(time.Millisecond), ms(percentile(gw.ttfb, 50)), ms(percentile(proxy.ttfb, 50)))
		vd.met, vd.known = gap <= maxTTFBGap, true
	}
	vs = append(vs, vd)
	return append(vs, writerVerdicts(r.writer)...)
}

// reportVerdicts prints the targets, each with its figure and verdict.
func reportVerdicts(out io.Writer, vs []verdict, loadBefore, loadAfter string) {
	fmt.Fprintf(out, "\n=== issue 20 targets, this run (load average %s before, %s after) ===\n\n", loadBefore, loadAfter)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "target\tmeasured\tverdict")
	met := 0
	for _, v := range vs {
		word := "not met"
		switch {
		case !v.known:
			word = "not measured"
		case v.met:
			word = "met"
			met++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.target, v.measured, word)
	}
	_ = tw.Flush()
	fmt.Fprintf(out, "\n%d of %d targets met\n", met, len(vs))
}
