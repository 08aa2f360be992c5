package sqlstore

import (
	"encoding/binary"
	"fmt"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/keygate/keygate/internal/store"
)

// liteLog is the SQLite connection the request log batches are written on
// (logs.go), opened with SQLite's own API as modernc.org/sqlite/lib exposes
// it rather than through the driver. Through the driver each of a row's 33
// values is an interface value (most of them allocated), looked up by
// parameter name, and, when it is text, copied into a C allocation of its
// own that is freed and unbound again after the statement; every one of
// those calls also takes the connection's mutex (the driver opens
// SQLITE_OPEN_FULLMUTEX). That was 40 % of the insert's CPU in profiles.
// Here a chunk's text values are copied into one C buffer, kept between
// batches, and bound in place (SQLITE_STATIC) straight from the rows'
// fields, and the connection has no mutex (SQLITE_OPEN_NOMUTEX): it is used
// by one goroutine at a time, under logStmts.mu.
//
// It is a second connection to the database file beside the store's write
// pool, but never a second writer: InsertLogs holds the pool's one
// connection while it writes here, so every other write of this process
// waits for the batch in the pool's queue as it did when the batch ran on
// that connection itself.
//
// Memory SQLite reads or writes is C memory (libc's allocator), never Go
// memory: a goroutine's stack moves, and the race detector's pointer checks
// refuse SQLite's reads of Go objects.
type liteLog struct {
	tls  *libc.TLS
	db   uintptr
	out  uintptr            // a C word for the handle open and prepare return
	ins  map[int]uintptr    // the INSERT of that many rows, prepared once
	stmt map[string]uintptr // other statements run per batch, prepared once

	text    uintptr // the C buffer a chunk's text values are bound from
	textCap int
}

// liteInsertSizes are the INSERTs a batch is cut into: full statements of
// logsPerStmt rows, then the rest in statements of 10 and of 1 row, so that
// no batch size needs a statement parsed for it.
var liteInsertSizes = [...]int{logsPerStmt, 10, 1}

// liteError is an error SQLite returned on the log connection: its
// extended result code and message, as the driver's *sqlite.Error has them.
type liteError struct {
	code int32
	msg  string
}

func (e *liteError) Error() string { return fmt.Sprintf("%s (%d)", e.msg, e.code) }

// Code is SQLite's extended result code.
func (e *liteError) Code() int { return int(e.code) }

// openLiteLog opens the log connection on the database file at path, which
// the store's pools have opened and migrated: it is in WAL mode for good.
// The settings are the write pool's (sqlstore.go): the same busy timeout and
// synchronous level, and the page cache a batch needs.
func openLiteLog(path string) (_ *liteLog, err error) {
	c := &liteLog{tls: libc.NewTLS(), ins: map[int]uintptr{}, stmt: map[string]uintptr{}}
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	if c.out = libc.Xmalloc(c.tls, 8); c.out == 0 {
		return nil, fmt.Errorf("open %s: out of memory", path)
	}
	name, err := libc.CString(path)
	if err != nil {
		return nil, err
	}
	rc := sqlite3.Xsqlite3_open_v2(c.tls, name, c.out, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_NOMUTEX, 0)
	libc.Xfree(c.tls, name)
	c.db = c.word()
	if rc != sqlite3.SQLITE_OK {
		if c.db == 0 {
			return nil, fmt.Errorf("open %s: SQLite error %d", path, rc)
		}
		return nil, fmt.Errorf("open %s: %w", path, c.err(rc))
	}
	sqlite3.Xsqlite3_extended_result_codes(c.tls, c.db, 1)
	sqlite3.Xsqlite3_busy_timeout(c.tls, c.db, 10000)
	// The page cache holds the pages one batch touches in every index of
	// request_logs: with SQLite's default 2 MB, a batch spread over a
	// hundred keys outgrows it mid-transaction, and its dirty pages are
	// spilled to the WAL and read back, several times per commit. A
	// 4096-row batch of the writer bench's 100-key mix dirties about 600
	// pages (2.4 MB); 8 MB leaves room for three times that (more keys a
	// batch, larger batches) and for the interior pages every insert
	// walks. Pages stay cached once read until the cache is full, and
	// each costs more than its size in the C heap: 32 MB here was 48 MB
	// more peak RSS, for no speed (BenchmarkInsertLogs, 245k rows: 95 MB
	// at 32 MB, 47 MB at 8 MB).
	for _, q := range []string{`PRAGMA synchronous = NORMAL`, `PRAGMA cache_size = -8192`} {
		if err := c.run(q); err != nil {
			return nil, fmt.Errorf("open %s: %s: %w", path, q, err)
		}
	}
	return c, nil
}

// word reads the C word at c.out.
func (c *liteLog) word() uintptr {
	return uintptr(binary.NativeEndian.Uint64(libc.GoBytes(c.out, 8)))
}

// err is the error of result code rc, with the connection's message.
func (c *liteLog) err(rc int32) error {
	code := sqlite3.Xsqlite3_extended_errcode(c.tls, c.db)
	if code&0xff != rc&0xff {
		code = rc
	}
	return &liteError{code: code, msg: libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db))}
}

