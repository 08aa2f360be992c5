package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// logReaders are the statements that read request_logs, built as the store
// builds them (logQuery, usageQuery) or copied from the method that runs
// them, with the method named.
func logReaders() map[string]struct {
	q    string
	args []any
} {
	since := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	until := since.Add(7 * 24 * time.Hour)
	out := map[string]struct {
		q    string
		args []any
	}{}
	add := func(name, q string, args ...any) {
		out[name] = struct {
			q    string
			args []any
		}{q, args}
	}
	for name, f := range map[string]store.LogFilter{
		"QueryLogs/all":         {},
		"QueryLogs/key":         {KeyID: "key_1"},
		"QueryLogs/key+7d":      {KeyID: "key_1", Since: since, Until: until},
		"QueryLogs/key+code":    {KeyID: "key_1", Code: "key_disabled"},
		"QueryLogs/project+7d":  {Project: "p1", Since: since, Until: until},
		"QueryLogs/projects":    {Projects: []string{"p1", "p2"}},
		"QueryLogs/member":      {Member: "mem_1"},
		"QueryLogs/model+7d":    {Model: "gpt-4o", Since: since, Until: until},
		"QueryLogs/code":        {Code: "rate_limit_exceeded"},
		"QueryLogs/7d":          {Since: since, Until: until},
		"QueryLogs/status+chgd": {Status: 429, Charged: "no"},
	} {
		q, args := logQuery(f)
		add(name, q, args...)
	}
	for name, f := range map[string]store.UsageFilter{
		"UsageReport/7d/by-model":        {Since: since, Until: until, GroupBy: []string{"model"}},
		"UsageReport/key+7d/by-day":      {KeyID: "key_1", Since: since, Until: until, GroupBy: []string{"day"}},
		"UsageReport/project+7d/by-key":  {Project: "p1", Since: since, Until: until, GroupBy: []string{"key"}},
		"UsageReport/projects+7d":        {Projects: []string{"p1", "p2"}, Since: since, Until: until},
		"UsageReport/member+7d/by-model": {Member: "mem_1", Since: since, Until: until, GroupBy: []string{"model"}},
		"UsageReport/model+7d/by-member": {Model: "gpt-4o", Since: since, Until: until, GroupBy: []string{"member"}},
		"UsageReport/env+7d/by-project":  {Env: "live", Since: since, Until: until, GroupBy: []string{"project"}},
	} {
		q, args := usageQuery(f, false)
		add(name, q, args...)
	}
	add("GetLog", `SELECT `+logCols+` FROM request_logs WHERE request_id = ?`, "req_1")
	add("chargeLogs/stored", `SELECT request_id FROM request_logs WHERE request_id IN (?, ?, ?)`, "req_1", "req_2", "req_3")
	add("AggregateKeyLogs/totals", `SELECT COUNT(*), COUNT(CASE WHEN error_code IN (?, ?) THEN 1 END), COALESCE(SUM(cost_usd), 0),
 COALESCE(MIN(time), 0), COALESCE(MAX(time), 0) FROM request_logs WHERE key_id = ? AND time >= ? AND time < ?`,
		"key_disabled", "key_rotated", "key_1", ms(since), ms(until))
	add("AggregateKeyLogs/by-source", `SELECT source_ip, COUNT(*), COUNT(CASE WHEN error_code IN (?, ?) THEN 1 END),
 COALESCE(SUM(cost_usd), 0), COALESCE(MIN(time), 0), COALESCE(MAX(time), 0) FROM request_logs WHERE key_id = ? AND time >= ?
 GROUP BY source_ip ORDER BY 2 DESC, 1 LIMIT 200`, "key_disabled", "key_rotated", "key_1", ms(since))
	add("RotationUsage/clients", `SELECT source_ip, user_agent, client, COUNT(CASE WHEN key_id = ? THEN 1 END),
 COALESCE(MAX(CASE WHEN key_id = ? THEN time END), 0) FROM request_logs WHERE key_id IN (?, ?) AND time >= ?
 GROUP BY source_ip, user_agent, client ORDER BY 4 DESC LIMIT ?`, "key_1", "key_2", "key_1", "key_2", ms(since), 500)
	add("RotationUsage/refused", `SELECT `+logCols+` FROM request_logs WHERE key_id = ? AND time >= ? AND error_code IN (?, ?)
 ORDER BY time DESC, request_id DESC LIMIT ?`, "key_1", ms(since), "key_rotated", "key_disabled", 50)
	add("RollupLogs/oldest", `SELECT MIN(time) FROM request_logs WHERE time < ?`, ms(since))
	add("RollupLogs/window", `SELECT project, key_id, member, model, MAX(key_display), COUNT(*), SUM(input_tokens)
 FROM request_logs WHERE time >= ? AND time < ? GROUP BY project, key_id, member, model`, ms(since), ms(until))
	add("RollupLogs/delete", `DELETE FROM request_logs WHERE time >= ? AND time < ?`, ms(since), ms(until))
	add("FinishJob/log", `UPDATE request_logs SET cost_usd = ?, charged = ? WHERE request_id = ?`, 0.5, "yes", "req_1")
	return out
}

