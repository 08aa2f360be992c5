package app

import (
	"context"

	"github.com/keygate/keygate/internal/retention"
)

// startRetention runs the request log retention job (KEYGATE_LOG_RETENTION)
// until bg is cancelled; Close waits for it before closing the store.
func (a *App) startRetention(bg context.Context) {
	if a.Config.LogRetention <= 0 {
		return
	}
	j := &retention.Job{Store: a.Store, Retention: a.Config.LogRetention, Log: a.log}
	a.retentionDone = make(chan struct{})
	go func() { defer close(a.retentionDone); j.Run(bg) }()
}
