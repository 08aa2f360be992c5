package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/keygate/keygate/internal/store"
)

const memberCols = `id, email, role, token_hash, password_hash, projects, disabled, created_at, updated_at, budget_usd, budget_period`

func scanMember(sc interface{ Scan(...any) error }) (store.Member, error) {
	var m store.Member
	var projects string
	var disabled int
	var c, u int64
	err := sc.Scan(&m.ID, &m.Email, &m.Role, &m.TokenHash, &m.PasswordHash, &projects, &disabled, &c, &u, &m.BudgetUSD, &m.BudgetPeriod)
	m.Projects, m.Disabled, m.CreatedAt, m.UpdatedAt = strs(projects), disabled != 0, fromMS(c), fromMS(u)
	if m.UpdatedAt.IsZero() {
		m.UpdatedAt = m.CreatedAt
	}
	return m, err
}

// CreateMember adds a member; ErrConflict when the email is taken.
func (s *Store) CreateMember(ctx context.Context, m store.Member) error {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now().UTC()
	}
	_, err := s.exec(ctx, `INSERT INTO members (`+memberCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, m.Email, m.Role, m.TokenHash, m.PasswordHash, jsonText(nonNil(m.Projects)), boolInt(m.Disabled),
		ms(m.CreatedAt), ms(m.CreatedAt), m.BudgetUSD, m.BudgetPeriod)
	if isUnique(err) {
		return fmt.Errorf("create member %s: %w", m.Email, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create member %s: %w", m.Email, err)
	}
	return nil
}

// GetMemberByTokenHash finds the member owning a personal access token.
func (s *Store) GetMemberByTokenHash(ctx context.Context, hash string) (store.Member, error) {
	if hash == "" {
		return store.Member{}, store.ErrNotFound
	}
	m, err := scanMember(s.queryRow(ctx, `SELECT `+memberCols+` FROM members WHERE token_hash = ?`, hash))
	if err != nil {
		return m, notFound(err)
	}
	return m, nil
}

// GetMember returns a member by id.
func (s *Store) GetMember(ctx context.Context, id string) (store.Member, error) {
	m, err := scanMember(s.queryRow(ctx, `SELECT `+memberCols+` FROM members WHERE id = ?`, id))
	if err != nil {
		return m, notFound(err)
	}
	return m, nil
}

// GetMemberByEmail returns a member by email.
func (s *Store) GetMemberByEmail(ctx context.Context, email string) (store.Member, error) {
	m, err := scanMember(s.queryRow(ctx, `SELECT `+memberCols+` FROM members WHERE email = ?`, email))
	if err != nil {
		return m, notFound(err)
	}
	return m, nil
}

// ListMembers returns every member, oldest first.
func (s *Store) ListMembers(ctx context.Context) ([]store.Member, error) {
	rows, err := s.query(ctx, `SELECT `+memberCols+` FROM members ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list members: %w", err)
	}
	defer rows.Close()
	var out []store.Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("list members: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// UpdateMember writes the mutable fields of m.
func (s *Store) UpdateMember(ctx context.Context, m store.Member) error {
	res, err := s.exec(ctx, `UPDATE members SET role = ?, token_hash = ?, password_hash = ?, projects = ?, disabled = ?, budget_usd = ?,
 budget_period = ?, updated_at = ? WHERE id = ?`, m.Role, m.TokenHash, m.PasswordHash, jsonText(nonNil(m.Projects)), boolInt(m.Disabled),
		m.BudgetUSD, m.BudgetPeriod, ms(time.Now()), m.ID)
	if err != nil {
		return fmt.Errorf("update member %s: %w", m.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update member %s: %w", m.ID, err)
	} else if n == 0 {
		return fmt.Errorf("update member %s: %w", m.ID, store.ErrNotFound)
	}
	return nil
}

// DeleteMember removes a member.
func (s *Store) DeleteMember(ctx context.Context, id string) error {
	res, err := s.exec(ctx, `DELETE FROM members WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete member %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete member %s: %w", id, err)
	} else if n == 0 {
		return fmt.Errorf("delete member %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// CountMembers returns how many members exist.
func (s *Store) CountMembers(ctx context.Context) (int, error) {
	var n int
	err := s.queryRow(ctx, `SELECT COUNT(*) FROM members`).Scan(&n)
	return n, err
}
