// Package bench measures what keygate costs on the request path, by
// comparing it with a bare reverse proxy in front of the same upstream, in
// one run, on one machine.
//
// Run starts three child processes of the keygate binary on 127.0.0.1: the
// built-in mock upstream, a bare httputil.ReverseProxy (the hidden
// `bench-proxy` command) and the gateway (`serve`, with a throwaway SQLite
// database and a generated config). It then drives the proxy and the gateway
// alternately with a closed-loop load generator and reports throughput,
// latency percentiles, errors and CPU time per request read from /proc, plus
// the gateway/bare ratios. Measuring both targets in the same run, in
// alternating rounds, cancels most of the noise of a shared machine; CPU per
// request is the steadier number when the load generator competes with the
// targets for cores.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Target names, in the order rounds alternate them.
const (
	TargetProxy   = "proxy"
	TargetGateway = "gateway"
)

// mockKey is the upstream credential: the mock requires it, the bare proxy's
// clients send it, and the gateway's channel holds it.
const mockKey = "mock-key"

// Config describes one benchmark run.
type Config struct {
	Executable   string        // the keygate binary to start children from
	Duration     time.Duration // per target per round
	Warmup       time.Duration // per target, once, before the first round
	Concurrency  int           // concurrent requests per target
	Rounds       int           // each round runs every target once
	Stream       bool          // stream the answers and measure time to first byte
	ChunkDelay   time.Duration // the mock's pause between stream chunks (0 = none)
	Targets      []string      // subset of TargetProxy, TargetGateway
	StartTimeout time.Duration // per child, until it answers
	KeepTemp     bool          // keep the temp directory (logs, database) for inspection
	Pprof        string        // KEYGATE_PPROF for the gateway child ("" = no profiler)
	TempDir      string        // parent of the run's temp directory ("" = the system default)
	// Convert adds, beside the gateway's pass-through target, a converted
	// path on the same gateway process: "anthropic" and "gemini" (an OpenAI
	// chat client served by an Anthropic or Gemini channel), "messages" (an
	// Anthropic /v1/messages client served by an OpenAI channel). Each is
	// reported against the pass-through target, since the bare proxy cannot
	// convert.
	Convert []string
	// OpenStreams, when > 0, replaces the throughput rounds by a memory
	// measurement: that many slow streams held open at once through each
	// target, and the resident set it costs.
	OpenStreams int
	// Check runs every measurement issue 20 sets a target for — plain and
	// streamed calls with the converted paths, TTFB at concurrency 10, 1,000
	// and 5,000 open streams — one after the other, and ends with each
	// target's figure and whether it is met. Duration, Rounds and Warmup
	// apply to each throughput run.
	Check bool
	// Writer, when set, replaces the rounds by the request log writer's
	// rate into SQLite and PostgreSQL (writer.go); the check runs it too,
	// when WriterStore.Open is set.
	Writer      bool
	WriterStore WriterOptions
}

// Converted paths Config.Convert accepts.
const (
	ConvertAnthropic = "anthropic"
	ConvertGemini    = "gemini"
	ConvertMessages  = "messages"
)

// DefaultConfig holds the defaults the CLI flags show.
func DefaultConfig() Config {
	return Config{
		Duration:     10 * time.Second,
		Warmup:       time.Second,
		Concurrency:  50,
		Rounds:       3, // issue 20's method: three alternated rounds
		Targets:      []string{TargetProxy, TargetGateway},
		StartTimeout: 30 * time.Second,
	}
}

