package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// Generation jobs (store.JobStore). Each transition is one UPDATE … WHERE
// state = <previous>; the terminal one shares its transaction with the
// money it moves, so a job is settled or refunded exactly once whatever
// instances poll it.

var _ store.JobStore = (*Store)(nil)

const jobCols = `id, kind, state, request_id, project, key_id, key_display, member, group_name, model, channel, upstream_model,
 upstream_id, params_json, seconds, size, progress, reserved_nano, charged_nano, windows_json, charged, error_code, error_message,
 lease_owner, lease_until, next_poll_at, polls, cancel_requested, created_at, updated_at, started_at, completed_at, expires_at, deadline_at`

// jobActive are the states of a job in flight.
var jobActive = []any{store.JobSubmitting, store.JobQueued, store.JobInProgress}

func scanJob(sc interface{ Scan(...any) error }) (store.Job, error) {
	var j store.Job
	var windows string
	var leaseUntil, nextPoll, created, updated, started, completed, expires, deadline int64
	var cancel int
	err := sc.Scan(&j.ID, &j.Kind, &j.State, &j.RequestID, &j.Project, &j.KeyID, &j.KeyDisplay, &j.Member, &j.Group, &j.Model,
		&j.Channel, &j.UpstreamModel, &j.UpstreamID, &j.Params, &j.Seconds, &j.Size, &j.Progress, &j.ReservedNano, &j.ChargedNano,
		&windows, &j.Charged, &j.ErrorCode, &j.ErrorMessage, &j.LeaseOwner, &leaseUntil, &nextPoll, &j.Polls, &cancel,
		&created, &updated, &started, &completed, &expires, &deadline)
	if err != nil {
		return j, err
	}
	_ = json.Unmarshal([]byte(windows), &j.Windows)
	j.CancelAsked = cancel != 0
	j.LeaseUntil, j.NextPollAt, j.CreatedAt, j.UpdatedAt = fromMS(leaseUntil), fromMS(nextPoll), fromMS(created), fromMS(updated)
	j.StartedAt, j.CompletedAt, j.ExpiresAt, j.DeadlineAt = fromMS(started), fromMS(completed), fromMS(expires), fromMS(deadline)
	return j, nil
}

