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
