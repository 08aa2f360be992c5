package sqlstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/sqlstore"
	"github.com/keygate/keygate/internal/testgw"
)

// A batch that repeats part of an earlier one — a retry after a commit
// whose answer was lost, a spool replayed after a crash — stores its new
// rows and skips the known ones, on both stores. On PostgreSQL the batch
// first goes as one COPY, which a known request id makes fail as a whole;
// the new rows must not be lost with it.
func TestInsertLogsPartlyKnownBatch(t *testing.T) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx := context.Background()
			st, err := sqlstore.Open(ctx, db.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			now := time.Now().UTC().Truncate(time.Millisecond)
			row := func(i int) store.RequestLog {
				return store.RequestLog{RequestID: fmt.Sprintf("req_part%04d", i), Time: now.Add(time.Duration(i) * time.Millisecond),
					KeyID: "key_part", Model: "m1", Status: 200, InputTokens: i, CostUSD: 0.25 * float64(i), Charged: "yes",
					UserAgent: "ua ✓", Stream: i%2 == 1, AttemptsDetail: []store.Attempt{{Channel: "c1", Status: 502}, {Channel: "c2", Status: 200}}}
			}
			var first, second []store.RequestLog
			for i := range 150 {
				first = append(first, row(i))
			}
			for i := 100; i < 260; i++ { // 50 known, 110 new: a full prepared chunk and a short one
				second = append(second, row(i))
			}
			if err := st.InsertLogs(ctx, first); err != nil {
				t.Fatal(err)
			}
			if err := st.InsertLogs(ctx, second); err != nil {
				t.Fatal(err)
			}
			got, err := st.QueryLogs(ctx, store.LogFilter{KeyID: "key_part", Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 260 {
				t.Fatalf("%d rows stored, want 260", len(got))
			}
			for _, r := range got {
				var i int
				if _, err := fmt.Sscanf(r.RequestID, "req_part%04d", &i); err != nil {
					t.Fatal(err)
				}
				want := row(i)
				if r.InputTokens != i || r.CostUSD != want.CostUSD || r.Stream != want.Stream || r.UserAgent != want.UserAgent ||
					!r.Time.Equal(want.Time) || len(r.AttemptsDetail) != 2 || r.AttemptsDetail[1].Channel != "c2" {
					t.Fatalf("row %s stored as %+v", r.RequestID, r)
				}
			}
		})
	}
}