// CreateJob implements store.JobStore.
func (s *Store) CreateJob(ctx context.Context, j *store.Job, log *store.RequestLog, projectCap, channelCap int) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	defer tx.Rollback()
	if s.dialect == Postgres && (projectCap > 0 || channelCap > 0) {
		// Serialize the cap check per project (SQLite has one writer).
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, "jobs:"+j.Project); err != nil {
			return fmt.Errorf("create job: %w", err)
		}
	}
	for _, c := range []struct {
		which, col, name string
		limit            int
	}{{"project", "project", j.Project, projectCap}, {"channel", "channel", j.Channel, channelCap}} {
		if c.limit <= 0 {
			continue
		}
		var n int
		q := s.bind(`SELECT COUNT(*) FROM jobs WHERE ` + c.col + ` = ? AND state IN (?, ?, ?)`)
		if err := tx.QueryRowContext(ctx, q, append([]any{c.name}, jobActive...)...).Scan(&n); err != nil {
			return fmt.Errorf("create job: count jobs: %w", err)
		}
		if n >= c.limit {
			return &store.JobCapError{Which: c.which, Name: c.name, InFlight: n, Cap: c.limit}
		}
	}
	now := ms(j.CreatedAt)
	_, err = tx.ExecContext(ctx, s.bind(`INSERT INTO jobs (`+jobCols+`) VALUES (`+placeholders(34)+`)`),
		j.ID, j.Kind, j.State, j.RequestID, j.Project, j.KeyID, j.KeyDisplay, j.Member, j.Group, j.Model, j.Channel, j.UpstreamModel,
		j.UpstreamID, j.Params, j.Seconds, j.Size, j.Progress, j.ReservedNano, j.ChargedNano, jsonText(nonNil(j.Windows)), j.Charged,
		j.ErrorCode, j.ErrorMessage, j.LeaseOwner, ms(j.LeaseUntil), ms(j.NextPollAt), j.Polls, boolInt(j.CancelAsked),
		now, now, ms(j.StartedAt), ms(j.CompletedAt), ms(j.ExpiresAt), ms(j.DeadlineAt))
	if isUnique(err) {
		return fmt.Errorf("create job %s: %w", j.ID, store.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("create job %s: %w", j.ID, err)
	}
	if _, err := tx.ExecContext(ctx, s.bind(`INSERT INTO job_ledger (job_id, kind, amount_nano, at) VALUES (?, 'reserve', ?, ?)`),
		j.ID, j.ReservedNano, now); err != nil {
		return fmt.Errorf("create job %s: ledger: %w", j.ID, err)
	}
	if err := s.addWindowSpend(ctx, tx, j.Windows, j.ReservedNano, now); err != nil {
		return fmt.Errorf("create job %s: charge the reservation: %w", j.ID, err)
	}
	if log != nil {
		if _, err := tx.ExecContext(ctx, s.bind(logInsertSQL(1)), appendLogArgs(nil, log)...); err != nil {
			return fmt.Errorf("create job %s: request log: %w", j.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("create job %s: commit: %w", j.ID, err)
	}
	return nil
}

func (s *Store) addWindowSpend(ctx context.Context, tx querier, ws []store.JobWindow, delta, now int64) error {
	if delta == 0 {
		return nil
	}
	q := s.bind(upsertSpend)
	for _, w := range ws {
		if _, err := tx.ExecContext(ctx, q, w.Scope, w.Subject, w.Period, w.Start, delta, now); err != nil {
			return err
		}
	}
	return nil
}

// GetJob implements store.JobStore.
func (s *Store) GetJob(ctx context.Context, id string) (store.Job, error) {
	j, err := scanJob(s.queryRow(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = ?`, id))
	if err != nil {
		return j, notFound(err)
	}
	return j, nil
}

// ListJobs implements store.JobStore: newest first.
func (s *Store) ListJobs(ctx context.Context, f store.JobFilter) ([]store.Job, error) {
	var where []string
	var args []any
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	eq("project", f.Project)
	eq("key_id", f.KeyID)
	eq("state", f.State)
	eq("model", f.Model)
	eq("channel", f.Channel)
	if len(f.Projects) > 0 {
		where = append(where, "project IN ("+placeholders(len(f.Projects))+")")
		for _, p := range f.Projects {
			args = append(args, p)
		}
	}
	if !f.Since.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, ms(f.Since))
	}
	if f.After != "" {
		where = append(where, "(created_at < (SELECT created_at FROM jobs WHERE id = ?) OR (created_at = (SELECT created_at FROM jobs WHERE id = ?) AND id < ?))")
		args = append(args, f.After, f.After, f.After)
	}
	q := `SELECT ` + jobCols + ` FROM jobs`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	q += fmt.Sprintf(" ORDER BY created_at DESC, id DESC LIMIT %d", limit)
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []store.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// CountJobs implements store.JobStore.
func (s *Store) CountJobs(ctx context.Context) (map[string]int, error) {
	rows, err := s.query(ctx, `SELECT state, COUNT(*) FROM jobs GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// ClaimJobs implements store.JobStore: one UPDATE over a sub-select, which
// PostgreSQL runs with FOR UPDATE SKIP LOCKED (concurrent claimers take
// different jobs) and SQLite under its single writer.
func (s *Store) ClaimJobs(ctx context.Context, owner string, now time.Time, lease time.Duration, limit int) ([]store.Job, error) {
	n := ms(now)
	lock := ""
	if s.dialect == Postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	q := `UPDATE jobs SET lease_owner = ?, lease_until = ?, updated_at = ? WHERE id IN (
 SELECT id FROM jobs WHERE state IN (?, ?, ?) AND lease_until < ?
  AND (state = ? OR next_poll_at <= ? OR deadline_at <= ? OR cancel_requested = 1)
 ORDER BY next_poll_at LIMIT ?` + lock + `)
 RETURNING ` + jobCols
	args := append([]any{owner, ms(now.Add(lease)), n}, jobActive...)
	args = append(args, n, store.JobSubmitting, n, n, limit)
	rows, err := s.write.QueryContext(ctx, s.bind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	defer rows.Close()
	var out []store.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("claim jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// UpdateJob implements store.JobStore.
func (s *Store) UpdateJob(ctx context.Context, id, from, owner string, u store.JobUpdate, now time.Time) (bool, error) {
	owner2, until := "", int64(0)
	if u.KeepLease {
		owner2, until = owner, -1
	}
	q := `UPDATE jobs SET state = ?, upstream_id = CASE WHEN ? = '' THEN upstream_id ELSE ? END, progress = ?, next_poll_at = ?,
 started_at = CASE WHEN started_at = 0 THEN ? ELSE started_at END, polls = ?, lease_owner = ?,
 lease_until = CASE WHEN ? < 0 THEN lease_until ELSE ? END, updated_at = ?
 WHERE id = ? AND state = ? AND lease_owner = ?`
	res, err := s.exec(ctx, q, u.State, u.UpstreamID, u.UpstreamID, u.Progress, ms(u.NextPollAt), ms(u.StartedAt), u.Polls,
		owner2, until, until, ms(now), id, from, owner)
	if err != nil {
		return false, fmt.Errorf("update job %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// FinishJob implements store.JobStore.
// Inside a Tx it joins that transaction (the admin cancel writes its audit
// row with it), so it must not leave a write behind when it reports false:
// an already settled job is found before anything is written, and a
// settlement that lands between the two is ErrConflict (rolling it all back).
func (s *Store) FinishJob(ctx context.Context, id, from string, f store.JobFinal, now time.Time) (bool, error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return false, fmt.Errorf("finish job %s: %w", id, err)
	}
	defer tx.Rollback()
	j, err := scanJob(tx.QueryRowContext(ctx, s.bind(`SELECT `+jobCols+` FROM jobs WHERE id = ?`), id))
	if err != nil {
		return false, fmt.Errorf("finish job %s: %w", id, notFound(err))
	}
	if j.State != from {
		return false, nil
	}
	nested := s.tx != nil
	if nested {
		var settled int
		if err := tx.QueryRowContext(ctx, s.bind(`SELECT COUNT(*) FROM job_ledger WHERE job_id = ? AND kind = 'final'`), id).Scan(&settled); err != nil {
			return false, fmt.Errorf("finish job %s: ledger: %w", id, err)
		}
		if settled > 0 {
			return false, nil
		}
	}
	charged := min(max(f.ChargedNano, 0), j.ReservedNano)
	n := ms(now)
	res, err := tx.ExecContext(ctx, s.bind(`UPDATE jobs SET state = ?, charged_nano = ?, charged = ?, seconds = CASE WHEN ? > 0 THEN ? ELSE seconds END,
 progress = CASE WHEN ? = 'completed' THEN 100 ELSE progress END, error_code = ?, error_message = ?, completed_at = ?, expires_at = ?,
 lease_owner = '', lease_until = 0, updated_at = ? WHERE id = ? AND state = ?`),
		f.State, charged, f.Charged, f.Seconds, f.Seconds, f.State, f.ErrorCode, f.ErrorMessage, ms(f.CompletedAt), ms(f.ExpiresAt),
		n, id, from)
	if err != nil {
		return false, fmt.Errorf("finish job %s: %w", id, err)
	}
	if k, err := res.RowsAffected(); err != nil || k != 1 {
		return false, err
	}
	res, err = tx.ExecContext(ctx, s.bind(`INSERT INTO job_ledger (job_id, kind, amount_nano, at) VALUES (?, 'final', ?, ?)
 ON CONFLICT (job_id, kind) DO NOTHING`), id, charged, n)
	if err != nil {
		return false, fmt.Errorf("finish job %s: ledger: %w", id, err)
	}
	if k, err := res.RowsAffected(); err != nil || k != 1 {
		if err == nil && nested {
			err = fmt.Errorf("finish job %s: settled meanwhile: %w", id, store.ErrConflict)
		}
		return false, err // already settled: change nothing
	}
	if err := s.addWindowSpend(ctx, tx, j.Windows, charged-j.ReservedNano, n); err != nil {
		return false, fmt.Errorf("finish job %s: credit the budgets: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, s.bind(`UPDATE request_logs SET cost_usd = ?, charged = ? WHERE request_id = ?`),
		f.CostUSD, f.Charged, j.RequestID); err != nil {
		return false, fmt.Errorf("finish job %s: request log: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("finish job %s: commit: %w", id, err)
	}
	return true, nil
}

// RequestJobCancel implements store.JobStore.
func (s *Store) RequestJobCancel(ctx context.Context, id string, now time.Time) (store.Job, error) {
	res, err := s.exec(ctx, `UPDATE jobs SET cancel_requested = 1, next_poll_at = 0, updated_at = ? WHERE id = ? AND state IN (?, ?, ?)`,
		append([]any{ms(now), id}, jobActive...)...)
	if err != nil {
		return store.Job{}, fmt.Errorf("cancel job %s: %w", id, err)
	}
	_, _ = res.RowsAffected()
	j, err := s.GetJob(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return j, err
	}
	return j, err
}

// ExpireJobContent implements store.JobStore.
func (s *Store) ExpireJobContent(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := s.exec(ctx, `UPDATE jobs SET expires_at = ?, updated_at = ? WHERE id = ? AND state = ?`, ms(now), ms(now), id, store.JobCompleted)
	if err != nil {
		return false, fmt.Errorf("expire job %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
