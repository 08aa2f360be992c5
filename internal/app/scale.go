package app

import (
	"context"
	"sync"
	"time"

	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/limit"
	"github.com/keygate/keygate/internal/store/sqlstore"
)

// scale holds the admission parts — rate limits, the budget ledger — and
// their background loops.
type scale struct {
	local   *limit.Local
	pending *ledger.Pending
	memory  *ledger.Memory
	wg      sync.WaitGroup
}

// wireScale builds the limiter and the ledger for a.Server.
func (a *App) wireScale(_ context.Context, st *sqlstore.Store) error {
	sc := &a.scale
	sc.local = limit.NewLocal(nil)
	sc.pending = ledger.NewPending(st, a.log)
	sc.memory = ledger.NewMemory(sc.pending)
	a.Ledger = &ledger.Ledger{Primary: sc.memory, Log: a.log}
	a.Server.Limits = sc.local
	a.Server.Gate = limit.NewGate()
	a.Server.Ledger = a.Ledger
	a.Server.KeyConcurrency = a.Config.KeyConcurrency
	return nil
}

// startScale runs the background loops until bg ends.
func (a *App) startScale(bg context.Context) {
	sc := &a.scale
	sc.wg.Add(2)
	go func() { defer sc.wg.Done(); sc.pending.Run(bg, time.Second) }()
	go func() {
		defer sc.wg.Done()
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-bg.Done():
				return
			case now := <-t.C:
				sc.local.Sweep()
				sc.memory.Sweep(now)
			}
		}
	}()
}

// closeScale waits for the loops (bg must be cancelled), which write the
// last spend on their way out.
func (a *App) closeScale() { a.scale.wg.Wait() }
