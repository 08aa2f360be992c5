package logwriter

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/keygate/keygate/internal/store"
)

// Rows accepted by a writer that never got to store them (its process was
// killed) are stored by the next writer on the same spool before it
// returns; once stored and closed, no segment is left.
func TestSpoolReplaysWhatAKilledWriterHeld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keygate.logspool")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	stalled := &gatedStore{gate: make(chan struct{})} // never opens: the rows stay queued
	w1, err := NewSpooled(context.Background(), stalled, quiet, 0, path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		w1.Write(store.RequestLog{RequestID: fmt.Sprintf("req_%02d", i), CostUSD: 0.001})
	}
	// w1 is abandoned here, as a killed process would leave it.

	st := &recordingStore{}
	w2, err := NewSpooled(context.Background(), st, quiet, 0, path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.count(); got != 50 {
		t.Fatalf("replayed %d rows, want the 50 the killed writer had accepted", got)
	}
	w2.Write(store.RequestLog{RequestID: "req_new"})
	if err := w2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	files, _ := segmentFiles(path)
	// w1's own segment is still open in this process (a killed process's
	// would not be): only it may remain; w2's are gone.
	for _, f := range files {
		rows, _ := readSegment(f)
		for _, r := range rows {
			if r.RequestID == "req_new" {
				t.Fatalf("segment %s still holds a stored row after Close", f)
			}
		}
	}
	if st.count() != 51 {
		t.Fatalf("store has %d rows, want 51", st.count())
	}
}
