package sqlstore

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
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
	var lite interface{ Code() int } // *sqlite.Error, and *liteError of the log connection
	var driverErr *sqlite.Error
	var logErr *liteError
	switch {
	case errors.As(err, &driverErr):
		lite = driverErr
	case errors.As(err, &logErr):
		lite = logErr
	default:
		return err
	}
	switch lite.Code() & 0xff {
	case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH:
		return &RefusedError{err}
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

// logStmts is what the request log insert keeps between batches: on
// SQLite, the connection it writes on (litelog.go), opened by the first
// batch, with its prepared INSERTs.
type logStmts struct {
	mu     sync.Mutex
	lite   *liteLog
	closed bool // the store is closed: no connection is opened again
}

// liteInsertSQL is the batch INSERT on SQLite. OR IGNORE rather than ON
// CONFLICT DO NOTHING: with every constraint resolved by IGNORE a
// statement cannot abort half-way, so SQLite keeps no statement journal
// for it, where with DO NOTHING every page each 100-row statement touched
// was first copied to a temporary file (a third of the insert's CPU in
// profiles). The one constraint OR IGNORE can meet on request_logs is the
// unique request_id — a replayed or retried row, skipped either way: NOT
// NULL cannot fail, since appendLogValues passes no NULL, and the table has
// no CHECK or foreign key (TestLiteLogInsertIgnoresOnlyKnownIDs).
func liteInsertSQL(rows int) string {
	return `INSERT OR IGNORE INTO request_logs (` + logCols + `) VALUES ` + valueRows(logColCount, rows)
}

func logInsertSQL(rows int) string {
	return `INSERT INTO request_logs (` + logCols + `) VALUES ` + valueRows(logColCount, rows) + ` ON CONFLICT (request_id) DO NOTHING`
}

// pgLogBatchesInFlight is how many InsertLogs the request log writer runs
// at once on PostgreSQL. One batch at a time leaves the server idle while
// the client encodes the next COPY and the client idle while the server
// updates the indexes and commits; two overlap them (each batch is its own
// transaction on its own connection, its spend in the ledger's one order,
// so they cannot deadlock). SQLite has one writer: one batch at a time.
const pgLogBatchesInFlight = 2

// LogBatchesInFlight is how many batches the request log writer may store
// at once (logwriter asks).
func (s *Store) LogBatchesInFlight() int {
	if s.dialect == Postgres && s.tx == nil {
		return pgLogBatchesInFlight
	}
	return 1
}

// InsertLogs writes a batch of request logs in one transaction. Rows whose
// request id already exists are skipped, so a retried batch loses nothing and
// duplicates nothing. When the database refuses the rows' data itself the
// error is a *RefusedError: the batch is not worth retrying as it is.
func (s *Store) InsertLogs(ctx context.Context, rows []store.RequestLog) error {
	if len(rows) == 0 {
		return nil
	}
	var err error
	if s.dialect == Postgres {
		err = s.copyLogs(ctx, rows)
	} else {
		err = s.insertLogsSQLite(ctx, rows)
	}
	if err != nil {
		return refusal(fmt.Errorf("insert %d request logs: %w", len(rows), err))
	}
	return nil
}

// insertLogsSQLite runs the multi-row INSERTs on the store's request log
// connection (litelog.go), holding the write pool's one connection
// meanwhile: every other write of this process waits for the batch, as
// SQLite would make it wait for the write lock anyway, but in the pool's
// queue rather than in SQLite's busy handler, which polls.
func (s *Store) insertLogsSQLite(ctx context.Context, rows []store.RequestLog) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	s.logs.mu.Lock()
	defer s.logs.mu.Unlock()
	if s.logs.lite == nil {
		if s.logs.closed {
			return errors.New("the store is closed")
		}
		if s.logs.lite, err = openLiteLog(s.path); err != nil {
			return fmt.Errorf("open the request log connection: %w", err)
		}
	}
	c := s.logs.lite
	// The rows' spend goes in with them (chargeLogs). When every row was
	// new (the INSERTs took them all: the usual case) it is added for all;
	// otherwise the batch is done again, finding first which rows are
	// stored already.
	spend := hasSpend(rows)
	for _, check := range [...]bool{false, true} {
		if err := c.begin(); err != nil {
			return fmt.Errorf("begin: %w", err)
		}
		if check {
			if err := s.chargeLogs(ctx, liteLogCharge{c}, rows, false); err != nil {
				_ = c.end("ROLLBACK")
				return fmt.Errorf("add their spend to the budgets: %w", err)
			}
		}
		var inserted int64
		var err error
		for start := 0; start < len(rows); {
			if err = ctx.Err(); err != nil {
				break
			}
			size := logsPerStmt
			for _, n := range liteInsertSizes {
				if size = n; n <= len(rows)-start {
					break
				}
			}
			var n int64
			if n, err = c.insert(rows[start : start+size]); err != nil {
				break
			}
			inserted += n
			start += size
		}
		if err == nil && spend && !check {
			if inserted != int64(len(rows)) {
				_ = c.end("ROLLBACK")
				continue // some were stored already: again, checking
			}
			if err = s.chargeLogs(ctx, liteLogCharge{c}, rows, true); err != nil {
				err = fmt.Errorf("add their spend to the budgets: %w", err)
			}
		}
		if err != nil {
			_ = c.end("ROLLBACK")
			return err
		}
		if err := c.end("COMMIT"); err != nil {
			_ = c.end("ROLLBACK")
			return fmt.Errorf("commit: %w", err)
		}
		return nil
	}
	return nil
}