// prepare compiles q; persistent tells SQLite the statement is kept.
func (c *liteLog) prepare(q string, persistent bool) (uintptr, error) {
	z, err := libc.CString(q)
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(c.tls, z)
	var flags uint32
	if persistent {
		flags = sqlite3.SQLITE_PREPARE_PERSISTENT
	}
	if rc := sqlite3.Xsqlite3_prepare_v3(c.tls, c.db, z, int32(len(q)), flags, c.out, 0); rc != sqlite3.SQLITE_OK {
		return 0, c.err(rc)
	}
	if st := c.word(); st != 0 {
		return st, nil
	}
	return 0, fmt.Errorf("prepare %.40q: no statement", q)
}

// maxCached bounds the statements cached besides the INSERTs: a batch runs
// a few (the spend's upsert, the transaction's own); the lists of ids
// chargeLogs checks vary in length and are not worth keeping.
const maxCached = 16

// cached returns q prepared, preparing it on first use; done finalizes it
// when it was not kept.
func (c *liteLog) cached(q string) (st uintptr, done func(), err error) {
	if st, ok := c.stmt[q]; ok {
		return st, func() {}, nil
	}
	keep := len(c.stmt) < maxCached
	if st, err = c.prepare(q, keep); err != nil {
		return 0, nil, err
	}
	if !keep {
		return st, func() { sqlite3.Xsqlite3_finalize(c.tls, st) }, nil
	}
	c.stmt[q] = st
	return st, func() {}, nil
}

// insertStmt returns the INSERT of rows rows.
func (c *liteLog) insertStmt(rows int) (uintptr, error) {
	if st, ok := c.ins[rows]; ok {
		return st, nil
	}
	st, err := c.prepare(liteInsertSQL(rows), true)
	if err != nil {
		return 0, err
	}
	c.ins[rows] = st
	return st, nil
}

// exec steps st to its end, calling row (when not nil) for each result
// row, and resets it.
func (c *liteLog) exec(st uintptr, row func(st uintptr)) error {
	for {
		switch rc := sqlite3.Xsqlite3_step(c.tls, st); rc {
		case sqlite3.SQLITE_ROW:
			if row != nil {
				row(st)
			}
		case sqlite3.SQLITE_DONE:
			sqlite3.Xsqlite3_reset(c.tls, st)
			return nil
		default:
			err := c.err(rc)
			sqlite3.Xsqlite3_reset(c.tls, st)
			return err
		}
	}
}

// run prepares, runs and finalizes q.
func (c *liteLog) run(q string) error {
	st, err := c.prepare(q, false)
	if err != nil {
		return err
	}
	defer sqlite3.Xsqlite3_finalize(c.tls, st)
	return c.exec(st, nil)
}

// begin starts the batch's transaction, taking the write lock at once as
// the pools' _txlock=immediate does. A transaction a failed batch left open
// (its ROLLBACK failed too) is rolled back first.
func (c *liteLog) begin() error {
	if sqlite3.Xsqlite3_get_autocommit(c.tls, c.db) == 0 {
		_ = c.end("ROLLBACK")
	}
	return c.end("BEGIN IMMEDIATE")
}

// end runs COMMIT, ROLLBACK or BEGIN IMMEDIATE.
func (c *liteLog) end(q string) error {
	return c.query(q, nil, nil)
}

// reserve makes the text buffer hold n bytes. A statement still bound to
// the old buffer is rebound in full before it is stepped again.
func (c *liteLog) reserve(n int) error {
	if n <= c.textCap && c.text != 0 {
		return nil
	}
	n = max(n, 2*c.textCap, 64<<10)
	p := libc.Xmalloc(c.tls, libc.Tsize_t(n))
	if p == 0 {
		return fmt.Errorf("allocate %d bytes for the request log text: out of memory", n)
	}
	if c.text != 0 {
		libc.Xfree(c.tls, c.text)
	}
	c.text, c.textCap = p, n
	return nil
}

// liteBind binds one chunk's values to an INSERT: text is copied to the
// connection's buffer and bound in place.
type liteBind struct {
	c   *liteLog
	st  uintptr
	buf []byte // the text buffer, as Go sees it
	off int    // the next free byte of buf
	i   int32  // the parameter bound last
	rc  int32  // the first failure
}

func (b *liteBind) text(s string) {
	b.i++
	n := copy(b.buf[b.off:], s)
	// A NULL pointer would bind NULL; an empty string's is any other.
	if rc := sqlite3.Xsqlite3_bind_text(b.c.tls, b.st, b.i, b.c.text+uintptr(b.off), int32(n), 0); rc != sqlite3.SQLITE_OK && b.rc == 0 {
		b.rc = rc
	}
	b.off += n
}

func (b *liteBind) int(v int64) {
	b.i++
	if rc := sqlite3.Xsqlite3_bind_int64(b.c.tls, b.st, b.i, v); rc != sqlite3.SQLITE_OK && b.rc == 0 {
		b.rc = rc
	}
}

