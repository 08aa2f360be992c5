package logwriter

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/keygate/keygate/internal/store"
)

// The spool keeps every row on local disk from the moment Write accepts it
// until the store has it, so a process killed with rows queued or in a
// batch loses none: the next start replays what the store lacks.
//
// No fsync: the page cache survives the process being killed (kill -9,
// OOM, a panic), not the machine losing power. Rows are appended as JSON
// lines to segment files PATH.<n>; a segment is removed once it is sealed
// (it reached spoolSegmentBytes) and every row in it is stored. Rows
// dropped while the store was down stay in their segment and are replayed
// at the next start.
//
// Where the system can map files (spool_mmap.go), a segment is a shared
// mapping of a file of spoolSegmentBytes and a row is a copy into it: the
// page is the kernel's the moment the copy ends, so a killed process loses
// nothing, at no system call per row. Elsewhere each row is one write(2).

// spoolSegmentBytes is the size at which a segment is sealed.
const spoolSegmentBytes = 8 << 20

type spool struct {
	path string
	mu   sync.Mutex
	f    *os.File // the current segment, when it is written with write(2)
	mem  []byte   // the current segment's mapping, when mapped
	off  int      // bytes of mem used
	// ready is the end of mem's pages already faulted in (populate), and
	// noPopulate says the kernel would not for this segment: see put.
	ready      int
	noPopulate bool
	seg        *segment
	next       int64                 // the next segment's number
	buf        []byte                // the row being written with write(2)
	err        atomic.Pointer[error] // the last write error, said once

	// free is a stored segment's file, cleared, at PATH.free and mapped:
	// the next rotate renames it instead of creating a file (recycle).
	freeMu    sync.Mutex
	free      []byte
	recycling bool // a segment is being cleared into free
	closed    bool
	kept      atomic.Int32 // sealed segments whose mapping is kept (segment.mem)
}

// spoolKeptMaps bounds the sealed segments whose mapping is kept for
// recycle, so that segments whose rows are never stored (dropped while the
// store was down) cannot pile mappings up.
const spoolKeptMaps = 2

// segment counts the rows of one spool file not yet stored.
type segment struct {
	path    string
	sp      *spool // recycles the file once every row is stored
	mem     []byte // its mapping, kept after sealing for recycle; nil: unmapped
	size    int64
	pending atomic.Int64
	sealed  atomic.Bool
	retired atomic.Bool
}

// done marks one row of s as stored; the last row of a sealed segment
// retires its file.
func (s *segment) done() {
	if s != nil && s.pending.Add(-1) == 0 && s.sealed.Load() {
		s.retire()
	}
}

func (s *segment) seal() {
	s.sealed.Store(true)
	if s.pending.Load() == 0 {
		s.retire()
	}
}

// retire recycles or removes the file of a sealed segment whose rows are
// all stored, once (done and seal may both see the last row go).
func (s *segment) retire() {
	if !s.retired.CompareAndSwap(false, true) {
		return
	}
	mem := s.mem
	s.mem = nil
	if s.sp == nil {
		_ = os.Remove(s.path)
		return
	}
	if mem != nil {
		s.sp.kept.Add(-1)
	}
	if !s.sp.recycle(s.path, mem) {
		_ = os.Remove(s.path)
	}
}

// recycle clears the file of a stored segment and keeps it, mapped, as the
// next segment's (free), unless one is kept already; false when it did not
// (the caller removes the file). mem is the segment's mapping if it was
// kept (nil: mapped here), and recycle's to keep or unmap. A new file
// costs the kernel a fresh page of page cache for every 4 KiB of rows
// (allocated, zeroed, charged, its disk blocks reserved, and all of it
// undone at unlink and munmap), about 3 us a page here; clearing a page
// that stays mapped costs a tenth of that. Clearing comes first, renaming
// second: a process killed in between leaves PATH.free, which replay does
// not read (and openSpool removes), so a file named as a segment never
// holds a row twice. Run by whoever stored the segment's last row: under
// load the writer's loop, not a request.
func (sp *spool) recycle(name string, mem []byte) bool {
	sp.freeMu.Lock()
	busy := sp.free != nil || sp.recycling || sp.closed
	sp.recycling = !busy
	sp.freeMu.Unlock()
	if busy {
		if mem != nil {
			unmapSegment(mem)
		}
		return false
	}
	var err error
	if mem == nil {
		mem, err = mapSegment(name)
	}
	if err == nil {
		clear(mem)
		if err = os.Rename(name, sp.freePath()); err != nil {
			unmapSegment(mem)
		}
	}
	sp.freeMu.Lock()
	defer sp.freeMu.Unlock()
	sp.recycling = false
	if err != nil {
		return false
	}
	if sp.closed {
		unmapSegment(mem)
		_ = os.Remove(sp.freePath())
		return true
	}
	sp.free = mem
	return true
}

