package admin_test

// Projects, groups, channels, models, jobs and incidents through the
// service layer: a change whose audit row cannot be written is not applied,
// and two concurrent changes that the old read-then-write let both pass (or
// overwrite each other) now resolve to one outcome, on SQLite and on
// PostgreSQL.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/testgw"
)

// orgFaults decides which store calls of the org areas fail or wait.
type orgFaults struct {
	mu        sync.Mutex
	failAudit bool
	// armed names the read that two concurrent changes meet at: the first
	// two callers of it wait for each other (or a bounded while, when the
	// second is serialized behind the first), then it disarms.
	armed  string
	meetCh chan struct{}
}

func (f *orgFaults) arm(op string) {
	f.mu.Lock()
	f.armed, f.meetCh = op, make(chan struct{})
	f.mu.Unlock()
}

func (f *orgFaults) setFailAudit(v bool) { f.mu.Lock(); f.failAudit = v; f.mu.Unlock() }

func (f *orgFaults) meet(op string) {
	f.mu.Lock()
	ch := f.meetCh
	if f.armed != op || ch == nil {
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	select {
	case ch <- struct{}{}:
	case <-ch:
	case <-time.After(2 * time.Second):
	}
	f.mu.Lock()
	if f.meetCh == ch {
		f.armed, f.meetCh = "", nil // once two met, or one waited alone, later calls pass
	}
	f.mu.Unlock()
}

type orgStore struct {
	store.Store
	f *orgFaults
}

func (s *orgStore) Tx(ctx context.Context, fn func(tx store.Store) error) error {
	return s.Store.Tx(ctx, func(tx store.Store) error { return fn(&orgStore{Store: tx, f: s.f}) })
}

func (s *orgStore) InsertAudit(ctx context.Context, e store.AuditEvent) error {
	s.f.mu.Lock()
	fail := s.f.failAudit
	s.f.mu.Unlock()
	if fail {
		return errInjected
	}
	return s.Store.InsertAudit(ctx, e)
}

func (s *orgStore) GetProject(ctx context.Context, name string) (store.Project, error) {
	s.f.meet("GetProject")
	return s.Store.GetProject(ctx, name)
}

func (s *orgStore) ListGroups(ctx context.Context) ([]store.Group, error) {
	s.f.meet("ListGroups")
	return s.Store.ListGroups(ctx)
}

func (s *orgStore) GetChannel(ctx context.Context, name string) (store.Channel, error) {
	s.f.meet("GetChannel")
	return s.Store.GetChannel(ctx, name)
}

func (s *orgStore) GetJob(ctx context.Context, id string) (store.Job, error) {
	s.f.meet("GetJob")
	return s.Store.GetJob(ctx, id)
}

func (s *orgStore) ListIncidents(ctx context.Context, f store.IncidentFilter) ([]store.Incident, error) {
	s.f.meet("ListIncidents")
	return s.Store.ListIncidents(ctx, f)
}

func (s *orgStore) GetIncident(ctx context.Context, id string) (store.Incident, error) {
	s.f.meet("GetIncident")
	return s.Store.GetIncident(ctx, id)
}

// injectOrg puts an orgStore in front of the admin API's and the services'
// store.
func injectOrg(g *gateway) *orgFaults {
	f := &orgFaults{}
	g.App.Admin.Store = &orgStore{Store: g.App.Admin.Store, f: f}
	g.App.Service.Store = &orgStore{Store: g.App.Service.Store, f: f}
	return f
}

type orgCall struct {
	method, path string
	body         any
}

// concurrently sends the calls at once with the owner token and returns
// their answers, in order.
func (g *gateway) concurrently(t *testing.T, calls ...orgCall) []response {
	t.Helper()
	out := make([]response, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b []byte
			if c.body != nil {
				b, _ = json.Marshal(c.body)
			}
			req, _ := http.NewRequest(c.method, g.URL+c.path, bytes.NewReader(b))
			req.Header.Set("Authorization", "Bearer "+testgw.AdminToken)
			if b != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			out[i] = response{Status: resp.StatusCode, Header: resp.Header, Body: body}
		}()
	}
	wg.Wait()
	return out
}

