package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/logwriter"
	"github.com/keygate/keygate/internal/store"
)

// Issue 20's target for the request log writer, on each store.
const minWriterRate = 50_000 // rows/s, with 0 rows lost

// gatewayLogQueue is the gateway's default request log queue
// (config.Defaults' LogQueueSize).
const gatewayLogQueue = 65536

// WriterOptions describe `keygate bench --writer`: the gateway's own
// request log writer (logwriter, with the spool, as `serve` starts it)
// into a fresh SQLite file and, when a PostgreSQL server is named, a fresh
// schema on it, dropped afterwards.
type WriterOptions struct {
	// Rows written into each store.
	Rows int
	// Postgres is the DSN of a server to measure as well ("": SQLite only).
	Postgres string
	// Open opens a store as the gateway does (sqlstore.Open, migrations
	// included): the concrete store is the wiring's to import, so the CLI
	// passes it in.
	Open func(ctx context.Context, dsn string) (store.Store, error)
	// TempDir is the parent of the run's SQLite file and spool ("" = the
	// system default).
	TempDir string
}

// DefaultWriterRows is --writer-rows' default: about four seconds of the
// target rate, enough for many full batches and several WAL checkpoints.
const DefaultWriterRows = 200_000

// writerResult is the writer's measurement into one store.
type writerResult struct {
	store        string // "sqlite" or "postgres"
	rows         int    // written
	stored       int64  // counted in the table afterwards
	elapsed      time.Duration
	cpu          time.Duration // this process's CPU over the run (writer, driver, the loop writing rows)
	cpuOK        bool
	backpressure uint64
	err          error
}

func (r writerResult) rate() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.rows) / r.elapsed.Seconds()
}

func (r writerResult) lost() int64 { return int64(r.rows) - r.stored }

// RunWriter measures the request log writer into each store and prints
// rows/s, rows lost and CPU per row.
func RunWriter(ctx context.Context, o WriterOptions, out io.Writer) error {
	res, err := measureWriter(ctx, o, out)
	reportWriter(out, o, res)
	return err
}

func (o WriterOptions) validate() error {
	if o.Rows < 1000 || o.Rows > 100_000_000 {
		return fmt.Errorf("writer rows %d: want 1,000 to 100,000,000", o.Rows)
	}
	if o.Open == nil {
		return errors.New("no store opener for the writer benchmark")
	}
	if o.Postgres != "" && !strings.HasPrefix(o.Postgres, "postgres://") && !strings.HasPrefix(o.Postgres, "postgresql://") {
		return errors.New("--postgres: want a postgres:// URL")
	}
	return nil
}

