package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/testgw"
)

// faults decides which store calls fail. Writes are counted across a
// whole request (inside and outside transactions); failAt makes the n-th
// fail, as a crash between two writes would.
type faults struct {
	mu        sync.Mutex
	writes    int
	failAt    int  // 0 = none
	failAudit bool // every InsertAudit fails
	down      bool // the database is unreachable
	// barrier, when set, holds ListMembers until two callers are inside
	// it (or a bounded wait ends), so two read-then-write races interleave.
	barrier chan struct{}
	// getBarrier does the same for GetMember.
	getBarrier chan struct{}
}

var errInjected = errors.New("injected store failure")

func (f *faults) write() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errInjected
	}
	f.writes++
	if f.failAt > 0 && f.writes == f.failAt {
		return fmt.Errorf("write %d: %w", f.writes, errInjected)
	}
	return nil
}

func (f *faults) isDown() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.down }

func (f *faults) set(fn func(f *faults)) { f.mu.Lock(); fn(f); f.mu.Unlock() }

// faultStore is a store.Store that fails as faults says; a transaction's
// store is wrapped too, sharing the counter.
type faultStore struct {
	store.Store
	f *faults
}

func (s *faultStore) Tx(ctx context.Context, fn func(tx store.Store) error) error {
	if s.f.isDown() {
		return errInjected
	}
	return s.Store.Tx(ctx, func(tx store.Store) error { return fn(&faultStore{Store: tx, f: s.f}) })
}

func (s *faultStore) CreateKey(ctx context.Context, k *store.Key) error {
	if err := s.f.write(); err != nil {
		return err
	}
	return s.Store.CreateKey(ctx, k)
}

func (s *faultStore) UpdateKey(ctx context.Context, k *store.Key) error {
	if err := s.f.write(); err != nil {
		return err
	}
	return s.Store.UpdateKey(ctx, k)
}

func (s *faultStore) InsertAudit(ctx context.Context, e store.AuditEvent) error {
	if err := s.f.write(); err != nil {
		return err
	}
	s.f.mu.Lock()
	fail := s.f.failAudit
	s.f.mu.Unlock()
	if fail {
		return errInjected
	}
	return s.Store.InsertAudit(ctx, e)
}

func (s *faultStore) ClaimOnce(ctx context.Context, scope, id, value string) (string, bool, error) {
	if err := s.f.write(); err != nil {
		return "", false, err
	}
	return s.Store.ClaimOnce(ctx, scope, id, value)
}

func (s *faultStore) ClaimFor(ctx context.Context, scope, id, value string, ttl time.Duration) (string, bool, error) {
	if err := s.f.write(); err != nil {
		return "", false, err
	}
	return s.Store.ClaimFor(ctx, scope, id, value, ttl)
}

func (s *faultStore) DeleteMember(ctx context.Context, id string) error {
	if err := s.f.write(); err != nil {
		return err
	}
	return s.Store.DeleteMember(ctx, id)
}

func (s *faultStore) ListMembers(ctx context.Context) ([]store.Member, error) {
	if s.f.isDown() {
		return nil, errInjected
	}
	s.f.mu.Lock()
	b := s.f.barrier
	s.f.mu.Unlock()
	if b != nil {
		// Two callers meet here (one's send is the other's receive); a
		// caller alone, because the other is serialized behind it, goes on
		// after a bounded wait.
		select {
		case b <- struct{}{}:
		case <-b:
		case <-time.After(2 * time.Second):
		}
	}
	return s.Store.ListMembers(ctx)
}

func (s *faultStore) GetProject(ctx context.Context, name string) (store.Project, error) {
	if s.f.isDown() {
		return store.Project{}, errInjected
	}
	return s.Store.GetProject(ctx, name)
}

// Reads fail only while the database is down.

func (s *faultStore) GetKeyByHash(ctx context.Context, hash string) (store.Key, error) {
	if s.f.isDown() {
		return store.Key{}, errInjected
	}
	return s.Store.GetKeyByHash(ctx, hash)
}

