package httpapi

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// BodyRate bounds how long a request body may take to arrive: Grace, plus
// one second per MinRate bytes received. It is a minimum rate, not a total
// ReadTimeout, so a large upload at a normal speed is never cut while a
// client trickling a byte every few seconds is, after Grace.
type BodyRate struct {
	Grace   time.Duration // default 10 s
	MinRate int64         // bytes per second; default 8 KiB/s
}

// Default body rate bounds.
const (
	DefaultBodyGrace   = 10 * time.Second
	DefaultBodyMinRate = 8 << 10
)

// GuardBodies wraps h so that (1) reading a request body slower than rate
// fails (the handler sees a read error and answers; the connection is then
// closed), and (2) a response that starts before the body was read to its
// end — a 401 sent before reading, a body too large — closes the connection
// instead of letting the server drain up to 256 KiB of an unwanted body from
// a client that may trickle it forever.
func GuardBodies(h http.Handler, rate BodyRate) http.Handler {
	if rate.Grace <= 0 {
		rate.Grace = DefaultBodyGrace
	}
	if rate.MinRate <= 0 {
		rate.MinRate = DefaultBodyMinRate
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dl, ok := w.(interface{ SetReadDeadline(time.Time) error })
		if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody || !ok {
			h.ServeHTTP(w, r)
			return
		}
		g := guardPool.Get().(*guard)
		g.w, g.dl, g.rate, g.start = w, dl, rate, time.Now()
		g.body = guardBody{g: g, rc: r.Body}
		g.req = *r
		g.req.Body = &g.body
		g.closeIfUnread = r.ProtoMajor == 1
		h.ServeHTTP(g, &g.req)
		switch {
		case g.closeIfUnread && !g.body.consumed():
			// The server closes the body after the handler, reading up to
			// 256 KiB of what is left "to reuse the connection" — for as
			// long as the client trickles it. Close the connection instead,
			// and make that last read fail at once.
			g.beforeWrite()
			_ = dl.SetReadDeadline(longAgo)
		case g.armed:
			_ = dl.SetReadDeadline(time.Time{}) // the server's own deadlines apply again
		}
		*g = guard{}
		guardPool.Put(g)
	})
}

// longAgo is a read deadline already past.
var longAgo = time.Unix(1, 0)

var guardPool = sync.Pool{New: func() any { return new(guard) }}

// guard is the response writer of a guarded request, with its body and its
// shallow request copy, pooled together: one object per request, reused.
type guard struct {
	w             http.ResponseWriter
	dl            interface{ SetReadDeadline(time.Time) error }
	rate          BodyRate
	start         time.Time
	deadline      time.Time // the read deadline last set
	armed         bool      // a read deadline is set
	wrote         bool
	closeIfUnread bool
	body          guardBody
	req           http.Request
}

func (g *guard) Header() http.Header { return g.w.Header() }

func (g *guard) WriteHeader(code int) {
	g.beforeWrite()
	g.w.WriteHeader(code)
}

func (g *guard) Write(b []byte) (int, error) {
	g.beforeWrite()
	return g.w.Write(b)
}

// beforeWrite closes the connection after this answer when the body was not
// read to its end: the answer was decided without it (or it came too slowly).
func (g *guard) beforeWrite() {
	if g.wrote {
		return
	}
	g.wrote = true
	if g.closeIfUnread && !g.body.consumed() {
		g.w.Header().Set("Connection", "close")
	}
}

func (g *guard) Flush() {
	g.beforeWrite()
	if f, ok := g.w.(http.Flusher); ok {
		f.Flush()
	}
}

func (g *guard) Unwrap() http.ResponseWriter { return g.w }

// guardBody is the request body, read against a moving deadline.
type guardBody struct {
	g   *guard
	rc  io.ReadCloser
	n   int64
	eof bool
}

// consumed reports whether nothing of the body is left on the wire.
func (b *guardBody) consumed() bool {
	return b.eof || (b.g.req.ContentLength > 0 && b.n >= b.g.req.ContentLength)
}

func (b *guardBody) Read(p []byte) (int, error) {
	if b.eof {
		return 0, io.EOF
	}
	g := b.g
	// Allowed so far: Grace, plus a second per MinRate bytes received. The
	// deadline moves only in steps of a second or more (one timer reset).
	want := g.start.Add(g.rate.Grace + time.Duration(b.n*int64(time.Second)/g.rate.MinRate))
	if !g.armed || want.Sub(g.deadline) >= time.Second {
		g.deadline, g.armed = want, true
		_ = g.dl.SetReadDeadline(want)
	}
	n, err := b.rc.Read(p)
	b.n += int64(n)
	if err == io.EOF {
		b.eof = true
		// Clear before the server's background read (started at EOF)
		// could hit it and take the client for gone.
		_ = g.dl.SetReadDeadline(time.Time{})
		g.armed = false
	} else if err != nil && time.Now().After(g.deadline) {
		err = &slowBodyError{read: b.n, after: time.Since(g.start).Round(time.Millisecond), rate: g.rate}
	}
	return n, err
}

func (b *guardBody) Close() error { return b.rc.Close() }

// slowBodyError is a body that did not arrive at the minimum rate.
type slowBodyError struct {
	read  int64
	after time.Duration
	rate  BodyRate
}

func (e *slowBodyError) Error() string {
	return fmt.Sprintf("the request body arrived too slowly (%d bytes in %s; the gateway allows %s plus a second per %d bytes)",
		e.read, e.after, e.rate.Grace, e.rate.MinRate)
}
