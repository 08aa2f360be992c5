package sqlstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/sqlstore"
	"github.com/keygate/keygate/internal/testgw"
)

// PostgreSQL refuses a NUL or an invalid UTF-8 byte in text for the whole
// multi-row INSERT; InsertLogs says the refusal is permanent so the log
// writer splits the batch instead of retrying it for a minute and dropping
// every row in it.
func TestInsertLogsRefusalIsPermanent(t *testing.T) {
	for _, db := range testgw.Databases(t) {
		if db.Name != "postgres" {
			continue // SQLite stores any bytes: nothing to refuse
		}
		st, err := sqlstore.Open(context.Background(), db.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ctx := context.Background()
		for name, bad := range map[string]store.RequestLog{
			"nul":      {RequestID: "req_nul", Model: "mock\x00gpt"},
			"bad utf8": {RequestID: "req_ff", UserAgent: "curl\xff"},
		} {
			good := store.RequestLog{RequestID: "req_good_" + bad.RequestID, Time: time.Now(), Model: "mock-gpt"}
			bad.Time = time.Now()
			err := st.InsertLogs(ctx, []store.RequestLog{good, bad})
			var refused *sqlstore.RefusedError
			if !errors.As(err, &refused) || !refused.Permanent() {
				t.Fatalf("%s: InsertLogs = %v, want a permanent *sqlstore.RefusedError", name, err)
			}
			if err := st.InsertLogs(ctx, []store.RequestLog{good}); err != nil {
				t.Fatalf("%s: the good row alone: %v", name, err)
			}
		}
		// A connection failure is not a refusal of the data.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		err = st.InsertLogs(cctx, []store.RequestLog{{RequestID: "req_x", Time: time.Now()}})
		var refused *sqlstore.RefusedError
		if err == nil || errors.As(err, &refused) {
			t.Fatalf("InsertLogs on a cancelled context = %v, want a transient error", err)
		}
	}
}
