package jobs_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/jobs"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/mockupstream"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/sqlstore"
	"github.com/keygate/keygate/internal/testgw"
)

const upstreamKey = "sk-mock-video-credential-0123456789"

// clock is the engines' injected time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one store, one mock upstream (whose calls are counted) and a
// channel to it; engines are made with engine().
type env struct {
	t        *testing.T
	st       *sqlstore.Store
	clk      *clock
	ch       *catalog.Channel
	calls    map[string]*atomic.Int32 // by method
	finished atomic.Int32
	disabled atomic.Int32
}

var window = store.JobWindow{Scope: ledger.ScopeKey, Subject: "key_1", Period: ledger.Total}

func newEnv(t *testing.T, dsn string) *env {
	st, err := sqlstore.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, clk: &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)},
		calls: map[string]*atomic.Int32{"POST": {}, "GET": {}, "DELETE": {}}}
	mock := mockupstream.New(mockupstream.Options{APIKey: upstreamKey})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := e.calls[r.Method]; c != nil {
			c.Add(1)
		}
		mock.ServeHTTP(w, r)
	}))
	t.Cleanup(up.Close)
	u, _ := url.Parse(up.URL + "/v1")
	e.ch = &catalog.Channel{Channel: store.Channel{Name: "mock", Type: "openai", Enabled: true}, APIKey: upstreamKey, URL: u}
	return e
}

func (e *env) engine(owner string) *jobs.Engine {
	return &jobs.Engine{Store: e.st, Adapters: map[string]jobs.Adapter{"openai": &jobs.OpenAI{HTTP: http.DefaultClient}},
		Channel: func(name string) *catalog.Channel {
			if name == e.ch.Name {
				return e.ch
			}
			return nil
		},
		Now: e.clk.Now, Owner: owner, Lease: time.Minute, MinPoll: 2 * time.Second, MaxPoll: 10 * time.Second,
		OnFinish:          func(store.Job) { e.finished.Add(1) },
		OnChannelDisabled: func(string, int, string) { e.disabled.Add(1) }}
}

// reserved is what every test job charges at submit: 8 s at $0.10.
const reserved = int64(800_000_000)

func (e *env) newJob(prompt string) (*store.Job, *jobs.Params, *store.RequestLog) {
	id := ids.New("video")
	reqID := ids.Request()
	j := &store.Job{ID: id, Kind: "video", RequestID: reqID, Project: "demo", KeyID: "key_1", KeyDisplay: "kg_live_AAAA…BBBB",
		Model: "mock-video", Channel: "mock", UpstreamModel: "mock-video", Params: "{}", Seconds: 8, Size: "720x1280",
		ReservedNano: reserved, Windows: []store.JobWindow{window}, DeadlineAt: e.clk.Now().Add(time.Hour)}
	row := &store.RequestLog{RequestID: reqID, Time: e.clk.Now(), KeyID: "key_1", Project: "demo", Model: "mock-video",
		RequestType: "videos", Status: 200, Charged: "no", Route: "videos"}
	return j, &jobs.Params{Prompt: prompt, Seconds: 8, Size: "720x1280"}, row
}