func (b *liteBind) real(v float64) {
	b.i++
	if rc := sqlite3.Xsqlite3_bind_double(b.c.tls, b.st, b.i, v); rc != sqlite3.SQLITE_OK && b.rc == 0 {
		b.rc = rc
	}
}

// logTextBytes is how many bytes of text bindLogRow binds for r, given the
// attempts_detail text.
func logTextBytes(r *store.RequestLog, detail string) int {
	return len(r.RequestID) + len(r.KeyID) + len(r.KeyDisplay) + len(r.KeyEnv) + len(r.Project) + len(r.Member) + len(r.Group) +
		len(r.Model) + len(r.ModelServed) + len(r.Channel) + len(r.RequestType) + len(r.ErrorCode) + len(r.FailureReason) +
		len(r.Charged) + len(r.SourceIP) + len(r.UserAgent) + len(r.Route) + len(detail) + len(r.Client)
}

// bindLogRow binds one row's values in logCols order, with the types
// appendLogValues gives them (TestLiteBindMatchesLogValues holds the two
// in step).
func (b *liteBind) logRow(r *store.RequestLog, detail string) {
	b.text(r.RequestID)
	b.int(ms(r.Time))
	b.text(r.KeyID)
	b.text(r.KeyDisplay)
	b.text(r.KeyEnv)
	b.text(r.Project)
	b.text(r.Member)
	b.text(r.Group)
	b.text(r.Model)
	b.text(r.ModelServed)
	b.text(r.Channel)
	b.text(r.RequestType)
	b.int(int64(boolInt(r.Stream)))
	b.int(int64(r.Status))
	b.text(r.ErrorCode)
	b.text(r.FailureReason)
	b.int(int64(r.InputTokens))
	b.int(int64(r.OutputTokens))
	b.int(int64(boolInt(r.UsageEstimated)))
	b.real(r.CostUSD)
	b.text(r.Charged)
	b.real(r.LatencyMS)
	b.real(r.TTFBMS)
	b.text(r.SourceIP)
	b.text(r.UserAgent)
	b.int(int64(r.Attempts))
	b.text(r.Route)
	b.text(detail)
	b.text(r.Client)
	b.int(int64(boolInt(r.Unpriced)))
	b.int(int64(r.CachedInputTokens))
	b.int(int64(r.CacheWriteTokens))
	b.int(int64(r.ReasoningTokens))
}

// insert stores rows (at most logsPerStmt) with INSERT OR IGNORE and
// returns how many were new.
func (c *liteLog) insert(rows []store.RequestLog) (int64, error) {
	st, err := c.insertStmt(len(rows))
	if err != nil {
		return 0, fmt.Errorf("prepare: %w", err)
	}
	var details [logsPerStmt]string
	n := 1 // never a zero-length buffer: its pointer binds the empty strings
	for i := range rows {
		details[i] = attemptsText(rows[i].AttemptsDetail)
		n += logTextBytes(&rows[i], details[i])
	}
	if err := c.reserve(n); err != nil {
		return 0, err
	}
	b := liteBind{c: c, st: st, buf: libc.GoBytes(c.text, c.textCap)}
	for i := range rows {
		b.logRow(&rows[i], details[i])
	}
	if b.rc != 0 {
		return 0, fmt.Errorf("bind: %w", c.err(b.rc))
	}
	if err := c.exec(st, nil); err != nil {
		return 0, err
	}
	return int64(sqlite3.Xsqlite3_changes(c.tls, c.db)), nil
}

// query binds q's arguments (the types chargeLogs passes) and runs it,
// calling row for each result row.
func (c *liteLog) query(q string, args []any, row func(st uintptr)) error {
	st, done, err := c.cached(q)
	if err != nil {
		return err
	}
	defer done()
	n := 1
	for _, a := range args {
		if s, ok := a.(string); ok {
			n += len(s)
		}
	}
	if err := c.reserve(n); err != nil {
		return err
	}
	b := liteBind{c: c, st: st, buf: libc.GoBytes(c.text, c.textCap)}
	for _, a := range args {
		switch v := a.(type) {
		case string:
			b.text(v)
		case int64:
			b.int(v)
		case int:
			b.int(int64(v))
		case float64:
			b.real(v)
		default:
			return fmt.Errorf("bind %T: not a request log or spend value", a)
		}
	}
	if b.rc != 0 {
		sqlite3.Xsqlite3_reset(c.tls, st)
		return fmt.Errorf("bind: %w", c.err(b.rc))
	}
	return c.exec(st, row)
}

// close finalizes the statements and closes the connection.
func (c *liteLog) close() {
	for _, st := range c.ins {
		sqlite3.Xsqlite3_finalize(c.tls, st)
	}
	for _, st := range c.stmt {
		sqlite3.Xsqlite3_finalize(c.tls, st)
	}
	c.ins, c.stmt = nil, nil
	if c.db != 0 {
		sqlite3.Xsqlite3_close_v2(c.tls, c.db)
		c.db = 0
	}
	for _, p := range []uintptr{c.text, c.out} {
		if p != 0 {
			libc.Xfree(c.tls, p)
		}
	}
	c.text, c.out, c.textCap = 0, 0, 0
	c.tls.Close()
}
