package bench

import (
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// summary is one target's totals over all rounds.
type summary struct {
	target    string
	ok        int
	errors    int
	elapsed   time.Duration
	latencies []time.Duration // sorted
	ttfb      []time.Duration // sorted
	cpuTarget time.Duration
	cpuMock   time.Duration
	cpuClient time.Duration
	cpuOK     bool
	peakRSS   int64
}

func (s *summary) rps() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.ok) / s.elapsed.Seconds()
}

// cpuPerReq is the CPU time per successful request in milliseconds.
func cpuPerReq(cpu time.Duration, ok int) float64 {
	if ok == 0 {
		return 0
	}
	return float64(cpu) / float64(time.Millisecond) / float64(ok)
}

func summarize(rows []row) []*summary {
	var out []*summary
	byTarget := map[string]*summary{}
	for _, rw := range rows {
		s := byTarget[rw.target]
		if s == nil {
			s = &summary{target: rw.target, cpuOK: true}
			byTarget[rw.target] = s
			out = append(out, s)
		}
		s.ok += rw.res.OK
		s.errors += rw.res.ErrorCount()
		s.elapsed += rw.res.Elapsed
		s.latencies = append(s.latencies, rw.res.Latencies...)
		s.ttfb = append(s.ttfb, rw.res.TTFB...)
		s.cpuTarget += rw.cpuTarget
		s.cpuMock += rw.cpuMock
		s.cpuClient += rw.cpuClient
		s.cpuOK = s.cpuOK && rw.cpuOK
		s.peakRSS = max(s.peakRSS, rw.peakRSS)
	}
	for _, s := range out {
		slices.Sort(s.latencies)
		slices.Sort(s.ttfb)
	}
	return out
}

func mb(n int64) string {
	if n <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1fMB", float64(n)/(1<<20))
}

