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

// A key made through one instance is shown once by another (the page after
// the POST may be served by any of them): the plaintext travels sealed in
// a cookie under the session, and is in neither the database nor a log.
func TestNewKeyShownOnceByAnotherInstance(t *testing.T) {
	dsn := "sqlite:" + t.TempDir() + "/keygate.db"
	g1 := testgw.Start(t, testgw.Options{DSN: dsn})
	g2 := testgw.Start(t, testgw.Options{DSN: dsn})
	b1 := newBrowser(t, g1)
	b1.signIn(url.Values{"token": {testgw.AdminToken}})
	resp, _ := b1.post("/ui/keys", "/ui/keys", url.Values{"project": {"demo"}, "name": {"roaming"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	shown := resp.Header.Get("Location")
	var sealed *http.Cookie
	for _, c := range resp.Cookies() {
		if strings.HasPrefix(c.Name, "kg_ui_rv_") {
			sealed = c
		}
	}
	if sealed == nil || !sealed.HttpOnly || sealed.SameSite != http.SameSiteStrictMode {
		t.Fatalf("reveal cookie %+v: want HttpOnly, SameSite=Strict", sealed)
	}
	if strings.Contains(sealed.Value, "kg_live_") {
		t.Fatal("the reveal cookie carries the key in clear")
	}
	// The same browser, now routed to the other instance.
	b2 := newBrowser(t, g2)
	u2, _ := url.Parse(g2.URL + "/ui/")
	u1, _ := url.Parse(g1.URL + "/ui/")
	var moved []*http.Cookie
	for _, c := range b1.c.Jar.Cookies(u1) { // a jar gives name and value only
		moved = append(moved, &http.Cookie{Name: c.Name, Value: c.Value, Path: "/ui/"})
	}
	b2.c.Jar.SetCookies(u2, moved)
	_, page := b2.get(shown)
	plain := plainRe.FindString(page)
	if plain == "" {
		t.Fatalf("the other instance does not show the new key:\n%s", page)
	}
	if _, again := b2.get(shown); strings.Contains(again, plain) || !strings.Contains(again, `id="gone"`) {
		t.Fatal("the key is shown a second time")
	}
	// A reveal cookie replayed under another session opens nothing.
	b3 := newBrowser(t, g1)
	b3.signIn(url.Values{"token": {testgw.AdminToken}})
	b3.c.Jar.SetCookies(u1, []*http.Cookie{{Name: sealed.Name, Value: sealed.Value, Path: "/ui/"}})
	if _, other := b3.get(shown); strings.Contains(other, plain) {
		t.Fatal("another session opened the reveal cookie")
	}
	if r, _ := g1.Do("POST", "/v1/chat/completions", testgw.Bearer(plain), `{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`); r.StatusCode != 200 {
		t.Fatalf("the shown key does not work: %d", r.StatusCode)
	}
}
