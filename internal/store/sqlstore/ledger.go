package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/keygate/keygate/internal/ledger"
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

// SettleSpend implements ledger.SpendStore.
// The hold (if any: an empty id settles spend without one) is deleted in
// the same transaction as the spend is added.
func (s *Store) SettleSpend(ctx context.Context, holdID string, ws []ledger.Window, actual int64) ([]int64, error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := time.Now().UnixMilli()
	if holdID != "" {
		if _, err := tx.ExecContext(ctx, s.bind(`DELETE FROM budget_holds WHERE hold_id = ?`), holdID); err != nil {
			return nil, err
		}
	}
	q := s.bind(`INSERT INTO budget_spend (scope, subject, period, window_start, spent_nano, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (scope, subject, period, window_start) DO UPDATE SET
  spent_nano = budget_spend.spent_nano + excluded.spent_nano, updated_at = excluded.updated_at
RETURNING spent_nano`)
	out := make([]int64, len(ws))
	for i, w := range ws {
		if err := tx.QueryRowContext(ctx, q, w.Scope, w.Subject, w.Period, w.Start, actual, now).Scan(&out[i]); err != nil {
			return nil, err
		}
	}
	return out, tx.Commit()
}
