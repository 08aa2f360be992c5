package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/keygate/keygate/internal/store"
)

const keyCols = `id, hash, display, env, name, project, group_name, models, allowed_ips, expires_at, state, state_at, state_by, state_reason,
 replaced_by, grace_until, budget_usd, budget_period, rpm, tpm, created_at, created_by, updated_at, version, rotated_from, member_id, concurrency, request_types, lineage`

func scanKey(sc interface{ Scan(...any) error }) (store.Key, error) {
	var k store.Key
	var models, ips, types string
	var exp, stAt, grace, created, updated int64
	err := sc.Scan(&k.ID, &k.Hash, &k.Display, &k.Env, &k.Name, &k.Project, &k.Group, &models, &ips, &exp, &k.State, &stAt,
		&k.StateBy, &k.StateReason, &k.ReplacedBy, &grace, &k.BudgetUSD, &k.BudgetPeriod, &k.RPM, &k.TPM, &created, &k.CreatedBy,
		&updated, &k.Version, &k.RotatedFrom, &k.Member, &k.Concurrency, &types, &k.Lineage)
	if err != nil {
		return k, err
	}
	k.Models, k.AllowedIPs, k.RequestTypes = strs(models), strs(ips), strs(types)
	k.ExpiresAt, k.StateAt, k.GraceUntil = fromMS(exp), fromMS(stAt), fromMS(grace)
	k.CreatedAt, k.UpdatedAt = fromMS(created), fromMS(updated)
	return k, nil
}

// CreateKey inserts a new key; k.Version is set to 1.
func (s *Store) CreateKey(ctx context.Context, k *store.Key) error {
	now := time.Now().UTC()
	if k.CreatedAt.IsZero() {
		k.CreatedAt = now
	}
	k.UpdatedAt, k.Version = now, 1
	_, err := s.exec(ctx, `INSERT INTO api_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Hash, k.Display, k.Env, k.Name, k.Project, k.Group, jsonText(nonNil(k.Models)), jsonText(nonNil(k.AllowedIPs)),
		ms(k.ExpiresAt), k.State, ms(k.StateAt), k.StateBy, k.StateReason, k.ReplacedBy, ms(k.GraceUntil), k.BudgetUSD,
		k.BudgetPeriod, k.RPM, k.TPM, ms(k.CreatedAt), k.CreatedBy, ms(k.UpdatedAt), k.Version, k.RotatedFrom, k.Member, k.Concurrency, jsonText(nonNil(k.RequestTypes)), k.Lineage)
	if isUnique(err) {
		return fmt.Errorf("create key %s: %w", k.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create key %s: %w", k.ID, err)
	}
	return nil
}

// GetKey returns a key by id.
func (s *Store) GetKey(ctx context.Context, id string) (store.Key, error) {
	k, err := scanKey(s.queryRow(ctx, `SELECT `+keyCols+` FROM api_keys WHERE id = ?`, id))
	if err != nil {
		return k, notFound(err)
	}
	return k, nil
}

// GetKeyByHash returns a key by the digest of its plaintext.
func (s *Store) GetKeyByHash(ctx context.Context, hash string) (store.Key, error) {
	k, err := scanKey(s.queryRow(ctx, `SELECT `+keyCols+` FROM api_keys WHERE hash = ?`, hash))
	if err != nil {
		return k, notFound(err)
	}
	return k, nil
}

// ListKeys returns keys matching f, newest first.
func (s *Store) ListKeys(ctx context.Context, f store.KeyFilter) ([]store.Key, error) {
	q := `SELECT ` + keyCols + ` FROM api_keys WHERE 1=1`
	var args []any
	if f.Project != "" {
		q += ` AND project = ?`
		args = append(args, f.Project)
	}
	if len(f.Projects) > 0 {
		q += ` AND project IN (` + placeholders(len(f.Projects)) + `)`
		for _, p := range f.Projects {
			args = append(args, p)
		}
	}
	if f.Member != "" {
		q += ` AND member_id = ?`
		args = append(args, f.Member)
	}
	if f.Env != "" {
		q += ` AND env = ?`
		args = append(args, f.Env)
	}
	// A key past its expires_at is expired whether or not anything has
	// rewritten its state yet: filter on the effective state.
	switch now := ms(time.Now()); f.State {
	case "":
	case store.KeyExpired:
		q += ` AND (state = ? OR (state = ? AND expires_at > 0 AND expires_at <= ?))`
		args = append(args, store.KeyExpired, store.KeyActive, now)
	case store.KeyActive:
		q += ` AND state = ? AND (expires_at = 0 OR expires_at > ?)`
		args = append(args, store.KeyActive, now)
	default:
		q += ` AND state = ?`
		args = append(args, f.State)
	}
	q += ` ORDER BY created_at DESC, id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	return s.listKeys(ctx, q, args...)
}

// KeysChangedSince returns keys updated at or after t.
func (s *Store) KeysChangedSince(ctx context.Context, t time.Time) ([]store.Key, error) {
	return s.listKeys(ctx, `SELECT `+keyCols+` FROM api_keys WHERE updated_at >= ? ORDER BY updated_at`, ms(t))
}

func (s *Store) listKeys(ctx context.Context, q string, args ...any) ([]store.Key, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	defer rows.Close()
	var out []store.Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// UpdateKey writes the mutable fields of k when the stored version matches.
func (s *Store) UpdateKey(ctx context.Context, k *store.Key) error {
	now := time.Now().UTC()
	res, err := s.exec(ctx, `UPDATE api_keys SET name = ?, group_name = ?, models = ?, allowed_ips = ?, expires_at = ?, state = ?, state_at = ?,
 state_by = ?, state_reason = ?, replaced_by = ?, grace_until = ?, budget_usd = ?, budget_period = ?, rpm = ?, tpm = ?,
 member_id = ?, concurrency = ?, request_types = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
		k.Name, k.Group, jsonText(nonNil(k.Models)), jsonText(nonNil(k.AllowedIPs)), ms(k.ExpiresAt), k.State, ms(k.StateAt),
		k.StateBy, k.StateReason, k.ReplacedBy, ms(k.GraceUntil), k.BudgetUSD, k.BudgetPeriod, k.RPM, k.TPM, k.Member, k.Concurrency, jsonText(nonNil(k.RequestTypes)), ms(now), k.ID, k.Version)
	if err != nil {
		return fmt.Errorf("update key %s: %w", k.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update key %s: %w", k.ID, err)
	}
	if n == 0 {
		if _, gerr := s.GetKey(ctx, k.ID); gerr != nil {
			return fmt.Errorf("update key %s: %w", k.ID, gerr)
		}
		return fmt.Errorf("update key %s: changed concurrently (version %d is stale): %w", k.ID, k.Version, store.ErrConflict)
	}
	k.Version++
	k.UpdatedAt = now
	return nil
}
