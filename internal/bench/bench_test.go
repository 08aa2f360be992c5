package bench

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/mockupstream"
)

// TestMain lets the test binary play the children Run starts (mock-upstream
// and bench-proxy), so the orchestration can be tested without building the
// keygate binary.
func TestMain(m *testing.M) {
	switch os.Getenv("BENCH_TEST_AS_CHILD") {
	case "fail":
		fmt.Fprintln(os.Stderr, "simulated start failure")
		os.Exit(2)
	case "1":
		if err := runAsChild(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runAsChild(args []string) error {
	if len(args) == 0 {
		return errors.New("no command")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "")
	apiKey := fs.String("api-key", "", "")
	upstream := fs.String("upstream", "", "")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	switch args[0] {
	case "mock-upstream":
		return mockupstream.Serve(ctx, ln, mockupstream.Options{APIKey: *apiKey})
	case "bench-proxy":
		u, err := url.Parse(*upstream)
		if err != nil {
			return err
		}
		return ServeProxy(ctx, ln, u)
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := map[string]struct {
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		"empty":            {nil, 50, 0},
		"single p50":       {ms(7), 50, 7 * time.Millisecond},
		"single p99":       {ms(7), 99, 7 * time.Millisecond},
		"two p50 is lower": {ms(1, 2), 50, time.Millisecond},
		"odd median":       {ms(1, 2, 3), 50, 2 * time.Millisecond},
		"even median":      {ms(1, 2, 3, 4), 50, 2 * time.Millisecond},
		"p100 is max":      {ms(1, 2, 3, 4), 100, 4 * time.Millisecond},
		"p0 is min":        {ms(1, 2, 3, 4), 0, time.Millisecond},
		"p99 of 100":       {ms(hundred...), 99, 99 * time.Millisecond},
		"p50 of 100":       {ms(hundred...), 50, 50 * time.Millisecond},
		"p99.9 of 100":     {ms(hundred...), 99.9, 100 * time.Millisecond},
		"p99 of 10":        {ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		"p90 of 10":        {ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
		"above 100 clamps": {ms(1, 2), 150, 2 * time.Millisecond},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := percentile(tc.in, tc.p); got != tc.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tc.in, tc.p, got, tc.want)
			}
		})
	}
}

func TestSortedCopyLeavesInput(t *testing.T) {
	in := []time.Duration{3, 1, 2}
	out := sortedCopy(in)
	if in[0] != 3 || out[0] != 1 || out[2] != 3 {
		t.Fatalf("in %v out %v", in, out)
	}
}

func TestParseProcStat(t *testing.T) {
	// Field layout from proc(5): pid (comm) state ppid pgrp session tty_nr
	// tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
	tail := " 1 1 0 0 -1 4194560 1234 0 0 0 %d %d 7 8 20 0 12 0 100 123456789 1000 18446744073709551615"
	tests := map[string]struct {
		in           string
		utime, stime uint64
		wantErr      bool
	}{
		"plain":             {"4242 (keygate) S" + fmt.Sprintf(tail, 150, 42), 150, 42, false},
		"spaces in name":    {"4242 (my gate) R" + fmt.Sprintf(tail, 1, 2), 1, 2, false},
		"parens in name":    {"4242 (a) b (c)) S" + fmt.Sprintf(tail, 3, 4), 3, 4, false},
		"trailing newline":  {"1 (x) S" + fmt.Sprintf(tail, 5, 6) + "\n", 5, 6, false},
		"no command":        {"4242 keygate S 1 2 3", 0, 0, true},
		"too short":         {"4242 (keygate) S 1 1 0", 0, 0, true},
		"not a number":      {"4242 (keygate) S 1 1 0 0 -1 4194560 1234 0 0 0 x 9 7", 0, 0, true},
		"empty":             {"", 0, 0, true},
		"negative is wrong": {"1 (x) S 1 1 0 0 -1 4194560 1234 0 0 0 -5 9 7", 0, 0, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u, s, err := parseProcStat([]byte(tc.in))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if !tc.wantErr && (u != tc.utime || s != tc.stime) {
				t.Errorf("got utime %d stime %d, want %d %d", u, s, tc.utime, tc.stime)
			}
		})
	}
	if ticksToDuration(150) != 1500*time.Millisecond {
		t.Errorf("150 ticks = %v", ticksToDuration(150))
	}
}

func TestProcessCPUSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		if _, err := processCPU(os.Getpid()); !errors.Is(err, errCPUUnsupported) {
			t.Fatalf("err = %v", err)
		}
		return
	}
	// Burn a little CPU so the counter cannot legitimately be zero.
	deadline := time.Now().Add(50 * time.Millisecond)
	for x := 0; time.Now().Before(deadline); x++ {
		_ = x * x
	}
	d, err := processCPU(os.Getpid())
	if err != nil || d <= 0 {
		t.Fatalf("processCPU(self) = %v, %v", d, err)
	}
}

// TestLoaderAgainstMock runs the load generator in-process for about a
// second against the mock upstream, both plain and streaming.
func TestLoaderAgainstMock(t *testing.T) {
	srv := httptest.NewServer(mockupstream.New(mockupstream.Options{APIKey: "k"}))
	defer srv.Close()
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("stream=%v", stream), func(t *testing.T) {
			l := NewLoader(Target{Name: "mock", URL: srv.URL + "/v1/chat/completions", Auth: "Bearer k"}, 4, stream)
			defer l.Close()
			res := l.Run(context.Background(), 500*time.Millisecond)
			if res.ErrorCount() != 0 {
				t.Fatalf("errors %v, e.g. %v", res.Errors, res.Samples)
			}
			if res.OK < 10 || len(res.Latencies) != res.OK || res.RPS() <= 0 {
				t.Fatalf("ok %d, latencies %d, rps %v", res.OK, len(res.Latencies), res.RPS())
			}
			if res.Elapsed < 500*time.Millisecond || res.Elapsed > 5*time.Second {
				t.Errorf("elapsed %v", res.Elapsed)
			}
			if stream && len(res.TTFB) != res.OK {
				t.Errorf("ttfb samples %d for %d requests", len(res.TTFB), res.OK)
			}
			if !stream && len(res.TTFB) != 0 {
				t.Errorf("ttfb recorded without streaming")
			}
		})
	}
}