func (c Config) validate() error {
	var errs []error
	if c.Executable == "" {
		errs = append(errs, errors.New("no executable to start the children from"))
	}
	if c.Duration <= 0 || c.Duration > time.Hour {
		errs = append(errs, fmt.Errorf("duration %v: want between 0 and 1h", c.Duration))
	}
	if c.Warmup < 0 || c.Warmup > time.Minute {
		errs = append(errs, fmt.Errorf("warm-up %v: want between 0 and 1m", c.Warmup))
	}
	if c.Concurrency < 1 || c.Concurrency > 10000 {
		errs = append(errs, fmt.Errorf("concurrency %d: want 1 to 10000", c.Concurrency))
	}
	if c.Rounds < 1 || c.Rounds > 100 {
		errs = append(errs, fmt.Errorf("rounds %d: want 1 to 100", c.Rounds))
	}
	if c.ChunkDelay < 0 || c.ChunkDelay > time.Second {
		errs = append(errs, fmt.Errorf("chunk delay %v: want between 0 and 1s", c.ChunkDelay))
	}
	if c.Pprof != "" && !strings.HasPrefix(c.Pprof, "127.0.0.1:") && !strings.HasPrefix(c.Pprof, "localhost:") {
		errs = append(errs, fmt.Errorf("pprof %q: want a loopback address such as 127.0.0.1:6060", c.Pprof))
	}
	if c.StartTimeout <= 0 {
		errs = append(errs, errors.New("start timeout must be positive"))
	}
	if len(c.Targets) == 0 {
		errs = append(errs, errors.New("no targets"))
	}
	for _, t := range c.Targets {
		if t != TargetProxy && t != TargetGateway {
			errs = append(errs, fmt.Errorf("unknown target %q: want %s or %s", t, TargetProxy, TargetGateway))
		}
	}
	for _, cv := range c.Convert {
		if cv != ConvertAnthropic && cv != ConvertGemini && cv != ConvertMessages {
			errs = append(errs, fmt.Errorf("unknown converted path %q: want %s, %s or %s", cv, ConvertAnthropic, ConvertGemini, ConvertMessages))
		}
	}
	if len(c.Convert) > 0 && !slices.Contains(c.Targets, TargetGateway) {
		errs = append(errs, errors.New("converted paths run on the gateway: add it to the targets"))
	}
	if c.OpenStreams < 0 || c.OpenStreams > 20000 {
		errs = append(errs, fmt.Errorf("open streams %d: want 0 to 20000", c.OpenStreams))
	}
	if c.Check && (c.OpenStreams > 0 || len(c.Convert) > 0 || c.Stream || len(c.Targets) != 2) {
		errs = append(errs, errors.New("the check chooses its own modes and targets: drop --stream, --convert, --open-streams and --targets"))
	}
	if c.OpenStreams > 0 && len(c.Convert) > 0 {
		errs = append(errs, errors.New("open streams measure the pass-through path: drop the converted paths"))
	}
	return errors.Join(errs...)
}

// run is the state of one benchmark run.
type run struct {
	cfg      Config
	out      io.Writer
	dir      string
	children []*child
	mock     *child
	targets  []benchTarget
}

// benchTarget is a target with the process serving it, whose CPU time is
// charged to it.
type benchTarget struct {
	Target
	proc *child
	// metrics is the target's Prometheus endpoint ("" for the bare proxy),
	// read after each round for the goroutine count.
	metrics string
}

// Run performs the benchmark and writes the report to out. It returns an
// error when a child fails to start or the targets do not answer a first
// request; failed requests during the rounds are reported, not returned.
// Children are stopped before Run returns, also when ctx is cancelled.
func Run(ctx context.Context, cfg Config, out io.Writer) error {
	if cfg.Writer {
		if cfg.Check {
			return errors.New("bench: --check measures the writer too: drop --writer")
		}
		return RunWriter(ctx, cfg.WriterStore, out)
	}
	if cfg.Check {
		return runCheck(ctx, cfg, out)
	}
	_, _, err := runOnce(ctx, cfg, out)
	return err
}

