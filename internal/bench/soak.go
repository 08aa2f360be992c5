package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"text/tabwriter"
	"time"
)

// SoakOptions is a soak run: steady load through the gateway for Duration,
// its resident set, goroutines and Go heap sampled every Every.
type SoakOptions struct {
	Duration time.Duration
	Every    time.Duration // default 5 s
}

// soakSample is one interval of a soak run.
type soakSample struct {
	at         time.Duration // since the load started, at the interval's end
	ok, errs   int
	rps        float64
	rss        int64
	goroutines int   // go_goroutines, -1 unknown
	heap       int64 // go_memstats_heap_inuse_bytes, -1 unknown
}

// Soak loads the gateway alone (cfg's concurrency and streaming; its
// rounds, targets and converted paths do not apply) for o.Duration and
// samples it every o.Every: the load runs in intervals of o.Every, and
// between two the gateway's resident set is read from /proc and its
// goroutines and heap in use from its /metrics (after the interval's last
// calls ended, so only what stays is counted). It prints each sample, then
// first, last and largest of each, and whether each stayed flat: the
// median of the last third of the samples at most 5 % (plus a little: 4 MiB
// resident, 2 MiB heap, 5 goroutines) above the median of the middle
// third. A leak grows through the run; a warm cache does not.
func Soak(ctx context.Context, cfg Config, o SoakOptions, out io.Writer) (err error) {
	if o.Every <= 0 {
		o.Every = 5 * time.Second
	}
	if o.Duration < 10*time.Second || o.Duration > 2*time.Hour {
		return fmt.Errorf("bench: soak %v: want between 10s and 2h", o.Duration)
	}
	if o.Every < time.Second || o.Every > o.Duration/3 {
		return fmt.Errorf("bench: soak sample interval %v: want between 1s and a third of the soak", o.Every)
	}
	cfg.Targets, cfg.Convert, cfg.OpenStreams, cfg.Check, cfg.Rounds = []string{TargetGateway}, nil, 0, false, 1
	if err := cfg.validate(); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	dir, err := os.MkdirTemp(cfg.TempDir, "keygate-soak-")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	r := &run{cfg: cfg, out: out, dir: dir}
	defer func() {
		for i := len(r.children) - 1; i >= 0; i-- {
			r.children[i].stop(3 * time.Second)
		}
		if cfg.KeepTemp || (err != nil && ctx.Err() == nil) {
			fmt.Fprintf(out, "logs and database kept in %s\n", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()
	if err := r.start(ctx); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := r.preflight(ctx); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	t := r.targets[0]
	l := NewLoader(t.Target, cfg.Concurrency, cfg.Stream)
	defer l.Close()
	l.Run(ctx, cfg.Warmup)

	mode := "plain"
	if cfg.Stream {
		mode = "streamed"
	}
	fmt.Fprintf(out, "soak: %s chat calls through the gateway for %v at concurrency %d, sampled every %v; load average at start %s\n",
		mode, o.Duration, cfg.Concurrency, o.Every, loadAverage())
	const row = "%8s %9s %7s %7s %9s %11s %12s\n" // printed as they come: fixed widths
	fmt.Fprintf(out, row, "t", "calls", "errors", "req/s", "RSS", "goroutines", "heap in use")
	var samples []soakSample
	errs := map[string]int{}
	first := map[string]string{}
	start := time.Now()
	for ctx.Err() == nil {
		left := o.Duration - time.Since(start)
		if left < o.Every/2 {
			break
		}
		res := l.Run(ctx, min(o.Every, left))
		for k, n := range res.Errors {
			errs[k] += n
			if first[k] == "" {
				first[k] = res.Samples[k]
			}
		}
		s := soakSample{at: time.Since(start), ok: res.OK, errs: res.ErrorCount(), rps: res.RPS(), rss: processRSS(t.proc.pid())}
		s.goroutines, s.heap = gatewayGauges(ctx, t.metrics)
		samples = append(samples, s)
		fmt.Fprintf(out, row, s.at.Round(time.Second), strconv.Itoa(s.ok), strconv.Itoa(s.errs), strconv.FormatFloat(s.rps, 'f', 0, 64),
			mb(s.rss), gcount(s.goroutines), mbOrUnknown(s.heap))
	}
	if len(samples) < 3 {
		return fmt.Errorf("bench: soak: only %d samples (interrupted?)", len(samples))
	}
	calls, failed := 0, 0
	for _, s := range samples {
		calls, failed = calls+s.ok, failed+s.errs
	}
	fmt.Fprintf(out, "\n%d calls answered, %d failed, in %v; load average at end %s\n", calls, failed, time.Since(start).Round(time.Second), loadAverage())
	kinds := make([]string, 0, len(errs))
	for k := range errs {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(out, "  %s: %d (first: %s)\n", k, errs[k], first[k])
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\tfirst\tlast\tmax\tverdict\t")
	flat := true
	for _, m := range []struct {
		name  string
		get   func(soakSample) float64
		slack float64
		show  func(float64) string
	}{
		{"RSS", func(s soakSample) float64 { return float64(s.rss) }, 4 << 20, func(v float64) string { return mb(int64(v)) }},
		{"goroutines", func(s soakSample) float64 { return float64(s.goroutines) }, 5, func(v float64) string { return gcount(int(v)) }},
		{"heap in use", func(s soakSample) float64 { return float64(s.heap) }, 2 << 20, func(v float64) string { return mbOrUnknown(int64(v)) }},
	} {
		vals := make([]float64, len(samples))
		for i, s := range samples {
			vals[i] = m.get(s)
		}
		verdict, ok := flatness(vals, m.slack)
		flat = flat && ok
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", m.name, m.show(vals[0]), m.show(vals[len(vals)-1]), m.show(maxOf(vals)), verdict)
	}
	tw.Flush()
	if flat {
		fmt.Fprintln(out, "verdict: flat — resident set, goroutines and heap did not grow through the soak")
	} else {
		fmt.Fprintln(out, "verdict: GROWING — see the samples above; a profile: --pprof 127.0.0.1:6060, then go tool pprof http://127.0.0.1:6060/debug/pprof/heap")
	}
	return nil
}

// flatness compares the median of the last third of vals with the median
// of the middle third (the first third, the gateway warming its pools and
// caches, left out): a leak grows through the run, so the last third sits
// above the middle one by what leaked meanwhile; noise moves both alike.
func flatness(vals []float64, slack float64) (string, bool) {
	for _, v := range vals {
		if v < 0 {
			return "unknown", true
		}
	}
	third := len(vals) / 3
	if third == 0 {
		return "too few samples", true
	}
	mid, last := median(vals[third:len(vals)-third]), median(vals[len(vals)-third:])
	growth := 0.0
	if mid > 0 {
		growth = (last - mid) / mid * 100
	}
	if last <= mid*1.05+slack {
		return fmt.Sprintf("flat (last third %+.1f%%)", growth), true
	}
	return fmt.Sprintf("GROWING (last third %+.1f%%)", growth), false
}

func median(vals []float64) float64 {
	s := append([]float64(nil), vals...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func maxOf(vals []float64) float64 {
	m := vals[0]
	for _, v := range vals[1:] {
		m = max(m, v)
	}
	return m
}

func gcount(n int) string {
	if n < 0 {
		return "?"
	}
	return strconv.Itoa(n)
}

func mbOrUnknown(n int64) string {
	if n < 0 {
		return "?"
	}
	return mb(n)
}

var (
	goroutinesGauge = []byte("go_goroutines ")
	heapGauge       = []byte("go_memstats_heap_inuse_bytes ")
)

// gatewayGauges reads go_goroutines and go_memstats_heap_inuse_bytes from
// a Prometheus endpoint (-1 for what it cannot), a moment after the load's
// last calls ended.
func gatewayGauges(ctx context.Context, url string) (goroutines int, heap int64) {
	goroutines, heap = -1, -1
	if url == "" {
		return
	}
	time.Sleep(200 * time.Millisecond)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return
	}
	req.Close = true // a kept-alive connection would itself hold a goroutine in the gateway
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		for _, g := range [][]byte{goroutinesGauge, heapGauge} {
			v, ok := bytes.CutPrefix(line, g)
			if !ok {
				continue
			}
			f, err := strconv.ParseFloat(string(bytes.TrimSpace(v)), 64)
			if err != nil {
				continue
			}
			if bytes.Equal(g, goroutinesGauge) {
				goroutines = int(f)
			} else {
				heap = int64(f)
			}
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return -1, -1
	}
	return
}
