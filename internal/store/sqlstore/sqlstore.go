// Package sqlstore implements store.Store on database/sql for both SQLite
// (modernc.org/sqlite, pure Go) and PostgreSQL (pgx). The SQL is written once
// with '?' placeholders and rebound for PostgreSQL, so no feature exists on
// only one engine.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/migrations"
)

// Dialect names the SQL engine.
type Dialect int

const (
	SQLite Dialect = iota
	Postgres
)

// Store is a store.Store over database/sql.
type Store struct {
	dialect Dialect
	// SQLite allows one writer at a time: a dedicated single-connection pool
	// for writes removes SQLITE_BUSY between our own writers, while reads use
	// their own pool and WAL lets them run beside the writer.
	write *sql.DB
	read  *sql.DB
	logs  logStmts // the request log insert's connection (logs.go)
	path  string   // SQLite: the database file
	// w and r run the statements: the pools, or, in a store bound to a
	// transaction (Tx), that transaction for both.
	w, r querier
	tx   *sql.Tx // set in a store bound to a transaction
}

// querier is what statements run on: a pool or a transaction.
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// txn is a transaction opened by one method (begin); inside Tx it is the
// surrounding transaction, committed or rolled back by Tx alone.
type txn interface {
	querier
	Commit() error
	Rollback() error
}

type nested struct{ *sql.Tx }

func (nested) Commit() error   { return nil }
func (nested) Rollback() error { return nil }

func (s *Store) begin(ctx context.Context) (txn, error) {
	if s.tx != nil {
		return nested{s.tx}, nil
	}
	return s.write.BeginTx(ctx, nil)
}

// Lock implements store.Store. PostgreSQL takes a transaction-scoped
// advisory lock; SQLite needs none, since a transaction holds the one write
// lock (BEGIN IMMEDIATE) from its start.
func (s *Store) Lock(ctx context.Context, name string) error {
	if s.tx == nil {
		return fmt.Errorf("lock %q: not inside a transaction", name)
	}
	if s.dialect != Postgres {
		return nil
	}
	if _, err := s.tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, name); err != nil {
		return fmt.Errorf("lock %q: %w", name, err)
	}
	return nil
}

// Tx implements store.Store: fn's calls on tx run in one transaction on the
// write connection, committed when fn returns nil and rolled back
// otherwise. Reads inside it see its own writes. A Tx inside a Tx joins it.
func (s *Store) Tx(ctx context.Context, fn func(tx store.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	ts := &Store{dialect: s.dialect, write: s.write, read: s.read, w: tx, r: tx, tx: tx}
	if err := fn(ts); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}

var _ store.Store = (*Store)(nil)

// Open opens the database named by a KEYGATE_DATABASE URL —
// "sqlite:PATH" (or a bare path) or "postgres://…" — and applies migrations.
func Open(ctx context.Context, dsn string) (*Store, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn)
	case strings.HasPrefix(dsn, "sqlite:"):
		return openSQLite(ctx, strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//"))
	case strings.Contains(dsn, "://"):
		return nil, fmt.Errorf("open database %q: unsupported scheme; use sqlite:PATH or postgres://USER@HOST/DB", RedactDSN(dsn))
	default:
		return openSQLite(ctx, dsn)
	}
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("open sqlite: empty path; use sqlite:keygate.db")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("open sqlite %s: create directory: %w", path, err)
		}
	}
	params := "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	// Request log batches, the one write that needs a large page cache,
	// run on a connection of their own (litelog.go): the pools keep
	// SQLite's default cache.
	w, err := sql.Open("sqlite", "file:"+path+params)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", "file:"+path+params)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	s := &Store{dialect: SQLite, write: w, read: r, w: w, r: r, path: path}
	if err := s.migrate(ctx, goose.DialectSQLite3, migrations.SQLite()); err != nil {
		s.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	return s, nil
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres %s: %w", RedactDSN(dsn), err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{dialect: Postgres, write: db, read: db, w: db, r: db}
	if err := s.migrate(ctx, goose.DialectPostgres, migrations.Postgres()); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres %s: %w", RedactDSN(dsn), err)
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context, d goose.Dialect, fsys fs.FS) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	// Out of order: migrations numbered in parallel (00011 landed after 00014)
	// still apply to a database that already has the later ones.
	p, err := goose.NewProvider(d, s.write, fsys, goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("prepare migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

// RedactDSN hides the password of a database URL, in its user part or a
// password= parameter, so the URL can be logged or printed. SQLite paths
// are returned as they are.
func RedactDSN(dsn string) string {
	if !strings.Contains(dsn, "://") {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparseable database URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.read.PingContext(ctx) }

// Close closes both pools.
func (s *Store) Close() error {
	s.logs.mu.Lock()
	if s.logs.lite != nil {
		s.logs.lite.close()
		s.logs.lite = nil
	}
	s.logs.closed = true
	s.logs.mu.Unlock()
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// bind rewrites '?' placeholders to $n for PostgreSQL.
func (s *Store) bind(q string) string {
	if s.dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// placeholders returns "?, ?, …" with n marks, for IN lists.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// valueRows returns the VALUES list of a multi-row INSERT: rows tuples of
// cols placeholders each.
func valueRows(cols, rows int) string {
	row := "(" + placeholders(cols) + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return s.w.ExecContext(ctx, s.bind(q), args...)
}

func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.r.QueryContext(ctx, s.bind(q), args...)
}

func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.r.QueryRowContext(ctx, s.bind(q), args...)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

func strs(text string) []string {
	var v []string
	_ = json.Unmarshal([]byte(text), &v)
	return v
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func isUnique(err error) bool {
	if err == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint") || strings.Contains(msg, "SQLSTATE 23505") || strings.Contains(msg, "duplicate key")
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}