// runOnce is one run: the report written to out, and its measurements
// returned for the targets' verdicts.
func runOnce(ctx context.Context, cfg Config, out io.Writer) (sums []*summary, open []openResult, err error) {
	if err := cfg.validate(); err != nil {
		return nil, nil, fmt.Errorf("bench: %w", err)
	}
	dir, err := os.MkdirTemp(cfg.TempDir, "keygate-bench-")
	if err != nil {
		return nil, nil, fmt.Errorf("bench: %w", err)
	}
	r := &run{cfg: cfg, out: out, dir: dir}
	defer func() {
		// Reverse order: the gateway and proxy go before their upstream.
		for i := len(r.children) - 1; i >= 0; i-- {
			r.children[i].stop(3 * time.Second)
		}
		// Keep the logs when something failed, except an interruption,
		// which says nothing about the children.
		if cfg.KeepTemp || (err != nil && ctx.Err() == nil) {
			fmt.Fprintf(out, "logs and database kept in %s\n", dir)
			return
		}
		_ = os.RemoveAll(dir)
	}()

	if err := r.start(ctx); err != nil {
		return nil, nil, fmt.Errorf("bench: %w", err)
	}
	if err := r.preflight(ctx); err != nil {
		return nil, nil, fmt.Errorf("bench: %w", err)
	}
	if cfg.OpenStreams > 0 {
		res, err := r.openStreams(ctx)
		reportOpenStreams(out, cfg, res)
		if err != nil {
			return nil, res, fmt.Errorf("bench: %w", err)
		}
		return nil, res, nil
	}
	rows, err := r.measure(ctx)
	report(out, cfg, rows)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, fmt.Errorf("bench: interrupted after %d complete measurement(s): %w", len(rows), err)
		}
		return nil, nil, fmt.Errorf("bench: %w", err)
	}
	return summarize(rows), nil, nil
}

func (r *run) spawn(name string, args, env []string) (*child, error) {
	c, err := startChild(name, r.cfg.Executable, args, env, r.dir)
	if err != nil {
		return nil, err
	}
	r.children = append(r.children, c)
	return c, nil
}

// start launches the mock, then the proxy and the gateway in front of it,
// and waits until each answers.
func (r *run) start(ctx context.Context) error {
	mockAddr, err := freeAddr()
	if err != nil {
		return err
	}
	mockAuth := "Bearer " + mockKey
	args := []string{"mock-upstream", "--listen", mockAddr, "--api-key", mockKey}
	if d := r.chunkDelay(); d > 0 {
		args = append(args, "--chunk-delay", d.String())
	}
	if r.mock, err = r.spawn("mock-upstream", args, nil); err != nil {
		return err
	}
	if err := waitReady(ctx, r.mock, "http://"+mockAddr+"/v1/models", mockAuth, r.cfg.StartTimeout); err != nil {
		return err
	}

	for _, name := range r.cfg.Targets {
		switch name {
		case TargetProxy:
			addr, err := freeAddr()
			if err != nil {
				return err
			}
			c, err := r.spawn("bench-proxy", []string{"bench-proxy", "--listen", addr, "--upstream", "http://" + mockAddr}, nil)
			if err != nil {
				return err
			}
			if err := waitReady(ctx, c, "http://"+addr+"/v1/models", mockAuth, r.cfg.StartTimeout); err != nil {
				return err
			}
			r.targets = append(r.targets, benchTarget{Target{Name: name, URL: "http://" + addr + "/v1/chat/completions", Auth: mockAuth}, c, ""})
		case TargetGateway:
			ts, err := r.startGateway(ctx, mockAddr)
			if err != nil {
				return err
			}
			r.targets = append(r.targets, ts...)
		}
	}
	return nil
}