func count(n int) string {
	if n < 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func cpuCell(ok bool, cpu time.Duration, n int) string {
	if !ok {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", cpuPerReq(cpu, n))
}

// report prints the per-round table, the per-target totals, the failures
// and the gateway/bare ratios.
func report(out io.Writer, cfg Config, rows []row) {
	mode := "non-streaming"
	if cfg.Stream {
		mode = "streaming (TTFB = time to the first SSE line)"
		if cfg.ChunkDelay > 0 {
			mode += fmt.Sprintf(", %v between chunks", cfg.ChunkDelay)
		}
	}
	fmt.Fprintf(out, "\nkeygate bench: %d round(s) × %v per target, concurrency %d, %s\n",
		cfg.Rounds, cfg.Duration, cfg.Concurrency, mode)
	fmt.Fprintf(out, "machine: %d CPUs, %s/%s, %s; load generator, mock upstream and target share them\n\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	if len(rows) == 0 {
		fmt.Fprintln(out, "no complete rounds")
		return
	}

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := []string{"target", "round", "req/s", "p50", "p99"}
	if cfg.Stream {
		header = append(header, "TTFB p50")
	}
	header = append(header, "errors", "CPU ms/req", "mock ms/req", "client ms/req", "peak RSS", "goroutines")
	fmt.Fprintln(tw, strings.Join(header, "\t")+"\t")
	line := func(target, round string, rps float64, lat, ttfb []time.Duration, errs int, ok bool, cpuT, cpuM, cpuC time.Duration, n int, rss int64, gor int) {
		cells := []string{target, round, fmt.Sprintf("%.0f", rps), ms(percentile(lat, 50)), ms(percentile(lat, 99))}
		if cfg.Stream {
			cells = append(cells, ms(percentile(ttfb, 50)))
		}
		cells = append(cells, fmt.Sprint(errs), cpuCell(ok, cpuT, n), cpuCell(ok, cpuM, n), cpuCell(ok, cpuC, n), mb(rss), count(gor))
		fmt.Fprintln(tw, strings.Join(cells, "\t")+"\t")
	}
	for _, rw := range rows {
		line(rw.target, fmt.Sprint(rw.round), rw.res.RPS(), sortedCopy(rw.res.Latencies), sortedCopy(rw.res.TTFB),
			rw.res.ErrorCount(), rw.cpuOK, rw.cpuTarget, rw.cpuMock, rw.cpuClient, rw.res.OK, rw.peakRSS, rw.goroutines)
	}
	sums := summarize(rows)
	for _, s := range sums {
		line(s.target, "all", s.rps(), s.latencies, s.ttfb, s.errors, s.cpuOK, s.cpuTarget, s.cpuMock, s.cpuClient, s.ok, s.peakRSS, -1)
	}
	_ = tw.Flush()
	fmt.Fprintln(out, "\nCPU ms/req: CPU time of the target's own process per successful request (utime+stime from /proc);")
	fmt.Fprintln(out, "mock and client columns are the shared upstream and this load generator, for the same requests.")
	fmt.Fprintln(out, "peak RSS: the target's largest resident set during the round (VmRSS sampled every 100ms);")
	fmt.Fprintln(out, "goroutines: the gateway's go_goroutines after the round's requests ended (idle keep-alive connections included).")

	// Failures, by kind, with the first answer seen: enough to tell a
	// misconfiguration (401, 404) from overload (timeouts, 503).
	for _, rw := range rows {
		for kind, n := range rw.res.Errors {
			fmt.Fprintf(out, "errors: %s round %d: %d × %s, e.g. %s\n", rw.target, rw.round, n, kind, rw.res.Samples[kind])
		}
	}

	var proxy, gateway *summary
	for _, s := range sums {
		switch s.target {
		case TargetProxy:
			proxy = s
		case TargetGateway:
			gateway = s
		}
	}
	if proxy == nil || gateway == nil || proxy.ok == 0 || gateway.ok == 0 {
		return
	}
	fmt.Fprintf(out, "\ngateway / bare proxy, same run:\n")
	fmt.Fprintf(out, "  throughput share  %.2f  (gateway %.0f req/s vs proxy %.0f req/s)\n",
		gateway.rps()/proxy.rps(), gateway.rps(), proxy.rps())
	if gateway.cpuOK && proxy.cpuOK && proxy.cpuTarget > 0 {
		g, p := cpuPerReq(gateway.cpuTarget, gateway.ok), cpuPerReq(proxy.cpuTarget, proxy.ok)
		fmt.Fprintf(out, "  CPU per request   %.2f× (gateway %.3f ms vs proxy %.3f ms; +%.3f ms per request)\n", g/p, g, p, g-p)
	} else {
		fmt.Fprintf(out, "  CPU per request   n/a (needs /proc, Linux only)\n")
	}
	fmt.Fprintf(out, "  latency p50       %s vs %s (+%s); p99 %s vs %s\n",
		ms(percentile(gateway.latencies, 50)), ms(percentile(proxy.latencies, 50)),
		ms(percentile(gateway.latencies, 50)-percentile(proxy.latencies, 50)),
		ms(percentile(gateway.latencies, 99)), ms(percentile(proxy.latencies, 99)))
	if cfg.Stream {
		g, p := percentile(gateway.ttfb, 50), percentile(proxy.ttfb, 50)
		fmt.Fprintf(out, "  TTFB p50          %s vs %s (%+.3fms)\n", ms(g), ms(p), float64(g-p)/float64(time.Millisecond))
	}
	reportConverted(out, sums, gateway)
}

// reportConverted compares each converted path with the gateway's own
// pass-through target: the bare proxy cannot convert, so the conversion's
// cost is what it adds to a pass-through call.
func reportConverted(out io.Writer, sums []*summary, pass *summary) {
	for _, s := range sums {
		if !strings.HasPrefix(s.target, "gw-") || s.ok == 0 {
			continue
		}
		fmt.Fprintf(out, "\n%s / gateway pass-through, same run:\n", s.target)
		fmt.Fprintf(out, "  throughput share  %.2f  (%.0f req/s vs %.0f req/s)\n", s.rps()/pass.rps(), s.rps(), pass.rps())
		if s.cpuOK && pass.cpuOK && pass.cpuTarget > 0 {
			c, p := cpuPerReq(s.cpuTarget, s.ok), cpuPerReq(pass.cpuTarget, pass.ok)
			fmt.Fprintf(out, "  CPU per request   %.2f× (%.3f ms vs %.3f ms)\n", c/p, c, p)
		}
	}
}
