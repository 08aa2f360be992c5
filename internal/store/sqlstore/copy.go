package sqlstore

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// TableCount is one table's rows in the source and the target of a copy.
type TableCount struct {
	Table  string
	Source int64
	Target int64
}

// Copy copies every table of from into to (a freshly migrated, empty
// database; both at the same migration version), in batches, then counts
// the rows on both sides. Tables are copied column by column by name, so
// the copy works across engines (SQLite → PostgreSQL). It refuses a target
// that already holds rows, so a copy is never merged into live data.
func Copy(ctx context.Context, from, to *Store, progress func(table string, rows int64)) ([]TableCount, error) {
	tables, err := from.tables(ctx)
	if err != nil {
		return nil, fmt.Errorf("list the source's tables: %w", err)
	}
	vf, err := from.version(ctx)
	if err != nil {
		return nil, err
	}
	vt, err := to.version(ctx)
	if err != nil {
		return nil, err
	}
	if vf != vt {
		return nil, fmt.Errorf("the source is at migration %d and the target at %d: run the same keygate version on both", vf, vt)
	}
	for _, t := range tables {
		n, err := to.count(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("the target has no table %s (is it migrated by this keygate version?): %w", t, err)
		}
		if n > 0 {
			return nil, fmt.Errorf("the target is not empty: table %s has %d rows; copy into a fresh database", t, n)
		}
	}
	for _, t := range tables {
		n, err := copyTable(ctx, from, to, t)
		if err != nil {
			return nil, fmt.Errorf("copy table %s: %w", t, err)
		}
		if progress != nil {
			progress(t, n)
		}
	}
	out := make([]TableCount, 0, len(tables))
	var bad []string
	for _, t := range tables {
		s, err := from.count(ctx, t)
		if err != nil {
			return nil, err
		}
		d, err := to.count(ctx, t)
		if err != nil {
			return nil, err
		}
		out = append(out, TableCount{Table: t, Source: s, Target: d})
		if s != d {
			bad = append(bad, fmt.Sprintf("%s: %d in the source, %d in the target", t, s, d))
		}
	}
	if len(bad) > 0 {
		return out, fmt.Errorf("row counts differ after the copy (was the source written to meanwhile? stop the gateway first): %s", strings.Join(bad, "; "))
	}
	return out, nil
}

// tables lists the data tables (not goose's bookkeeping).
func (s *Store) tables(ctx context.Context) ([]string, error) {
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if s.dialect == Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
	}
	rows, err := s.read.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if n != "goose_db_version" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, rows.Err()
}

func (s *Store) version(ctx context.Context) (int64, error) {
	var v int64
	if err := s.read.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read the migration version: %w", err)
	}
	return v, nil
}

func (s *Store) count(ctx context.Context, table string) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(table)).Scan(&n)
	return n, err
}

func (s *Store) columns(ctx context.Context, table string) ([]string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT * FROM `+quoteIdent(table)+` WHERE 1 = 0`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rows.Columns()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

const copyBatch = 200

func copyTable(ctx context.Context, from, to *Store, table string) (int64, error) {
	src, err := from.columns(ctx, table)
	if err != nil {
		return 0, err
	}
	dst, err := to.columns(ctx, table)
	if err != nil {
		return 0, err
	}
	have := map[string]bool{}
	for _, c := range dst {
		have[c] = true
	}
	var cols []string
	for _, c := range src {
		if have[c] {
			cols = append(cols, c)
		}
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = quoteIdent(c)
	}
	list := strings.Join(quoted, ", ")
	rows, err := from.read.QueryContext(ctx, `SELECT `+list+` FROM `+quoteIdent(table))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	tx, err := to.write.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var batch []any
	var n int64
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		k := len(batch) / len(cols)
		q := `INSERT INTO ` + quoteIdent(table) + ` (` + list + `) VALUES ` + valueRows(len(cols), k)
		if _, err := tx.ExecContext(ctx, to.bind(q), batch...); err != nil {
			return err
		}
		batch = batch[:0]
		return nil
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok { // text comes back as bytes from some drivers
				vals[i] = string(b)
			}
		}
		batch = append(batch, vals...)
		n++
		if n%copyBatch == 0 {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	if err := flush(); err != nil {
		return n, err
	}
	return n, tx.Commit()
}
