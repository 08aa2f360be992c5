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

// ReserveSpend implements ledger.SpendStore: one conditional UPDATE per
// window inside one transaction, so the check and the hold are atomic on
// both engines (PostgreSQL re-checks the condition after a row lock wait).
func (s *Store) ReserveSpend(ctx context.Context, ws []ledger.Window, limits []int64, amount int64, now time.Time, holdFor time.Duration) (int, int64, int64, error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	defer tx.Rollback()
	nowMS, until := now.UnixMilli(), now.Add(holdFor).UnixMilli()
	ensure := s.bind(`INSERT INTO budget_spend (scope, subject, period, window_start, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (scope, subject, period, window_start) DO NOTHING`)
	hold := s.bind(`UPDATE budget_spend SET
  reserved_nano = (CASE WHEN reserved_until < ? THEN 0 ELSE reserved_nano END) + ?, reserved_until = ?, updated_at = ?
WHERE scope = ? AND subject = ? AND period = ? AND window_start = ?
  AND spent_nano < ? AND spent_nano + (CASE WHEN reserved_until < ? THEN 0 ELSE reserved_nano END) + ? <= ?`)
	for i, w := range ws {
		if _, err := tx.ExecContext(ctx, ensure, w.Scope, w.Subject, w.Period, w.Start, nowMS); err != nil {
			return 0, 0, 0, err
		}
		res, err := tx.ExecContext(ctx, hold, nowMS, amount, until, nowMS, w.Scope, w.Subject, w.Period, w.Start,
			limits[i], nowMS, amount, limits[i])
		if err != nil {
			return 0, 0, 0, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return 0, 0, 0, err
		} else if n == 0 {
			var spent, reserved, ru int64
			err := tx.QueryRowContext(ctx, s.bind(`SELECT spent_nano, reserved_nano, reserved_until FROM budget_spend
WHERE scope = ? AND subject = ? AND period = ? AND window_start = ?`), w.Scope, w.Subject, w.Period, w.Start).Scan(&spent, &reserved, &ru)
			if err != nil {
				return 0, 0, 0, err
			}
			if ru < nowMS {
				reserved = 0
			}
			return i, spent, reserved, nil
		}
	}
	return -1, 0, 0, tx.Commit()
}

// SettleSpend implements ledger.SpendStore.
func (s *Store) SettleSpend(ctx context.Context, ws []ledger.Window, amount, actual int64) ([]int64, error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	now := time.Now().UnixMilli()
	q := s.bind(`INSERT INTO budget_spend (scope, subject, period, window_start, spent_nano, updated_at) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (scope, subject, period, window_start) DO UPDATE SET
  spent_nano = budget_spend.spent_nano + excluded.spent_nano,
  reserved_nano = CASE WHEN budget_spend.reserved_nano > ? THEN budget_spend.reserved_nano - ? ELSE 0 END,
  updated_at = excluded.updated_at
RETURNING spent_nano`)
	out := make([]int64, len(ws))
	for i, w := range ws {
		if err := tx.QueryRowContext(ctx, q, w.Scope, w.Subject, w.Period, w.Start, actual, now, amount, amount).Scan(&out[i]); err != nil {
			return nil, err
		}
	}
	return out, tx.Commit()
}
