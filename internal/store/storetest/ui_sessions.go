package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// runUISessions checks the dashboard's session table: a session is found
// by its id hash until it expires, touching it moves the expiry, and
// ending one, a member's, or the expired ones removes exactly those.
func runUISessions(t *testing.T, st store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	sess := func(id, member string, exp time.Duration) store.UISession {
		return store.UISession{IDHash: id, MemberID: member, Fingerprint: "fp-" + id, CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(exp)}
	}
	must(t, st.CreateUISession(ctx, sess("h_a", "mem_s1", time.Hour)))
	must(t, st.CreateUISession(ctx, sess("h_b", "mem_s1", time.Hour)))
	must(t, st.CreateUISession(ctx, sess("h_c", "mem_s2", time.Hour)))
	must(t, st.CreateUISession(ctx, sess("h_old", "", time.Minute)))
	if err := st.CreateUISession(ctx, sess("h_a", "mem_s9", time.Hour)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate id hash: %v, want ErrConflict", err)
	}
	got, err := st.GetUISession(ctx, "h_a", now)
	must(t, err)
	if got.MemberID != "mem_s1" || got.Fingerprint != "fp-h_a" || !got.CreatedAt.Equal(now) || !got.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("session read back as %+v", got)
	}
	if _, err := st.GetUISession(ctx, "h_a", now.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session read at its expiry: %v, want ErrNotFound", err)
	}
	must(t, st.TouchUISession(ctx, "h_a", now.Add(30*time.Minute), now.Add(2*time.Hour)))
	if got, err := st.GetUISession(ctx, "h_a", now.Add(90*time.Minute)); err != nil || !got.SeenAt.Equal(now.Add(30*time.Minute)) {
		t.Fatalf("touched session: %+v, %v", got, err)
	}
	if err := st.TouchUISession(ctx, "h_none", now, now.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("touch of no session: %v, want ErrNotFound", err)
	}
	n, err := st.DeleteExpiredUISessions(ctx, now.Add(2*time.Minute))
	must(t, err)
	if n != 1 {
		t.Fatalf("expired sessions removed: %d, want 1 (h_old)", n)
	}
	if _, err := st.GetUISession(ctx, "h_old", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session still there: %v", err)
	}
	n, err = st.DeleteMemberUISessions(ctx, "mem_s1")
	must(t, err)
	if n != 2 {
		t.Fatalf("member's sessions removed: %d, want 2", n)
	}
	if _, err := st.GetUISession(ctx, "h_b", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("member's session still there: %v", err)
	}
	must(t, st.DeleteUISession(ctx, "h_c"))
	must(t, st.DeleteUISession(ctx, "h_c")) // a second end is no error
	if _, err := st.GetUISession(ctx, "h_c", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ended session still there: %v", err)
	}
}
