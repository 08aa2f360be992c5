package ui_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/testgw"
)

func sessionCookie(t *testing.T, b *browser) string {
	t.Helper()
	u, _ := url.Parse(b.g.URL + "/ui/")
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == "kg_ui_session" && c.Value != "" {
			return c.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func hexHash(v string) string { h := sha256.Sum256([]byte(v)); return hex.EncodeToString(h[:]) }

// A session signed in on one instance works on another one that shares the
// database and never saw the sign-in (as after a restart), POSTs included;
// the table holds only the cookie's hash; disabling the member on the
// second instance ends the session on the first and deletes its row.
func TestSessionSharedAcrossInstancesAndEndedByDisable(t *testing.T) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			g1 := testgw.Start(t, testgw.Options{DSN: db.DSN})
			g2 := testgw.Start(t, testgw.Options{DSN: db.DSN})
			id := createMember(t, g1, "ops@example.com", "admin", "admin-passphrase-1")
			b1 := newBrowser(t, g1)
			b1.signIn(url.Values{"email": {"ops@example.com"}, "password": {"admin-passphrase-1"}})
			cookie := sessionCookie(t, b1)

			b2 := newBrowser(t, g2)
			u2, _ := url.Parse(g2.URL + "/ui/")
			b2.c.Jar.SetCookies(u2, []*http.Cookie{{Name: "kg_ui_session", Value: cookie, Path: "/ui/"}})
			if r, page := b2.get("/ui/keys"); r.StatusCode != 200 || !strings.Contains(page, "ops@example.com") {
				t.Fatalf("the other instance does not know the session: %d", r.StatusCode)
			}
			k := g2.CreateKey(map[string]any{"project": "demo"})
			if r, _ := b2.post("/ui/keys/"+k.ID, "/ui/keys/"+k.ID+"/disable", url.Values{"reason": {"from instance two"}}); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("a change through the other instance: %d", r.StatusCode)
			}

			ctx := context.Background()
			if _, err := g1.App.Store.GetUISession(ctx, hexHash(cookie), time.Now()); err != nil {
				t.Fatalf("the session row under the cookie's hash: %v", err)
			}
			if _, err := g1.App.Store.GetUISession(ctx, cookie, time.Now()); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("a row is found under the raw cookie value: %v", err)
			}
			if db.Name == "sqlite" {
				raw, err := sql.Open("sqlite", strings.TrimPrefix(db.DSN, "sqlite:"))
				if err != nil {
					t.Fatal(err)
				}
				defer raw.Close()
				var n int
				if err := raw.QueryRow(`SELECT count(*) FROM ui_sessions WHERE id_hash || member_id || fingerprint LIKE '%' || ? || '%'`, cookie).Scan(&n); err != nil || n != 0 {
					t.Fatalf("the cookie's value is stored: %d rows, %v", n, err)
				}
			}

			if st := g2.Admin("PATCH", "/admin/v1/members/"+id, map[string]any{"disabled": true}, nil); st != 200 {
				t.Fatalf("disable member: %d", st)
			}
			if r, _ := b1.get("/ui/keys"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/ui/signin" {
				t.Fatalf("after the member was disabled on the other instance: %d %s", r.StatusCode, r.Header.Get("Location"))
			}
			if _, err := g1.App.Store.GetUISession(ctx, hexHash(cookie), time.Now()); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("the ended session's row is still there: %v", err)
			}
		})
	}
}

// A session idle longer than the idle time is refused, and the next
// sign-in removes the expired rows.
func TestExpiredSessionsRefusedAndRemoved(t *testing.T) {
	var clock atomic.Int64
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock.Store(start.UnixNano())
	g := testgw.Start(t, testgw.Options{Now: func() time.Time { return time.Unix(0, clock.Load()).UTC() }})
	b := newBrowser(t, g)
	b.signIn(url.Values{"token": {testgw.AdminToken}})
	old := sessionCookie(t, b)
	if r, _ := b.get("/ui/keys"); r.StatusCode != 200 {
		t.Fatalf("fresh session: %d", r.StatusCode)
	}
	clock.Store(start.Add(3 * time.Hour).UnixNano()) // idle time is 2 h
	if r, _ := b.get("/ui/keys"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("session idle for 3 h: %d, want 303 to sign-in", r.StatusCode)
	}
	// The row is still there, only refused ...
	if _, err := g.App.Store.GetUISession(context.Background(), hexHash(old), start); err != nil {
		t.Fatalf("expired row before the sweep: %v", err)
	}
	b2 := newBrowser(t, g)
	b2.signIn(url.Values{"token": {testgw.AdminToken}})
	// ... until a sign-in sweeps it away.
	if _, err := g.App.Store.GetUISession(context.Background(), hexHash(old), start); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired row after a sign-in: %v, want it removed", err)
	}
	if r, _ := b2.get("/ui/keys"); r.StatusCode != 200 {
		t.Fatalf("new session: %d", r.StatusCode)
	}
}
