package cli

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/bench"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/sqlstore"
)

// newBenchCmd measures the gateway against a bare reverse proxy in one run.
func newBenchCmd() *cobra.Command {
	cfg := bench.DefaultConfig()
	var targets, convert string
	var soak bench.SoakOptions
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure keygate's overhead against a bare reverse proxy, on this machine",
		Long: `Start a mock upstream, a bare reverse proxy and a keygate gateway on 127.0.0.1
(child processes of this binary, with a throwaway SQLite database), then load
the proxy and the gateway alternately, round by round, with the same requests.

Prints requests/s, latency percentiles, errors and CPU time per request for
each round, and the gateway/bare ratios. Each run takes about
(warm-up + rounds × duration) × targets.`,
		Example: "  keygate bench --duration 5s\n  keygate bench --stream --concurrency 20\n" +
			"  keygate bench --stream --convert anthropic,gemini,messages\n  keygate bench --open-streams 1000\n  keygate bench --writer --postgres postgres://USER@127.0.0.1/DB\n  keygate bench --check --duration 5s",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("bench: find this binary to start the children: %w", err)
			}
			cfg.Executable = exe
			cfg.Targets = nil
			for _, t := range strings.Split(targets, ",") {
				if t = strings.TrimSpace(t); t != "" {
					cfg.Targets = append(cfg.Targets, t)
				}
			}
			for _, c := range strings.Split(convert, ",") {
				if c = strings.TrimSpace(c); c != "" {
					cfg.Convert = append(cfg.Convert, c)
				}
			}
			// The writer benchmark opens the store as serve does.
			cfg.WriterStore.Open = func(ctx context.Context, dsn string) (store.Store, error) { return sqlstore.Open(ctx, dsn) }
			if cfg.WriterStore.Postgres == "" {
				cfg.WriterStore.Postgres = os.Getenv("KEYGATE_TEST_POSTGRES")
			}
			cmd.SilenceUsage = true // a failed child is not a usage error
			if soak.Duration > 0 {
				return bench.Soak(cmd.Context(), cfg, soak, cmd.OutOrStdout())
			}
			return bench.Run(cmd.Context(), cfg, cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.DurationVar(&cfg.Duration, "duration", cfg.Duration, "load duration per target per round")
	f.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "concurrent requests per target")
	f.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "rounds; each runs every target once, alternating")
	f.BoolVar(&cfg.Stream, "stream", cfg.Stream, "stream answers (SSE) and report time to first byte")
	f.DurationVar(&cfg.ChunkDelay, "chunk-delay", cfg.ChunkDelay, "the mock upstream's pause between stream chunks (with --stream)")
	f.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "warm-up per target before the first round")
	f.StringVar(&targets, "targets", strings.Join(cfg.Targets, ","), "targets to measure: proxy, gateway or both")
	f.DurationVar(&cfg.StartTimeout, "start-timeout", cfg.StartTimeout, "how long each child may take to become ready")
	f.BoolVar(&cfg.KeepTemp, "keep-temp", false, "keep the temp directory with the children's logs and database")
	f.StringVar(&convert, "convert", "", "also measure converted paths on the gateway, against its pass-through: anthropic, gemini, messages (comma-separated)")
	f.IntVar(&cfg.OpenStreams, "open-streams", 0, "instead of throughput, hold this many slow streams open through each target and report the memory they cost")
	f.BoolVar(&cfg.Check, "check", false, "run every measurement issue 20 has a target for (plain and streamed, converted paths, TTFB at concurrency 10, 1,000 and 5,000 open streams) and print each target's verdict")
	f.DurationVar(&soak.Duration, "soak", 0, "instead of rounds, load the gateway alone for this long (10s to 2h) and report whether its memory and goroutines stay flat")
	f.DurationVar(&soak.Every, "soak-every", 5*time.Second, "with --soak, how often to sample the gateway's resident set, goroutines and heap")
	f.BoolVar(&cfg.Writer, "writer", false, "instead of rounds, measure the request log writer's rows/s into a fresh SQLite file and, with --postgres, a fresh PostgreSQL schema, and count the rows stored")
	f.IntVar(&cfg.WriterStore.Rows, "writer-rows", bench.DefaultWriterRows, "with --writer or --check, rows written into each store")
	f.StringVar(&cfg.WriterStore.Postgres, "postgres", "", "with --writer or --check, a PostgreSQL server to measure the writer on (a schema is created and dropped; default KEYGATE_TEST_POSTGRES)")
	f.StringVar(&cfg.Pprof, "pprof", "", "serve the gateway's profiler on this loopback address (KEYGATE_PPROF), e.g. 127.0.0.1:6060")
	return cmd
}

// newBenchProxyCmd is the bare reverse proxy that `keygate bench` starts as
// its baseline. It is hidden: it has no use outside the benchmark.
func newBenchProxyCmd() *cobra.Command {
	var listen, upstream string
	cmd := &cobra.Command{
		Use:    "bench-proxy",
		Short:  "Bare reverse proxy used as the benchmark baseline",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u, err := url.Parse(upstream)
			if err != nil || u.Scheme == "" || u.Host == "" {
				return fmt.Errorf("bench-proxy: --upstream %q: want an absolute URL such as http://127.0.0.1:9090", upstream)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("bench-proxy: listen on %s: %w", listen, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "bench proxy listening on %s, forwarding to %s\n", ln.Addr(), u)
			return bench.ServeProxy(cmd.Context(), ln, u)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:0", "address to listen on")
	cmd.Flags().StringVar(&upstream, "upstream", "", "upstream base URL (scheme://host:port)")
	return cmd
}
