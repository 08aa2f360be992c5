package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// startPprof serves the Go profiler on cfg.Pprof (KEYGATE_PPROF), a
// loopback address checked by config.Validate, on a listener of its own: the
// gateway's public handler never routes /debug/pprof. It stops when bg ends.
func (a *App) startPprof(bg context.Context) error {
	if a.Config.Pprof == "" {
		return nil
	}
	ln, err := net.Listen("tcp", a.Config.Pprof)
	if err != nil {
		return fmt.Errorf("listen on %s (KEYGATE_PPROF): %w", a.Config.Pprof, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Warn("pprof listener stopped", "err", err)
		}
	}()
	go func() { <-bg.Done(); _ = srv.Close() }()
	a.log.Warn("profiler enabled (KEYGATE_PPROF); keep it on loopback", "addr", ln.Addr().String())
	return nil
}
