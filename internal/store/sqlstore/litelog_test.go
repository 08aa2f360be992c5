package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// The log connection binds a row's values itself (liteBind.logRow): each
// column must be stored with the value and the type appendLogValues, the
// one list of the columns, gives it.
func TestLiteBindMatchesLogValues(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "bind.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Every field distinct from every other and from its zero value.
	r := store.RequestLog{RequestID: "req_bind", Time: time.UnixMilli(1_800_000_000_123), KeyID: "key_1", KeyDisplay: "kg_live_ab…yz",
		KeyEnv: "live", Project: "proj", Member: "mem", Group: "grp", Model: "model-a", ModelServed: "model-b", Channel: "chan",
		RequestType: "chat", Stream: true, Status: 502, ErrorCode: "upstream_unavailable", FailureReason: "reason ✓", InputTokens: 11,
		OutputTokens: 12, UsageEstimated: true, CostUSD: 0.125, Charged: "refunded", LatencyMS: 3.5, TTFBMS: 1.25, SourceIP: "10.1.2.3",
		UserAgent: "ua/1", Attempts: 3, Route: "/v1/chat/completions", AttemptsDetail: []store.Attempt{{Channel: "c1", Status: 500}},
		Client: "sdk", Unpriced: true, CachedInputTokens: 13, CacheWriteTokens: 14, ReasoningTokens: 15}
	// One row in each INSERT size, so every prepared statement is checked.
	rows := []store.RequestLog{r}
	for i := 1; i < logsPerStmt+10+1; i++ {
		o := r
		o.RequestID = fmt.Sprintf("req_bind%03d", i)
		rows = append(rows, o)
	}
	if err := st.InsertLogs(ctx, rows); err != nil {
		t.Fatal(err)
	}
	var nv [logColCount]driver.NamedValue
	want := appendLogValues(nv[:0], &r)
	for _, id := range []string{"req_bind", "req_bind100", "req_bind110"} {
		for i, name := range logColNames {
			var typ string
			var got any
			if err := st.read.QueryRowContext(ctx, `SELECT typeof(`+name+`), `+name+` FROM request_logs WHERE request_id = ?`, id).Scan(&typ, &got); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			w := want[i].Value
			wantTyp := map[string]string{"string": "text", "int64": "integer", "float64": "real"}[fmt.Sprintf("%T", w)]
			if name == "request_id" {
				w = id
			}
			if typ != wantTyp || fmt.Sprint(got) != fmt.Sprint(w) {
				t.Errorf("row %s column %s stored as %s %v, want %s %v", id, name, typ, got, wantTyp, w)
			}
		}
	}
}

// SQLite's refusal of the data on the log connection is a RefusedError,
// like the driver's: the log writer splits the batch rather than retrying.
func TestLiteLogRefusalIsPermanent(t *testing.T) {
	err := refusal(fmt.Errorf("insert: %w", &liteError{code: 2067, msg: "UNIQUE constraint failed"})) // SQLITE_CONSTRAINT_UNIQUE
	var refused *RefusedError
	if !errors.As(err, &refused) {
		t.Fatalf("refusal(constraint) = %v, want a *RefusedError", err)
	}
	if err := refusal(&liteError{code: 5, msg: "database is locked"}); errors.As(err, &refused) {
		t.Fatalf("refusal(busy) = %v, want a transient error", err)
	}
}

// A batch that finds a transaction left open on the log connection (its
// ROLLBACK failed) rolls it back and goes on; the store's other writes
// still run while no batch is being written.
func TestLiteLogRecoversAnOpenTransaction(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "tx.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	row := func(id string) []store.RequestLog { return []store.RequestLog{{RequestID: id, Time: time.Now()}} }
	if err := st.InsertLogs(ctx, row("req_1")); err != nil {
		t.Fatal(err)
	}
	if err := st.logs.lite.begin(); err != nil { // as a batch that failed half-way leaves it
		t.Fatal(err)
	}
	if err := st.logs.lite.query(`INSERT INTO request_logs (request_id, time, status) VALUES ('req_lost', 1, 200)`, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertLogs(ctx, row("req_2")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.write.ExecContext(ctx, `INSERT INTO audit_events (id, time, actor, action, object, source_ip, detail) VALUES ('a1', 1, '', '', '', '', '')`); err != nil {
		t.Fatalf("a write beside the log connection: %v", err)
	}
	var ids []string
	rs, err := st.read.QueryContext(ctx, `SELECT request_id FROM request_logs ORDER BY request_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if got := strings.Join(ids, ","); got != "req_1,req_2" {
		t.Fatalf("stored %s, want req_1,req_2 (the open transaction's row rolled back)", got)
	}
}
