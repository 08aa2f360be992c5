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

// TestFinishJobJoinsTx: FinishJob inside a Tx is part of it — rolled back
// with it (the admin cancel whose audit row failed), committed with it —
// and a second finish in one transaction reports false and writes nothing.
// Outside a Tx it opened its own transaction even when called on a
// transaction's store, so it could not be undone with the change it
// belonged to (and, on SQLite's one write connection, waited for itself).
func TestFinishJobJoinsTx(t *testing.T) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			st, err := sqlstore.Open(ctx, db.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			now := time.Now().UTC().Truncate(time.Millisecond)
			j := &store.Job{ID: "video_tx1", Kind: "video", State: store.JobInProgress, RequestID: "req_tx1", Project: "demo", KeyID: "key_tx1",
				Model: "mock-video", Channel: "mock", ReservedNano: 400, Charged: "no", CreatedAt: now, DeadlineAt: now.Add(time.Hour)}
			if err := st.CreateJob(ctx, j, nil, 0, 0); err != nil {
				t.Fatal(err)
			}
			final := store.JobFinal{State: store.JobCancelled, ErrorCode: "cancelled", Charged: "refunded", CompletedAt: now}
			errAudit := errors.New("audit insert failed")
			err = st.Tx(ctx, func(tx store.Store) error {
				ok, err := tx.FinishJob(ctx, j.ID, store.JobInProgress, final, now)
				if err != nil || !ok {
					t.Fatalf("finish in a transaction: %v %v", ok, err)
				}
				return errAudit
			})
			if !errors.Is(err, errAudit) {
				t.Fatalf("Tx: %v", err)
			}
			got, err := st.GetJob(ctx, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != store.JobInProgress || got.Charged != "no" {
				t.Fatalf("a finish rolled back with its transaction left the job %s/%s", got.State, got.Charged)
			}
			err = st.Tx(ctx, func(tx store.Store) error {
				if ok, err := tx.FinishJob(ctx, j.ID, store.JobInProgress, final, now); err != nil || !ok {
					t.Fatalf("finish: %v %v", ok, err)
				}
				if ok, err := tx.FinishJob(ctx, j.ID, store.JobInProgress, final, now); err != nil || ok {
					t.Fatalf("a second finish in the same transaction: %v %v, want false", ok, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ = st.GetJob(ctx, j.ID); got.State != store.JobCancelled || got.Charged != "refunded" {
				t.Fatalf("after a committed finish the job is %s/%s", got.State, got.Charged)
			}
		})
	}
}