func (e *env) spent() int64 {
	e.t.Helper()
	n, err := e.st.LoadSpend(context.Background(), ledger.Window{Scope: window.Scope, Subject: window.Subject, Period: window.Period})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) logRow(reqID string) store.RequestLog {
	e.t.Helper()
	rows, err := e.st.QueryLogs(context.Background(), store.LogFilter{KeyID: "key_1", Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range rows {
		if r.RequestID == reqID {
			return r
		}
	}
	e.t.Fatalf("no log row %s", reqID)
	return store.RequestLog{}
}

func (e *env) submit(eng *jobs.Engine, prompt string) store.Job {
	e.t.Helper()
	j, p, row := e.newJob(prompt)
	got, err := eng.Submit(context.Background(), j, p, row, 0, 0)
	if err != nil {
		e.t.Fatalf("submit: %v", err)
	}
	return got
}

// step runs one engine round at the current time plus d.
func (e *env) step(eng *jobs.Engine, d time.Duration) int {
	e.t.Helper()
	e.clk.Advance(d)
	n, err := eng.Step(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) job(id string) store.Job {
	e.t.Helper()
	j, err := e.st.GetJob(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

// refundedOnce checks the books of a job that must cost nothing.
func (e *env) refundedOnce(j store.Job) {
	e.t.Helper()
	e.refundedOnceNoRow(j)
	if l := e.logRow(j.RequestID); l.Charged != "refunded" || l.CostUSD != 0 {
		e.t.Fatalf("log row charged %q cost %v", l.Charged, l.CostUSD)
	}
}

// refundedOnceNoRow is refundedOnce for a job whose request answered an
// error (its log row is the handler's).
func (e *env) refundedOnceNoRow(j store.Job) {
	e.t.Helper()
	if j.Charged != "refunded" || j.ChargedNano != 0 {
		e.t.Fatalf("job %s: charged %q %d, want refunded 0", j.State, j.Charged, j.ChargedNano)
	}
	if s := e.spent(); s != 0 {
		e.t.Fatalf("budget spend %d after the refund, want 0", s)
	}
	if n := e.finished.Load(); n != 1 {
		e.t.Fatalf("%d terminal transitions, want 1", n)
	}
}

func each(t *testing.T, f func(t *testing.T, e *env)) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) { f(t, newEnv(t, db.DSN)) })
	}
}

func TestJobCompletesSettledToRealSeconds(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		eng := e.engine("a")
		j := e.submit(eng, "a calm sea mock:polls=2 mock:seconds=6")
		if j.State != store.JobQueued || j.UpstreamID == "" || j.LeaseOwner != "" {
			t.Fatalf("after submit: %+v", j)
		}
		if s := e.spent(); s != reserved {
			t.Fatalf("spend after submit %d, want the reservation %d", s, reserved)
		}
		if n := e.step(eng, time.Second); n != 0 {
			t.Fatalf("polled %d jobs before the first poll was due", n)
		}
		e.step(eng, 2*time.Second) // first poll: in progress
		if j = e.job(j.ID); j.State != store.JobInProgress || j.Progress != 50 {
			t.Fatalf("after one poll: %s %d%%", j.State, j.Progress)
		}
		e.step(eng, 10*time.Second) // second poll: done, 6 of the 8 seconds asked
		j = e.job(j.ID)
		want := reserved * 6 / 8
		if j.State != store.JobCompleted || j.ChargedNano != want || j.Charged != "yes" || j.Seconds != 6 || j.ExpiresAt.IsZero() {
			t.Fatalf("completed job: %s charged %d %s seconds %d", j.State, j.ChargedNano, j.Charged, j.Seconds)
		}
		if s := e.spent(); s != want {
			t.Fatalf("spend %d, want %d (settled to the real seconds)", s, want)
		}
		if l := e.logRow(j.RequestID); l.Charged != "yes" || l.CostUSD != ledger.ToUSD(want) {
			t.Fatalf("log row charged %q cost %v", l.Charged, l.CostUSD)
		}
		resp, err := eng.Content(context.Background(), &j, "video")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("Content-Type") != "video/mp4" {
			t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
		}
	})
}

func TestJobFailsRefundedOnceByTwoEngines(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a, b := e.engine("a"), e.engine("b")
		j := e.submit(a, "mock:polls=1 mock:fail")
		e.clk.Advance(5 * time.Second)
		// Both instances step at the same moment: the lease gives the job
		// to one of them.
		var wg sync.WaitGroup
		var claimed atomic.Int32
		for _, eng := range []*jobs.Engine{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := eng.Step(context.Background())
				if err != nil {
					t.Error(err)
				}
				claimed.Add(int32(n))
			}()
		}
		wg.Wait()
		if claimed.Load() != 1 {
			t.Fatalf("the job was claimed %d times, want 1", claimed.Load())
		}
		j = e.job(j.ID)
		if j.State != store.JobFailed || j.ErrorCode != "generation_failed" {
			t.Fatalf("job %s %s", j.State, j.ErrorCode)
		}
		// Polled again by both after it ended: nothing moves.
		e.step(a, time.Minute)
		e.step(b, time.Minute)
		if ok, err := e.st.FinishJob(context.Background(), j.ID, store.JobFailed, store.JobFinal{State: store.JobFailed}, e.clk.Now()); ok || err != nil {
			t.Fatalf("a second settlement went through: %v %v", ok, err)
		}
		e.refundedOnce(e.job(j.ID))
	})
}