func (sp *spool) freePath() string { return sp.path + ".free" }

// takeFree renames the free segment's file to name and returns its mapping,
// or nil when there is none.
func (sp *spool) takeFree(name string) []byte {
	sp.freeMu.Lock()
	mem := sp.free
	sp.free = nil
	sp.freeMu.Unlock()
	if mem == nil {
		return nil
	}
	if err := os.Rename(sp.freePath(), name); err != nil {
		unmapSegment(mem)
		_ = os.Remove(sp.freePath())
		return nil
	}
	return mem
}

func segmentFiles(path string) ([]string, error) {
	m, err := filepath.Glob(path + ".*")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range m {
		if strings.TrimLeft(strings.TrimPrefix(f, path+"."), "0123456789") == "" {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out, nil
}

func openSpool(path string, first int64) (*spool, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
	}
	sp := &spool{path: path, next: first}
	_ = os.Remove(sp.freePath()) // a killed process's: cleared, or being cleared
	if err := sp.rotate(); err != nil {
		return nil, err
	}
	return sp, nil
}

// rotate seals the current segment and opens the next. Called with mu held
// (or before the spool is shared).
func (sp *spool) rotate() error {
	name := fmt.Sprintf("%s.%020d", sp.path, sp.next)
	var f *os.File
	mem := sp.takeFree(name)
	if mem == nil {
		var err error
		if mem, f, err = openSegment(name); err != nil {
			return fmt.Errorf("open request log spool: %w", err)
		}
	}
	sp.next++
	sp.closeSegment()
	// A recycled segment's pages are mapped already; populate still runs
	// ahead of the rows, cheaply, for pages written back meanwhile.
	sp.f, sp.mem, sp.off, sp.ready, sp.noPopulate, sp.seg = f, mem, 0, 0, false, &segment{path: name, sp: sp}
	return nil
}

// closeSegment releases the current segment's file or mapping and seals it.
func (sp *spool) closeSegment() {
	if sp.seg == nil {
		return
	}
	if sp.f != nil {
		_ = sp.f.Close()
	}
	if sp.mem != nil {
		if sp.kept.Add(1) <= spoolKeptMaps {
			sp.seg.mem = sp.mem // for recycle: clearing it in place faults nothing in
		} else {
			sp.kept.Add(-1)
			unmapSegment(sp.mem)
		}
	}
	sp.seg.seal()
	sp.f, sp.mem, sp.seg = nil, nil, nil
}

// put writes r as one line into the current segment, rotating first when
// a mapped segment has no room for it. ok is false for a row JSON cannot
// carry (appendRow).
func (sp *spool) put(r *store.RequestLog) (n int, ok bool, err error) {
	if sp.mem == nil {
		if sp.buf, ok = appendRow(sp.buf[:0], r); !ok {
			return 0, false, nil
		}
		n, err = sp.f.Write(sp.buf)
		return n, true, err
	}
	if !sp.noPopulate && sp.off+spoolRowAhead > sp.ready && sp.ready < len(sp.mem) {
		// Fault the next spoolPopulateBytes in at once rather than a page
		// per trap as rows reach them. Only pages rows are about to use:
		// the file stays sparse past them. A kernel that will not leaves
		// the rows of this segment to fault their pages in themselves.
		pg := os.Getpagesize()
		next := min((max(sp.off+spoolRowAhead, sp.ready+spoolPopulateBytes)+pg-1)/pg*pg, len(sp.mem))
		if populate(sp.mem[sp.ready:next]) {
			sp.ready = next
		} else {
			sp.noPopulate = true
		}
	}
	// Encode straight into the mapping: the row is in the page cache the
	// moment appendRow returns, with no copy from a buffer. A row that
	// outgrows the room left was moved by append to the heap: the bytes it
	// left in this segment are cleared (replay reads no torn line there)
	// and it goes to the next segment.
	room := sp.mem[sp.off:sp.off:len(sp.mem)]
	line, ok := appendRow(room, r)
	if !ok {
		clear(sp.mem[sp.off:min(sp.off+len(line), len(sp.mem))])
		return 0, false, nil
	}
	if len(line) <= cap(room) {
		sp.off += len(line)
		return len(line), true, nil
	}
	clear(sp.mem[sp.off:])
	if len(line) > len(sp.mem) {
		return 0, true, fmt.Errorf("request log row of %d bytes is larger than a spool segment", len(line))
	}
	if err := sp.rotate(); err != nil {
		return 0, true, err
	}
	sp.off += copy(sp.mem, line) // faults its pages in itself; populate goes on from the next row
	return len(line), true, nil
}

// spoolRowAhead is how far past a row's start put makes sure pages are
// faulted in before encoding the row into them: more than most rows take.
const spoolRowAhead = 4 << 10

// spoolPopulateBytes is how much of a mapped segment put faults in ahead
// of the rows.
const spoolPopulateBytes = 256 << 10

// append writes r as one line and returns its segment, or nil when the
// spool could not take it (the row then goes on unspooled: a full disk
// must not stop the gateway).
func (sp *spool) append(r *store.RequestLog) *segment {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if sp.seg == nil {
		return nil // closed
	}
	n, ok, err := sp.put(r)
	if err != nil {
		sp.fail(err)
		return nil
	}
	if !ok {
		return nil
	}
	seg := sp.seg
	seg.pending.Add(1)
	seg.size += int64(n)
	if seg.size >= spoolSegmentBytes {
		if err := sp.rotate(); err != nil {
			sp.fail(err)
		}
	}
	return seg
}

// fail keeps err as the last write error. Its own function: taking the
// address of append's err moved it to the heap on every row.
func (sp *spool) fail(err error) { sp.err.Store(&err) }

// close seals the last segment (removed when everything in it is stored).
func (sp *spool) close() {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	sp.freeMu.Lock()
	sp.closed = true
	if sp.free != nil {
		unmapSegment(sp.free)
		_ = os.Remove(sp.freePath())
		sp.free = nil
	}
	sp.freeMu.Unlock()
	sp.closeSegment()
}

// replay stores what the segments left by an earlier process hold (rows
// already stored are skipped by the store: InsertLogs ignores known request
// ids) and removes each segment whose rows are all stored. It returns the
// rows read, and the number after which new segments must be numbered.
func (w *Writer) replay(ctx context.Context, path string) (int, int64, error) {
	files, err := segmentFiles(path)
	if err != nil {
		return 0, 0, err
	}
	var next int64
	total := 0
	for _, f := range files {
		var n int64
		_, _ = fmt.Sscanf(strings.TrimPrefix(f, path+"."), "%d", &n)
		next = max(next, n+1)
		rows, err := readSegment(f)
		if err != nil {
			return total, next, err
		}
		total += len(rows)
		kept := true
		for start := 0; start < len(rows); start += w.batch {
			chunk := rows[start:min(start+w.batch, len(rows))]
			if !w.store(ctx, chunk, nil) {
				kept = false
			}
		}
		if kept {
			_ = os.Remove(f)
		}
	}
	return total, next, nil
}

// readSegment reads a segment's rows; a line cut short (the machine, not
// the process, died mid-write) or unreadable is skipped, and so is the
// unused, zero-filled end of a mapped segment.
func readSegment(path string) ([]store.RequestLog, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rows []store.RequestLog
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var r store.RequestLog
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.RequestID != "" {
			rows = append(rows, r)
		}
	}
	return rows, sc.Err()
}
