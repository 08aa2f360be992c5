package httpapi_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/httpapi"
	"github.com/keygate/keygate/internal/testgw"
)

// trickle sends an HTTP/1.1 request head announcing length body bytes,
// then one byte every gap until stop is closed or the server hangs up.
// Bounded: at most 400 bytes. The caller closes the connection.
func trickle(t *testing.T, addr, head string, length int, gap time.Duration, stop <-chan struct{}) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fprintf(c, "%sContent-Length: %d\r\nContent-Type: application/json\r\n\r\n{", head, length); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range 400 {
			select {
			case <-stop:
				return
			case <-time.After(gap):
			}
			if _, err := c.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	return c
}

// answerThenClose reads one response from c and then expects the server to
// close the connection. The client-side deadline only bounds a failing test.
func answerThenClose(t *testing.T, c net.Conn) *http.Response {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(15 * time.Second))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer while the body trickles: %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// Closed is EOF, or a reset: the server closes while the client's
	// trickled bytes sit unread in its socket, and the kernel then answers
	// with RST (seen under load in CI).
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("after the answer the connection stayed open (read: %v): a trickling client keeps it", err)
	}
	return resp
}

// A body that arrives slower than the minimum rate is cut after the grace:
// the handler's read fails, it answers, and the connection is closed — it is
// not held for as long as the client cares to trickle.
func TestSlowBodyIsCut(t *testing.T) {
	readErr := make(chan error, 1)
	srv := httptest.NewServer(httpapi.GuardBodies(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := io.ReadAll(r.Body)
		readErr <- err
		w.WriteHeader(http.StatusBadRequest)
	}), httpapi.BodyRate{Grace: 300 * time.Millisecond, MinRate: 1024}))
	defer srv.Close()
	stop := make(chan struct{})
	defer close(stop)
	c := trickle(t, srv.Listener.Addr().String(), "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n", 10_000, 50*time.Millisecond, stop)
	defer c.Close()
	select {
	case err := <-readErr:
		if err == nil || !strings.Contains(err.Error(), "too slowly") {
			t.Fatalf("body read error = %v, want the slow-body error", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the trickled body was still being read after 15 s: no minimum rate")
	}
	answerThenClose(t, c)
}

// A body sent at a normal pace is read whole, and the connection is kept
// for the next request.
func TestNormalBodyKeepsConnection(t *testing.T) {
	srv := httptest.NewServer(httpapi.GuardBodies(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		fmt.Fprint(w, len(b))
	}), httpapi.BodyRate{Grace: time.Second, MinRate: 1024}))
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr}
	body := strings.Repeat("x", 1<<20)
	for i := range 2 {
		resp, err := cl.Post(srv.URL, "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != fmt.Sprint(len(body)) || resp.Close {
			t.Fatalf("request %d: answer %q, close %v", i, b, resp.Close)
		}
	}
}

// Refused before the body is read (no key): the gateway answers 401 at
// once and closes the connection instead of draining the rest of a body a
// client may trickle forever.
func TestEarlyRefusalClosesConnection(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	stop := make(chan struct{})
	defer close(stop)
	addr := strings.TrimPrefix(g.URL, "http://")
	c := trickle(t, addr, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n", 100_000, time.Second, stop)
	defer c.Close()
	resp := answerThenClose(t, c)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", resp.StatusCode)
	}
}

// BenchmarkGuardBodies: a 1 KiB POST over loopback keep-alive, read whole,
// without and with the guard (its cost: a pooled object, a request copy and
// two read-deadline updates per request with a body).
func BenchmarkGuardBodies(b *testing.B) {
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(204)
	})
	body := strings.Repeat("x", 1024)
	for name, h := range map[string]http.Handler{"bare": read, "guarded": httpapi.GuardBodies(read, httpapi.BodyRate{})} {
		b.Run(name, func(b *testing.B) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			cl := srv.Client()
			b.ReportAllocs()
			for b.Loop() {
				resp, err := cl.Post(srv.URL, "text/plain", strings.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
