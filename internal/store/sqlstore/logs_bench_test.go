package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// BenchmarkLogFilter1M shows that the request log stays fast as it grows:
// 1,000,000 rows over 30 days, 1,000 keys and 10 projects on SQLite, then
// the filters the admin API and the usage report run. Each filter must stay
// under 50 ms per query. KEYGATE_BENCH_LOG_ROWS changes the row count.
//
//	go test -run '^$' -bench LogFilter1M -benchtime 200x ./internal/store/sqlstore/
func BenchmarkLogFilter1M(b *testing.B) {
	rows := 1_000_000
	if v := os.Getenv("KEYGATE_BENCH_LOG_ROWS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			b.Fatalf("KEYGATE_BENCH_LOG_ROWS=%q: want a number ≥ 1000", v)
		}
		rows = n
	}
	ctx := context.Background()
	st, err := Open(ctx, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	end := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	start := end.Add(-30 * 24 * time.Hour)
	step := int64(30*24*time.Hour/time.Millisecond) / int64(rows)
	t0 := time.Now()
	// One statement generates the rows inside SQLite: keys are spread over
	// time (7919 is prime), one call in 20 fails.
	_, err = st.write.ExecContext(ctx, `INSERT INTO request_logs
 (request_id, time, key_id, key_display, key_env, project, member, group_name, model, model_served, channel, request_type,
  status, error_code, input_tokens, output_tokens, cost_usd, charged, latency_ms, source_ip, user_agent, attempts, route)
 WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
 SELECT printf('req_%09d', i), ? + i * ?, 'key_' || ((i * 7919) % 1000), 'kg_live_abcd…wxyz', 'live',
  'project_' || ((i * 7919) % 1000 % 10), 'mem_' || ((i * 7919) % 1000 % 50), 'default',
  CASE i % 3 WHEN 0 THEN 'gpt-4o-mini' WHEN 1 THEN 'gpt-4o' ELSE 'claude-3-5-sonnet' END, 'gpt-4o-mini', 'openai', 'chat',
  CASE WHEN i % 20 = 0 THEN 429 ELSE 200 END, CASE WHEN i % 20 = 0 THEN 'rate_limit_exceeded' ELSE '' END,
  100 + i % 900, 20 + i % 300, (100 + i % 900) * 0.00000015 + (20 + i % 300) * 0.0000006, 'yes', 120.5, '10.0.0.1', 'bench', 1, 'chat'
 FROM n`, rows, start.UnixMilli(), step)
	if err != nil {
		b.Fatalf("seed %d rows: %v", rows, err)
	}
	// No ANALYZE: a live gateway's database has none, so neither does this.
	b.Logf("seeded %d request log rows in %s", rows, time.Since(t0).Round(time.Millisecond))

	week := store.LogFilter{KeyID: "key_421", Since: end.Add(-7 * 24 * time.Hour), Until: end}
	cases := []struct {
		name string
		run  func() (int, error)
	}{
		{"logs/key+7d", func() (int, error) { r, err := st.QueryLogs(ctx, week); return len(r), err }},
		{"logs/key+30d/limit1000", func() (int, error) {
			f := week
			f.Since, f.Limit = start, 1000
			r, err := st.QueryLogs(ctx, f)
			return len(r), err
		}},
		{"logs/project+1d", func() (int, error) {
			r, err := st.QueryLogs(ctx, store.LogFilter{Project: "project_3", Since: end.Add(-24 * time.Hour), Until: end})
			return len(r), err
		}},
		{"usage/key+30d/by-day", func() (int, error) {
			r, err := st.UsageReport(ctx, store.UsageFilter{KeyID: "key_421", Since: start, Until: end, GroupBy: []string{"day"}})
			return len(r), err
		}},
		{"usage/key+7d/by-model", func() (int, error) {
			r, err := st.UsageReport(ctx, store.UsageFilter{KeyID: "key_421", Since: week.Since, Until: end, GroupBy: []string{"model"}})
			return len(r), err
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for i := 0; i < b.N; i++ {
				got, err := c.run()
				if err != nil {
					b.Fatal(err)
				}
				n = got
			}
			if n == 0 {
				b.Fatalf("%s found nothing: the fixture is wrong", c.name)
			}
			if per := b.Elapsed() / time.Duration(b.N); per > 50*time.Millisecond {
				b.Errorf("%s took %s per query on %d rows; the budget is 50 ms", c.name, per, rows)
			}
			b.ReportMetric(float64(n), "rows/op")
		})
	}
}

