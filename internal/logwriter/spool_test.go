package logwriter

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
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

// A segment whose rows are all stored is cleared and becomes a later
// segment (two files take turns), and a recycled segment reads back only
// the rows written into it since, never one of its earlier life.
func TestSpoolRecyclesStoredSegments(t *testing.T) {
	if _, err := mapSegment(os.DevNull); errors.Is(err, errors.ErrUnsupported) {
		t.Skip("segments are written with write(2) here, and removed")
	}
	path := filepath.Join(t.TempDir(), "keygate.logspool")
	sp, err := openSpool(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("z", 3000) // ~2,790 rows a segment
	var files []os.FileInfo
	var cur *segment
	start := 0 // the first row of the current segment
	for i := range 12000 {
		r := store.RequestLog{RequestID: fmt.Sprintf("req_%05d", i), FailureReason: long}
		seg := sp.append(&r)
		if seg == nil {
			t.Fatalf("row %d was not spooled: %v", i, sp.err.Load())
		}
		if seg != cur {
			cur, start = seg, i
			fi, err := os.Stat(seg.path)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, fi)
		}
		seg.done() // stored at once
	}
	if len(files) < 4 {
		t.Fatalf("%d segments, want the rows to have rotated through at least 4", len(files))
	}
	for i, fi := range files {
		if i >= 2 && !os.SameFile(fi, files[i%2]) {
			t.Fatalf("segment %d is a new file; want the stored segment %d's file reused", i, i-2)
		}
	}
	segs, err := segmentFiles(path)
	if err != nil || len(segs) != 1 || segs[0] != cur.path {
		t.Fatalf("segment files %v (%v), want only the current one %s", segs, err, cur.path)
	}
	rows, err := readSegment(cur.path)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 12000-start {
		t.Fatalf("the current segment holds %d rows, want the %d written into it", len(rows), 12000-start)
	}
	for k, r := range rows {
		if want := fmt.Sprintf("req_%05d", start+k); r.RequestID != want || r.FailureReason != long {
			t.Fatalf("row %d of the recycled segment is %q, want %q", k, r.RequestID, want)
		}
	}
	sp.close()
	if _, err := os.Stat(path + ".free"); !os.IsNotExist(err) {
		t.Fatalf("close left the free segment: %v", err)
	}
}

// A free segment left by a killed process (cleared, or still being
// cleared) is not replayed, and the next start removes it.
func TestSpoolFreeSegmentIsNotReplayed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keygate.logspool")
	if err := os.WriteFile(path+".free", []byte(`{"RequestID":"req_stale","Status":200}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st := &recordingStore{}
	w, err := NewSpooled(context.Background(), st, slog.New(slog.NewTextHandler(io.Discard, nil)), 0, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st.count() != 0 {
		t.Fatalf("replayed %d rows from the free segment", st.count())
	}
	if _, err := os.Stat(path + ".free"); !os.IsNotExist(err) {
		t.Fatalf("the free segment was kept: %v", err)
	}
}