// gatewayConfig is the KEYGATE_CONFIG the gateway runs with: one channel to
// the mock serving mock-gpt, priced so cost metering does real work, and a
// project budget far above what a run spends, so every call is reserved and
// settled in the ledger without ever being refused.
const gatewayConfig = `# Generated by keygate bench.
groups:
  - name: default
    models: ["*"]
projects:
  - name: bench
    budget: {limit_usd: 1000000, period: monthly}
channels:
  - name: mock
    type: openai
    base_url: http://%[1]s/v1
    api_key: %[2]s
    models: [mock-gpt]
    groups: [default]
  - name: mock-anthropic
    type: anthropic
    base_url: http://%[1]s
    api_key: %[2]s
    models: [mock-claude]
    groups: [default]
  - name: mock-gemini
    type: gemini
    base_url: http://%[1]s
    api_key: %[2]s
    models: [mock-gemini]
    groups: [default]
models:
  - name: mock-gpt
    input_per_mtok: 0.15
    output_per_mtok: 0.60
  - name: mock-claude
    input_per_mtok: 0.15
    output_per_mtok: 0.60
  - name: mock-gemini
    input_per_mtok: 0.15
    output_per_mtok: 0.60
`

// The converted paths' requests: the same short prompt as the pass-through
// chat call, so the difference is the conversion alone.
const (
	messagesBody       = `{"model":"mock-gpt","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`
	messagesStreamBody = `{"model":"mock-gpt","max_tokens":64,"messages":[{"role":"user","content":"hi"}],"stream":true}`
)

// convertedTarget is the target of one converted path on the gateway at
// base, for a client holding key.
func convertedTarget(path, base, key string) Target {
	chat := func(model string) Target {
		return Target{
			Name:       "gw-" + path,
			URL:        base + "/v1/chat/completions",
			Auth:       "Bearer " + key,
			Body:       []byte(strings.Replace(chatBody, "mock-gpt", model, 1)),
			StreamBody: []byte(strings.Replace(chatStreamBody, "mock-gpt", model, 1)),
		}
	}
	switch path {
	case ConvertAnthropic:
		return chat("mock-claude")
	case ConvertGemini:
		return chat("mock-gemini")
	default: // ConvertMessages
		return Target{
			Name:       "gw-" + path,
			URL:        base + "/v1/messages",
			Header:     map[string]string{"x-api-key": key, "anthropic-version": "2023-06-01"},
			Body:       []byte(messagesBody),
			StreamBody: []byte(messagesStreamBody),
			Done:       []byte("event: message_stop"),
		}
	}
}

func (r *run) startGateway(ctx context.Context, mockAddr string) ([]benchTarget, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(r.dir, "keygate.yaml")
	if err := os.WriteFile(cfgPath, fmt.Appendf(nil, gatewayConfig, mockAddr, mockKey), 0o600); err != nil {
		return nil, fmt.Errorf("write gateway config: %w", err)
	}
	adminToken := randomToken(40)
	env := []string{
		"KEYGATE_LISTEN=" + addr,
		"KEYGATE_DATABASE=sqlite:" + filepath.Join(r.dir, "bench.db"),
		"KEYGATE_ADMIN_TOKEN=" + adminToken,
		"KEYGATE_CONFIG=" + cfgPath,
	}
	if r.cfg.Pprof != "" {
		env = append(env, "KEYGATE_PPROF="+r.cfg.Pprof)
	}
	c, err := r.spawn("gateway", []string{"serve"}, env)
	if err != nil {
		return nil, err
	}
	base := "http://" + addr
	if err := waitReady(ctx, c, base+"/readyz", "", r.cfg.StartTimeout); err != nil {
		return nil, err
	}
	key, err := createKey(ctx, base, adminToken)
	if err != nil {
		return nil, c.failure(err)
	}
	ts := []benchTarget{{Target{Name: TargetGateway, URL: base + "/v1/chat/completions", Auth: "Bearer " + key}, c, base + "/metrics"}}
	for _, path := range r.cfg.Convert {
		ts = append(ts, benchTarget{convertedTarget(path, base, key), c, base + "/metrics"})
	}
	return ts, nil
}

// benchKey is the key the load uses: in the bench project (whose budget
// applies too), with its own budget and request and token rates far above
// what one machine can send, so the limiter and the ledger run on every
// call and never refuse one.
const benchKey = `{"project":"bench","name":"bench","group":"default","rpm":100000000,"tpm":1000000000,` +
	`"budget":{"limit_usd":1000000,"period":"monthly"}}`

