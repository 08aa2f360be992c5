package sqlstore

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
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
