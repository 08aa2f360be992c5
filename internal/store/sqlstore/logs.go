package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/keygate/keygate/internal/store"
)

// RefusedError is an InsertLogs error the database will repeat for the same
// rows however often they are sent (a value it cannot store, a constraint):
// retrying is useless, splitting the batch finds the rows at fault.
// Permanent tells the log writer so without it importing this package.
type RefusedError struct{ Err error }

func (e *RefusedError) Error() string   { return e.Err.Error() }
func (e *RefusedError) Unwrap() error   { return e.Err }
func (e *RefusedError) Permanent() bool { return true }

// refusal wraps err as a RefusedError when the database refused the data
// itself rather than failed to take it (connection, lock, timeout).
func refusal(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && len(pg.Code) == 5 {
		switch pg.Code[:2] {
		case "22", // data exception: invalid byte sequence (NUL, bad UTF-8), value too long…
			"23", // integrity constraint violation
			"54": // program limit exceeded: a row or value too big
			return &RefusedError{err}
		}
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() & 0xff {
		case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH:
			return &RefusedError{err}
		}
	}
	return err
}

const logCols = `request_id, time, key_id, key_display, key_env, project, member, group_name, model, model_served, channel, request_type,
 stream, status, error_code, failure_reason, input_tokens, output_tokens, usage_estimated, cost_usd, charged, latency_ms, ttfb_ms,
 source_ip, user_agent, attempts, route, attempts_detail, client, unpriced, cached_input_tokens, cache_write_tokens, reasoning_tokens`

const logColCount = 33

// logsPerStmt is how many rows one INSERT carries: multi-row INSERTs
// amortise the per-statement cost; 100 rows × 33 columns stays far under
// every engine's parameter limit (SQLite 32766, PostgreSQL 65535).
const logsPerStmt = 100

// logStmts caches the prepared multi-row INSERT of a full chunk, so the
// log writer does not make the database parse the same long statement for
// every chunk of every batch (in profiles, parsing was a quarter of the
// insert's cost). A batch's shorter last chunk is sent unprepared.
type logStmts struct {
	mu   sync.Mutex
	full *sql.Stmt
}

func logInsertSQL(rows int) string {
	return `INSERT INTO request_logs (` + logCols + `) VALUES ` + valueRows(logColCount, rows) + ` ON CONFLICT (request_id) DO NOTHING`
}

// fullLogInsert returns the prepared statement for a full chunk.
func (s *Store) fullLogInsert(ctx context.Context) (*sql.Stmt, error) {
	s.logs.mu.Lock()
	defer s.logs.mu.Unlock()
	if s.logs.full == nil {
		st, err := s.write.PrepareContext(ctx, s.bind(logInsertSQL(logsPerStmt)))
		if err != nil {
			return nil, err
		}
		s.logs.full = st
	}
	return s.logs.full, nil
}