func (s *faultStore) GetMemberByTokenHash(ctx context.Context, hash string) (store.Member, error) {
	if s.f.isDown() {
		return store.Member{}, errInjected
	}
	return s.Store.GetMemberByTokenHash(ctx, hash)
}

func (s *faultStore) UpsertProject(ctx context.Context, p store.Project) error {
	if err := s.f.write(); err != nil {
		return err
	}
	return s.Store.UpsertProject(ctx, p)
}

// inject puts a faultStore in front of the admin API's and the services'
// store.
func inject(g *gateway) *faults {
	f := &faults{}
	g.App.Admin.Store = &faultStore{Store: g.App.Admin.Store, f: f}
	g.App.Service.Store = &faultStore{Store: g.App.Service.Store, f: f}
	return f
}

// TestRotationCrashLeavesOldKey injects a failure at every write of a
// rotation in turn: each time the old key stays valid and unrotated, no
// new key exists, and the same Idempotency-Key then rotates.
func TestRotationCrashLeavesOldKey(t *testing.T) {
	g := startGateway(t, nil)
	f := inject(g)
	// Count the writes of one clean rotation first.
	probe := g.createKey(nil)
	f.set(func(f *faults) { f.writes = 0 })
	h := http.Header{"Authorization": {"Bearer " + testgw.AdminToken}, "Idempotency-Key": {"probe"}}
	expect(t, "clean rotation", g.do("POST", "/admin/v1/keys/"+probe.ID+"/rotate", h, []byte(`{"grace_seconds": 3600}`)), 201, "")
	f.mu.Lock()
	n := f.writes
	f.mu.Unlock()
	if n < 3 {
		t.Fatalf("a rotation made %d counted writes; the test would prove nothing", n)
	}
	for i := 1; i <= n; i++ {
		k := g.createKey(nil)
		var before []keyOut
		g.admin("GET", "/admin/v1/keys?limit=1000", nil).jsonData(t, &before)
		f.set(func(f *faults) { f.writes, f.failAt = 0, i })
		idem := fmt.Sprintf("crash-%d", i)
		h := http.Header{"Authorization": {"Bearer " + testgw.AdminToken}, "Idempotency-Key": {idem}}
		r := g.do("POST", "/admin/v1/keys/"+k.ID+"/rotate", h, []byte(`{"grace_seconds": 3600}`))
		if r.Status < 500 {
			t.Fatalf("write %d of %d failed, yet the rotation answered %d %s", i, n, r.Status, r.Body)
		}
		f.set(func(f *faults) { f.failAt = 0 })
		var got keyOut
		g.admin("GET", "/admin/v1/keys/"+k.ID, nil).json(t, &got)
		if got.State != "active" || got.ReplacedBy != "" || got.GraceUntil != nil {
			t.Fatalf("failure at write %d: old key is %+v, want it untouched", i, got)
		}
		var after []keyOut
		g.admin("GET", "/admin/v1/keys?limit=1000", nil).jsonData(t, &after)
		if len(after) != len(before) {
			t.Fatalf("failure at write %d: %d keys, was %d: a half-made replacement exists", i, len(after), len(before))
		}
		expect(t, fmt.Sprintf("old key after failure at write %d", i), g.call(k.Key, ""), 200, "")
		r = g.do("POST", "/admin/v1/keys/"+k.ID+"/rotate", h, []byte(`{"grace_seconds": 3600}`))
		if r.Status != 201 {
			t.Fatalf("retry with the same Idempotency-Key after failure at write %d: %d %s", i, r.Status, r.Body)
		}
	}
}

// TestRotationSharesBudget spends a key's budget on its replacement and
// finds the old key, still in its grace window, refused too.
func TestRotationSharesBudget(t *testing.T) {
	g := startGateway(t, nil)
	k := g.createKey(map[string]any{"budget": map[string]any{"limit_usd": 0.0001, "period": "daily"}})
	r := g.admin("POST", "/admin/v1/keys/"+k.ID+"/rotate", map[string]any{"grace_seconds": 3600})
	expect(t, "rotate", r, 201, "")
	var nk keyOut
	r.json(t, &nk)
	refused := false
	for i := 0; i < 60 && !refused; i++ {
		r := g.do("POST", "/v1/chat/completions", http.Header{"Authorization": {"Bearer " + nk.Key}}, []byte(chatBody))
		switch {
		case r.Status == 429 && r.errCode() == "insufficient_quota":
			refused = true
		case r.Status != 200:
			t.Fatalf("call %d on the new key: %d %s", i, r.Status, r.Body)
		}
	}
	if !refused {
		t.Fatal("the new key's budget was never spent: the test proves nothing")
	}
	r = g.do("POST", "/v1/chat/completions", http.Header{"Authorization": {"Bearer " + k.Key}}, []byte(chatBody))
	expect(t, "old key in grace after the shared budget is spent", r, 429, "insufficient_quota")
}