// eachDatabase runs fn against a gateway on SQLite and, with
// KEYGATE_TEST_POSTGRES, on a fresh PostgreSQL schema.
func eachDatabase(t *testing.T, tweak func(*config.Config), fn func(t *testing.T, g *gateway)) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			g := startGateway(t, func(c *config.Config) {
				if db.Name != "sqlite" {
					c.Database = db.DSN
				}
				if tweak != nil {
					tweak(c)
				}
			})
			fn(t, g)
		})
	}
}

func (g *gateway) auditCount(t *testing.T, action, object string) int {
	t.Helper()
	var rows []struct {
		Object string `json:"object"`
	}
	g.admin("GET", "/admin/v1/audit?limit=1000&action="+action, nil).jsonData(t, &rows)
	n := 0
	for _, r := range rows {
		if object == "" || r.Object == object {
			n++
		}
	}
	return n
}

func statuses(rs []response) []int {
	out := make([]int, len(rs))
	for i, r := range rs {
		out[i] = r.Status
	}
	return out
}

// TestOrgChangesWithoutAuditAreNotApplied: every project, group, channel
// and model change fails, and leaves nothing behind, when its audit row
// cannot be written.
func TestOrgChangesWithoutAuditAreNotApplied(t *testing.T) {
	g := startGateway(t, nil)
	expect(t, "create project", g.admin("POST", "/admin/v1/projects", map[string]any{"name": "p1"}), 201, "")
	expect(t, "create group", g.admin("POST", "/admin/v1/groups", map[string]any{"name": "g1", "models": []string{"mock-gpt"}}), 201, "")
	expect(t, "create channel", g.admin("POST", "/admin/v1/channels", map[string]any{"name": "c1", "base_url": "http://127.0.0.1:1/v1",
		"models": []string{"mock-gpt"}}), 201, "")
	expect(t, "create model", g.admin("POST", "/admin/v1/models", map[string]any{"name": "m1", "input_per_mtok": 1}), 201, "")
	f := injectOrg(g)
	f.setFailAudit(true)
	for _, c := range []orgCall{
		{"POST", "/admin/v1/projects", map[string]any{"name": "unaudited"}},
		{"PATCH", "/admin/v1/projects/p1", map[string]any{"budget": map[string]any{"limit_usd": 5, "period": "daily"}}},
		{"POST", "/admin/v1/groups", map[string]any{"name": "unaudited", "models": []string{"mock-gpt"}}},
		{"PATCH", "/admin/v1/groups/g1", map[string]any{"rpm": 7}},
		{"PATCH", "/admin/v1/channels/c1", map[string]any{"weight": 9}},
		{"POST", "/admin/v1/channels/c1/disable", map[string]any{"reason": "x"}},
		{"DELETE", "/admin/v1/channels/c1", nil},
		{"PATCH", "/admin/v1/models/m1", map[string]any{"input_per_mtok": 3}},
		{"DELETE", "/admin/v1/models/m1", nil},
	} {
		r := g.admin(c.method, c.path, c.body)
		expect(t, c.method+" "+c.path+" with a failing audit insert", r, 503, "service_unavailable")
	}
	f.setFailAudit(false)
	expect(t, "unaudited project", g.admin("GET", "/admin/v1/projects/unaudited", nil), 404, "not_found")
	expect(t, "unaudited group", g.admin("GET", "/admin/v1/groups/unaudited", nil), 404, "not_found")
	var p struct {
		Budget *struct{} `json:"budget"`
	}
	g.admin("GET", "/admin/v1/projects/p1", nil).json(t, &p)
	if p.Budget != nil {
		t.Fatal("the project's budget changed without an audit row")
	}
	var gr struct {
		RPM int `json:"rpm"`
	}
	g.admin("GET", "/admin/v1/groups/g1", nil).json(t, &gr)
	if gr.RPM != 0 {
		t.Fatalf("the group's rpm is %d after an unaudited change", gr.RPM)
	}
	var c struct {
		Weight  int  `json:"weight"`
		Enabled bool `json:"enabled"`
	}
	r := g.admin("GET", "/admin/v1/channels/c1", nil)
	expect(t, "channel after an unaudited delete", r, 200, "")
	r.json(t, &c)
	if c.Weight != 1 || !c.Enabled {
		t.Fatalf("channel changed without an audit row: %+v", c)
	}
	var m struct {
		In float64 `json:"input_per_mtok"`
	}
	r = g.admin("GET", "/admin/v1/models/m1", nil)
	expect(t, "model after an unaudited delete", r, 200, "")
	r.json(t, &m)
	if m.In != 1 {
		t.Fatalf("model price is %v after an unaudited change", m.In)
	}
}