// insertBenchRows are rows like the writer benchmark's (internal/bench):
// 100 keys in 10 projects, 20 members, 3 models, one row in 20 refused
// and unpriced, the others with their spend on a key and a project window.
func insertBenchRows(n int) []store.RequestLog {
	models := []string{"gpt-4o-mini", "gpt-4o", "claude-3-5-sonnet"}
	start := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	rows := make([]store.RequestLog, n)
	for i := range rows {
		k := i % 100
		key, project := "key_bench"+strconv.Itoa(k), "bench_"+strconv.Itoa(k%10)
		in, out := 100+i%900, 20+i%300
		r := store.RequestLog{
			KeyID: key, KeyDisplay: "kg_live_7HqK…p2Xe", KeyEnv: "live", Project: project, Member: "mem_" + strconv.Itoa(k%20),
			Group: "default", Model: models[i%3], ModelServed: models[i%3], Channel: "mock", RequestType: "chat", Stream: i%2 == 0,
			Status: 200, InputTokens: in, OutputTokens: out, CostUSD: float64(in)*0.15e-6 + float64(out)*0.6e-6, Charged: "yes",
			LatencyMS: 3.2, TTFBMS: 1.1, SourceIP: "10.0.0." + strconv.Itoa(k), UserAgent: "OpenAI/Python 1.55.0", Attempts: 1,
			Route: "/v1/chat/completions",
			Spend: store.Spend{Nano: int64(in)*150 + int64(out)*600, Windows: []store.BudgetWindow{
				{Scope: "key", Subject: key, Period: "monthly", Start: start},
				{Scope: "project", Subject: project, Period: "monthly", Start: start},
			}},
		}
		if i%20 == 0 {
			r.Status, r.ErrorCode, r.Charged, r.CostUSD, r.Spend = 429, "rate_limit_exceeded", "no", 0, store.Spend{}
		}
		rows[i] = r
	}
	return rows
}

// BenchmarkInsertLogs stores batches of the log writer's size
// (KEYGATE_BENCH_BATCH, default 4096 rows) with every index of
// request_logs: into a SQLite file, and into a fresh schema on the
// PostgreSQL server KEYGATE_TEST_POSTGRES names (there every charged row
// also settles a hold, as with the database ledger). One op is one batch.
// cpu-µs/row is this process's CPU time (getrusage) per row, which
// suffers less from a loaded machine than rows/s does; on PostgreSQL the
// server's work is not in it.
//
//	go test -run '^$' -bench InsertLogs -benchmem -count 6 ./internal/store/sqlstore/
func BenchmarkInsertLogs(b *testing.B) {
	batch := 4096
	if v := os.Getenv("KEYGATE_BENCH_BATCH"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("KEYGATE_BENCH_BATCH=%q: want a positive number", v)
		}
		batch = n
	}
	b.Run("sqlite", func(b *testing.B) {
		benchInsertLogs(b, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), batch, false)
	})
	if pg := os.Getenv("KEYGATE_TEST_POSTGRES"); pg != "" {
		b.Run("postgres", func(b *testing.B) { benchInsertLogs(b, benchSchema(b, pg), batch, true) })
	}
}

func benchInsertLogs(b *testing.B, dsn string, batch int, holds bool) {
	ctx := context.Background()
	st, err := Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	src := insertBenchRows(1000)
	rows := make([]store.RequestLog, batch)
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	n := 0
	cpu0 := processCPU(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for i := range rows {
			rows[i] = src[n%len(src)]
			rows[i].RequestID = "req_" + fmt.Sprintf("%020d", n)
			rows[i].Time = t0.Add(time.Duration(n) * 10 * time.Microsecond)
			if holds && rows[i].Spend.Nano != 0 {
				rows[i].Spend.Hold = "hold_" + rows[i].RequestID
			}
			n++
		}
		if err := st.InsertLogs(ctx, rows); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := processCPU(b) - cpu0
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/row")
}

// benchSchema creates an empty schema on the PostgreSQL server at dsn,
// dropped when the benchmark ends, and returns a DSN that uses it.
func benchSchema(b *testing.B, dsn string) string {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	schema := "kgbench_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		db.Close()
		b.Fatalf("KEYGATE_TEST_POSTGRES: create a schema: %v", err)
	}
	b.Cleanup(func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// processCPU is the process's user and system CPU time so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
