package anomaly_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/anomaly"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/store/sqlstore"
	"github.com/keygate/keygate/internal/webhook"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type outbox struct {
	mu  sync.Mutex
	evs []webhook.Event
}

func (o *outbox) Notify(ev webhook.Event) { o.mu.Lock(); o.evs = append(o.evs, ev); o.mu.Unlock() }
func (o *outbox) take() []webhook.Event {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.evs
	o.evs = nil
	return out
}

func kinds(evs []webhook.Event, key string) []string {
	var out []string
	for _, e := range evs {
		if e.Data["key_id"] == key {
			out = append(out, fmt.Sprint(e.Data["kind"]))
		}
	}
	sort.Strings(out)
	return out
}

// rows returns n calls of key spread evenly over [from, from+span).
func rows(key, model, ip, code string, cost float64, n int, from time.Time, span time.Duration) []store.RequestLog {
	out := make([]store.RequestLog, n)
	for i := range out {
		out[i] = store.RequestLog{RequestID: fmt.Sprintf("req_%s_%s_%d_%d", key, ip, from.Unix(), i), Time: from.Add(span * time.Duration(i) / time.Duration(n)),
			KeyID: key, KeyDisplay: "kg_live_AAAA…BBBB", KeyEnv: "live", Project: "p1", Model: model, Status: 200, ErrorCode: code,
			CostUSD: cost, SourceIP: ip, UserAgent: "test"}
		if code != "" {
			out[i].Status, out[i].CostUSD = 401, 0
		}
	}
	return out
}

// TestDetectorSendsOncePerKeyKindAndDay drives the detector with an
// injected clock over a real SQLite store: a key far above its baseline,
// on a new model from a new address, and a disabled key still tried (from
// a new address), each
// give one key.anomaly per kind and day; a new key (no baseline) gives none.
func TestDetectorSendsOncePerKeyKindAndDay(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "kg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clk := &clock{t: time.Date(2026, 3, 10, 12, 30, 0, 0, time.UTC)}
	now := clk.Now()
	if err := st.CreateKey(ctx, &store.Key{ID: "key_busy", Hash: fmt.Sprintf("%064x", 1), Display: "kg_live_AAAA…BBBB", Env: "live",
		Project: "p1", Group: "g1", Name: "ci", State: store.KeyActive}); err != nil {
		t.Fatal(err)
	}
	var logs []store.RequestLog
	// key_busy: one call an hour for three days, then 60 in the last hour
	// on another model from another address.
	logs = append(logs, rows("key_busy", "m1", "10.0.0.1", "", 0.001, 72, now.Add(-75*time.Hour), 72*time.Hour)...)
	logs = append(logs, rows("key_busy", "m2", "203.0.113.9", "", 0.01, 60, now.Add(-50*time.Minute), 45*time.Minute)...)
	// key_new: busy, but nothing to compare with.
	logs = append(logs, rows("key_new", "m1", "10.0.0.2", "", 0.01, 60, now.Add(-50*time.Minute), 45*time.Minute)...)
	// key_off: disabled and still tried.
	logs = append(logs, rows("key_off", "m1", "10.0.0.3", "", 0.001, 10, now.Add(-48*time.Hour), 24*time.Hour)...)
	logs = append(logs, rows("key_off", "m1", "198.51.100.7", "key_disabled", 0, 3, now.Add(-20*time.Minute), 10*time.Minute)...)
	if err := st.InsertLogs(ctx, logs); err != nil {
		t.Fatal(err)
	}

	out := &outbox{}
	d := &anomaly.Detector{Store: st, Out: out, Now: clk.Now}
	n, err := d.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	evs := out.take()
	if n != len(evs) {
		t.Fatalf("Check said %d sent, outbox has %d", n, len(evs))
	}
	busy := kinds(evs, "key_busy")
	for _, want := range []string{anomaly.RequestRate, anomaly.SpendRate, anomaly.NewModel, anomaly.NewIP} {
		if i := sort.SearchStrings(busy, want); i == len(busy) || busy[i] != want {
			t.Errorf("key_busy: %s not sent (sent %v)", want, busy)
		}
	}
	if got := kinds(evs, "key_new"); len(got) != 0 {
		t.Errorf("key_new has no baseline, yet sent %v", got)
	}
	if got := kinds(evs, "key_off"); fmt.Sprint(got) != "[new_ip use_after_disable]" {
		t.Errorf("key_off sent %v, want [new_ip use_after_disable]", got)
	}
	for _, e := range evs {
		if e.Type != webhook.KeyAnomaly || e.Data["message"] == "" || e.Data["hint"] == "" {
			t.Fatalf("event: %+v", e)
		}
		if e.Data["key_id"] == "key_busy" && (e.Data["display"] != "kg_live_AAAA…BBBB" || e.Data["project"] != "p1" || e.Data["env"] != "live") {
			t.Fatalf("event of key_busy lacks the key's display, project or env: %+v", e.Data)
		}
	}

	// A minute later the same anomalies are still in the window: nothing
	// is sent again that day, also by a second detector (another instance).
	clk.Add(time.Minute)
	for _, det := range []*anomaly.Detector{d, {Store: st, Out: out, Now: clk.Now}} {
		if n, err := det.Check(ctx); err != nil || n != 0 {
			t.Fatalf("second check the same day: sent %d, err %v", n, err)
		}
	}
	if evs := out.take(); len(evs) != 0 {
		t.Fatalf("re-sent the same day: %+v", evs)
	}

	// The next day, the same kind of anomaly is sent again.
	clk.Add(24 * time.Hour)
	now = clk.Now()
	if err := st.InsertLogs(ctx, rows("key_off", "m1", "198.51.100.8", "key_disabled", 0, 2, now.Add(-10*time.Minute), 5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if got := kinds(out.take(), "key_off"); fmt.Sprint(got) != "[new_ip use_after_disable]" {
		t.Fatalf("next day key_off sent %v", got)
	}
}

// TestDetectorBoundAndStop: a run checks at most MaxKeys keys, and Run
// returns when its context ends.
func TestDetectorBoundAndStop(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "kg.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clk := &clock{t: time.Date(2026, 3, 10, 12, 30, 0, 0, time.UTC)}
	now := clk.Now()
	var logs []store.RequestLog
	for i := range 5 {
		logs = append(logs, rows(fmt.Sprint("key_off", i), "m1", "198.51.100.7", "key_disabled", 0, 1, now.Add(-time.Minute), time.Second)...)
	}
	if err := st.InsertLogs(ctx, logs); err != nil {
		t.Fatal(err)
	}
	out := &outbox{}
	d := &anomaly.Detector{Store: st, Out: out, Now: clk.Now, MaxKeys: 2}
	if n, err := d.Check(ctx); err != nil || n != 2 || len(out.take()) != 2 {
		t.Fatalf("bounded check: sent %d, err %v; want 2", n, err)
	}

	d.Interval = time.Millisecond
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); d.Run(runCtx) }()
	deadline := time.Now().Add(5 * time.Second)
	for got := 0; got < 3 && time.Now().Before(deadline); { // later runs reach the other 3
		time.Sleep(5 * time.Millisecond)
		out.mu.Lock()
		got = len(out.evs)
		out.mu.Unlock()
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop when its context ended")
	}
	if got := len(out.take()); got != 3 {
		t.Fatalf("later runs notified %d more keys, want the other 3", got)
	}
}