func TestJobRefundedOnceAcrossRestart(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.engine("a")
		j := e.submit(a, "mock:polls=1 mock:fail")
		// Instance a leases the job and dies before doing anything with it.
		e.clk.Advance(5 * time.Second)
		got, err := e.st.ClaimJobs(context.Background(), "a", e.clk.Now(), time.Minute, 10)
		if err != nil || len(got) != 1 {
			t.Fatalf("claim: %v %d", err, len(got))
		}
		b := e.engine("b") // the instance that takes over
		if n := e.step(b, 30*time.Second); n != 0 {
			t.Fatalf("b took a job still leased to a")
		}
		if n := e.step(b, 31*time.Second); n != 1 {
			t.Fatalf("b did not take over the lapsed lease")
		}
		e.refundedOnce(e.job(j.ID))
	})
}

func TestSubmitterDiedRefunded(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		j, _, row := e.newJob("never sent")
		j.State, j.LeaseOwner, j.LeaseUntil, j.CreatedAt, j.Charged = store.JobSubmitting, "dead", e.clk.Now().Add(time.Minute), e.clk.Now(), "no"
		if err := e.st.CreateJob(context.Background(), j, row, 0, 0); err != nil {
			t.Fatal(err)
		}
		b := e.engine("b")
		if n := e.step(b, 59*time.Second); n != 0 {
			t.Fatal("a job being submitted was taken")
		}
		e.step(b, 2*time.Second)
		got := e.job(j.ID)
		if got.State != store.JobFailed || got.ErrorCode != "submit_interrupted" {
			t.Fatalf("job %s %s", got.State, got.ErrorCode)
		}
		e.refundedOnce(got)
		if n := e.calls["POST"].Load(); n != 0 {
			t.Fatalf("%d submissions upstream", n)
		}
	})
}

func TestCancel(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for name, polls := range map[string]int{"before the upstream started": 0, "after the upstream started": 1} {
			t.Run(name, func(t *testing.T) {
				e.finished.Store(0)
				eng := e.engine("a")
				j := e.submit(eng, "mock:polls=5")
				for range polls {
					e.step(eng, 10*time.Second)
				}
				want := store.JobQueued
				if polls > 0 {
					want = store.JobInProgress
				}
				if got := e.job(j.ID).State; got != want {
					t.Fatalf("state %s before the cancel, want %s", got, want)
				}
				deletes := e.calls["DELETE"].Load()
				got, err := eng.Cancel(context.Background(), j.ID)
				if err != nil || got.State != store.JobCancelled {
					t.Fatalf("cancel: %v %s", err, got.State)
				}
				if e.calls["DELETE"].Load() != deletes+1 {
					t.Fatal("the upstream was not told")
				}
				again, _ := eng.Cancel(context.Background(), j.ID)
				if again.State != store.JobCancelled {
					t.Fatalf("second cancel: %s", again.State)
				}
				e.step(eng, time.Minute)
				e.refundedOnce(e.job(j.ID))
			})
		}
	})
}

func TestUpstreamNeverAnswersSwept(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		eng := e.engine("a")
		j := e.submit(eng, "mock:hang")
		for i := 0; i < 20 && e.job(j.ID).State != store.JobFailed; i++ {
			e.step(eng, 5*time.Minute)
		}
		got := e.job(j.ID)
		if got.State != store.JobFailed || got.ErrorCode != "job_timeout" {
			t.Fatalf("job %s %s after its deadline", got.State, got.ErrorCode)
		}
		e.refundedOnce(got)
	})
}

