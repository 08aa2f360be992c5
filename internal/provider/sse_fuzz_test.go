package provider

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzSSEReader: whatever bytes an upstream streams, Next neither panics
// nor loops: it ends with io.EOF, io.ErrUnexpectedEOF or a line error
// within a bounded number of events.
func FuzzSSEReader(f *testing.F) {
	for _, s := range []string{
		"data: {\"a\":1}\n\ndata: [DONE]\n\n",
		"event: message_start\ndata: {}\n\n",
		"data: a\ndata: b\r\n\r\n: comment\n\nretry: 10\nid: 1\ndata:x\n\n",
		"data: cut",
		"\n\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewSSEReader(bytes.NewReader(b))
		for range len(b) + 2 {
			if _, _, err := r.Next(); err != nil {
				return
			}
		}
		t.Fatalf("more events than input bytes from %q", b)
	})
}

// FuzzSSERoundTrip: events written in SSE framing (one event: line, data
// lines) come back as written.
func FuzzSSERoundTrip(f *testing.F) {
	f.Add("message", "line one\nline two", "", "[DONE]")
	f.Add("", "{\"x\":1}", "ping", "")
	f.Fuzz(func(t *testing.T, ev1, data1, ev2, data2 string) {
		type event struct{ name, data string }
		var in []event
		for _, e := range []event{{ev1, data1}, {ev2, data2}} {
			if strings.ContainsAny(e.name, "\r\n") || strings.ContainsRune(e.data, '\r') || e.data == "" ||
				strings.HasPrefix(e.name, " ") || strings.ContainsRune(e.name, '\x00') {
				return // not expressible in SSE framing as written here
			}
			in = append(in, e)
		}
		var buf bytes.Buffer
		for _, e := range in {
			if e.name != "" {
				buf.WriteString("event: " + e.name + "\n")
			}
			for _, l := range strings.Split(e.data, "\n") {
				buf.WriteString("data: " + l + "\n")
			}
			buf.WriteString("\n")
		}
		r := NewSSEReader(&buf)
		for _, e := range in {
			name, data, err := r.Next()
			if err != nil {
				t.Fatalf("event %q: %v", e.data, err)
			}
			if name != e.name || string(data) != e.data {
				t.Fatalf("read (%q, %q), wrote (%q, %q)", name, data, e.name, e.data)
			}
		}
		if _, _, err := r.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("after the last event: %v, want io.EOF", err)
		}
	})
}