// TestChangeWithoutAuditIsNotApplied: when the audit row cannot be
// written, the change does not happen.
func TestChangeWithoutAuditIsNotApplied(t *testing.T) {
	g := startGateway(t, nil)
	f := inject(g)
	k := g.createKey(nil)
	f.set(func(f *faults) { f.failAudit = true })
	r := g.admin("POST", "/admin/v1/keys/"+k.ID+"/disable", map[string]any{"reason": "test"})
	if r.Status < 500 {
		t.Fatalf("disable with a failing audit insert answered %d %s", r.Status, r.Body)
	}
	r = g.admin("POST", "/admin/v1/keys", map[string]any{"project": "demo", "name": "unaudited"})
	if r.Status < 500 {
		t.Fatalf("create with a failing audit insert answered %d %s", r.Status, r.Body)
	}
	f.set(func(f *faults) { f.failAudit = false })
	var got keyOut
	g.admin("GET", "/admin/v1/keys/"+k.ID, nil).json(t, &got)
	if got.State != "active" {
		t.Fatalf("key is %s after an unaudited disable", got.State)
	}
	expect(t, "key after an unaudited disable", g.call(k.Key, ""), 200, "")
	var all []keyOut
	g.admin("GET", "/admin/v1/keys?limit=1000", nil).jsonData(t, &all)
	for _, x := range all {
		if x.Name == "unaudited" {
			t.Fatalf("an unaudited key was created: %+v", x)
		}
	}
}

// TestConcurrentOwnerRemovalsKeepOne removes the last two owners at once:
// one removal must be refused.
func TestConcurrentOwnerRemovalsKeepOne(t *testing.T) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			g := startGateway(t, func(c *config.Config) {
				if db.Name != "sqlite" {
					c.Database = db.DSN
				}
			})
			var ids []string
			for _, e := range []string{"o1@example.com", "o2@example.com"} {
				r := g.admin("POST", "/admin/v1/members", map[string]any{"email": e, "role": "owner"})
				expect(t, "create owner", r, 201, "")
				var m struct {
					ID string `json:"id"`
				}
				r.json(t, &m)
				ids = append(ids, m.ID)
			}
			f := inject(g)
			f.set(func(f *faults) { f.barrier = make(chan struct{}) })
			var wg sync.WaitGroup
			status := make([]int, 2)
			for i, id := range ids {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Not g.admin: it records answers in a slice that is
					// not safe for concurrent use.
					req, _ := http.NewRequest("DELETE", g.URL+"/admin/v1/members/"+id, nil)
					req.Header.Set("Authorization", "Bearer "+testgw.AdminToken)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					status[i] = resp.StatusCode
				}()
			}
			wg.Wait()
			f.set(func(f *faults) { f.barrier = nil })
			var list struct {
				Data []struct {
					Role     string `json:"role"`
					Disabled bool   `json:"disabled"`
				} `json:"data"`
			}
			g.admin("GET", "/admin/v1/members", nil).json(t, &list)
			owners := 0
			for _, m := range list.Data {
				if m.Role == "owner" && !m.Disabled {
					owners++
				}
			}
			if owners != 1 {
				t.Fatalf("after two concurrent removals (%v) %d enabled owners remain, want 1", status, owners)
			}
		})
	}
}

