package bench

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"time"
)

// NewProxy returns the baseline the gateway is measured against: a plain
// reverse proxy with no authentication, no logging and no body handling,
// flushing immediately (FlushInterval -1) so streams pass through as the
// gateway's do. Its upstream transport is sized like a well-tuned gateway's,
// since Go's default of two idle connections per host would make the
// baseline artificially slow.
//
// Errors (a failed upstream read, never a request) go to stderr, which the
// benchmark keeps in the proxy's log file.
func NewProxy(upstream *url.URL) http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(upstream)
		},
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        1024,
			MaxIdleConnsPerHost: 1024,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
		FlushInterval: -1,
		ErrorLog:      log.New(os.Stderr, "bench-proxy: ", log.LstdFlags),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Without full duplex, Go's HTTP/1 server closes the inbound body as
		// soon as the response headers are written; the transport, still
		// checking that body for bytes beyond its Content-Length, then fails
		// and tears down the upstream connection, cutting a stream already
		// under way (golang/go#40747). Under load about 1 stream in 3000 died
		// that way. A gateway that reads the body before forwarding is not
		// exposed; the baseline must not be either.
		_ = http.NewResponseController(w).EnableFullDuplex()
		rp.ServeHTTP(w, r)
	})
}

// ServeProxy runs NewProxy(upstream) on ln until ctx is cancelled, then
// shuts down within a few seconds.
func ServeProxy(ctx context.Context, ln net.Listener, upstream *url.URL) error {
	return serve(ctx, ln, NewProxy(upstream))
}

func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