// measureWriter runs the writer into SQLite, then PostgreSQL when named.
// A store that fails is reported with its error; the other still runs.
func measureWriter(ctx context.Context, o WriterOptions, out io.Writer) ([]writerResult, error) {
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	dir, err := os.MkdirTemp(o.TempDir, "keygate-bench-writer-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(out, "request log writer: %d rows into each store through logwriter with the gateway's defaults (spool on, queue %d)\n", o.Rows, gatewayLogQueue)
	var res []writerResult
	var errs []error
	sqlitePath := filepath.Join(dir, "writer.db")
	r := writerRun(ctx, o, "sqlite", "sqlite:"+sqlitePath, filepath.Join(dir, "writer.db.logspool"),
		func(ctx context.Context) (int64, error) { return countRows(ctx, "sqlite", "file:"+sqlitePath) })
	res = append(res, r)
	if r.err != nil {
		errs = append(errs, fmt.Errorf("sqlite: %w", r.err))
	}
	if o.Postgres != "" && ctx.Err() == nil {
		dsn, drop, err := freshPostgresSchema(ctx, o.Postgres)
		if err != nil {
			r = writerResult{store: "postgres", rows: o.Rows, err: err}
		} else {
			r = writerRun(ctx, o, "postgres", dsn, filepath.Join(dir, "writer-pg.logspool"),
				func(ctx context.Context) (int64, error) { return countRows(ctx, "pgx", dsn) })
			drop()
		}
		res = append(res, r)
		if r.err != nil {
			errs = append(errs, fmt.Errorf("postgres: %w", r.err))
		}
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("bench: writer: %w", errors.Join(errs...))
	}
	return res, nil
}

// writerRun writes o.Rows rows through a spooled writer into the store at
// dsn. The clock runs from the first Write until Close has stored the last
// row; the rows are then counted in the table over a connection of its own.
func writerRun(ctx context.Context, o WriterOptions, name, dsn, spool string, count func(context.Context) (int64, error)) writerResult {
	res := writerResult{store: name, rows: o.Rows}
	st, err := o.Open(ctx, dsn)
	if err != nil {
		res.err = err
		return res
	}
	defer st.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	w, err := logwriter.NewSpooled(ctx, st, quiet, gatewayLogQueue, spool)
	if err != nil {
		res.err = err
		return res
	}
	rows := benchLogRows(name == "postgres")
	cpu0, cpuErr := processCPU(os.Getpid())
	t0 := time.Now()
	for i := 0; i < o.Rows; i++ {
		r := rows[i%len(rows)]
		r.RequestID = ids.Request()
		r.Time = t0.Add(time.Duration(i) * 10 * time.Microsecond)
		if r.Spend.Hold != "" {
			r.Spend.Hold = "hold_" + r.RequestID
		}
		w.Write(r)
		if i%4096 == 0 && ctx.Err() != nil {
			break
		}
	}
	if err := w.Close(context.WithoutCancel(ctx)); err != nil {
		res.err = err
		return res
	}
	res.elapsed = time.Since(t0)
	cpu1, cpuErr1 := processCPU(os.Getpid())
	res.cpu, res.cpuOK = cpu1-cpu0, cpuErr == nil && cpuErr1 == nil
	res.backpressure = w.Backpressure()
	if ctx.Err() != nil {
		res.err = ctx.Err()
		return res
	}
	if res.stored, err = count(context.WithoutCancel(ctx)); err != nil {
		res.err = fmt.Errorf("count the stored rows: %w", err)
		return res
	}
	if d := w.Dropped(); d > 0 {
		res.err = fmt.Errorf("the writer dropped %d rows", d)
	}
	return res
}

// benchLogRows are the rows the writer benchmark cycles through: a
// gateway's traffic over 100 keys in 10 projects, 20 members and 3 models,
// every row with its spend on a key and a project budget (as the ledger
// settles it; on PostgreSQL the database ledger's hold too), so the
// indexes see many insertion points and the spend goes in with the rows.
func benchLogRows(holds bool) []store.RequestLog {
	models := []string{"gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet"}
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	rows := make([]store.RequestLog, 1000)
	for i := range rows {
		k := i % 100
		key, project := "key_bench"+strconv.Itoa(k), "bench_"+strconv.Itoa(k%10)
		in, outTok := 100+i%900, 20+i%300
		r := store.RequestLog{
			KeyID: key, KeyDisplay: "kg_live_7HqK…p2Xe", KeyEnv: "live", Project: project, Member: "mem_" + strconv.Itoa(k%20),
			Group: "default", Model: models[i%3], ModelServed: models[i%3], Channel: "mock", RequestType: "chat", Stream: i%2 == 0,
			Status: 200, InputTokens: in, OutputTokens: outTok, CostUSD: float64(in)*0.15e-6 + float64(outTok)*0.6e-6, Charged: "yes",
			LatencyMS: 3.2, TTFBMS: 1.1, SourceIP: "10.0.0." + strconv.Itoa(k), UserAgent: "OpenAI/Python 1.55.0", Attempts: 1,
			Route: "/v1/chat/completions",
			Spend: store.Spend{Nano: int64(in)*150 + int64(outTok)*600, Windows: []store.BudgetWindow{
				{Scope: "key", Subject: key, Period: "monthly", Start: start},
				{Scope: "project", Subject: project, Period: "monthly", Start: start},
			}},
		}
		if i%20 == 0 {
			r.Status, r.ErrorCode, r.Charged, r.CostUSD, r.Spend = 429, "rate_limit_exceeded", "no", 0, store.Spend{}
		}
		if holds && r.Spend.Nano != 0 {
			r.Spend.Hold = "hold"
		}
		rows[i] = r
	}
	return rows
}

// countRows counts request_logs over a connection of its own (the drivers
// are registered by the store the binary links).
func countRows(ctx context.Context, driver, src string) (int64, error) {
	db, err := sql.Open(driver, src)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRowContext(ctx, `SELECT count(*) FROM request_logs`).Scan(&n)
	return n, err
}

// freshPostgresSchema creates an empty schema on the server at dsn and
// returns a DSN using it, and a function that drops it.
func freshPostgresSchema(ctx context.Context, dsn string) (string, func(), error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "kgbench_" + hex.EncodeToString(b)
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := db.ExecContext(cctx, "CREATE SCHEMA "+schema); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create a schema for the benchmark on the PostgreSQL server: %w", err)
	}
	drop := func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, _ = db.ExecContext(dctx, "DROP SCHEMA "+schema+" CASCADE")
		db.Close()
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema, drop, nil
}