// TestAdminWriteDuringOutage: with the database unreachable, admin writes
// answer 503 service_unavailable with Retry-After, not 500.
func TestAdminWriteDuringOutage(t *testing.T) {
	g := startGateway(t, nil)
	f := inject(g)
	k := g.createKey(nil)
	f.set(func(f *faults) { f.down = true })
	for _, c := range []struct {
		what, method, path string
		body               any
	}{
		{"disable a key", "POST", "/admin/v1/keys/" + k.ID + "/disable", map[string]any{"reason": "x"}},
		{"rotate a key", "POST", "/admin/v1/keys/" + k.ID + "/rotate", nil},
		{"create a key", "POST", "/admin/v1/keys", map[string]any{"project": "demo"}},
		{"create a project", "POST", "/admin/v1/projects", map[string]any{"name": "outage"}},
	} {
		r := g.admin(c.method, c.path, c.body)
		expect(t, c.what+" with the store down", r, 503, "service_unavailable")
		if r.Header.Get("Retry-After") == "" {
			t.Fatalf("%s with the store down: no Retry-After", c.what)
		}
	}
}

// TestStoreOutageAnswersAlike: every admin-package route renders a store
// outage the same way — 503 service_unavailable with Retry-After — the
// secret-scanning report (an unknown token needs a store read) and the
// check of a member's token included.
func TestStoreOutageAnswersAlike(t *testing.T) {
	sc := newScanner(t, "gh-current")
	g := startGateway(t, func(c *config.Config) { c.ScanningKeys = keyFile(t, sc) })
	r := g.admin("POST", "/admin/v1/members", map[string]any{"email": "outage@example.com", "role": "admin"})
	expect(t, "create member", r, 201, "")
	var m struct {
		Token string `json:"token"`
	}
	r.json(t, &m)
	f := inject(g)
	unknown, _ := keys.Generate(keys.PrefixLive)
	f.set(func(f *faults) { f.down = true })
	for what, r := range map[string]response{
		"leak report of an uncached key": g.report(t, sc, "gh-current", reportBody(unknown)),
		"member token check":             g.do("GET", "/admin/v1/members/me", http.Header{"Authorization": {"Bearer " + m.Token}}, nil),
	} {
		expect(t, what+" with the store down", r, 503, "service_unavailable")
		if r.Header.Get("Retry-After") == "" {
			t.Errorf("%s with the store down: no Retry-After", what)
		}
	}
}

// jsonData decodes the "data" list of a list answer.
func (r response) jsonData(t *testing.T, v any) {
	t.Helper()
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	r.json(t, &env)
	if err := json.Unmarshal(env.Data, v); err != nil {
		t.Fatalf("decode data of %s: %v", r.Body, err)
	}
}

// TestLeakReplayAfterReenable: a report is acted on once, by its identity;
// replaying it after an owner re-enabled the key changes nothing and
// notifies nobody again.
func TestLeakReplayAfterReenable(t *testing.T) {
	sc := newScanner(t, "gh-current")
	g := startGateway(t, func(c *config.Config) { c.ScanningKeys = keyFile(t, sc) })
	k := g.createKey(nil)
	body := reportBody(k.Key)
	expect(t, "report", g.report(t, sc, "gh-current", body), 200, "")
	expect(t, "key after the report", g.call(k.Key, ""), 401, "key_disabled")
	expect(t, "re-enable", g.admin("POST", "/admin/v1/keys/"+k.ID+"/enable", nil), 200, "")
	expect(t, "replay", g.report(t, sc, "gh-current", body), 200, "")
	expect(t, "key after the replay", g.call(k.Key, ""), 200, "")
	var audit []struct {
		Action string `json:"action"`
	}
	g.admin("GET", "/admin/v1/audit?action=key.leaked&limit=100", nil).jsonData(t, &audit)
	if len(audit) != 1 {
		t.Fatalf("key.leaked audited %d times, want once", len(audit))
	}
	leaked := 0
	for _, d := range g.Hooks.Wait(1) {
		if d.Event.Type == "key.leaked" {
			leaked++
		}
	}
	if leaked != 1 {
		t.Fatalf("key.leaked sent %d times, want once", leaked)
	}
}

