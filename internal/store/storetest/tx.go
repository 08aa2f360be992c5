package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// runTx checks Store.Tx: a committed function's writes are all stored, a
// failed one's are none, reads inside see the transaction's own writes,
// and a Tx inside a Tx joins it.
func runTx(t *testing.T, st store.Store) {
	ctx := context.Background()
	key := func(id string, n int) *store.Key {
		return &store.Key{ID: id, Hash: fmt.Sprintf("%064x", 0x7000+n), Display: "kg_live_TXTX…" + id, Env: "live", Project: "p1",
			Group: "g1", State: store.KeyActive}
	}
	boom := errors.New("boom")
	err := st.Tx(ctx, func(tx store.Store) error {
		must(t, tx.CreateKey(ctx, key("key_tx_rb", 1)))
		must(t, tx.InsertAudit(ctx, store.AuditEvent{ID: "aud_tx_rb", Time: time.Now().UTC(), Actor: "t", Action: "tx.test", Object: "key_tx_rb"}))
		if _, err := tx.GetKey(ctx, "key_tx_rb"); err != nil {
			t.Fatalf("read inside the transaction: %v", err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Tx returned %v, want fn's error", err)
	}
	if _, err := st.GetKey(ctx, "key_tx_rb"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rolled-back key: err %v, want ErrNotFound", err)
	}
	if evs, err := st.ListAudit(ctx, store.AuditFilter{Action: "tx.test"}); err != nil || len(evs) != 0 {
		t.Fatalf("rolled-back audit: %v %+v", err, evs)
	}
	must(t, st.Tx(ctx, func(tx store.Store) error {
		if err := tx.CreateKey(ctx, key("key_tx_ok", 2)); err != nil {
			return err
		}
		return tx.Tx(ctx, func(inner store.Store) error {
			return inner.InsertAudit(ctx, store.AuditEvent{ID: "aud_tx_ok", Time: time.Now().UTC(), Actor: "t", Action: "tx.test", Object: "key_tx_ok"})
		})
	}))
	if _, err := st.GetKey(ctx, "key_tx_ok"); err != nil {
		t.Fatalf("committed key: %v", err)
	}
	if evs, err := st.ListAudit(ctx, store.AuditFilter{Action: "tx.test"}); err != nil || len(evs) != 1 {
		t.Fatalf("committed audit: %v %+v", err, evs)
	}
	// A failing inner Tx fails the whole.
	err = st.Tx(ctx, func(tx store.Store) error {
		must(t, tx.CreateKey(ctx, key("key_tx_inner", 3)))
		return tx.Tx(ctx, func(store.Store) error { return boom })
	})
	if _, gerr := st.GetKey(ctx, "key_tx_inner"); !errors.Is(err, boom) || !errors.Is(gerr, store.ErrNotFound) {
		t.Fatalf("inner failure: err %v, key %v", err, gerr)
	}
}

// runClaimFor checks that a lapsing claim holds within its ttl and is
// replaced after it.
func runClaimFor(t *testing.T, st store.Store) {
	ctx := context.Background()
	got, ok, err := st.ClaimFor(ctx, "idem-test", "k1", "first", time.Hour)
	if err != nil || !ok || got != "first" {
		t.Fatalf("first claim: %q %v %v", got, ok, err)
	}
	got, ok, err = st.ClaimFor(ctx, "idem-test", "k1", "second", time.Hour)
	if err != nil || ok || got != "first" {
		t.Fatalf("claim within ttl: %q %v %v, want the first", got, ok, err)
	}
	// A ttl the claim has outlived (negative: lapsed already) lets a new one in.
	got, ok, err = st.ClaimFor(ctx, "idem-test", "k1", "third", -time.Second)
	if err != nil || !ok || got != "third" {
		t.Fatalf("claim after ttl: %q %v %v, want it replaced", got, ok, err)
	}
	// A claim made in a rolled-back transaction is not there.
	_ = st.Tx(ctx, func(tx store.Store) error {
		if _, _, err := tx.ClaimFor(ctx, "idem-test", "k2", "lost", time.Hour); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	if got, ok, err := st.ClaimFor(ctx, "idem-test", "k2", "kept", time.Hour); err != nil || !ok || got != "kept" {
		t.Fatalf("claim after a rolled-back one: %q %v %v", got, ok, err)
	}
}