// Every statement that reads request_logs finds its rows through an index
// (or, unfiltered, walks the time index in the order it returns): none
// reads the whole table, on either store. The plans are logged, so a
// change of indexes shows what it changes (go test -v -run LogReadersUseIndexes).
func TestLogReadersUseIndexes(t *testing.T) {
	dsns := map[string]string{"sqlite": "sqlite:" + t.TempDir() + "/plans.db"}
	if pg := os.Getenv("KEYGATE_TEST_POSTGRES"); pg != "" {
		dsns["postgres"] = freshSchema(t, pg)
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st, err := Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			conn, err := st.write.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if st.dialect == Postgres {
				// An empty table is cheapest to read whole; forbid that, so
				// the plan shows whether an index can serve the statement.
				if _, err := conn.ExecContext(ctx, `SET enable_seqscan = off`); err != nil {
					t.Fatal(err)
				}
			}
			var plans []string
			defer func() { sort.Strings(plans); t.Log("query plans:\n" + strings.Join(plans, "\n")) }()
			for name, r := range logReaders() {
				explain := `EXPLAIN QUERY PLAN `
				if st.dialect == Postgres {
					explain = `EXPLAIN (COSTS OFF) `
				}
				rows, err := conn.QueryContext(ctx, st.bind(explain+r.q), r.args...)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				cols, _ := rows.Columns()
				var plan []string
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						t.Fatal(err)
					}
					line := vals[len(vals)-1]
					if b, ok := line.([]byte); ok {
						line = string(b)
					}
					plan = append(plan, strings.TrimSpace(line.(string)))
				}
				rows.Close()
				text := strings.Join(plan, " | ")
				plans = append(plans, fmt.Sprintf("%-32s %s", name, text))
				for _, l := range plan {
					if l == "SCAN request_logs" || strings.HasPrefix(l, "Seq Scan on request_logs") {
						t.Errorf("%s reads the whole of request_logs: %s", name, text)
					}
				}
			}
		})
	}
}

// freshSchema is testgw.FreshSchema for this package's own tests (testgw
// imports the store).
func freshSchema(t *testing.T, dsn string) string {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("kgplan_%d", time.Now().UnixNano())
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		db.Close()
		t.Fatalf("KEYGATE_TEST_POSTGRES refuses CREATE SCHEMA: %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		db.Close()
	})
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + "search_path=" + schema
}

// The SQLite batch INSERT is OR IGNORE (liteInsertSQL), which would also
// skip a row that broke a CHECK, a NOT NULL or a foreign key: request_logs
// must keep having none of those a stored row can break, so the only row it
// skips is one whose request id is stored already. A migration that adds
// one fails here and must change liteInsertSQL back to ON CONFLICT
// (request_id) DO NOTHING.
func TestLiteLogInsertIgnoresOnlyKnownIDs(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, "sqlite:"+t.TempDir()+"/ignore.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ddl string
	if err := st.read.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'request_logs'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	up := strings.ToUpper(ddl)
	for _, c := range []string{"CHECK", "REFERENCES", "FOREIGN KEY"} {
		if strings.Contains(up, c) {
			t.Fatalf("request_logs has a %s constraint, which INSERT OR IGNORE would silently skip rows for:\n%s", c, ddl)
		}
	}
	// Every column is NOT NULL with a default or given by appendLogValues,
	// which never passes a NULL.
	var row [logColCount]driver.NamedValue
	for i, v := range appendLogValues(row[:0], &store.RequestLog{}) {
		if v.Value == nil {
			t.Fatalf("appendLogValues passes NULL for column %d (%s)", i+1, logColNames[i])
		}
	}
	rows := []store.RequestLog{{RequestID: "req_a", Time: time.Now()}, {RequestID: "req_b", Time: time.Now()}}
	if err := st.InsertLogs(ctx, rows); err != nil {
		t.Fatal(err)
	}
	rows = append(rows, store.RequestLog{RequestID: "req_c", Time: time.Now()}) // two known, one new
	if err := st.InsertLogs(ctx, rows); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.read.QueryRowContext(ctx, `SELECT count(*) FROM request_logs`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("%d rows, want 3: known ids skipped, the new one stored", n)
	}
}
