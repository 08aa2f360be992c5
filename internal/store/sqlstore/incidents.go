package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/keygate/keygate/internal/store"
)

const incidentCols = `id, title, state, origin, project, owner, environment, deployment, capability, symptom, last_good_at,
 last_good_request, key_ids, request_ids, evidence, next_review, resolution, opened_by, created_at, updated_at, resolved_at, version`

// CreateIncident stores a new incident and its key links in one transaction.
func (s *Store) CreateIncident(ctx context.Context, in *store.Incident) error {
	if in.Version == 0 {
		in.Version = 1
	}
	if in.UpdatedAt.IsZero() {
		in.UpdatedAt = in.CreatedAt
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("create incident %s: %w", in.ID, err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, s.bind(`INSERT INTO incidents (`+incidentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		in.ID, in.Title, in.State, in.Origin, in.Project, in.Owner, in.Environment, in.Deployment, in.Capability, in.Symptom,
		ms(in.LastGoodAt), in.LastGoodRequest, jsonList(in.KeyIDs), jsonList(in.RequestIDs), evidenceText(in.Evidence),
		ms(in.NextReview), in.Resolution, in.OpenedBy, ms(in.CreatedAt), ms(in.UpdatedAt), ms(in.ResolvedAt), in.Version)
	if isUnique(err) {
		return fmt.Errorf("create incident %s: %w", in.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create incident %s: %w", in.ID, err)
	}
	if err := s.linkIncidentKeys(ctx, tx, in.ID, in.KeyIDs); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create incident %s: commit: %w", in.ID, err)
	}
	return nil
}

func (s *Store) linkIncidentKeys(ctx context.Context, tx txn, id string, keyIDs []string) error {
	for _, k := range keyIDs {
		if _, err := tx.ExecContext(ctx, s.bind(`INSERT INTO incident_keys (incident_id, key_id) VALUES (?, ?) ON CONFLICT (incident_id, key_id) DO NOTHING`),
			id, k); err != nil {
			return fmt.Errorf("link incident %s to key %s: %w", id, k, err)
		}
	}
	return nil
}

func scanIncident(sc interface{ Scan(...any) error }) (store.Incident, error) {
	var in store.Incident
	var lastGood, next, created, updated, resolved int64
	var keyIDs, reqIDs, evidence string
	err := sc.Scan(&in.ID, &in.Title, &in.State, &in.Origin, &in.Project, &in.Owner, &in.Environment, &in.Deployment, &in.Capability,
		&in.Symptom, &lastGood, &in.LastGoodRequest, &keyIDs, &reqIDs, &evidence, &next, &in.Resolution, &in.OpenedBy, &created,
		&updated, &resolved, &in.Version)
	if err != nil {
		return in, err
	}
	in.LastGoodAt, in.NextReview, in.CreatedAt, in.UpdatedAt, in.ResolvedAt = fromMS(lastGood), fromMS(next), fromMS(created),
		fromMS(updated), fromMS(resolved)
	in.KeyIDs, in.RequestIDs = strs(keyIDs), strs(reqIDs)
	_ = json.Unmarshal([]byte(evidence), &in.Evidence)
	return in, nil
}

// GetIncident returns one incident.
func (s *Store) GetIncident(ctx context.Context, id string) (store.Incident, error) {
	in, err := scanIncident(s.queryRow(ctx, `SELECT `+incidentCols+` FROM incidents WHERE id = ?`, id))
	if err != nil {
		return in, notFound(err)
	}
	return in, nil
}

// ListIncidents returns incidents matching f, newest first (default limit
// 100, max 1000).
func (s *Store) ListIncidents(ctx context.Context, f store.IncidentFilter) ([]store.Incident, error) {
	q := `SELECT ` + incidentCols + ` FROM incidents WHERE 1=1`
	var args []any
	if len(f.States) > 0 {
		q += ` AND state IN (` + placeholders(len(f.States)) + `)`
		for _, st := range f.States {
			args = append(args, st)
		}
	}
	if f.KeyID != "" {
		q += ` AND id IN (SELECT incident_id FROM incident_keys WHERE key_id = ?)`
		args = append(args, f.KeyID)
	}
	if len(f.Projects) > 0 {
		q += ` AND project IN (` + placeholders(len(f.Projects)) + `)`
		for _, p := range f.Projects {
			args = append(args, p)
		}
	}
	if !f.ReviewDue.IsZero() {
		q += ` AND state <> ? AND next_review > 0 AND next_review <= ?`
		args = append(args, store.IncidentResolved, ms(f.ReviewDue))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, min(limit, 1000))
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	defer rows.Close()
	var out []store.Incident
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("list incidents: %w", err)
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// UpdateIncident writes in under its version check and re-links its keys.
func (s *Store) UpdateIncident(ctx context.Context, in *store.Incident) error {
	tx, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("update incident %s: %w", in.ID, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, s.bind(`UPDATE incidents SET title = ?, state = ?, origin = ?, project = ?, owner = ?, environment = ?,
 deployment = ?, capability = ?, symptom = ?, last_good_at = ?, last_good_request = ?, key_ids = ?, request_ids = ?, evidence = ?,
 next_review = ?, resolution = ?, updated_at = ?, resolved_at = ?, version = version + 1 WHERE id = ? AND version = ?`),
		in.Title, in.State, in.Origin, in.Project, in.Owner, in.Environment, in.Deployment, in.Capability, in.Symptom, ms(in.LastGoodAt),
		in.LastGoodRequest, jsonList(in.KeyIDs), jsonList(in.RequestIDs), evidenceText(in.Evidence), ms(in.NextReview), in.Resolution,
		ms(in.UpdatedAt), ms(in.ResolvedAt), in.ID, in.Version)
	if err != nil {
		return fmt.Errorf("update incident %s: %w", in.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var one int
		err := tx.QueryRowContext(ctx, s.bind(`SELECT 1 FROM incidents WHERE id = ?`), in.ID).Scan(&one)
		if err != nil {
			return fmt.Errorf("update incident %s: %w", in.ID, notFound(err))
		}
		return fmt.Errorf("update incident %s: changed by someone else since it was read: %w", in.ID, store.ErrConflict)
	}
	if err := s.linkIncidentKeys(ctx, tx, in.ID, in.KeyIDs); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("update incident %s: commit: %w", in.ID, err)
	}
	in.Version++
	return nil
}

// AddIncidentNote appends to an incident's timeline.
func (s *Store) AddIncidentNote(ctx context.Context, n store.IncidentNote) error {
	if _, err := s.exec(ctx, `INSERT INTO incident_notes (id, incident_id, time, author, kind, text) VALUES (?, ?, ?, ?, ?, ?)`,
		n.ID, n.IncidentID, ms(n.Time), n.Author, n.Kind, n.Text); err != nil {
		return fmt.Errorf("add a note to incident %s: %w", n.IncidentID, err)
	}
	return nil
}

// ListIncidentNotes returns an incident's notes, oldest first.
func (s *Store) ListIncidentNotes(ctx context.Context, incidentID string) ([]store.IncidentNote, error) {
	rows, err := s.query(ctx, `SELECT id, incident_id, time, author, kind, text FROM incident_notes WHERE incident_id = ?
 ORDER BY time, id LIMIT 5000`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("notes of incident %s: %w", incidentID, err)
	}
	defer rows.Close()
	var out []store.IncidentNote
	for rows.Next() {
		var n store.IncidentNote
		var t int64
		if err := rows.Scan(&n.ID, &n.IncidentID, &t, &n.Author, &n.Kind, &n.Text); err != nil {
			return nil, fmt.Errorf("notes of incident %s: %w", incidentID, err)
		}
		n.Time = fromMS(t)
		out = append(out, n)
	}
	return out, rows.Err()
}

// RotationUsage groups the old and new keys' request logs by client
// (address, user agent, declared name) in one pass over the (key_id, time)
// index; clients seen only with the new key are left out.
func (s *Store) RotationUsage(ctx context.Context, w store.RotationWindow) (store.RotationUsage, error) {
	var out store.RotationUsage
	refused := `1 = 0`
	var refusedArgs []any
	if len(w.Refused) > 0 {
		refused = `error_code IN (` + placeholders(len(w.Refused)) + `)`
		for _, c := range w.Refused {
			refusedArgs = append(refusedArgs, c)
		}
	}
	maxClients := w.MaxClients
	if maxClients <= 0 {
		maxClients = 500
	}
	// Placeholders in SELECT order: old ×2, refused codes…, old ×2, new ×3,
	// then WHERE old, new, since, then the HAVING old, then the limit.
	q := `SELECT source_ip, user_agent, client,
 COUNT(CASE WHEN key_id = ? THEN 1 END),
 COUNT(CASE WHEN key_id = ? AND ` + refused + ` THEN 1 END),
 COALESCE(MIN(CASE WHEN key_id = ? THEN time END), 0),
 COALESCE(MAX(CASE WHEN key_id = ? THEN time END), 0),
 COUNT(CASE WHEN key_id = ? THEN 1 END),
 COALESCE(MIN(CASE WHEN key_id = ? THEN time END), 0),
 COALESCE(MAX(CASE WHEN key_id = ? THEN time END), 0)
 FROM request_logs WHERE key_id IN (?, ?) AND time >= ?
 GROUP BY source_ip, user_agent, client
 HAVING COUNT(CASE WHEN key_id = ? THEN 1 END) > 0
 ORDER BY 7 DESC, 1, 2, 3 LIMIT ?`
	args := []any{w.OldKeyID, w.OldKeyID}
	args = append(args, refusedArgs...)
	args = append(args, w.OldKeyID, w.OldKeyID, w.NewKeyID, w.NewKeyID, w.NewKeyID, w.OldKeyID, w.NewKeyID, ms(w.Since),
		w.OldKeyID, maxClients)
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return out, fmt.Errorf("rotation usage of key %s: %w", w.OldKeyID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c store.RotationClient
		var fo, lo, fn, ln int64
		if err := rows.Scan(&c.IP, &c.UserAgent, &c.Client, &c.CallsOld, &c.RefusedOld, &fo, &lo, &c.CallsNew, &fn, &ln); err != nil {
			return out, fmt.Errorf("rotation usage of key %s: %w", w.OldKeyID, err)
		}
		c.FirstOld, c.LastOld, c.FirstNew, c.LastNew = fromMS(fo), fromMS(lo), fromMS(fn), fromMS(ln)
		out.Clients = append(out.Clients, c)
	}
	if err := rows.Err(); err != nil {
		return out, err
	}
	rows.Close()
	if w.MaxRefused > 0 && len(w.Refused) > 0 {
		q := `SELECT ` + logCols + ` FROM request_logs WHERE key_id = ? AND time >= ? AND ` + refused +
			` ORDER BY time DESC, request_id DESC LIMIT ?`
		qa := append(append([]any{w.OldKeyID, ms(w.RefusedSince)}, refusedArgs...), w.MaxRefused)
		rows, err := s.query(ctx, q, qa...)
		if err != nil {
			return out, fmt.Errorf("refused calls of key %s: %w", w.OldKeyID, err)
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanLog(rows)
			if err != nil {
				return out, fmt.Errorf("refused calls of key %s: %w", w.OldKeyID, err)
			}
			out.Refused = append(out.Refused, r)
		}
		if err := rows.Err(); err != nil {
			return out, err
		}
	}
	return out, nil
}

func jsonList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	return jsonText(v)
}

func evidenceText(e []store.Evidence) string {
	if len(e) == 0 {
		return "[]"
	}
	b, err := json.Marshal(e)
	if err != nil {
		return "[]"
	}
	return string(b)
}