// copyLogs stores a batch on PostgreSQL with COPY: one statement, the rows
// streamed in the binary format, instead of INSERTs of 3,300 parameters
// each. COPY has no ON CONFLICT, but it is all or nothing: when a row's
// request id is already stored (a batch retried after a commit whose answer
// was lost, a spool replayed) nothing was copied, and the batch goes again
// as INSERT … ON CONFLICT DO NOTHING, which skips the known rows.
func (s *Store) copyLogs(ctx context.Context, rows []store.RequestLog) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	err = conn.Raw(func(dc any) error {
		pc, ok := dc.(interface{ Conn() *pgx.Conn })
		if !ok {
			return fmt.Errorf("the PostgreSQL driver's connection (%T) is not pgx's", dc)
		}
		conn := pc.Conn()
		var tx pgx.Tx
		if hasSpend(rows) {
			// The rows' spend goes in with them: COPY in one transaction
			// with chargeLogs (on the same connection, so the COPY below
			// runs inside it).
			var err error
			if tx, err = conn.Begin(ctx); err != nil {
				return err
			}
			defer tx.Rollback(context.WithoutCancel(ctx))
		}
		src := copyRowsPool.Get().(*copyRows)
		defer src.release()
		src.reset(rows)
		_, err := conn.PgConn().CopyFrom(ctx, src, logCopySQL)
		if err == nil && tx != nil {
			// COPY took every row, so each is new: no need to check which.
			if err = s.chargeLogs(ctx, pgxCharge{tx}, rows, true); err != nil {
				return fmt.Errorf("add their spend to the budgets: %w", err)
			}
			err = tx.Commit(ctx)
		}
		return err
	})
	var pg *pgconn.PgError
	if err == nil || !errors.As(err, &pg) || pg.Code != "23505" { // unique_violation
		return err
	}
	return s.insertLogsPostgres(ctx, rows)
}

// insertLogsPostgres is the batch as multi-row INSERTs that skip request
// ids already stored, in one transaction.
func (s *Store) insertLogsPostgres(ctx context.Context, rows []store.RequestLog) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.chargeLogs(ctx, sqlCharge{tx}, rows, false); err != nil {
		return fmt.Errorf("add their spend to the budgets: %w", err)
	}
	args := make([]any, 0, min(len(rows), logsPerStmt)*logColCount)
	for start := 0; start < len(rows); start += logsPerStmt {
		chunk := rows[start:min(start+logsPerStmt, len(rows))]
		args = args[:0]
		for i := range chunk {
			args = appendLogArgs(args, &chunk[i])
		}
		if _, err := tx.ExecContext(ctx, s.bind(logInsertSQL(len(chunk))), args...); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// logColNames are logCols one by one.
var logColNames = func() []string {
	names := strings.Split(logCols, ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
	}
	return names
}()

// appendLogValues appends one row's values in logCols order, as the
// drivers' own value types (int64, float64, string): the one place that
// lists them, so every INSERT of a request log (the batch writer's and a
// job's own row) stays in step with the columns.
func appendLogValues(args []driver.NamedValue, r *store.RequestLog) []driver.NamedValue {
	for _, v := range [logColCount]driver.Value{r.RequestID, ms(r.Time), r.KeyID, r.KeyDisplay, r.KeyEnv, r.Project, r.Member, r.Group, r.Model,
		r.ModelServed, r.Channel, r.RequestType, int64(boolInt(r.Stream)), int64(r.Status), r.ErrorCode, r.FailureReason, int64(r.InputTokens),
		int64(r.OutputTokens), int64(boolInt(r.UsageEstimated)), r.CostUSD, r.Charged, r.LatencyMS, r.TTFBMS, r.SourceIP, r.UserAgent,
		int64(r.Attempts), r.Route, attemptsText(r.AttemptsDetail), r.Client, int64(boolInt(r.Unpriced)), int64(r.CachedInputTokens),
		int64(r.CacheWriteTokens), int64(r.ReasoningTokens)} {
		args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: v})
	}
	return args
}

// appendLogArgs is appendLogValues for database/sql's arguments.
func appendLogArgs(args []any, r *store.RequestLog) []any {
	var nv [logColCount]driver.NamedValue
	for _, v := range appendLogValues(nv[:0], r) {
		args = append(args, v.Value)
	}
	return args
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
	q, args := logQuery(f)
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

// logQuery is QueryLogs' statement (apart so its query plans can be tested).
func logQuery(f store.LogFilter) (string, []any) {
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
	return q, append(args, limit)
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