func TestLoaderCountsFailures(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 3 {
		case 0:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":{"message":"no healthy channel"}}`))
		case 1:
			// A stream that stops without [DONE]: an upstream cut.
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = w.Write([]byte("data: {}\n\n"))
		default:
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = w.Write([]byte("data: {}\n\ndata: [DONE]\n\n"))
		}
	}))
	defer srv.Close()
	l := NewLoader(Target{Name: "flaky", URL: srv.URL}, 2, true)
	defer l.Close()
	res := l.Run(context.Background(), 200*time.Millisecond)
	if res.OK == 0 || res.Errors["http_503"] == 0 || res.Errors["stream_without_done"] == 0 {
		t.Fatalf("ok %d errors %v", res.OK, res.Errors)
	}
	if !strings.Contains(res.Samples["http_503"], "no healthy channel") {
		t.Errorf("503 sample = %q", res.Samples["http_503"])
	}
	if res.OK+res.ErrorCount() != int(n.Load()) {
		t.Errorf("ok %d + errors %d != requests served %d", res.OK, res.ErrorCount(), n.Load())
	}
}

func TestLoaderStopsOnCancel(t *testing.T) {
	srv := httptest.NewServer(mockupstream.New(mockupstream.Options{}))
	defer srv.Close()
	l := NewLoader(Target{URL: srv.URL + "/v1/chat/completions"}, 2, false)
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	l.Run(ctx, time.Minute)
	if time.Since(start) > 2*time.Second {
		t.Fatalf("Run ignored cancellation: %v", time.Since(start))
	}
}

func TestProxyForwardsStream(t *testing.T) {
	up := httptest.NewServer(mockupstream.New(mockupstream.Options{ChunkDelay: time.Millisecond}))
	defer up.Close()
	u, _ := url.Parse(up.URL)
	px := httptest.NewServer(NewProxy(u))
	defer px.Close()
	l := NewLoader(Target{URL: px.URL + "/v1/chat/completions"}, 1, true)
	defer l.Close()
	w := worker{l: l, br: newReader(), errors: map[string]int{}, samples: map[string]string{}}
	if _, kind, sample := w.once(context.Background(), time.Now()); kind != "" {
		t.Fatalf("%s: %s", kind, sample)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig()
	ok.Executable = "/bin/true"
	if err := ok.validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
	bad := ok
	bad.Concurrency = 0
	bad.Targets = []string{"proxy", "nginx"}
	err := bad.validate()
	if err == nil || !strings.Contains(err.Error(), "concurrency") || !strings.Contains(err.Error(), "nginx") {
		t.Fatalf("err = %v", err)
	}
}

func TestReportRatios(t *testing.T) {
	mk := func(target string, ok int, cpu time.Duration) row {
		lat := make([]time.Duration, ok)
		for i := range lat {
			lat[i] = time.Millisecond
		}
		return row{target: target, round: 1, res: &Result{OK: ok, Latencies: lat, Elapsed: time.Second, Errors: map[string]int{}}, cpuTarget: cpu, cpuOK: true}
	}
	var out bytes.Buffer
	cfg := DefaultConfig()
	report(&out, cfg, []row{mk(TargetProxy, 1000, time.Second), mk(TargetGateway, 500, time.Second)})
	s := out.String()
	for _, want := range []string{"throughput share  0.50", "CPU per request   2.00×", "gateway 2.000 ms vs proxy 1.000 ms"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
}

// TestRunWithChildren runs the whole orchestration (children, readiness,
// preflight, rounds, report) against the bare proxy only, with this test
// binary standing in for keygate. The gateway needs the real binary; see
// docs/performance.md.
func TestRunWithChildren(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("BENCH_TEST_AS_CHILD", "1")
	cfg := DefaultConfig()
	cfg.Executable = exe
	cfg.Targets = []string{TargetProxy}
	cfg.Duration = 300 * time.Millisecond
	cfg.Warmup = 100 * time.Millisecond
	cfg.Concurrency = 4
	cfg.Rounds = 2
	cfg.StartTimeout = 10 * time.Second
	cfg.TempDir = t.TempDir()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := Run(ctx, cfg, &out); err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	s := out.String()
	if !strings.Contains(s, "proxy") || strings.Count(s, "\n") < 5 || strings.Contains(s, "errors:") {
		t.Errorf("report:\n%s", s)
	}
	t.Logf("report:\n%s", s)
}

func TestRunFailsWhenChildCannotStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The child exits at once with an error; Run must say so, not hang.
	t.Setenv("BENCH_TEST_AS_CHILD", "fail")
	cfg := DefaultConfig()
	cfg.Executable = exe
	cfg.Targets = []string{TargetProxy}
	cfg.StartTimeout = 10 * time.Second
	cfg.TempDir = t.TempDir()
	start := time.Now()
	var out bytes.Buffer
	err = Run(context.Background(), cfg, &out)
	if err == nil || !strings.Contains(err.Error(), "mock-upstream") {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > 8*time.Second {
		t.Errorf("took %v to notice", time.Since(start))
	}
	t.Logf("error as the user sees it:\n%v\n%s", err, out.String())
}
