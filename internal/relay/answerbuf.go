package relay

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// answerPool holds the buffers whole (non-streaming) upstream answers are
// read into: reading with io.ReadAll allocated and grew a fresh slice per
// call, the largest allocation of a plain call in profiles.
var answerPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledAnswer keeps a rare huge answer from pinning its buffer.
const maxPooledAnswer = 1 << 20

// readAnswer reads resp's body, up to limit bytes, into a pooled buffer.
// The bytes are valid until release(buf), which the caller defers.
func readAnswer(resp *http.Response, limit int64) (buf *bytes.Buffer, b []byte, err error) {
	buf = answerPool.Get().(*bytes.Buffer)
	buf.Reset()
	if n := resp.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + bytes.MinRead) // room for the final read that sees EOF
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, limit))
	return buf, buf.Bytes(), err
}

// release returns a buffer of readAnswer to the pool.
func release(buf *bytes.Buffer) {
	if buf.Cap() <= maxPooledAnswer {
		answerPool.Put(buf)
	}
}
