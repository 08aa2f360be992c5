package provider_test

import (
	"io"
	"testing"

	"github.com/keygate/keygate/internal/provider"
)

// lineDecoder turns every event into a chunk carrying its data, and ends at
// "end".
type lineDecoder struct{ done bool }

func (d *lineDecoder) Decode(_ string, data []byte) (*provider.ChatChunk, error) {
	if string(data) == "end" {
		d.done = true
		return nil, nil
	}
	return &provider.ChatChunk{Text: string(data)}, nil
}
func (d *lineDecoder) Done() bool                    { return d.done }
func (d *lineDecoder) Usage() (provider.Usage, bool) { return provider.Usage{}, false }

// The idle hook runs before each read that would wait for the upstream and
// never between events that arrived together: a relay flushing in it sends
// events that came in one packet in one write, and never holds one back
// while the upstream is silent.
func TestSSEStreamIdleHook(t *testing.T) {
	pr, pw := io.Pipe()
	st := provider.NewSSEStream(pr, &lineDecoder{})
	idle := make(chan struct{}, 10)
	st.OnIdle(func() { idle <- struct{}{} })

	go func() { _, _ = pw.Write([]byte("data: a\n\ndata: b\n\n")) }()
	for _, want := range []string{"a", "b"} {
		c, err := st.Recv()
		if err != nil || c.Text != want {
			t.Fatalf("Recv = %+v, %v; want %q", c, err, want)
		}
	}
	if n := len(idle); n != 1 {
		t.Fatalf("idle ran %d times before the two events of one write, want 1 (before the first read only)", n)
	}
	<-idle

	got := make(chan string, 1)
	go func() {
		c, err := st.Recv()
		if err != nil {
			got <- err.Error()
			return
		}
		got <- c.Text
	}()
	<-idle // the third Recv must signal idle before it blocks on the silent upstream
	_, _ = pw.Write([]byte("data: c\n\ndata: end\n\n"))
	if s := <-got; s != "c" {
		t.Fatalf("third Recv = %q, want c", s)
	}
	pw.Close()
	if _, err := st.Recv(); err != io.EOF {
		t.Fatalf("after the terminal event: %v, want io.EOF", err)
	}
}