// TestConcurrentProjectCreatesOneWins: two creates of one project name at
// once — both read "not found" before either wrote under the old
// read-then-write, and both answered 201 (the second overwriting the
// first). Now one is created and the other is refused with conflict.
func TestConcurrentProjectCreatesOneWins(t *testing.T) {
	eachDatabase(t, nil, func(t *testing.T, g *gateway) {
		f := injectOrg(g)
		f.arm("GetProject")
		rs := g.concurrently(t,
			orgCall{"POST", "/admin/v1/projects", map[string]any{"name": "race", "budget": map[string]any{"limit_usd": 1, "period": "daily"}}},
			orgCall{"POST", "/admin/v1/projects", map[string]any{"name": "race", "budget": map[string]any{"limit_usd": 2, "period": "daily"}}})
		st := statuses(rs)
		if !(st[0] == 201 && st[1] == 409 || st[0] == 409 && st[1] == 201) {
			t.Fatalf("two concurrent creates of one project answered %v, want one 201 and one 409", st)
		}
		if n := g.auditCount(t, "project.create", "project:race"); n != 1 {
			t.Fatalf("project.create audited %d times", n)
		}
	})
}

// TestConcurrentGroupCreatesOneWins is the same race for groups.
func TestConcurrentGroupCreatesOneWins(t *testing.T) {
	eachDatabase(t, nil, func(t *testing.T, g *gateway) {
		f := injectOrg(g)
		f.arm("ListGroups")
		rs := g.concurrently(t,
			orgCall{"POST", "/admin/v1/groups", map[string]any{"name": "race", "models": []string{"mock-gpt"}, "rpm": 1}},
			orgCall{"POST", "/admin/v1/groups", map[string]any{"name": "race", "models": []string{"mock-gpt"}, "rpm": 2}})
		st := statuses(rs)
		if !(st[0] == 201 && st[1] == 409 || st[0] == 409 && st[1] == 201) {
			t.Fatalf("two concurrent creates of one group answered %v, want one 201 and one 409", st)
		}
	})
}

// TestConcurrentChannelChangesBothApply: a disable and a patch of one
// channel at once. Each used to read the channel, change its copy and
// write the whole channel back, so the later write undid the other
// (a re-enabled channel, or a lost weight). Now both changes hold.
func TestConcurrentChannelChangesBothApply(t *testing.T) {
	eachDatabase(t, nil, func(t *testing.T, g *gateway) {
		expect(t, "create channel", g.admin("POST", "/admin/v1/channels", map[string]any{"name": "c1", "base_url": "http://127.0.0.1:1/v1",
			"models": []string{"mock-gpt"}}), 201, "")
		f := injectOrg(g)
		// Three rounds: the old code lost one of the two changes whenever
		// the reads met, which the barrier makes likely but not certain.
		for round := 1; round <= 3; round++ {
			expect(t, "enable", g.admin("POST", "/admin/v1/channels/c1/enable", nil), 200, "")
			f.arm("GetChannel")
			rs := g.concurrently(t,
				orgCall{"POST", "/admin/v1/channels/c1/disable", map[string]any{"reason": "maintenance"}},
				orgCall{"PATCH", "/admin/v1/channels/c1", map[string]any{"weight": 5 + round}})
			if st := statuses(rs); st[0] != 200 || st[1] != 200 {
				t.Fatalf("disable and patch answered %v: %s %s", st, rs[0].Body, rs[1].Body)
			}
			var c struct {
				Weight  int  `json:"weight"`
				Enabled bool `json:"enabled"`
			}
			g.admin("GET", "/admin/v1/channels/c1", nil).json(t, &c)
			if c.Enabled || c.Weight != 5+round {
				t.Fatalf("round %d: after a concurrent disable and weight change the channel is %+v: one change was lost", round, c)
			}
		}
	})
}

