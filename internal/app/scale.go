package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/keygate/keygate/internal/alerts"
	"github.com/keygate/keygate/internal/events"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/limit"
	"github.com/keygate/keygate/internal/store/sqlstore"
)

// scale holds what lets instances act as one — rate limits, the budget
// ledger, change events — and their background loops. Three setups
// (docs/scale-out.md):
//
//   - SQLite: one instance; limits and budgets in memory (spend reaches
//     the database with the request log rows), events in-process.
//   - PostgreSQL without Redis: budgets decided by the database (exact
//     across instances), rate limits per instance, events by LISTEN/NOTIFY.
//   - Redis: limits and budgets shared in Redis (spend reaches the
//     database with the rows), events by pub/sub; while Redis is down, limits fall back
//     to each instance's share and budgets to the database.
type scale struct {
	instance string
	redis    *redis.Client
	local    *limit.Local
	shared   *limit.Shared
	memory   *ledger.Memory
	bus      events.Bus
	node     *events.Node
	presence *events.Presence
	degraded *prometheus.GaugeVec
	alerts   *alerts.Budget
	wg       sync.WaitGroup
}

// Instance is this process's id in a multi-instance setup (/healthz).
func (a *App) Instance() string { return a.scale.instance }

// wireScale builds the limiter, the ledger and the change events for
// a.Server, and wraps the server's store so every key or catalogue write
// is announced to the other instances.
func (a *App) wireScale(ctx context.Context, st *sqlstore.Store) error {
	sc := &a.scale
	sc.instance = ids.New("ins")
	sc.local = limit.NewLocal(nil)
	sc.degraded = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "keygate_degraded",
		Help: "1 while a shared part runs on its fallback: rate_limits (local share), budgets (database), events (periodic refresh only)."}, []string{"part"})
	for _, p := range []string{"rate_limits", "budgets", "events"} {
		sc.degraded.WithLabelValues(p).Set(0)
	}
	if err := a.Server.Metrics.Registry.Register(sc.degraded); err != nil {
		return fmt.Errorf("register scale-out metrics: %w", err)
	}
	flag := func(part string) func(bool) {
		return func(down bool) {
			v := 0.0
			if down {
				v = 1
			}
			sc.degraded.WithLabelValues(part).Set(v)
		}
	}
	postgres := strings.HasPrefix(a.Config.Database, "postgres")
	led := &ledger.Ledger{Log: a.log, OnFallback: flag("budgets")}
	var lim limit.Limiter = sc.local
	switch {
	case a.Config.Redis != "":
		opt, err := redis.ParseURL(a.Config.Redis)
		if err != nil {
			return fmt.Errorf("KEYGATE_REDIS: %w (want redis://[:PASSWORD@]HOST:PORT[/DB])", err)
		}
		// Short timeouts: a dead Redis must cost a request milliseconds
		// before the fallback answers, not seconds.
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout, opt.PoolTimeout = 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond, 500*time.Millisecond
		opt.MaxRetries = -1
		sc.redis = redis.NewClient(opt)
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if err := sc.redis.Ping(pctx).Err(); err != nil {
			a.log.Warn("Redis (KEYGATE_REDIS) does not answer; starting with rate limits per instance and budgets in the database until it does", "err", err)
		}
		cancel()
		sc.presence = &events.Presence{Client: sc.redis, Instance: sc.instance}
		sc.local.Divisor = sc.presence.Count
		sc.shared = &limit.Shared{Remote: &limit.Redis{Client: sc.redis}, Local: sc.local, Log: a.log, OnFallback: flag("rate_limits")}
		lim = sc.shared
		led.Primary = &ledger.Redis{Client: sc.redis, Store: st, Log: a.log}
		led.Fallback = a.dbLedger(ctx, st)
		sc.bus = events.NewRedis(sc.redis)
		if postgres {
			// Events travel on both, so revocation keeps its second while
			// Redis is down (docs/scale-out.md).
			pg, err := events.NewPostgres(ctx, a.Config.Database)
			if err != nil {
				return err
			}
			sc.bus = events.NewBoth(sc.bus.(*events.Redis), pg)
		}
	case postgres:
		led.Primary = a.dbLedger(ctx, st)
		bus, err := events.NewPostgres(ctx, a.Config.Database)
		if err != nil {
			return err
		}
		sc.bus = bus
	default:
		sc.memory = ledger.NewMemory(st)
		led.Primary = sc.memory
		sc.bus = &events.Local{}
	}
	if a.Config.Redis != "" && !postgres {
		a.log.Warn("KEYGATE_REDIS is set with an SQLite database: instances cannot share an SQLite file; use PostgreSQL for more than one instance")
	}
	sc.node = &events.Node{Bus: sc.bus, Instance: sc.instance, Log: a.log,
		Apply: func(ctx context.Context, ev events.Event) error {
			switch ev.Kind {
			case events.KindKey:
				return a.Catalog.ApplyKey(ctx, ev.ID)
			case events.KindBreaker:
				if name, until, ok := events.ParseBreakerID(ev.ID); ok {
					a.Catalog.OpenBreaker(name, until)
				}
				return nil
			}
			return a.Catalog.Reload(ctx)
		},
		Resync: func(ctx context.Context) error {
			if err := a.Catalog.RefreshKeys(ctx); err != nil {
				return err
			}
			return a.Catalog.Reload(ctx)
		}}
	if a.Webhooks != nil {
		sc.alerts = alerts.New(a.Store, a.Webhooks, a.log)
		led.OnAlert = sc.alerts.Handle
	}
	a.Catalog.OnBreakerOpen(func(name string, until time.Time) {
		// Another instance opens its breaker of this channel too, until the
		// same time, instead of finding the outage with calls of its own.
		sc.node.Publish(context.Background(), events.KindBreaker, events.BreakerID(name, until))
	})
	a.Ledger = led
	a.Server.Store = &events.Store{Store: a.Server.Store, Node: sc.node}
	a.Server.Limits = lim
	a.Server.Gate = limit.NewGate()
	a.Server.Ledger = led
	a.Admin.Store, a.Admin.Ledger, a.Service.Store = a.Server.Store, led, a.Server.Store
	a.Server.KeyConcurrency = a.Config.KeyConcurrency
	a.Server.Health = func() map[string]any {
		h := map[string]any{"instance": sc.instance, "events": sc.bus.Name(), "last_event_seq": sc.node.LastSeq(),
			"events_connected": sc.node.Connected()}
		if sc.presence != nil {
			h["instances"] = sc.presence.Count()
		}
		var deg []string
		if sc.shared != nil && sc.shared.Degraded() {
			deg = append(deg, "rate_limits: per-instance share (Redis unreachable)")
		}
		if led.Degraded() {
			deg = append(deg, "budgets: held in the database (Redis unreachable)")
		}
		if !sc.node.Connected() {
			deg = append(deg, "events: not connected; changes arrive with the periodic refresh")
		}
		if len(deg) > 0 {
			h["degraded"] = deg
		}
		return h
	}
	return nil
}

