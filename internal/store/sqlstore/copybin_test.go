package sqlstore

import (
	"bytes"
	"database/sql/driver"
	"encoding/binary"
	"io"
	"math"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// TestCopyRowMatchesLogValues: the binary COPY tuple carries, column by
// column, what appendLogValues (the one list of the columns) passes to the
// INSERTs — the same values in the same order, each in its column's
// PostgreSQL type (TEXT, BIGINT, DOUBLE PRECISION, and unpriced INTEGER).
// Every field of the row is set to a value unlike the others, so a swapped
// or missing column shows.
func TestCopyRowMatchesLogValues(t *testing.T) {
	r := store.RequestLog{
		RequestID: "req_1", Time: time.UnixMilli(1_700_000_000_123), KeyID: "key_2", KeyDisplay: "kg_live_3…", KeyEnv: "live",
		Project: "p4", Member: "m5", Group: "g6", Model: "model-7", ModelServed: "served-8", Channel: "ch9", RequestType: "chat",
		Stream: true, Status: 201, ErrorCode: "code_10", FailureReason: "reason 11 ünïcode", InputTokens: 12, OutputTokens: 13,
		UsageEstimated: true, CostUSD: 0.000014, Charged: "yes", LatencyMS: 15.5, TTFBMS: 16.25, SourceIP: "10.0.0.17",
		UserAgent: "ua/18", Attempts: 19, Route: "/v1/chat/completions", Client: "client-21", Unpriced: true,
		CachedInputTokens: 22, CacheWriteTokens: 23, ReasoningTokens: 24,
		AttemptsDetail: []store.Attempt{{Channel: "ch9", Status: 500, Code: "upstream_error", Error: "boom", DurationMS: 20}},
	}
	var nv [logColCount]driver.NamedValue
	want := appendLogValues(nv[:0], &r)
	b := appendLogCopyRow(nil, &r)
	if n := binary.BigEndian.Uint16(b); int(n) != logColCount {
		t.Fatalf("field count %d, want %d", n, logColCount)
	}
	b = b[2:]
	for i, v := range want {
		size := int(int32(binary.BigEndian.Uint32(b)))
		b = b[4:]
		field := b[:size]
		b = b[size:]
		name := logColNames[i]
		switch v := v.Value.(type) {
		case string:
			if string(field) != v {
				t.Errorf("column %s: %q, want %q", name, field, v)
			}
		case int64:
			var got int64
			switch {
			case name == "unpriced" && size == 4:
				got = int64(int32(binary.BigEndian.Uint32(field)))
			case name != "unpriced" && size == 8:
				got = int64(binary.BigEndian.Uint64(field))
			default:
				t.Errorf("column %s: %d bytes, not its type's", name, size)
				continue
			}
			if got != v {
				t.Errorf("column %s: %d, want %d", name, got, v)
			}
		case float64:
			if size != 8 || math.Float64frombits(binary.BigEndian.Uint64(field)) != v {
				t.Errorf("column %s: % x, want %v", name, field, v)
			}
		default:
			t.Fatalf("column %s: appendLogValues passes a %T, which the COPY encoder does not write", name, v)
		}
	}
	if len(b) != 0 {
		t.Errorf("%d bytes after the last column", len(b))
	}
}

// TestCopyRowsStream: a batch read through copyRows in reads of any size
// is the header, every row's tuple in order, and the trailer, once.
func TestCopyRowsStream(t *testing.T) {
	rows := make([]store.RequestLog, 500)
	var want []byte
	want = append(want, copyHeader...)
	for i := range rows {
		rows[i] = store.RequestLog{RequestID: "req_" + string(rune('a'+i%26)), FailureReason: string(bytes.Repeat([]byte{'x'}, i*7))}
		want = appendLogCopyRow(want, &rows[i])
	}
	want = append(want, copyTrailer...)
	for _, size := range []int{1, 7, 4096, 65536, 1 << 20} {
		c := &copyRows{}
		c.reset(rows)
		var got []byte
		p := make([]byte, size)
		for {
			n, err := c.Read(p)
			got = append(got, p[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("reads of %d bytes: %d bytes streamed, want %d", size, len(got), len(want))
		}
	}
	c := &copyRows{}
	c.reset(nil)
	got, _ := io.ReadAll(c)
	if !bytes.Equal(got, append(append([]byte(nil), copyHeader...), copyTrailer...)) {
		t.Fatalf("an empty batch: % x", got)
	}
}