// withVideo adds a video model to the test gateway's mock channel, so jobs
// can be made.
func withVideo(t *testing.T) func(*config.Config) {
	return func(c *config.Config) {
		b, err := os.ReadFile(c.ConfigFile)
		if err != nil {
			t.Fatal(err)
		}
		y := strings.Replace(string(b), "mock-stream-cut]", "mock-stream-cut, mock-video]", 1) +
			"  - {name: mock-video, per_video_second: 0.10}\n"
		p := filepath.Join(t.TempDir(), "keygate-video.yaml")
		if err := os.WriteFile(p, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
		c.ConfigFile = p
	}
}

// hangingJob starts a video job that stays in_progress and returns its id.
func (g *gateway) hangingJob(t *testing.T) string {
	t.Helper()
	k := g.createKey(nil)
	r := g.do("POST", "/v1/videos", http.Header{"Authorization": {"Bearer " + k.Key}, "Content-Type": {"application/json"}},
		[]byte(`{"model":"mock-video","prompt":"waves mock:hang","seconds":"4"}`))
	var v struct {
		ID string `json:"id"`
	}
	if r.Status != 200 {
		t.Fatalf("create a video job: %d %s", r.Status, r.Body)
	}
	r.json(t, &v)
	for i := 0; i < 100; i++ { // the submit settles it in_progress
		var j struct {
			State string `json:"state"`
		}
		g.admin("GET", "/admin/v1/jobs/"+v.ID, nil).json(t, &j)
		if j.State == store.JobInProgress || j.State == store.JobQueued {
			return v.ID
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %s never left submitting", v.ID)
	return ""
}

// TestJobCancelWithoutAuditIsNotApplied: the admin cancel wrote its audit
// row after the cancel, in its own transaction, and logged a failure;
// now the cancel and its row are one transaction.
func TestJobCancelWithoutAuditIsNotApplied(t *testing.T) {
	g := startGateway(t, withVideo(t))
	id := g.hangingJob(t)
	f := injectOrg(g)
	f.setFailAudit(true)
	expect(t, "cancel with a failing audit insert", g.admin("POST", "/admin/v1/jobs/"+id+"/cancel", nil), 503, "service_unavailable")
	f.setFailAudit(false)
	var j struct {
		State   string `json:"state"`
		Charged string `json:"charged"`
	}
	g.admin("GET", "/admin/v1/jobs/"+id, nil).json(t, &j)
	if j.State == store.JobCancelled || j.Charged == "refunded" {
		t.Fatalf("the job was cancelled without an audit row: %+v", j)
	}
	expect(t, "cancel", g.admin("POST", "/admin/v1/jobs/"+id+"/cancel", nil), 200, "")
	g.admin("GET", "/admin/v1/jobs/"+id, nil).json(t, &j)
	if j.State != store.JobCancelled {
		t.Fatalf("job after cancel: %+v", j)
	}
}

// TestConcurrentJobCancelsAuditOnce: two cancels of one job at once. Both
// used to read the job in progress and both wrote a job.cancel row
// (was in_progress); now the second finds it cancelled and changes — and
// audits — nothing.
func TestConcurrentJobCancelsAuditOnce(t *testing.T) {
	eachDatabase(t, withVideo(t), func(t *testing.T, g *gateway) {
		id := g.hangingJob(t)
		f := injectOrg(g)
		f.arm("GetJob")
		rs := g.concurrently(t, orgCall{"POST", "/admin/v1/jobs/" + id + "/cancel", nil}, orgCall{"POST", "/admin/v1/jobs/" + id + "/cancel", nil})
		for i, r := range rs {
			var j struct {
				State string `json:"state"`
			}
			r.json(t, &j)
			if r.Status != 200 || j.State != store.JobCancelled {
				t.Fatalf("cancel %d: %d %s", i, r.Status, r.Body)
			}
		}
		if n := g.auditCount(t, "job.cancel", "job:"+id); n != 1 {
			t.Fatalf("one job cancelled by two concurrent calls was audited %d times, want once", n)
		}
	})
}

// TestIncidentChangesWithoutAuditAreNotApplied: an incident opened,
// updated, noted or resolved while its audit row cannot be written is not.
func TestIncidentChangesWithoutAuditAreNotApplied(t *testing.T) {
	g := startGateway(t, nil)
	r := g.admin("POST", "/admin/v1/incidents", map[string]any{"title": "first", "project": "demo"})
	expect(t, "open", r, 201, "")
	var in struct {
		ID    string `json:"id"`
		Owner string `json:"owner"`
		State string `json:"state"`
		Notes []any  `json:"notes"`
	}
	r.json(t, &in)
	f := injectOrg(g)
	f.setFailAudit(true)
	for _, c := range []orgCall{
		{"POST", "/admin/v1/incidents", map[string]any{"title": "unaudited", "project": "demo"}},
		{"PATCH", "/admin/v1/incidents/" + in.ID, map[string]any{"owner": "ops@example.com"}},
		{"POST", "/admin/v1/incidents/" + in.ID + "/notes", map[string]any{"text": "found it"}},
		{"POST", "/admin/v1/incidents/" + in.ID + "/resolve", map[string]any{"resolution": "fixed"}},
	} {
		expect(t, c.method+" "+c.path+" with a failing audit insert", g.admin(c.method, c.path, c.body), 503, "service_unavailable")
	}
	f.setFailAudit(false)
	var list []struct {
		Title string `json:"title"`
	}
	g.admin("GET", "/admin/v1/incidents?state=all", nil).jsonData(t, &list)
	if len(list) != 1 {
		t.Fatalf("%d incidents after an unaudited open, want 1: %+v", len(list), list)
	}
	g.admin("GET", "/admin/v1/incidents/"+in.ID, nil).json(t, &in)
	if in.Owner != "" || in.State != "open" || len(in.Notes) != 0 {
		t.Fatalf("incident changed without an audit row: %+v", in)
	}
}

// TestConcurrentLeakReportsOpenOneIncident: two signed reports of one key
// (found at two places) at once. Each looked for an open incident of the
// key, found none, and opened one: two incidents for one leak. Now the
// look and the write are one transaction under the key's lock: one
// incident, and the second report is noted on it.
func TestConcurrentLeakReportsOpenOneIncident(t *testing.T) {
	sc := newScanner(t, "gh-current")
	eachDatabase(t, func(c *config.Config) { c.ScanningKeys = keyFile(t, sc) }, func(t *testing.T, g *gateway) {
		f := injectOrg(g)
		// Three keys, three rounds: the old code opened two incidents
		// whenever the two looks met, which the barrier makes likely but not
		// certain.
		for round := 0; round < 3; round++ {
			g.concurrentLeakReports(t, f, sc, round)
		}
	})
}

func (g *gateway) concurrentLeakReports(t *testing.T, f *orgFaults, sc *scanner, round int) {
	t.Helper()
	k := g.createKey(nil)
	f.arm("ListIncidents")
	bodies := make([][]byte, 2)
	for i := range bodies {
		bodies[i], _ = json.Marshal([]map[string]string{{"token": k.Key, "type": "keygate_api_key",
			"url": fmt.Sprintf("https://github.com/acme/app%d/blob/main/.env#L1", i), "source": "content"}})
	}
	var wg sync.WaitGroup
	st := make([]int, 2)
	for i, b := range bodies {
		wg.Add(1)
		go func() { defer wg.Done(); st[i] = g.report(t, sc, "gh-current", b).Status }()
	}
	wg.Wait()
	if st[0] != 200 || st[1] != 200 {
		t.Fatalf("round %d: reports answered %v", round, st)
	}
	var list []struct {
		ID string `json:"id"`
	}
	g.admin("GET", "/admin/v1/incidents?state=all&key_id="+k.ID, nil).jsonData(t, &list)
	if len(list) != 1 {
		t.Fatalf("round %d: two concurrent reports of one key opened %d incidents, want 1", round, len(list))
	}
	var rec struct {
		Notes []struct {
			Kind string `json:"kind"`
		} `json:"notes"`
	}
	g.admin("GET", "/admin/v1/incidents/"+list[0].ID, nil).json(t, &rec)
	if len(rec.Notes) != 1 || rec.Notes[0].Kind != "evidence" {
		t.Fatalf("round %d: the second report is not noted on the incident: %+v", round, rec.Notes)
	}
}