// TestRotationSharesRateLimit: the old key in its grace window and its
// replacement are one rate-limit identity.
func TestRotationSharesRateLimit(t *testing.T) {
	g := startGateway(t, nil)
	k := g.createKey(map[string]any{"rpm": 2})
	r := g.admin("POST", "/admin/v1/keys/"+k.ID+"/rotate", map[string]any{"grace_seconds": 3600})
	expect(t, "rotate", r, 201, "")
	var nk keyOut
	r.json(t, &nk)
	for i := 0; i < 2; i++ {
		expect(t, fmt.Sprintf("call %d on the new key", i), g.do("POST", "/v1/chat/completions",
			http.Header{"Authorization": {"Bearer " + nk.Key}}, []byte(chatBody)), 200, "")
	}
	expect(t, "old key after the new one used the shared rpm", g.do("POST", "/v1/chat/completions",
		http.Header{"Authorization": {"Bearer " + k.Key}}, []byte(chatBody)), 429, "rate_limit_exceeded")
}

// TestRotationTakesOverAnUnfinishedMark: an Idempotency-Key whose mark
// names a key that was never created (a rotation that died half-way under
// an older version) rotates instead of answering "in progress" forever.
func TestRotationTakesOverAnUnfinishedMark(t *testing.T) {
	g := startGateway(t, nil)
	k := g.createKey(nil)
	if _, _, err := g.App.Store.ClaimOnce(context.Background(), "rotate:"+k.ID, "stuck", "key_never_created"); err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Authorization": {"Bearer " + testgw.AdminToken}, "Idempotency-Key": {"stuck"}}
	r := g.do("POST", "/admin/v1/keys/"+k.ID+"/rotate", h, []byte(`{"grace_seconds": 60}`))
	expect(t, "rotation with an unfinished mark", r, 201, "")
	var v struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	r.json(t, &v)
	if v.Key == "" {
		t.Fatalf("no new key in %s", r.Body)
	}
	// The mark now names the new key: the same Idempotency-Key replays it.
	r = g.do("POST", "/admin/v1/keys/"+k.ID+"/rotate", h, []byte(`{"grace_seconds": 60}`))
	expect(t, "replay", r, 200, "")
	if r.Header.Get("Idempotent-Replayed") != "true" || !strings.Contains(string(r.Body), v.ID) {
		t.Fatalf("replay: %s %s", r.Header, r.Body)
	}
}

func (s *faultStore) GetMember(ctx context.Context, id string) (store.Member, error) {
	if s.f.isDown() {
		return store.Member{}, errInjected
	}
	s.f.mu.Lock()
	b := s.f.getBarrier
	s.f.mu.Unlock()
	if b != nil {
		select { // as in ListMembers: two readers meet, one alone goes on
		case b <- struct{}{}:
		case <-b:
		case <-time.After(2 * time.Second):
		}
	}
	return s.Store.GetMember(ctx, id)
}

// TestConcurrentMemberPatchesKeepBoth sends two patches of one member at
// once, each changing another field, with both reads of the member made
// before either write when the code allows it: both changes must stay (a
// patch decided on a member read outside its transaction wrote the other's
// field back).
func TestConcurrentMemberPatchesKeepBoth(t *testing.T) {
	g := startGateway(t, nil)
	r := g.admin("POST", "/admin/v1/members", map[string]any{"email": "both@example.com", "role": "viewer"})
	expect(t, "create member", r, 201, "")
	var m struct {
		ID string `json:"id"`
	}
	r.json(t, &m)
	f := inject(g)
	f.set(func(f *faults) { f.getBarrier = make(chan struct{}) })
	var wg sync.WaitGroup
	for _, body := range []string{`{"role": "support"}`, `{"disabled": true}`} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("PATCH", g.URL+"/admin/v1/members/"+m.ID, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testgw.AdminToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("patch %s: %d", body, resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	f.set(func(f *faults) { f.getBarrier = nil })
	var got struct {
		Role     string `json:"role"`
		Disabled bool   `json:"disabled"`
	}
	g.admin("GET", "/admin/v1/members/"+m.ID, nil).json(t, &got)
	if got.Role != "support" || !got.Disabled {
		t.Fatalf("after both patches the member is %+v; want role support and disabled", got)
	}
}
