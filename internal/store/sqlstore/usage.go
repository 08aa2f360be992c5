package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/store"
)

const dayMS = int64(24 * time.Hour / time.Millisecond)

// usageDim is one GROUP BY dimension of a usage report: its expression over
// raw request logs and over the rollup.
type usageDim struct{ raw, rollup string }

var usageDims = map[string]usageDim{
	"model":   {"model", "model"},
	"key":     {"key_id", "key_id"},
	"member":  {"member", "member"},
	"project": {"project", "project"},
	// The rollup keeps no environment: it is the key's, read from the
	// display form's prefix (kg_live_, kg_test_), which never changes.
	"env": {"key_env", rollupEnv},
	"day": {"(time / 86400000) * 86400000", "day"},
}

const rollupEnv = `(CASE SUBSTR(key_display, 1, 8) WHEN 'kg_test_' THEN 'test' WHEN 'kg_live_' THEN 'live' ELSE '' END)`

// UsageReport adds up calls from the raw request logs and from the rollup
// of expired ones. The retention job moves rows from one to the other in a
// single transaction, so no call is counted twice or lost.
func (s *Store) UsageReport(ctx context.Context, f store.UsageFilter) ([]store.UsageRow, error) {
	for _, g := range f.GroupBy {
		if _, ok := usageDims[g]; !ok {
			return nil, fmt.Errorf("usage report: unknown dimension %q (use model, key, member, project, env or day)", g)
		}
	}
	merged := map[string]*store.UsageRow{}
	var order []string
	for _, rollup := range []bool{false, true} {
		q, args := usageQuery(f, rollup)
		rows, err := s.query(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("usage report: %w", err)
		}
		err = func() error {
			defer rows.Close()
			for rows.Next() {
				var r store.UsageRow
				dest := make([]any, 0, len(f.GroupBy)+6)
				var day int64
				for _, g := range f.GroupBy {
					switch g {
					case "model":
						dest = append(dest, &r.Model)
					case "key":
						dest = append(dest, &r.KeyID)
					case "member":
						dest = append(dest, &r.Member)
					case "project":
						dest = append(dest, &r.Project)
					case "env":
						dest = append(dest, &r.Env)
					case "day":
						dest = append(dest, &day)
					}
				}
				var display sql.NullString
				dest = append(dest, &display, &r.Requests, &r.Errors, &r.InputTokens, &r.OutputTokens, &r.CostUSD,
					&r.CachedInputTokens, &r.CacheWriteTokens, &r.ReasoningTokens)
				if err := rows.Scan(dest...); err != nil {
					return err
				}
				if slices.Contains(f.GroupBy, "key") {
					r.KeyDisplay = display.String
				}
				if slices.Contains(f.GroupBy, "day") {
					r.Day = time.UnixMilli(day).UTC()
				}
				if r.Requests == 0 {
					continue
				}
				k := fmt.Sprintf("%s\x00%s\x00%s\x00%s\x00%s\x00%d", r.Model, r.KeyID, r.Member, r.Project, r.Env, day)
				if m, ok := merged[k]; ok {
					m.Requests += r.Requests
					m.Errors += r.Errors
					m.InputTokens += r.InputTokens
					m.OutputTokens += r.OutputTokens
					m.CachedInputTokens += r.CachedInputTokens
					m.CacheWriteTokens += r.CacheWriteTokens
					m.ReasoningTokens += r.ReasoningTokens
					m.CostUSD += r.CostUSD
					if m.KeyDisplay == "" {
						m.KeyDisplay = r.KeyDisplay
					}
					continue
				}
				merged[k] = &r
				order = append(order, k)
			}
			return rows.Err()
		}()
		if err != nil {
			return nil, fmt.Errorf("usage report: %w", err)
		}
	}
	out := make([]store.UsageRow, 0, len(order))
	for _, k := range order {
		out = append(out, *merged[k])
	}
	byDay := slices.Contains(f.GroupBy, "day")
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if byDay && !a.Day.Equal(b.Day) {
			return a.Day.Before(b.Day)
		}
		if a.CostUSD != b.CostUSD {
			return a.CostUSD > b.CostUSD
		}
		if a.Requests != b.Requests {
			return a.Requests > b.Requests
		}
		return a.Model+a.KeyID+a.Member+a.Project+a.Env < b.Model+b.KeyID+b.Member+b.Project+b.Env
	})
	return out, nil
}

// detailSums adds up the token details, which request_logs and
// usage_rollup name alike.
const detailSums = `COALESCE(CAST(SUM(cached_input_tokens) AS BIGINT), 0), COALESCE(CAST(SUM(cache_write_tokens) AS BIGINT), 0),
 COALESCE(CAST(SUM(reasoning_tokens) AS BIGINT), 0)`

