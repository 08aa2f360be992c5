package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// AggregateKeyLogs summarises one key's request logs in a window: totals,
// and requests, refusals and spend by model, source address, hour and user
// agent. Every query is a plain GROUP BY over the (key_id, time) index, in
// SQL both engines accept (COUNT(CASE…) rather than FILTER, integer division
// of BIGINT milliseconds for hours).
func (s *Store) AggregateKeyLogs(ctx context.Context, w store.LogWindow) (store.LogAggregate, error) {
	var agg store.LogAggregate
	where := ` FROM request_logs WHERE key_id = ?`
	args := []any{w.KeyID}
	if !w.Since.IsZero() {
		where += ` AND time >= ?`
		args = append(args, ms(w.Since))
	}
	if !w.Until.IsZero() {
		where += ` AND time < ?`
		args = append(args, ms(w.Until))
	}
	refused := `1 = 0`
	var refusedArgs []any
	if len(w.Refused) > 0 {
		refused = `error_code IN (` + placeholders(len(w.Refused)) + `)`
		for _, c := range w.Refused {
			refusedArgs = append(refusedArgs, c)
		}
	}
	// The refused codes' placeholders come first in the SELECT list, so
	// their arguments precede the WHERE arguments.
	sel := `COUNT(*), COUNT(CASE WHEN ` + refused + ` THEN 1 END), COALESCE(SUM(cost_usd), 0), COALESCE(MIN(time), 0), COALESCE(MAX(time), 0)`
	all := append(append([]any{}, refusedArgs...), args...)

	var first, last int64
	if err := s.queryRow(ctx, `SELECT `+sel+where, all...).Scan(&agg.Requests, &agg.Refused, &agg.SpendUSD, &first, &last); err != nil {
		return agg, fmt.Errorf("aggregate logs of key %s: %w", w.KeyID, err)
	}
	agg.First, agg.Last = fromMS(first), fromMS(last)
	if agg.Requests == 0 {
		return agg, nil
	}
	group := func(expr string) ([]store.LogGroup, error) {
		q := `SELECT ` + expr + `, ` + sel + where + ` GROUP BY ` + expr + ` ORDER BY 2 DESC, 1 LIMIT 200`
		rows, err := s.query(ctx, q, all...)
		if err != nil {
			return nil, fmt.Errorf("aggregate logs of key %s by %s: %w", w.KeyID, expr, err)
		}
		defer rows.Close()
		var out []store.LogGroup
		for rows.Next() {
			var g store.LogGroup
			var f, l int64
			var v any
			if err := rows.Scan(&v, &g.Requests, &g.Refused, &g.SpendUSD, &f, &l); err != nil {
				return nil, fmt.Errorf("aggregate logs of key %s by %s: %w", w.KeyID, expr, err)
			}
			switch v := v.(type) {
			case string:
				g.Value = v
			case []byte:
				g.Value = string(v)
			case int64:
				g.Value = time.UnixMilli(v * 3_600_000).UTC().Format(time.RFC3339)
			}
			g.First, g.Last = fromMS(f), fromMS(l)
			out = append(out, g)
		}
		return out, rows.Err()
	}
	var err error
	if agg.ByModel, err = group(`model`); err != nil {
		return agg, err
	}
	if agg.ByIP, err = group(`source_ip`); err != nil {
		return agg, err
	}
	if agg.UserAgents, err = group(`user_agent`); err != nil {
		return agg, err
	}
	if agg.ByHour, err = group(`(time / 3600000)`); err != nil {
		return agg, err
	}
	sortHours(agg.ByHour)
	if w.RecentRefused > 0 && len(w.Refused) > 0 {
		q := `SELECT ` + logCols + where + ` AND ` + refused + ` ORDER BY time DESC, request_id DESC LIMIT ?`
		qa := append(append(append([]any{}, args...), refusedArgs...), w.RecentRefused)
		rows, err := s.query(ctx, q, qa...)
		if err != nil {
			return agg, fmt.Errorf("recent refused calls of key %s: %w", w.KeyID, err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanLog(rows)
			if err != nil {
				return agg, fmt.Errorf("recent refused calls of key %s: %w", w.KeyID, err)
			}
			agg.RecentRefused = append(agg.RecentRefused, r)
		}
		if err := rows.Err(); err != nil {
			return agg, err
		}
	}
	return agg, nil
}

// sortHours orders hour buckets oldest first (RFC 3339 UTC strings sort
// chronologically); the query ordered them by volume.
func sortHours(h []store.LogGroup) {
	for i := 1; i < len(h); i++ {
		for j := i; j > 0 && h[j].Value < h[j-1].Value; j-- {
			h[j], h[j-1] = h[j-1], h[j]
		}
	}
}

// ClaimOnce records value under (scope, id) unless a value is already there.
func (s *Store) ClaimOnce(ctx context.Context, scope, id, value string) (string, bool, error) {
	res, err := s.exec(ctx, `INSERT INTO once_marks (scope, id, value, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (scope, id) DO NOTHING`,
		scope, id, value, ms(time.Now()))
	if err != nil {
		return "", false, fmt.Errorf("claim %s %s: %w", scope, id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return value, true, nil
	}
	var got string
	// Read on the write pool: the conflicting row may have been committed
	// an instant ago by another writer.
	if err := s.w.QueryRowContext(ctx, s.bind(`SELECT value FROM once_marks WHERE scope = ? AND id = ?`), scope, id).Scan(&got); err != nil {
		return "", false, fmt.Errorf("claim %s %s: read the existing claim: %w", scope, id, notFound(err))
	}
	return got, false, nil
}

// ClaimFor records value under (scope, id) unless a claim younger than ttl
// is there; an older one is replaced.
func (s *Store) ClaimFor(ctx context.Context, scope, id, value string, ttl time.Duration) (string, bool, error) {
	now := time.Now()
	res, err := s.exec(ctx, `INSERT INTO once_marks (scope, id, value, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (scope, id) DO UPDATE SET value = excluded.value, created_at = excluded.created_at WHERE once_marks.created_at < ?`,
		scope, id, value, ms(now), ms(now.Add(-ttl)))
	if err != nil {
		return "", false, fmt.Errorf("claim %s %s: %w", scope, id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return value, true, nil
	}
	var got string
	if err := s.w.QueryRowContext(ctx, s.bind(`SELECT value FROM once_marks WHERE scope = ? AND id = ?`), scope, id).Scan(&got); err != nil {
		return "", false, fmt.Errorf("claim %s %s: read the existing claim: %w", scope, id, notFound(err))
	}
	return got, false, nil
}

// ReleaseOnce deletes a claim.
func (s *Store) ReleaseOnce(ctx context.Context, scope, id string) error {
	if _, err := s.exec(ctx, `DELETE FROM once_marks WHERE scope = ? AND id = ?`, scope, id); err != nil {
		return fmt.Errorf("release %s %s: %w", scope, id, err)
	}
	return nil
}
