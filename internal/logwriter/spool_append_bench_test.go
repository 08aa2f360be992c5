package logwriter

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/store"
)

// BenchmarkSpoolAppend is the spool's share of Write alone: one row encoded
// and copied into the current segment (rotating every spoolSegmentBytes).
func BenchmarkSpoolAppend(b *testing.B) {
	sp, err := openSpool(filepath.Join(b.TempDir(), "bench.logspool"), 0)
	if err != nil {
		b.Fatal(err)
	}
	r := budgetedRow(1)
	b.ReportAllocs()
	for b.Loop() {
		if seg := sp.append(&r); seg != nil {
			seg.pending.Add(-1)
		}
	}
	sp.close()
}

// Rows written across many populated stretches of a mapped segment and
// across a rotation are all read back, each once, and nothing else is.
func TestSpoolRowsAcrossPopulateAndRotation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keygate.logspool")
	sp, err := openSpool(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 3000) // 3 KB rows: ~85 per populated stretch, a rotation after ~2,700
	const n = 4000
	for i := range n {
		r := store.RequestLog{RequestID: fmt.Sprintf("req_%05d", i), FailureReason: long}
		if sp.append(&r) == nil {
			t.Fatalf("row %d was not spooled: %v", i, sp.err.Load())
		}
	}
	files, err := segmentFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("%d segment files, want the rows to have rotated into at least 2", len(files))
	}
	seen := map[string]bool{}
	for _, f := range files {
		rows, err := readSegment(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if seen[r.RequestID] || r.FailureReason != long {
				t.Fatalf("row %q read back twice or altered", r.RequestID)
			}
			seen[r.RequestID] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("read back %d rows, want %d", len(seen), n)
	}
	sp.close()
}

// A row JSON cannot carry (a NaN in its attempts, found only after part of
// it was encoded into the mapping) is not spooled and leaves no bytes of
// itself behind: the rows around it read back, and nothing else.
func TestSpoolRowJSONCannotCarryLeavesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keygate.logspool")
	sp, err := openSpool(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("y", 2000)
	bad := store.RequestLog{RequestID: "req_bad", FailureReason: long,
		AttemptsDetail: []store.Attempt{{Channel: "a", DurationMS: math.NaN()}}}
	if sp.append(&store.RequestLog{RequestID: "req_before"}) == nil || sp.append(&bad) != nil ||
		sp.append(&store.RequestLog{RequestID: "req_after"}) == nil {
		t.Fatal("want the good rows spooled and the bad one refused")
	}
	sp.close()
	files, _ := segmentFiles(path)
	var got []string
	for _, f := range files {
		rows, err := readSegment(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			got = append(got, r.RequestID)
		}
		b, _ := os.ReadFile(f)
		if bytes.Contains(b, []byte(long[:100])) {
			t.Fatalf("segment %s still holds bytes of the refused row", f)
		}
	}
	if strings.Join(got, ",") != "req_before,req_after" {
		t.Fatalf("read back %v", got)
	}
}
