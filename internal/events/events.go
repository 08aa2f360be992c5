// Package events carries change events between gateway instances, so a key
// disabled, rotated, deleted or re-scoped on one instance is refused by
// every instance within a second, and channel, model, group, project and
// member changes spread likewise.
//
// A Bus publishes and delivers events: Redis pub/sub and PostgreSQL
// LISTEN/NOTIFY together (Both) when KEYGATE_REDIS is set with PostgreSQL,
// so either alone keeps revocation within a second; LISTEN/NOTIFY when only
// PostgreSQL is; in-process for a single SQLite instance. Every event carries a sequence number from the
// shared engine; Node records the last one applied, for /healthz. Missed
// events (a broken connection) are covered by the catalog's periodic
// re-read of the database.
package events

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// Kinds of change.
const (
	KindKey     = "key"     // ID is the key id
	KindCatalog = "catalog" // groups, models, channels, projects or members changed
	// KindBreaker says a channel's breaker opened on one instance; ID is
	// BreakerID(name, until). Nothing is stored: the others open theirs.
	KindBreaker = "breaker"
)

// BreakerID is the ID of a KindBreaker event.
func BreakerID(channel string, until time.Time) string {
	return strconv.FormatInt(until.UnixMilli(), 10) + ":" + channel
}

// ParseBreakerID reads a KindBreaker event's ID.
func ParseBreakerID(id string) (channel string, until time.Time, ok bool) {
	ms, name, found := strings.Cut(id, ":")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !found || err != nil || name == "" {
		return "", time.Time{}, false
	}
	return name, time.UnixMilli(n), true
}

// Event is one change.
type Event struct {
	Seq      int64
	Instance string
	Kind     string
	ID       string
}

// encode is the wire form after the sequence number: "instance kind id".
func encode(instance, kind, id string) string { return instance + " " + kind + " " + id }

// decode parses "seq instance kind id".
func decode(s string) (Event, error) {
	f := strings.SplitN(s, " ", 4)
	if len(f) < 3 {
		return Event{}, fmt.Errorf("malformed change event %q", s)
	}
	seq, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return Event{}, fmt.Errorf("malformed change event sequence %q", f[0])
	}
	ev := Event{Seq: seq, Instance: f[1], Kind: f[2]}
	if len(f) == 4 {
		ev.ID = f[3]
	}
	return ev, nil
}

// Bus publishes events to every instance and delivers them.
type Bus interface {
	// Publish sends a change to every instance, this one included, and
	// returns its sequence number.
	Publish(ctx context.Context, instance, kind, id string) (int64, error)
	// Run delivers events to fn until ctx ends, reconnecting as needed.
	// Connected is called with true on each (re)connection and false on a
	// loss, so a missed interval can be re-read.
	Run(ctx context.Context, fn func(Event), connected func(bool))
	// Name says which engine carries the events ("redis", "postgres",
	// "local").
	Name() string
	Close() error
}

// Node is one instance's end of the bus: it publishes this instance's
// changes and applies everyone else's.
type Node struct {
	Bus      Bus
	Instance string
	// Apply makes a change take effect here (re-read the key, reload the
	// catalog). Key changes made by this instance were applied when made.
	Apply func(ctx context.Context, ev Event) error
	// Resync re-reads everything (after a lost connection).
	Resync func(ctx context.Context) error
	Log    *slog.Logger
	last   atomic.Int64
	ok     atomic.Bool
}

// LastSeq is the sequence number of the last event applied (or published)
// here.
func (n *Node) LastSeq() int64 { return n.last.Load() }

// Connected reports whether the bus is connected now.
func (n *Node) Connected() bool { return n.ok.Load() }

