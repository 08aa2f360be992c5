// Package ids makes identifiers: sortable random object ids ("key_…") and
// cheap, unique request ids ("req_…").
package ids

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/binary"
	"sync/atomic"
	"time"
)

var enc = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// New returns prefix + "_" + 26 characters: 48 bits of milliseconds then 80
// random bits, so ids sort by creation time and never collide in practice.
func New(prefix string) string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	_, _ = rand.Read(b[6:])
	return prefix + "_" + enc.EncodeToString(b[:])
}

var (
	instance [6]byte
	counter  atomic.Uint64
)

func init() { _, _ = rand.Read(instance[:]) }

// Request returns a request id: a random per-process prefix plus a counter,
// unique across instances without a syscall per request.
func Request() string {
	var b [15]byte
	copy(b[:6], instance[:])
	binary.BigEndian.PutUint32(b[6:10], uint32(time.Now().Unix()))
	n := counter.Add(1)
	b[10], b[11], b[12], b[13], b[14] = byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	// Encoded behind the prefix in one array: one allocation, the string.
	var out [len(requestPrefix) + 24]byte // 15 bytes are 24 base32 characters
	copy(out[:], requestPrefix)
	enc.Encode(out[len(requestPrefix):], b[:])
	return string(out[:])
}

const requestPrefix = "req_"