// createKey asks the gateway's admin API for the bench key.
func createKey(ctx context.Context, base, adminToken string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	body := benchKey
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/admin/v1/keys", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: &http.Transport{Proxy: nil}}).Do(req)
	if err != nil {
		return "", fmt.Errorf("create gateway key: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("create gateway key: POST /admin/v1/keys answered %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	var created struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal(b, &created); err != nil || created.Key == "" {
		return "", fmt.Errorf("create gateway key: no \"key\" field in the 201 answer (%v)", err)
	}
	return created.Key, nil
}

// randomToken returns n random base62 characters.
func randomToken(n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather than return an error)
	for i := range b {
		// 256 % 62 leaves a slight bias; irrelevant for a throwaway token.
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// preflight sends one request to each target and fails with the answer when
// it is not a success: a misconfigured target would otherwise produce a
// table of errors and meaningless ratios.
func (r *run) preflight(ctx context.Context) error {
	for _, t := range r.targets {
		l := NewLoader(t.Target, 1, r.cfg.Stream)
		w := worker{l: l, br: newReader(), errors: map[string]int{}, samples: map[string]string{}}
		_, kind, sample := w.once(ctx, time.Now())
		l.Close()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if kind != "" {
			return t.proc.failure(fmt.Errorf("first request to %s failed (%s): %s", t.Name, kind, sample))
		}
	}
	return nil
}

// row is one target's measurement in one round.
type row struct {
	target string
	round  int
	res    *Result
	// CPU used during the round by the target's process, by the shared mock
	// upstream and by this process (the load generator). ok is false when
	// CPU time cannot be read (not Linux).
	cpuTarget, cpuMock, cpuClient time.Duration
	cpuOK                         bool
	// peakRSS is the target process's largest resident set seen during the
	// round (sampled from /proc), 0 when unknown; goroutines is the
	// gateway's goroutine count once the round's requests have finished
	// (-1 when unknown), to show growth over many rounds.
	peakRSS    int64
	goroutines int
}

// measure warms each target up, then runs the rounds, alternating targets
// so slow drifts of the machine (other work, thermal state) hit both alike.
func (r *run) measure(ctx context.Context) ([]row, error) {
	loaders := make([]*Loader, len(r.targets))
	for i, t := range r.targets {
		loaders[i] = NewLoader(t.Target, r.cfg.Concurrency, r.cfg.Stream)
		defer loaders[i].Close()
	}
	if r.cfg.Warmup > 0 {
		for i := range r.targets {
			loaders[i].Run(ctx, r.cfg.Warmup)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
		}
	}
	var rows []row
	for round := 1; round <= r.cfg.Rounds; round++ {
		for i, t := range r.targets {
			before, okBefore := r.cpuSnapshot(t.proc)
			peak := sampleRSS(t.proc.pid(), rssInterval)
			res := loaders[i].Run(ctx, r.cfg.Duration)
			after, okAfter := r.cpuSnapshot(t.proc)
			if ctx.Err() != nil {
				peak()
				return rows, ctx.Err() // a cut-short round would skew the table
			}
			rw := row{target: t.Name, round: round, res: res, cpuOK: okBefore && okAfter, peakRSS: peak(), goroutines: -1}
			if t.metrics != "" {
				rw.goroutines = goroutines(ctx, t.metrics)
			}
			if rw.cpuOK {
				rw.cpuTarget = after[0] - before[0]
				rw.cpuMock = after[1] - before[1]
				rw.cpuClient = after[2] - before[2]
			}
			rows = append(rows, rw)
		}
	}
	return rows, nil
}

// cpuSnapshot reads the CPU time of the target's process, the mock and this
// process.
func (r *run) cpuSnapshot(target *child) ([3]time.Duration, bool) {
	var s [3]time.Duration
	var err error
	for i, pid := range []int{target.pid(), r.mock.pid(), os.Getpid()} {
		if s[i], err = processCPU(pid); err != nil {
			return s, false
		}
	}
	return s, true
}
