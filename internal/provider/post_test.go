package provider

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// countingConn counts the writes made on a connection.
type countingConn struct {
	net.Conn
	mu     sync.Mutex
	writes int
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.Conn.Write(b)
}

// An upstream request goes out in one write, header and body together:
// the transport flushes the header of a body it does not know to be in
// memory on its own, a second syscall per call.
func TestPostWritesTheRequestAtOnce(t *testing.T) {
	client, server := net.Pipe()
	cc := &countingConn{Conn: client}
	done := make(chan string, 1)
	go func() {
		br := bufio.NewReader(server)
		req, err := http.ReadRequest(br)
		if err != nil {
			done <- err.Error()
			return
		}
		b := make([]byte, req.ContentLength)
		_, _ = req.Body.Read(b)
		_, _ = server.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"))
		done <- string(b)
	}()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) { return cc, nil }}}
	u, _ := url.Parse("http://upstream.invalid/v1")
	resp, err := Post(context.Background(), hc, u.String()+"/x", Credential{BaseURL: u}, http.Header{}, []byte(`{"a":1}`), false, func([]byte) (string, string) { return "", "" })
	if err != nil {
		t.Fatal(err)
	}
	if b, err := ReadBody(resp); err != nil || string(b) != "{}" {
		t.Fatalf("answer %q, %v", b, err)
	}
	if got := <-done; !strings.Contains(got, `{"a":1}`) {
		t.Fatalf("upstream read %q", got)
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.writes != 1 {
		t.Errorf("the request took %d writes, want 1", cc.writes)
	}
}
