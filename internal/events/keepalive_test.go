package events

import (
	"context"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stallProxy forwards TCP connections on 127.0.0.1 to target until stall
// is called: from then on the connections it had stop forwarding, in both
// directions, without closing — what a dead peer behind a NAT or a
// half-open connection looks like. New connections forward normally.
type stallProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []*stallConn
	wg     sync.WaitGroup
}

type stallConn struct {
	a, b    net.Conn
	stalled atomic.Bool
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			a, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", target)
			if err != nil {
				a.Close()
				continue
			}
			c := &stallConn{a: a, b: b}
			p.mu.Lock()
			p.conns = append(p.conns, c)
			p.mu.Unlock()
			p.wg.Add(2)
			go func() { defer p.wg.Done(); c.pipe(a, b) }()
			go func() { defer p.wg.Done(); c.pipe(b, a) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.a.Close()
			c.b.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

// pipe copies src to dst; once stalled, what arrives is read and dropped.
func (c *stallConn) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !c.stalled.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			return
		}
	}
}

func (p *stallProxy) stall() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.stalled.Store(true)
	}
	return len(p.conns)
}

// A LISTEN connection that hangs silently (no error, no close: its peer is
// gone behind a proxy) is found by the keepalive ping and replaced, and
// the changes it missed are re-read, so a key revoked meanwhile is refused
// within about a second through PostgreSQL alone. Without the keepalive
// the listener waited on the dead connection for ever.
func TestPostgresListenerSurvivesSilentHang(t *testing.T) {
	dsn := pgDSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newStallProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	pub := newPostgres(t, dsn)
	sub := newPostgres(t, u.String())

	revoked := "key_revoked_during_hang"
	var stored atomic.Value // what a re-read of the database finds
	stored.Store("")
	applied := make(chan string, 16)
	resynced := make(chan string, 16)
	node := &Node{Bus: sub, Instance: "ins_sub",
		Apply: func(_ context.Context, ev Event) error {
			select {
			case applied <- ev.ID:
			default:
			}
			return nil
		},
		Resync: func(context.Context) error {
			resynced <- stored.Load().(string)
			return nil
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); node.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	wait := func(ch chan string, want, what string) {
		t.Helper()
		deadline := time.After(15 * time.Second)
		for {
			select {
			case got := <-ch:
				if got == want {
					return
				}
			case <-deadline:
				t.Fatalf("%s: %q never arrived", what, want)
			}
		}
	}
	wait(resynced, "", "first connection")
	// The listener is up: an event arrives.
	deadline := time.Now().Add(15 * time.Second)
	for got := false; !got; {
		if time.Now().After(deadline) {
			t.Fatal("no event arrived before the hang")
		}
		if _, err := pub.Publish(ctx, "ins_pub", KindKey, "key_before"); err != nil {
			t.Fatal(err)
		}
		select {
		case id := <-applied:
			got = id == "key_before"
		case <-time.After(200 * time.Millisecond):
		}
	}

	if n := proxy.stall(); n == 0 {
		t.Fatal("the listener's connection did not go through the proxy")
	}
	// Revoked while the listener's connection is dead: the event is lost
	// on it, the database has the change.
	stored.Store(revoked)
	if _, err := pub.Publish(ctx, "ins_pub", KindKey, revoked); err != nil {
		t.Fatal(err)
	}
	wait(resynced, revoked, "re-read after the silent hang")
	// And the new connection delivers events again.
	deadline = time.Now().Add(15 * time.Second)
	for got := false; !got; {
		if time.Now().After(deadline) {
			t.Fatal("no event arrived after reconnecting")
		}
		if _, err := pub.Publish(ctx, "ins_pub", KindKey, "key_after"); err != nil {
			t.Fatal(err)
		}
		select {
		case id := <-applied:
			got = id == "key_after"
		case <-time.After(200 * time.Millisecond):
		}
	}
}