func (n *Node) seen(seq int64) {
	for {
		cur := n.last.Load()
		if seq <= cur || n.last.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// Publish announces a change made on this instance. A failure is logged:
// the other instances still see the change within the catalog's refresh
// interval.
func (n *Node) Publish(ctx context.Context, kind, id string) {
	seq, err := n.Bus.Publish(context.WithoutCancel(ctx), n.Instance, kind, id)
	if err != nil {
		if n.Log != nil {
			n.Log.Warn("change event not published; other instances see the change at their next refresh (≤ 5 s)",
				"kind", kind, "id", id, "bus", n.Bus.Name(), "err", err)
		}
		return
	}
	n.seen(seq)
}

// Run applies events until ctx ends.
func (n *Node) Run(ctx context.Context) {
	n.Bus.Run(ctx, func(ev Event) {
		// A key changed here is already in this instance's cache; catalogue
		// writers do not all reload it, so those apply here too.
		if (ev.Instance != n.Instance || ev.Kind != KindKey) && n.Apply != nil {
			if err := n.Apply(ctx, ev); err != nil && n.Log != nil && ctx.Err() == nil {
				n.Log.Warn("change event could not be applied; the next refresh will", "kind", ev.Kind, "id", ev.ID, "err", err)
			}
		}
		n.seen(ev.Seq)
	}, func(up bool) {
		was := n.ok.Swap(up)
		switch {
		case up && !was:
			// Whatever happened while disconnected is read again.
			if n.Resync != nil {
				if err := n.Resync(ctx); err != nil && n.Log != nil && ctx.Err() == nil {
					n.Log.Warn("re-reading changes after reconnecting failed", "err", err)
				}
			}
		case !up && was && n.Log != nil && ctx.Err() == nil:
			n.Log.Warn("change events disconnected; instances converge through the periodic refresh until they reconnect", "bus", n.Bus.Name())
		}
	})
}

// Store wraps a store.Store and publishes a change event after every
// successful write of a key or a catalogue object, whoever makes it.
type Store struct {
	store.Store
	Node *Node
	// pending collects the events of a transaction (Tx) until it commits.
	pending *[]pendingEvent
}

type pendingEvent struct{ kind, id string }

func (s *Store) pub(ctx context.Context, err error, kind, id string) error {
	if err != nil {
		return err
	}
	if s.pending != nil {
		*s.pending = append(*s.pending, pendingEvent{kind, id})
		return nil
	}
	if s.Node != nil {
		s.Node.Publish(ctx, kind, id)
	}
	return nil
}

// Tx implements store.Store: the events of the writes inside are published
// once it has committed, and not at all when it rolls back.
func (s *Store) Tx(ctx context.Context, fn func(tx store.Store) error) error {
	if s.pending != nil { // already inside one
		return s.Store.Tx(ctx, func(tx store.Store) error { return fn(&Store{Store: tx, Node: s.Node, pending: s.pending}) })
	}
	var pending []pendingEvent
	err := s.Store.Tx(ctx, func(tx store.Store) error {
		pending = pending[:0] // a retried function starts afresh
		return fn(&Store{Store: tx, Node: s.Node, pending: &pending})
	})
	if err == nil && s.Node != nil {
		for _, e := range pending {
			s.Node.Publish(ctx, e.kind, e.id)
		}
	}
	return err
}

// CreateKey implements store.Store.
func (s *Store) CreateKey(ctx context.Context, k *store.Key) error {
	return s.pub(ctx, s.Store.CreateKey(ctx, k), KindKey, k.ID)
}

// UpdateKey implements store.Store.
func (s *Store) UpdateKey(ctx context.Context, k *store.Key) error {
	return s.pub(ctx, s.Store.UpdateKey(ctx, k), KindKey, k.ID)
}

// UpsertGroup implements store.Store.
func (s *Store) UpsertGroup(ctx context.Context, g store.Group) error {
	return s.pub(ctx, s.Store.UpsertGroup(ctx, g), KindCatalog, "group:"+g.Name)
}

// UpsertProject implements store.Store.
func (s *Store) UpsertProject(ctx context.Context, p store.Project) error {
	return s.pub(ctx, s.Store.UpsertProject(ctx, p), KindCatalog, "project:"+p.Name)
}

// UpsertChannel implements store.Store.
func (s *Store) UpsertChannel(ctx context.Context, c store.Channel) error {
	return s.pub(ctx, s.Store.UpsertChannel(ctx, c), KindCatalog, "channel:"+c.Name)
}

// UpsertModel implements store.Store.
func (s *Store) UpsertModel(ctx context.Context, m store.Model) error {
	return s.pub(ctx, s.Store.UpsertModel(ctx, m), KindCatalog, "model:"+m.Name)
}

// CreateMember implements store.Store. Members are in the catalogue for
// their budgets, so member writes reload it like other catalogue objects.
func (s *Store) CreateMember(ctx context.Context, m store.Member) error {
	return s.pub(ctx, s.Store.CreateMember(ctx, m), KindCatalog, "member:"+m.ID)
}

// UpdateMember implements store.Store.
func (s *Store) UpdateMember(ctx context.Context, m store.Member) error {
	return s.pub(ctx, s.Store.UpdateMember(ctx, m), KindCatalog, "member:"+m.ID)
}

// DeleteMember implements store.Store.
func (s *Store) DeleteMember(ctx context.Context, id string) error {
	return s.pub(ctx, s.Store.DeleteMember(ctx, id), KindCatalog, "member:"+id)
}

// Local is the bus of a single instance: events are numbered and handed
// straight to this instance's subscriber, so /healthz reads the same as in
// a cluster and catalogue changes apply at once.
type Local struct {
	seq atomic.Int64
	fn  atomic.Pointer[func(Event)]
}

// Publish implements Bus.
func (l *Local) Publish(_ context.Context, instance, kind, id string) (int64, error) {
	n := l.seq.Add(1)
	if fn := l.fn.Load(); fn != nil {
		(*fn)(Event{Seq: n, Instance: instance, Kind: kind, ID: id})
	}
	return n, nil
}

// Run implements Bus.
func (l *Local) Run(ctx context.Context, fn func(Event), connected func(bool)) {
	l.fn.Store(&fn)
	connected(true)
	<-ctx.Done()
	l.fn.Store(nil)
}

// Name implements Bus.
func (l *Local) Name() string { return "local" }

// Close implements Bus.
func (l *Local) Close() error { return nil }

type atomicInt struct{ v atomic.Int64 }

func (a *atomicInt) Load() int   { return int(a.v.Load()) }
func (a *atomicInt) Store(n int) { a.v.Store(int64(n)) }

// DeleteChannel implements store.Store.
func (s *Store) DeleteChannel(ctx context.Context, name string) error {
	return s.pub(ctx, s.Store.DeleteChannel(ctx, name), KindCatalog, "channel:"+name)
}

// DeleteModel implements store.Store.
func (s *Store) DeleteModel(ctx context.Context, name string) error {
	return s.pub(ctx, s.Store.DeleteModel(ctx, name), KindCatalog, "model:"+name)
}
