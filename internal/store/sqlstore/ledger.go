package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/store"
)

// The ledger's durable side: spend per budget window (budget_spend).

var _ ledger.SpendStore = (*Store)(nil)

// LoadSpend implements ledger.SpendStore.
func (s *Store) LoadSpend(ctx context.Context, w ledger.Window) (int64, error) {
	var n int64
	err := s.queryRow(ctx, `SELECT spent_nano FROM budget_spend WHERE scope = ? AND subject = ? AND period = ? AND window_start = ?`,
		w.Scope, w.Subject, w.Period, w.Start).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

const upsertSpend = `INSERT INTO budget_spend (scope, subject, period, window_start, spent_nano, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (scope, subject, period, window_start) DO UPDATE SET spent_nano = budget_spend.spent_nano + excluded.spent_nano, updated_at = excluded.updated_at`

// AddSpend implements ledger.SpendStore.
func (s *Store) AddSpend(ctx context.Context, deltas map[ledger.Window]int64) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UnixMilli()
	q := s.bind(upsertSpend)
	for w, d := range deltas {
		if _, err := tx.ExecContext(ctx, q, w.Scope, w.Subject, w.Period, w.Start, d, now); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// ReserveSpend implements ledger.SpendStore. In one transaction, per
// window: lock the window's row (so concurrent reservations on it queue),
// then read its spend and its unexpired holds with a fresh snapshot, and
// add a hold row of its own expiry — all windows or none.
func (s *Store) ReserveSpend(ctx context.Context, h ledger.Hold, ws []ledger.Window, limits []int64, amount int64, now time.Time, holdFor time.Duration) (int, int64, int64, error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	defer tx.Rollback()
	nowMS, until := now.UnixMilli(), now.Add(holdFor).UnixMilli()
	ensure := s.bind(`INSERT INTO budget_spend (scope, subject, period, window_start, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (scope, subject, period, window_start) DO NOTHING`)
	lock := s.bind(`UPDATE budget_spend SET updated_at = ? WHERE scope = ? AND subject = ? AND period = ? AND window_start = ?`)
	read := s.bind(`SELECT spent_nano, (SELECT COALESCE(SUM(amount_nano), 0) FROM budget_holds h
  WHERE h.scope = ? AND h.subject = ? AND h.period = ? AND h.window_start = ? AND h.expires_at >= ?)
FROM budget_spend WHERE scope = ? AND subject = ? AND period = ? AND window_start = ?`)
	add := s.bind(`INSERT INTO budget_holds (hold_id, scope, subject, period, window_start, owner, amount_nano, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	for i, w := range ws {
		if _, err := tx.ExecContext(ctx, ensure, w.Scope, w.Subject, w.Period, w.Start, nowMS); err != nil {
			return 0, 0, 0, err
		}
		if _, err := tx.ExecContext(ctx, lock, nowMS, w.Scope, w.Subject, w.Period, w.Start); err != nil {
			return 0, 0, 0, err
		}
		var spent, held int64
		if err := tx.QueryRowContext(ctx, read, w.Scope, w.Subject, w.Period, w.Start, nowMS,
			w.Scope, w.Subject, w.Period, w.Start).Scan(&spent, &held); err != nil {
			return 0, 0, 0, err
		}
		if spent >= limits[i] || spent+held+amount > limits[i] {
			return i, spent, held, nil
		}
		if _, err := tx.ExecContext(ctx, add, h.ID, w.Scope, w.Subject, w.Period, w.Start, h.Owner, amount, until); err != nil {
			return 0, 0, 0, err
		}
	}
	return -1, 0, 0, tx.Commit()
}

// ReleaseHolds implements ledger.SpendStore: at start, an instance drops
// the holds a previous process of its own left (killed mid-call), and
// every expired hold of anyone.
func (s *Store) ReleaseHolds(ctx context.Context, owner string, now time.Time) (int64, error) {
	res, err := s.write.ExecContext(ctx, s.bind(`DELETE FROM budget_holds WHERE owner = ? OR expires_at < ?`), owner, now.UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// SettleSpend implements ledger.SpendStore: the hold (if any: an empty id
// has none) becomes a settled hold of actual until keepUntil; the call's
// row moves it into budget_spend when stored (chargeLogs).
func (s *Store) SettleSpend(ctx context.Context, holdID string, ws []ledger.Window, actual int64, now, keepUntil time.Time) ([]int64, error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if holdID != "" {
		if _, err := tx.ExecContext(ctx, s.bind(`UPDATE budget_holds SET amount_nano = ?, settled = 1, expires_at = ? WHERE hold_id = ?`),
			actual, keepUntil.UnixMilli(), holdID); err != nil {
			return nil, err
		}
	}
	out := make([]int64, len(ws))
	for i, w := range ws {
		if out[i], _, err = settledSpend(ctx, tx, s.bind, w, now); err != nil {
			return nil, err
		}
	}
	return out, tx.Commit()
}

// SettledSpend implements ledger.SpendStore.
func (s *Store) SettledSpend(ctx context.Context, w ledger.Window, now time.Time) (int64, int64, error) {
	return settledSpend(ctx, s.r, s.bind, w, now)
}

// settledSpend is a window's spend with its unexpired settled holds, and
// its other unexpired holds.
func settledSpend(ctx context.Context, q querier, bind func(string) string, w ledger.Window, now time.Time) (int64, int64, error) {
	var spent, settled, inFlight int64
	err := q.QueryRowContext(ctx, bind(`SELECT
  COALESCE((SELECT spent_nano FROM budget_spend WHERE scope = ? AND subject = ? AND period = ? AND window_start = ?), 0),
  COALESCE(SUM(CASE WHEN settled = 1 THEN amount_nano ELSE 0 END), 0),
  COALESCE(SUM(CASE WHEN settled = 1 THEN 0 ELSE amount_nano END), 0)
FROM budget_holds WHERE scope = ? AND subject = ? AND period = ? AND window_start = ? AND expires_at >= ?`),
		w.Scope, w.Subject, w.Period, w.Start, w.Scope, w.Subject, w.Period, w.Start, now.UnixMilli()).Scan(&spent, &settled, &inFlight)
	return spent + settled, inFlight, err
}

// chargeLogs adds the spend the rows carry (store.Spend) to their budget
// windows and deletes the settled holds that stood for it, through c — the
// transaction inserting the rows (before it inserts them, unless fresh): a row already
// stored (a replayed spool, a batch retried after a commit that did
// happen) is skipped, so every row's spend is counted exactly once and only
// with the row; fresh says the caller knows every row is new (its insert
// took them all), which saves that check. A batch of rows without spend
// costs one loop over it.
func (s *Store) chargeLogs(ctx context.Context, c chargeConn, rows []store.RequestLog, fresh bool) error {
	var charged []int
	for i := range rows {
		if sp := &rows[i].Spend; sp.Hold != "" || sp.Nano != 0 && len(sp.Windows) > 0 {
			charged = append(charged, i)
		}
	}
	if len(charged) == 0 {
		return nil
	}
	stored := make(map[string]bool, len(charged))
	const perQuery = 500
	if !fresh && s.dialect == Postgres {
		// One statement with the ids as an array: one round trip and one
		// plan (pgx prepares it once per connection), where lists of 500
		// were a statement for each length.
		ids := make([]string, len(charged))
		for j, i := range charged {
			ids[j] = rows[i].RequestID
		}
		q := `SELECT request_id FROM request_logs WHERE request_id = ANY($1::text[])`
		if err := c.ids(ctx, q, []any{ids}, func(id string) { stored[id] = true }); err != nil {
			return err
		}
		fresh = true // checked
	}
	for start := 0; start < len(charged) && !fresh; start += perQuery {
		part := charged[start:min(start+perQuery, len(charged))]
		args := make([]any, len(part))
		for j, i := range part {
			args[j] = rows[i].RequestID
		}
		q := `SELECT request_id FROM request_logs WHERE request_id IN (?` + strings.Repeat(", ?", len(part)-1) + `)`
		if err := c.ids(ctx, s.bind(q), args, func(id string) { stored[id] = true }); err != nil {
			return err
		}
	}
	deltas := map[ledger.Window]int64{}
	var holds []string
	for _, i := range charged {
		r := &rows[i]
		if stored[r.RequestID] {
			continue
		}
		stored[r.RequestID] = true // a batch holding one id twice charges it once
		if r.Spend.Nano != 0 {
			for _, w := range r.Spend.Windows {
				deltas[w] += r.Spend.Nano
			}
		}
		if r.Spend.Hold != "" {
			holds = append(holds, r.Spend.Hold)
		}
	}
	// In one order (the ledger's), so writers of several instances never
	// deadlock on the windows they share.
	ws := make([]ledger.Window, 0, len(deltas))
	for w := range deltas {
		ws = append(ws, w)
	}
	slices.SortFunc(ws, func(a, b ledger.Window) int {
		return cmp.Or(cmp.Compare(a.Scope, b.Scope), cmp.Compare(a.Subject, b.Subject), cmp.Compare(a.Period, b.Period), cmp.Compare(a.Start, b.Start))
	})
	now := time.Now().UnixMilli()
	if s.dialect == Postgres {
		return chargePostgres(ctx, c, ws, deltas, holds, now)
	}
	up := s.bind(upsertSpend)
	for _, w := range ws {
		if err := c.exec(ctx, up, []any{w.Scope, w.Subject, w.Period, w.Start, deltas[w], now}); err != nil {
			return err
		}
	}
	for start := 0; start < len(holds); start += perQuery {
		part := make([]any, 0, perQuery)
		for _, h := range holds[start:min(start+perQuery, len(holds))] {
			part = append(part, h)
		}
		q := `DELETE FROM budget_holds WHERE hold_id IN (?` + strings.Repeat(", ?", len(part)-1) + `)`
		if err := c.exec(ctx, s.bind(q), part); err != nil {
			return err
		}
	}
	return nil
}

// upsertSpendRows is upsertSpend for many windows in one PostgreSQL
// statement: the windows as arrays, taken in their order (WITH ORDINALITY
// … ORDER BY), so the rows are locked in the ledger's order as the
// statements one window each did. Each window comes once (chargeLogs sums
// per window), as ON CONFLICT DO UPDATE requires of one statement.
const upsertSpendRows = `INSERT INTO budget_spend (scope, subject, period, window_start, spent_nano, updated_at)
SELECT u.scope, u.subject, u.period, u.window_start, u.spent_nano, $6
FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) WITH ORDINALITY
 AS u(scope, subject, period, window_start, spent_nano, n)
ORDER BY u.n
ON CONFLICT (scope, subject, period, window_start) DO UPDATE SET spent_nano = budget_spend.spent_nano + excluded.spent_nano, updated_at = excluded.updated_at`

// chargePostgres adds deltas to the windows ws (in that order) and deletes
// the settled holds, in two statements whatever their number: a batch
// spread over a hundred keys was a hundred round trips, a tenth of the
// batch's time on the log writer's connection.
func chargePostgres(ctx context.Context, c chargeConn, ws []ledger.Window, deltas map[ledger.Window]int64, holds []string, now int64) error {
	if len(ws) > 0 {
		scope, subject, period := make([]string, len(ws)), make([]string, len(ws)), make([]string, len(ws))
		start, spent := make([]int64, len(ws)), make([]int64, len(ws))
		for i, w := range ws {
			scope[i], subject[i], period[i], start[i], spent[i] = w.Scope, w.Subject, w.Period, w.Start, deltas[w]
		}
		if err := c.exec(ctx, upsertSpendRows, []any{scope, subject, period, start, spent, now}); err != nil {
			return err
		}
	}
	if len(holds) > 0 {
		if err := c.exec(ctx, `DELETE FROM budget_holds WHERE hold_id = ANY($1::text[])`, []any{holds}); err != nil {
			return err
		}
	}
	return nil
}

// hasSpend reports whether any row carries spend for chargeLogs.
func hasSpend(rows []store.RequestLog) bool {
	for i := range rows {
		if sp := &rows[i].Spend; sp.Hold != "" || sp.Nano != 0 && len(sp.Windows) > 0 {
			return true
		}
	}
	return false
}

// chargeConn is the transaction chargeLogs runs in, whichever way the
// batch is stored: database/sql, the SQLite driver's own connection, or a
// pgx transaction around COPY.
type chargeConn interface {
	ids(ctx context.Context, q string, args []any, each func(string)) error
	exec(ctx context.Context, q string, args []any) error
}

type sqlCharge struct{ tx *sql.Tx }

func (c sqlCharge) ids(ctx context.Context, q string, args []any, each func(string)) error {
	res, err := c.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer res.Close()
	for res.Next() {
		var id string
		if err := res.Scan(&id); err != nil {
			return err
		}
		each(id)
	}
	return res.Err()
}

func (c sqlCharge) exec(ctx context.Context, q string, args []any) error {
	_, err := c.tx.ExecContext(ctx, q, args...)
	return err
}

// liteLogCharge runs on the request log connection (litelog.go) inside
// the batch's transaction.
type liteLogCharge struct{ c *liteLog }

func (l liteLogCharge) ids(_ context.Context, q string, args []any, each func(string)) error {
	return l.c.query(q, args, func(st uintptr) {
		p := sqlite3.Xsqlite3_column_text(l.c.tls, st, 0)
		n := sqlite3.Xsqlite3_column_bytes(l.c.tls, st, 0)
		each(string(libc.GoBytes(p, int(n))))
	})
}

func (l liteLogCharge) exec(_ context.Context, q string, args []any) error {
	return l.c.query(q, args, nil)
}

// pgxCharge runs in the pgx transaction that COPYs the batch.
type pgxCharge struct{ tx pgx.Tx }

func (c pgxCharge) ids(ctx context.Context, q string, args []any, each func(string)) error {
	res, err := c.tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer res.Close()
	for res.Next() {
		var id string
		if err := res.Scan(&id); err != nil {
			return err
		}
		each(id)
	}
	return res.Err()
}

func (c pgxCharge) exec(ctx context.Context, q string, args []any) error {
	_, err := c.tx.Exec(ctx, q, args...)
	return err
}