func TestSubmitRefusals(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for name, c := range map[string]struct {
			prompt, model string
			class         jobs.Class
			code          string
			disabled      bool
		}{
			"insufficient balance": {"mock:insufficient_balance", "mock-video", jobs.ClassBalance, "upstream_insufficient_balance", false},
			"content policy":       {"mock:content_policy", "mock-video", jobs.ClassPolicy, "content_policy_violation", false},
			"credential refused":   {"fine", "mock-error-401", jobs.ClassAuth, "upstream_auth_failed", true},
		} {
			t.Run(name, func(t *testing.T) {
				e.finished.Store(0)
				e.ch.Enable()
				e.disabled.Store(0)
				eng := e.engine("a")
				j, p, row := e.newJob(c.prompt)
				j.UpstreamModel = c.model
				got, err := eng.Submit(context.Background(), j, p, row, 0, 0)
				var se *jobs.SubmitError
				if !errors.As(err, &se) || se.Class != c.class {
					t.Fatalf("submit error %v, want class %d", err, c.class)
				}
				if got.State != store.JobFailed || got.ErrorCode != c.code {
					t.Fatalf("job %s %s", got.State, got.ErrorCode)
				}
				_, off := e.ch.Disabled()
				if off != c.disabled || (e.disabled.Load() == 1) != c.disabled {
					t.Fatalf("channel disabled %v (told %d), want %v", off, e.disabled.Load(), c.disabled)
				}
				e.refundedOnceNoRow(got)
			})
		}
	})
}

func TestJobCaps(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		eng := e.engine("a")
		e.submit(eng, "mock:hang")
		j, p, row := e.newJob("mock:hang")
		_, err := eng.Submit(context.Background(), j, p, row, 5, 1)
		var ce *store.JobCapError
		if !errors.As(err, &ce) || ce.Which != "channel" || ce.InFlight != 1 {
			t.Fatalf("err %v, want the channel cap", err)
		}
		j, p, row = e.newJob("mock:hang")
		if _, err := eng.Submit(context.Background(), j, p, row, 1, 0); !errors.As(err, &ce) || ce.Which != "project" {
			t.Fatalf("err %v, want the project cap", err)
		}
		if n := e.calls["POST"].Load(); n != 1 {
			t.Fatalf("%d submissions upstream, want 1 (refused jobs are not sent)", n)
		}
		if s := e.spent(); s != reserved {
			t.Fatalf("spend %d: a refused job was charged", s)
		}
	})
}

func TestJobsGauge(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		eng := e.engine("a")
		e.submit(eng, "mock:hang")
		e.submit(eng, "mock:hang")
		reg := prometheus.NewRegistry()
		reg.MustRegister(&jobs.Collector{Store: e.st})
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				got[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
			}
		}
		if got[store.JobInProgress] != 2 || got[store.JobQueued] != 0 || len(got) != 6 {
			t.Fatalf("keygate_jobs %v, want 2 in progress", got)
		}
	})
}

// leavingAdapter is the OpenAI adapter behind a client that hangs up while
// its job is being submitted.
type leavingAdapter struct {
	jobs.Adapter
	leave context.CancelFunc
}

func (a *leavingAdapter) Submit(ctx context.Context, ch *catalog.Channel, j *store.Job, p *jobs.Params) (jobs.Status, error) {
	a.leave()
	return a.Adapter.Submit(ctx, ch, j, p)
}

// TestClientLeavesDuringSubmit: the job the upstream accepted is recorded
// as queued, not left submitting (to be refunded while the upstream works).
func TestClientLeavesDuringSubmit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		eng := e.engine("a")
		ctx, leave := context.WithCancel(context.Background())
		defer leave()
		eng.Adapters["openai"] = &leavingAdapter{Adapter: eng.Adapters["openai"], leave: leave}
		j, p, row := e.newJob("mock:hang")
		got, err := eng.Submit(ctx, j, p, row, 0, 0)
		if err != nil || got.State != store.JobInProgress || got.UpstreamID == "" {
			t.Fatalf("submit: %v %s", err, got.State)
		}
		if s := e.spent(); s != reserved {
			t.Fatalf("spend %d, want the reservation %d", s, reserved)
		}
	})
}
