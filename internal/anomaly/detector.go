package anomaly

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/webhook"
)

// RefusedCodes are the error codes of calls refused because of the key's
// state: the "use after disable" of a leaked key.
var RefusedCodes = []string{string(apierr.KeyDisabled), string(apierr.KeyRotated), string(apierr.KeyExpired),
	string(apierr.InvalidAPIKey)}

// claimScope is the store's ClaimOnce scope of sent anomaly webhooks.
const claimScope = "key-anomaly"

// Sent are the kinds the detector sends. no_baseline is left out: every
// new key has it on its first day.
var Sent = map[string]bool{RequestRate: true, SpendRate: true, RequestBurst: true, NewModel: true, NewIP: true,
	UseAfterDisable: true}

// Store is what the detector reads and records (store.Store has it).
type Store interface {
	UsageReport(ctx context.Context, f store.UsageFilter) ([]store.UsageRow, error)
	AggregateKeyLogs(ctx context.Context, w store.LogWindow) (store.LogAggregate, error)
	GetKey(ctx context.Context, id string) (store.Key, error)
	ClaimOnce(ctx context.Context, scope, id, value string) (recorded string, claimed bool, err error)
}

// Notifier delivers webhook events (webhook.Sender has it).
type Notifier interface{ Notify(webhook.Event) }

// Detector looks at the keys used in the last Window, every Interval, and
// sends a key.anomaly webhook for each anomaly — once per key, kind and
// UTC day, across restarts and instances (each send is claimed in the
// store first). It reads SQL aggregates of the request log: per run one
// query for the active keys and two per key (the window and the key's
// Baseline before it), for at most MaxKeys keys.
type Detector struct {
	Store Store
	Out   Notifier
	Log   *slog.Logger
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
	// Interval between runs (default 1 minute).
	Interval time.Duration
	// Window is the traffic judged (default 1 hour).
	Window time.Duration
	// Baseline is how much of the key's history before the window it is
	// judged against (default 7 days); bounded so a run stays cheap on a
	// key with years of logs.
	Baseline time.Duration
	// MaxKeys bounds one run (default 1,000); when more keys are active,
	// the next run goes on where this one stopped.
	MaxKeys int
	next    int // where the next bounded run starts among the active keys
}

func (d *Detector) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func orDefault(v, def time.Duration) time.Duration {
	if v > 0 {
		return v
	}
	return def
}

// Run checks every Interval until ctx ends.
func (d *Detector) Run(ctx context.Context) {
	t := time.NewTicker(orDefault(d.Interval, time.Minute))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := d.Check(ctx); err != nil && ctx.Err() == nil {
			d.log().Warn("key anomaly check failed; will retry", "err", err)
		}
	}
}

func (d *Detector) log() *slog.Logger {
	if d.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Log
}

// Check looks at the last Window once and returns how many webhooks it
// sent. It is not safe for concurrent use (Run calls it in turn).
func (d *Detector) Check(ctx context.Context) (int, error) {
	until := d.now().UTC()
	since := until.Add(-orDefault(d.Window, time.Hour))
	rows, err := d.Store.UsageReport(ctx, store.UsageFilter{Since: since, Until: until, GroupBy: []string{"key"}})
	if err != nil {
		return 0, fmt.Errorf("find the keys used since %s: %w", since.Format(time.RFC3339), err)
	}
	active := make([]string, 0, len(rows))
	for _, r := range rows {
		if r.KeyID != "" { // "" holds calls with no key of ours (unknown or malformed credentials)
			active = append(active, r.KeyID)
		}
	}
	limit := d.MaxKeys
	if limit <= 0 {
		limit = 1000
	}
	start := 0
	if len(active) > limit {
		start = d.next % len(active)
		d.next = start + limit
		d.log().Warn("more keys active than one anomaly check covers; the rest are checked in the next runs", "active", len(active), "per_run", limit)
	}
	sent := 0
	for i := 0; i < min(limit, len(active)); i++ {
		n, err := d.checkKey(ctx, active[(start+i)%len(active)], since, until)
		sent += n
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func (d *Detector) checkKey(ctx context.Context, keyID string, since, until time.Time) (int, error) {
	win, err := d.Store.AggregateKeyLogs(ctx, store.LogWindow{KeyID: keyID, Since: since, Until: until, Refused: RefusedCodes, RecentRefused: 1})
	if err != nil {
		return 0, fmt.Errorf("aggregate the recent calls of key %s: %w", keyID, err)
	}
	base, err := d.Store.AggregateKeyLogs(ctx, store.LogWindow{KeyID: keyID, Since: since.Add(-orDefault(d.Baseline, 7*24*time.Hour)), Until: since})
	if err != nil {
		return 0, fmt.Errorf("aggregate the baseline of key %s: %w", keyID, err)
	}
	var k *store.Key
	sent := 0
	day := until.Format("2006-01-02")
	for _, a := range Find(win, base, since, until) {
		if !Sent[a.Kind] {
			continue
		}
		id := ids.New("evt")
		if _, claimed, err := d.Store.ClaimOnce(ctx, claimScope, keyID+":"+a.Kind+":"+day, id); err != nil {
			return sent, fmt.Errorf("record the %s anomaly of key %s: %w", a.Kind, keyID, err)
		} else if !claimed {
			continue // already sent today
		}
		if k == nil {
			got, err := d.Store.GetKey(ctx, keyID)
			if err != nil {
				got = store.Key{ID: keyID} // deleted meanwhile: the id still says which
			}
			k = &got
		}
		d.Out.Notify(webhook.Event{ID: id, Type: webhook.KeyAnomaly, Time: until, Data: map[string]any{
			"key_id": k.ID, "display": k.Display, "env": k.Env, "project": k.Project, "name": k.Name, "state": k.State,
			"kind": a.Kind, "message": a.Message, "window_start": since, "window_end": until,
			"hint": fmt.Sprintf("See what the key did: GET /admin/v1/keys/%s/impact?since=%s (keygate keys impact %s). If it leaked: keygate keys disable, then rotate.",
				keyID, since.Add(-24*time.Hour).Format(time.RFC3339), keyID),
		}})
		d.log().Info("key anomaly notified", "key_id", keyID, "kind", a.Kind)
		sent++
	}
	return sent, nil
}