// startScale runs the background loops until bg ends.
func (a *App) startScale(bg context.Context) {
	sc := &a.scale
	run := func(f func()) {
		sc.wg.Add(1)
		go func() { defer sc.wg.Done(); f() }()
	}
	if sc.alerts != nil {
		run(func() { sc.alerts.Run(bg) })
	}
	run(func() { sc.node.Run(bg) })
	if sc.presence != nil {
		run(func() { sc.presence.Run(bg) })
	}
	run(func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-bg.Done():
				return
			case now := <-t.C:
				sc.local.Sweep()
				if sc.memory != nil {
					sc.memory.Sweep(now)
				}
			}
		}
	})
	events := sc.node
	run(func() {
		// The events gauge follows the bus connection.
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-bg.Done():
				return
			case <-t.C:
				v := 0.0
				if !events.Connected() {
					v = 1
				}
				sc.degraded.WithLabelValues("events").Set(v)
			}
		}
	})
}

// closeScale waits for the loops (bg must be cancelled) and closes the
// connections.
func (a *App) closeScale() {
	sc := &a.scale
	sc.wg.Wait()
	if sc.bus != nil {
		sc.bus.Close()
	}
	if sc.redis != nil {
		sc.redis.Close()
	}
}

// dbLedger is the database-arbitrated ledger. Its holds carry a stable
// owner (host and log spool, else host and listen address), so a process of this instance killed
// mid-call has its holds released here at the next start instead of
// holding the budget until they expire.
func (a *App) dbLedger(ctx context.Context, st *sqlstore.Store) *ledger.DB {
	host, _ := os.Hostname()
	owner := host + "|" + a.Config.Listen
	if _, port, _ := net.SplitHostPort(a.Config.Listen); port == "0" || port == "" {
		owner = a.scale.instance // a port picked at start names no stable instance
	}
	if spool := a.Config.LogSpoolPath(); spool != "" {
		// The request log spool is this instance's own across restarts:
		// the next process replays its rows (each moving its settled hold
		// into the spend) and releases the rest of its holds here.
		if abs, err := filepath.Abs(spool); err == nil {
			spool = abs
		}
		owner = host + "|" + spool
	}
	d := &ledger.DB{Store: st, Owner: owner}
	if n, err := d.Release(ctx); err != nil {
		a.log.Warn("budget holds left by a previous run could not be released; they lapse on their own", "err", err)
	} else if n > 0 {
		a.log.Info("released budget holds left by a previous run or expired", "holds", n, "owner", d.Owner)
	}
	return d
}