// InsertLogs writes a batch of request logs in one transaction. Rows whose
// request id already exists are skipped, so a retried batch loses nothing and
// duplicates nothing. When the database refuses the rows' data itself the
// error is a *RefusedError: the batch is not worth retrying as it is.
func (s *Store) InsertLogs(ctx context.Context, rows []store.RequestLog) error {
	if len(rows) == 0 {
		return nil
	}
	var full *sql.Stmt
	if len(rows) >= logsPerStmt {
		var err error
		if full, err = s.fullLogInsert(ctx); err != nil {
			return fmt.Errorf("insert %d request logs: prepare: %w", len(rows), err)
		}
	}
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("insert %d request logs: %w", len(rows), err)
	}
	defer tx.Rollback()
	var txFull *sql.Stmt
	if full != nil {
		txFull = tx.StmtContext(ctx, full) // reuses the connection's prepared statement
		defer txFull.Close()
	}
	args := make([]any, 0, min(len(rows), logsPerStmt)*logColCount)
	for start := 0; start < len(rows); start += logsPerStmt {
		end := min(start+logsPerStmt, len(rows))
		chunk := rows[start:end]
		args = args[:0]
		for _, r := range chunk {
			args = appendLogArgs(args, &r)
		}
		if len(chunk) == logsPerStmt {
			_, err = txFull.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, s.bind(logInsertSQL(len(chunk))), args...)
		}
		if err != nil {
			return refusal(fmt.Errorf("insert %d request logs: %w", len(rows), err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("insert %d request logs: commit: %w", len(rows), err)
	}
	return nil
}

// appendLogArgs appends one row's values in logCols order: the one place
// that lists them, so every INSERT of a request log (the batch writer's and
// a job's own row) stays in step with the columns.
func appendLogArgs(args []any, r *store.RequestLog) []any {
	return append(args, r.RequestID, ms(r.Time), r.KeyID, r.KeyDisplay, r.KeyEnv, r.Project, r.Member, r.Group, r.Model,
		r.ModelServed, r.Channel, r.RequestType, boolInt(r.Stream), r.Status, r.ErrorCode, r.FailureReason, r.InputTokens,
		r.OutputTokens, boolInt(r.UsageEstimated), r.CostUSD, r.Charged, r.LatencyMS, r.TTFBMS, r.SourceIP, r.UserAgent,
		r.Attempts, r.Route, attemptsText(r.AttemptsDetail), r.Client, boolInt(r.Unpriced), r.CachedInputTokens, r.CacheWriteTokens, r.ReasoningTokens)
}

func scanLog(sc interface{ Scan(...any) error }) (store.RequestLog, error) {
	var r store.RequestLog
	var t int64
	var stream, est, unpriced int
	var detail string
	err := sc.Scan(&r.RequestID, &t, &r.KeyID, &r.KeyDisplay, &r.KeyEnv, &r.Project, &r.Member, &r.Group, &r.Model, &r.ModelServed,
		&r.Channel, &r.RequestType, &stream, &r.Status, &r.ErrorCode, &r.FailureReason, &r.InputTokens, &r.OutputTokens, &est,
		&r.CostUSD, &r.Charged, &r.LatencyMS, &r.TTFBMS, &r.SourceIP, &r.UserAgent, &r.Attempts, &r.Route, &detail, &r.Client, &unpriced,
		&r.CachedInputTokens, &r.CacheWriteTokens, &r.ReasoningTokens)
	r.Time, r.Stream, r.UsageEstimated, r.Unpriced = fromMS(t), stream != 0, est != 0, unpriced != 0
	if err == nil && detail != "" {
		// A row this version cannot read keeps its other fields: the
		// detail is an aid, not the record.
		_ = json.Unmarshal([]byte(detail), &r.AttemptsDetail)
	}
	return r, err
}

// attemptsText is the attempts_detail column: a JSON array, or "" when
// there is nothing beyond the row's own channel and status.
func attemptsText(a []store.Attempt) string {
	if len(a) == 0 {
		return ""
	}
	b, err := json.Marshal(a)
	if err != nil {
		return ""
	}
	return string(b)
}

// QueryLogs returns logs matching f, newest first (default limit 100, max 1000).
func (s *Store) QueryLogs(ctx context.Context, f store.LogFilter) ([]store.RequestLog, error) {
	q := `SELECT ` + logCols + ` FROM request_logs WHERE 1=1`
	var args []any
	add := func(cond string, v any) { q += ` AND ` + cond; args = append(args, v) }
	if f.KeyID != "" {
		add(`key_id = ?`, f.KeyID)
	}
	if f.Project != "" {
		add(`project = ?`, f.Project)
	}
	if len(f.Projects) > 0 {
		q += ` AND project IN (` + placeholders(len(f.Projects)) + `)`
		for _, p := range f.Projects {
			args = append(args, p)
		}
	}
	if f.Member != "" {
		add(`member = ?`, f.Member)
	}
	if f.Model != "" {
		add(`model = ?`, f.Model)
	}
	if f.Status != 0 {
		add(`status = ?`, f.Status)
	}
	if f.Code != "" {
		add(`error_code = ?`, f.Code)
	}
	if f.Charged != "" {
		add(`charged = ?`, f.Charged)
	}
	if !f.Since.IsZero() {
		add(`time >= ?`, ms(f.Since))
	}
	if !f.Until.IsZero() {
		add(`time < ?`, ms(f.Until))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	q += ` ORDER BY time DESC, request_id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("query logs: %w", err)
	}
	defer rows.Close()
	var out []store.RequestLog
	for rows.Next() {
		r, err := scanLog(rows)
		if err != nil {
			return nil, fmt.Errorf("query logs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// GetLog returns the log row of one request.
func (s *Store) GetLog(ctx context.Context, requestID string) (store.RequestLog, error) {
	r, err := scanLog(s.queryRow(ctx, `SELECT `+logCols+` FROM request_logs WHERE request_id = ?`, requestID))
	if err != nil {
		return r, notFound(err)
	}
	return r, nil
}

// InsertAudit records an audit event.
func (s *Store) InsertAudit(ctx context.Context, e store.AuditEvent) error {
	_, err := s.exec(ctx, `INSERT INTO audit_events (id, time, actor, action, object, source_ip, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.ID, ms(e.Time), e.Actor, e.Action, e.Object, e.SourceIP, e.Detail)
	if err != nil {
		return fmt.Errorf("insert audit event %s %s: %w", e.Action, e.Object, err)
	}
	return nil
}

// ListAudit returns audit events matching f, newest first.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error) {
	q := `SELECT id, time, actor, action, object, source_ip, detail FROM audit_events WHERE 1=1`
	var args []any
	if f.Actor != "" {
		q += ` AND actor = ?`
		args = append(args, f.Actor)
	}
	if f.Object != "" {
		q += ` AND object = ?`
		args = append(args, f.Object)
	}
	if f.Action != "" {
		q += ` AND action = ?`
		args = append(args, f.Action)
	}
	if !f.Since.IsZero() {
		q += ` AND time >= ?`
		args = append(args, ms(f.Since))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	q += ` ORDER BY time DESC, id DESC LIMIT ?`
	args = append(args, limit)
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	var out []store.AuditEvent
	for rows.Next() {
		var e store.AuditEvent
		var t int64
		if err := rows.Scan(&e.ID, &t, &e.Actor, &e.Action, &e.Object, &e.SourceIP, &e.Detail); err != nil {
			return nil, fmt.Errorf("list audit: %w", err)
		}
		e.Time = fromMS(t)
		out = append(out, e)
	}
	return out, rows.Err()
}
