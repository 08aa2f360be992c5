//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package logwriter

import (
	"errors"
	"os"
)

// openSegment opens a segment file for appending with write(2), one call
// per row, where files cannot be mapped.
func openSegment(name string) ([]byte, *os.File, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_APPEND|os.O_EXCL, 0o600)
	return nil, f, err
}

func unmapSegment([]byte) {}

// mapSegment refuses: segments written with write(2) are removed, not
// recycled.
func mapSegment(string) ([]byte, error) { return nil, errors.ErrUnsupported }
