package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/migrations"
)

// A database at migration 00016 holding request logs upgrades to 00017
// (request_logs_key_code dropped) with every row and every reader intact,
// and goes back down again, on both stores.
func TestMigration17KeepsRowsAndReaders(t *testing.T) {
	type engine struct {
		driver, src, dsn string
		dialect          goose.Dialect
		fsys             fs.FS
	}
	path := filepath.Join(t.TempDir(), "m17.db")
	engines := map[string]engine{"sqlite": {"sqlite", "file:" + path, "sqlite:" + path, goose.DialectSQLite3, migrations.SQLite()}}
	if pg := os.Getenv("KEYGATE_TEST_POSTGRES"); pg != "" {
		dsn := freshSchema(t, pg)
		engines["postgres"] = engine{"pgx", dsn, dsn, goose.DialectPostgres, migrations.Postgres()}
	}
	for name, e := range engines {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, err := sql.Open(e.driver, e.src)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			p, err := goose.NewProvider(e.dialect, db, e.fsys, goose.WithAllowOutofOrder(true))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 16); err != nil {
				t.Fatalf("migrate to 00016: %v", err)
			}
			bind := func(q string) string { return (&Store{dialect: dialectOf(e.driver)}).bind(q) }
			t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			const n = 300
			for i := range n {
				code := ""
				if i%3 == 0 {
					code = "key_disabled"
				}
				if _, err := db.ExecContext(ctx, bind(`INSERT INTO request_logs (request_id, time, key_id, project, member, model, status, error_code, cost_usd)
 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`), fmt.Sprintf("req_m17_%04d", i), t0.Add(time.Duration(i)*time.Minute).UnixMilli(),
					fmt.Sprintf("key_%d", i%5), "p1", "mem_1", "gpt-4o", 200, code, 0.25); err != nil {
					t.Fatal(err)
				}
			}
			if !hasIndex(t, db, e.driver, "request_logs_key_code") {
				t.Fatal("at 00016 request_logs_key_code should exist")
			}

			st, err := Open(ctx, e.dsn) // applies 00017
			if err != nil {
				t.Fatalf("open (migrate up): %v", err)
			}
			defer st.Close()
			if hasIndex(t, db, e.driver, "request_logs_key_code") {
				t.Fatal("00017 should drop request_logs_key_code")
			}
			if !hasIndex(t, db, e.driver, "request_logs_key_time") {
				t.Fatal("00017 must keep request_logs_key_time")
			}
			count := func() int {
				var c int
				if err := db.QueryRowContext(ctx, `SELECT count(*) FROM request_logs`).Scan(&c); err != nil {
					t.Fatal(err)
				}
				return c
			}
			if c := count(); c != n {
				t.Fatalf("%d rows after the upgrade, want %d", c, n)
			}
			got, err := st.QueryLogs(ctx, store.LogFilter{KeyID: "key_2", Code: "key_disabled", Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			for i := range n {
				if i%5 == 2 && i%3 == 0 {
					want++
				}
			}
			if len(got) != want {
				t.Fatalf("key_2's refused calls: %d, want %d", len(got), want)
			}
			agg, err := st.AggregateKeyLogs(ctx, store.LogWindow{KeyID: "key_2", Since: t0, Until: t0.Add(24 * time.Hour), Refused: []string{"key_disabled"}})
			if err != nil {
				t.Fatal(err)
			}
			if agg.Requests != n/5 || agg.Refused != want {
				t.Fatalf("aggregate of key_2: %d requests, %d refused; want %d, %d", agg.Requests, agg.Refused, n/5, want)
			}
			// A replayed row is still skipped: request_id stays unique.
			dup := store.RequestLog{RequestID: "req_m17_0007", Time: t0, KeyID: "key_2", Status: 200}
			if err := st.InsertLogs(ctx, []store.RequestLog{dup}); err != nil {
				t.Fatal(err)
			}
			if c := count(); c != n {
				t.Fatalf("a known request id was stored again: %d rows", c)
			}

			if _, err := p.DownTo(ctx, 16); err != nil {
				t.Fatalf("migrate down to 00016: %v", err)
			}
			if !hasIndex(t, db, e.driver, "request_logs_key_code") {
				t.Fatal("down from 00017 should restore request_logs_key_code")
			}
			if c := count(); c != n {
				t.Fatalf("%d rows after the downgrade, want %d", c, n)
			}
		})
	}
}

func dialectOf(driver string) Dialect {
	if driver == "pgx" {
		return Postgres
	}
	return SQLite
}

func hasIndex(t *testing.T, db *sql.DB, driver, name string) bool {
	t.Helper()
	q := `SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?`
	if driver == "pgx" {
		q = `SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema() AND indexname = $1`
	}
	var c int
	if err := db.QueryRow(q, name).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c == 1
}
