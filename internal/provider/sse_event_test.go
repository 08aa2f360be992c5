package provider_test

import (
	"io"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/provider"
)

// Next gives every event's own type, whether it is one of the names kept as
// constants or any other, and "" for an event without an event: line, also
// right after a named one and for a last event cut before its blank line.
func TestSSEReaderEventNames(t *testing.T) {
	names := []string{"content_block_delta", "message_stop", "ping", "error", "response.output_text.delta", "custom_thing", "content_block_delt", "message_stopx", ""}
	var b strings.Builder
	for i, n := range names {
		if n != "" {
			b.WriteString("event: " + n + "\n")
		}
		b.WriteString("data: {}\n")
		if i < len(names)-1 {
			b.WriteString("\n")
		}
	}
	r := provider.NewSSEReader(strings.NewReader(b.String()))
	defer r.Release()
	for _, want := range names {
		ev, data, err := r.Next()
		if err != nil || ev != want || string(data) != "{}" {
			t.Fatalf("Next = %q, %q, %v; want event %q", ev, data, err, want)
		}
	}
	if _, _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last event: %v, want io.EOF", err)
	}
}

// A reader that reuses a released reader's slices gives only its own
// event's type and data.
func TestSSEReaderReusedSlices(t *testing.T) {
	a := provider.NewSSEReader(strings.NewReader("event: content_block_delta\ndata: " + strings.Repeat("a", 3000) + "\n\n"))
	if ev, data, err := a.Next(); err != nil || ev != "content_block_delta" || len(data) != 3000 {
		t.Fatalf("first reader: %q, %d bytes, %v", ev, len(data), err)
	}
	a.Release()
	for range 3 {
		b := provider.NewSSEReader(strings.NewReader("data: b\n\n"))
		ev, data, err := b.Next()
		b.Release()
		if err != nil || ev != "" || string(data) != "b" {
			t.Fatalf("next reader: %q, %q, %v", ev, data, err)
		}
	}
}
