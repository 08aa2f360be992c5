package logwriter

import "syscall"

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14).
const madvPopulateWrite = 23

// populate faults mem's pages in writable with one system call, as the
// first write to each would one page at a time (a trap per page, most of a
// row's cost in a fresh segment). False when the kernel cannot (older than
// 5.14): rows then fault their pages in as before.
func populate(mem []byte) bool {
	return syscall.Madvise(mem, madvPopulateWrite) == nil
}
