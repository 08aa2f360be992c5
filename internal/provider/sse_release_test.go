package provider_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/provider"
)

// A closed stream gives its line buffer to the next stream: it reads nothing
// more itself (an error, not the other stream's bytes), and the next stream
// reads only its own events, from the first byte, whatever the previous one
// left buffered.
func TestSSEStreamCloseReleasesBuffer(t *testing.T) {
	first := provider.NewSSEStream(io.NopCloser(strings.NewReader("data: a1\n\ndata: a2\n\ndata: a3\n\nend")), &lineDecoder{})
	if c, err := first.Recv(); err != nil || c.Text != "a1" {
		t.Fatalf("first Recv = %+v, %v", c, err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		second := provider.NewSSEStream(io.NopCloser(strings.NewReader("data: b1\n\ndata: end\n\n")), &lineDecoder{})
		if c, err := second.Recv(); err != nil || c.Text != "b1" {
			t.Fatalf("second Recv = %+v, %v; want b1", c, err)
		}
		if c, err := second.Recv(); !errors.Is(err, io.EOF) {
			t.Fatalf("second stream's end = %+v, %v; want io.EOF", c, err)
		}
		_ = second.Close()
	}
	if c, err := first.Recv(); !errors.Is(err, provider.ErrReaderReleased) {
		t.Fatalf("Recv after Close = %+v, %v; want ErrReaderReleased", c, err)
	}
	_ = first.Close() // a second Close is harmless
}

// A line longer than the reader's buffer is read whole.
func TestSSEReaderLongLine(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 40<<10)
	r := provider.NewSSEReader(io.MultiReader(strings.NewReader("event: big\ndata: "), bytes.NewReader(long), strings.NewReader("\n\n")))
	defer r.Release()
	ev, data, err := r.Next()
	if err != nil || ev != "big" || !bytes.Equal(data, long) {
		t.Fatalf("Next = %q, %d bytes, %v", ev, len(data), err)
	}
}
