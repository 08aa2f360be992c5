package sqlstore

import (
	"encoding/binary"
	"io"
	"math"
	"sync"

	"github.com/keygate/keygate/internal/store"
)

// The request log batch in PostgreSQL's binary COPY format, written by
// appending bytes: no interface value per column, no encode plan looked up
// per value (what pgx.CopyFrom does with a row of []any, about a third of
// the writer's own CPU per row on PostgreSQL). The columns and their types
// are those of logCols and the PostgreSQL schema: TEXT, BIGINT, DOUBLE
// PRECISION, and unpriced INTEGER. TestCopyRowMatchesLogValues holds the
// order and the types to appendLogValues, the one list of the columns.

// copyHeader starts a binary COPY stream: the signature, no flags, no
// header extension.
var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// copyTrailer ends it: a tuple of -1 fields.
var copyTrailer = []byte{0xff, 0xff}

// logCopySQL is the COPY statement appendLogCopyRow writes for.
var logCopySQL = "COPY request_logs (" + logCols + ") FROM STDIN (FORMAT binary)"

// appendLogCopyRow appends one request log row as a binary COPY tuple.
func appendLogCopyRow(b []byte, r *store.RequestLog) []byte {
	b = binary.BigEndian.AppendUint16(b, logColCount)
	text := func(s string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	int8 := func(v int64) {
		b = binary.BigEndian.AppendUint32(b, 8)
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	float8 := func(v float64) {
		b = binary.BigEndian.AppendUint32(b, 8)
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(v))
	}
	text(r.RequestID)
	int8(ms(r.Time))
	text(r.KeyID)
	text(r.KeyDisplay)
	text(r.KeyEnv)
	text(r.Project)
	text(r.Member)
	text(r.Group)
	text(r.Model)
	text(r.ModelServed)
	text(r.Channel)
	text(r.RequestType)
	int8(int64(boolInt(r.Stream)))
	int8(int64(r.Status))
	text(r.ErrorCode)
	text(r.FailureReason)
	int8(int64(r.InputTokens))
	int8(int64(r.OutputTokens))
	int8(int64(boolInt(r.UsageEstimated)))
	float8(r.CostUSD)
	text(r.Charged)
	float8(r.LatencyMS)
	float8(r.TTFBMS)
	text(r.SourceIP)
	text(r.UserAgent)
	int8(int64(r.Attempts))
	text(r.Route)
	text(attemptsText(r.AttemptsDetail))
	text(r.Client)
	b = binary.BigEndian.AppendUint32(b, 4) // unpriced is INTEGER
	b = binary.BigEndian.AppendUint32(b, uint32(boolInt(r.Unpriced)))
	int8(int64(r.CachedInputTokens))
	int8(int64(r.CacheWriteTokens))
	int8(int64(r.ReasoningTokens))
	return b
}

// copyRows is a batch as a binary COPY stream, encoded a piece at a time
// as pgconn reads it: the batch is never held twice in memory.
type copyRows struct {
	rows    []store.RequestLog
	next    int  // the first row not encoded yet
	started bool // the header is written
	ended   bool // the trailer is written
	buf     []byte
	off     int // buf[off:] is encoded and not yet read
}

// copyPiece is how much copyRows encodes at a time: about pgconn's own
// CopyData message size.
const copyPiece = 64 << 10

var copyRowsPool = sync.Pool{New: func() any { return &copyRows{buf: make([]byte, 0, copyPiece+4096)} }}

func (c *copyRows) reset(rows []store.RequestLog) {
	*c = copyRows{rows: rows, buf: c.buf[:0]}
}

// release returns c to its pool unless one huge row grew its buffer.
func (c *copyRows) release() {
	c.rows = nil
	if cap(c.buf) <= 4*copyPiece {
		copyRowsPool.Put(c)
	}
}

func (c *copyRows) Read(p []byte) (int, error) {
	if c.off == len(c.buf) {
		if c.ended {
			return 0, io.EOF
		}
		c.buf, c.off = c.buf[:0], 0
		if !c.started {
			c.buf, c.started = append(c.buf, copyHeader...), true
		}
		for c.next < len(c.rows) && len(c.buf) < copyPiece {
			c.buf = appendLogCopyRow(c.buf, &c.rows[c.next])
			c.next++
		}
		if c.next == len(c.rows) {
			c.buf, c.ended = append(c.buf, copyTrailer...), true
		}
	}
	n := copy(p, c.buf[c.off:])
	c.off += n
	return n, nil
}