// usageQuery builds the grouped query over request_logs or usage_rollup.
func usageQuery(f store.UsageFilter, rollup bool) (string, []any) {
	var sel, group []string
	for _, g := range f.GroupBy {
		d := usageDims[g]
		e := d.raw
		if rollup {
			e = d.rollup
		}
		sel = append(sel, e)
		group = append(group, e)
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	for _, e := range sel {
		b.WriteString(e)
		b.WriteString(", ")
	}
	if rollup {
		b.WriteString(`MAX(key_display), COALESCE(CAST(SUM(requests) AS BIGINT), 0), COALESCE(CAST(SUM(errors) AS BIGINT), 0),
 COALESCE(CAST(SUM(input_tokens) AS BIGINT), 0), COALESCE(CAST(SUM(output_tokens) AS BIGINT), 0), COALESCE(SUM(cost_usd), 0),
 ` + detailSums + ` FROM usage_rollup WHERE 1=1`)
	} else {
		b.WriteString(`MAX(key_display), COUNT(*), COALESCE(CAST(SUM(CASE WHEN error_code <> '' THEN 1 ELSE 0 END) AS BIGINT), 0),
 COALESCE(CAST(SUM(input_tokens) AS BIGINT), 0), COALESCE(CAST(SUM(output_tokens) AS BIGINT), 0), COALESCE(SUM(cost_usd), 0),
 ` + detailSums + ` FROM request_logs WHERE 1=1`)
	}
	var args []any
	add := func(cond string, v any) { b.WriteString(" AND " + cond); args = append(args, v) }
	if f.Project != "" {
		add("project = ?", f.Project)
	}
	if len(f.Projects) > 0 {
		b.WriteString(" AND project IN (" + placeholders(len(f.Projects)) + ")")
		for _, p := range f.Projects {
			args = append(args, p)
		}
	}
	if f.KeyID != "" {
		add("key_id = ?", f.KeyID)
	}
	if f.Member != "" {
		add("member = ?", f.Member)
	}
	if f.Model != "" {
		add("model = ?", f.Model)
	}
	if f.Env != "" {
		if rollup {
			add(rollupEnv+" = ?", f.Env)
		} else {
			add("key_env = ?", f.Env)
		}
	}
	if rollup {
		// A rolled-up day is whole: it is in the report when it starts
		// inside [floor(Since), Until).
		if !f.Since.IsZero() {
			since := ms(f.Since)
			add("day >= ?", since-since%dayMS)
		}
		if !f.Until.IsZero() {
			add("day < ?", ms(f.Until))
		}
	} else {
		if !f.Since.IsZero() {
			add("time >= ?", ms(f.Since))
		}
		if !f.Until.IsZero() {
			add("time < ?", ms(f.Until))
		}
	}
	if len(group) > 0 {
		b.WriteString(" GROUP BY " + strings.Join(group, ", "))
	}
	return b.String(), args
}

// rollupStep is how much of the log one RollupLogs transaction moves: an
// hour keeps each write transaction short, so the log writer never waits
// long behind the retention job.
const rollupStep = int64(time.Hour / time.Millisecond)

// RollupLogs folds request logs older than before into usage_rollup and
// deletes them, an hour of logs per transaction, oldest first. Rows that
// arrive late for an already rolled-up day are added to that day's totals.
func (s *Store) RollupLogs(ctx context.Context, before time.Time) (store.RollupResult, error) {
	var res store.RollupResult
	cut := ms(before)
	lastDay := int64(-1)
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		var oldest sql.NullInt64
		// Read on the write pool: the previous step's delete must be seen.
		if err := s.write.QueryRowContext(ctx, s.bind(`SELECT MIN(time) FROM request_logs WHERE time < ?`), cut).Scan(&oldest); err != nil {
			return res, fmt.Errorf("roll up request logs before %s: %w", before.UTC().Format(time.RFC3339), err)
		}
		if !oldest.Valid {
			return res, nil
		}
		day := oldest.Int64 - oldest.Int64%dayMS
		from := oldest.Int64 - oldest.Int64%rollupStep
		to := min(from+rollupStep, cut)
		n, err := s.rollupWindow(ctx, day, from, to)
		if err != nil {
			return res, fmt.Errorf("roll up request logs of %s: %w", time.UnixMilli(from).UTC().Format(time.RFC3339), err)
		}
		res.Rows += n
		if day != lastDay {
			res.Days++
			lastDay = day
		}
	}
}

func (s *Store) rollupWindow(ctx context.Context, day, from, to int64) (int64, error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	if s.dialect == Postgres {
		// Several instances may run retention at once: one at a time, so no
		// row is added to the rollup twice (SQLite's write lock does this).
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7342001)`); err != nil {
			return 0, err
		}
	}
	if _, err := tx.ExecContext(ctx, s.bind(`INSERT INTO usage_rollup
 (day, project, key_id, member, model, key_display, requests, errors, input_tokens, output_tokens, cost_usd,
 cached_input_tokens, cache_write_tokens, reasoning_tokens)
 SELECT ?, project, key_id, member, model, MAX(key_display), COUNT(*), SUM(CASE WHEN error_code <> '' THEN 1 ELSE 0 END),
 SUM(input_tokens), SUM(output_tokens), SUM(cost_usd), SUM(cached_input_tokens), SUM(cache_write_tokens), SUM(reasoning_tokens)
 FROM request_logs WHERE time >= ? AND time < ? GROUP BY project, key_id, member, model
 ON CONFLICT (day, project, key_id, member, model) DO UPDATE SET
 key_display = excluded.key_display, requests = usage_rollup.requests + excluded.requests,
 errors = usage_rollup.errors + excluded.errors, input_tokens = usage_rollup.input_tokens + excluded.input_tokens,
 output_tokens = usage_rollup.output_tokens + excluded.output_tokens, cost_usd = usage_rollup.cost_usd + excluded.cost_usd,
 cached_input_tokens = usage_rollup.cached_input_tokens + excluded.cached_input_tokens,
 cache_write_tokens = usage_rollup.cache_write_tokens + excluded.cache_write_tokens,
 reasoning_tokens = usage_rollup.reasoning_tokens + excluded.reasoning_tokens`),
		day, from, to); err != nil {
		return 0, err
	}
	del, err := tx.ExecContext(ctx, s.bind(`DELETE FROM request_logs WHERE time >= ? AND time < ?`), from, to)
	if err != nil {
		return 0, err
	}
	n, err := del.RowsAffected()
	if err != nil {
		return 0, err
	}
	return n, tx.Commit()
}
