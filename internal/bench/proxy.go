package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
	"time"
)

// NewProxy returns the baseline the gateway is measured against: a plain
// httputil.ReverseProxy with no authentication and no logging, flushing
// immediately (FlushInterval -1) so streams pass through as the gateway's
// do. It is the best-configured bare proxy we know how to write, so the
// gateway's overhead is not flattered by a weak baseline: its upstream
// transport keeps plenty of idle connections (Go's default of two per host
// would throttle it), and copy buffers are pooled (without a BufferPool,
// ReverseProxy allocates 32 KiB per request, which cost about a fifth of
// its CPU in our measurements).
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
		BufferPool:    &copyBuffers,
		ErrorLog:      log.New(os.Stderr, "bench-proxy: ", log.LstdFlags),
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The request body is read into memory before forwarding. Streaming
		// it instead lets Go's HTTP/1 server close the inbound body as soon
		// as the response headers go out, while the transport still checks
		// it for bytes beyond Content-Length; the transport then tears down
		// the upstream connection and cuts a stream already under way
		// (golang/go#40747; about 1 stream in 3000 under load). The gateway
		// reads the body to parse it anyway, and buffering measured cheaper
		// than the other cure, EnableFullDuplex.
		bp := bodyBuffers.Get().(*bytes.Buffer)
		defer func() {
			if bp.Cap() <= 1<<20 {
				bp.Reset()
				bodyBuffers.Put(bp)
			}
		}()
		if _, err := bp.ReadFrom(http.MaxBytesReader(w, r.Body, maxProxyBody)); err != nil {
			http.Error(w, "bench-proxy: reading the request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(bp.Bytes()))
		r.ContentLength = int64(bp.Len())
		rp.ServeHTTP(w, r)
	})
}

// maxProxyBody bounds the buffered request body, like the gateway's own
// default limit.
const maxProxyBody = 32 << 20

var bodyBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// bufferPool adapts sync.Pool to httputil.BufferPool.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if buf, ok := b.p.Get().(*[]byte); ok {
		return *buf
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

var copyBuffers bufferPool

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
