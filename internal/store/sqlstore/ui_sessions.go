package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/keygate/keygate/internal/store"
)

const uiSessionCols = `id_hash, member_id, fingerprint, created_at, seen_at, expires_at`

// CreateUISession implements store.UISessionStore.
func (s *Store) CreateUISession(ctx context.Context, u store.UISession) error {
	if u.IDHash == "" || u.ExpiresAt.IsZero() {
		return fmt.Errorf("create dashboard session: id hash and expiry are required")
	}
	_, err := s.exec(ctx, `INSERT INTO ui_sessions (`+uiSessionCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
		u.IDHash, u.MemberID, u.Fingerprint, ms(u.CreatedAt), ms(u.SeenAt), ms(u.ExpiresAt))
	if isUnique(err) {
		return fmt.Errorf("create dashboard session: %w", store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create dashboard session: %w", err)
	}
	return nil
}

// GetUISession implements store.UISessionStore.
func (s *Store) GetUISession(ctx context.Context, idHash string, now time.Time) (store.UISession, error) {
	var u store.UISession
	var c, seen, exp int64
	err := s.queryRow(ctx, `SELECT `+uiSessionCols+` FROM ui_sessions WHERE id_hash = ? AND expires_at > ?`, idHash, ms(now)).
		Scan(&u.IDHash, &u.MemberID, &u.Fingerprint, &c, &seen, &exp)
	if err != nil {
		return store.UISession{}, notFound(err)
	}
	u.CreatedAt, u.SeenAt, u.ExpiresAt = fromMS(c), fromMS(seen), fromMS(exp)
	return u, nil
}

// TouchUISession implements store.UISessionStore.
func (s *Store) TouchUISession(ctx context.Context, idHash string, seen, expires time.Time) error {
	res, err := s.exec(ctx, `UPDATE ui_sessions SET seen_at = ?, expires_at = ? WHERE id_hash = ?`, ms(seen), ms(expires), idHash)
	if err != nil {
		return fmt.Errorf("touch dashboard session: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteUISession implements store.UISessionStore.
func (s *Store) DeleteUISession(ctx context.Context, idHash string) error {
	if _, err := s.exec(ctx, `DELETE FROM ui_sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("delete dashboard session: %w", err)
	}
	return nil
}

// DeleteMemberUISessions implements store.UISessionStore.
func (s *Store) DeleteMemberUISessions(ctx context.Context, memberID string) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM ui_sessions WHERE member_id = ?`, memberID)
	if err != nil {
		return 0, fmt.Errorf("delete dashboard sessions of %s: %w", memberID, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteExpiredUISessions implements store.UISessionStore.
func (s *Store) DeleteExpiredUISessions(ctx context.Context, now time.Time) (int, error) {
	res, err := s.exec(ctx, `DELETE FROM ui_sessions WHERE expires_at <= ?`, ms(now))
	if err != nil {
		return 0, fmt.Errorf("delete expired dashboard sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
