//go:build linux || darwin || freebsd || netbsd || openbsd

package logwriter

import (
	"fmt"
	"os"
	"syscall"
)

// openSegment creates a segment file of spoolSegmentBytes and maps it
// shared: rows copied into the mapping are in the page cache at once, and
// stay there when the process is killed. The file is sparse; only the
// pages rows reach use disk.
func openSegment(name string) ([]byte, *os.File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close() // the mapping outlives the descriptor
	if err := f.Truncate(spoolSegmentBytes); err != nil {
		_ = os.Remove(name)
		return nil, nil, err
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, spoolSegmentBytes, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		_ = os.Remove(name)
		return nil, nil, err
	}
	return mem, nil, nil
}

func unmapSegment(mem []byte) { _ = syscall.Munmap(mem) }

// mapSegment maps an existing segment file shared, to clear it for reuse.
func mapSegment(name string) ([]byte, error) {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != spoolSegmentBytes {
		return nil, fmt.Errorf("spool segment %s is not %d bytes", name, spoolSegmentBytes)
	}
	return syscall.Mmap(int(f.Fd()), 0, spoolSegmentBytes, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
}