// reportWriter prints one line per store.
func reportWriter(out io.Writer, o WriterOptions, res []writerResult) {
	fmt.Fprintf(out, "\nrequest log writer (load average %s)\n", loadAverage())
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "store\trows\tseconds\trows/s\tstored\tlost\tcpu µs/row\tbackpressure\t")
	for _, r := range res {
		if r.elapsed == 0 {
			fmt.Fprintf(tw, "%s\t%d\t-\t-\t-\t-\t-\t-\t\n", r.store, r.rows)
			continue
		}
		cpu := "n/a"
		if r.cpuOK {
			cpu = fmt.Sprintf("%.1f", float64(r.cpu.Microseconds())/float64(r.rows))
		}
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.0f\t%d\t%d\t%s\t%d\t\n", r.store, r.rows, r.elapsed.Seconds(), r.rate(), r.stored, r.lost(), cpu, r.backpressure)
	}
	_ = tw.Flush()
	for _, r := range res {
		if r.err != nil {
			fmt.Fprintf(out, "%s: %v\n", r.store, r.err)
		}
	}
	if o.Postgres == "" {
		fmt.Fprintln(out, "postgres: not measured (no --postgres and no KEYGATE_TEST_POSTGRES)")
	}
	fmt.Fprintln(out, "cpu µs/row is this process's (the writer, the driver, the loop writing rows); PostgreSQL's own work is the server's")
}

// writerVerdicts judges the writer target on each store.
func writerVerdicts(res []writerResult) []verdict {
	var vs []verdict
	for _, name := range []string{"sqlite", "postgres"} {
		label := map[string]string{"sqlite": "SQLite", "postgres": "PostgreSQL"}[name]
		vd := verdict{target: fmt.Sprintf("request log writer into %s: ≥ %s rows/s, 0 lost", label, "50,000"), measured: "n/a"}
		for _, r := range res {
			if r.store != name || r.elapsed == 0 || r.stored == 0 {
				continue
			}
			vd.measured = fmt.Sprintf("%.0f rows/s, %d lost", r.rate(), r.lost())
			vd.known, vd.met = true, r.rate() >= minWriterRate && r.lost() == 0 && r.err == nil
		}
		if !vd.known && name == "postgres" {
			vd.measured = "n/a (no --postgres or KEYGATE_TEST_POSTGRES)"
			for _, r := range res {
				if r.store == name && r.err != nil {
					vd.measured = "n/a (" + r.err.Error() + ")"
				}
			}
		}
		vs = append(vs, vd)
	}
	return vs
}
