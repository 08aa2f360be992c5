//go:build !linux

package logwriter

// populate is a no-op where MADV_POPULATE_WRITE does not exist: rows fault
// their pages in one at a time.
func populate([]byte) bool { return false }
