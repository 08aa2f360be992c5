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
var answerPool = sync.Pool{New: func() any { return new(answerBuf) }}

// answerBuf is a pooled answer buffer with the limited reader it reads
// through (io.LimitReader would allocate one per call).
type answerBuf struct {
	bytes.Buffer
	lr io.LimitedReader
}

// maxPooledAnswer keeps a rare huge answer from pinning its buffer.
const maxPooledAnswer = 1 << 20

// readAnswer reads resp's body, up to limit bytes, into a pooled buffer.
// The bytes are valid until release(buf), which the caller defers.
func readAnswer(resp *http.Response, limit int64) (buf *answerBuf, b []byte, err error) {
	buf = answerPool.Get().(*answerBuf)
	buf.Reset()
	if n := resp.ContentLength; n > 0 && n <= limit {
		buf.Grow(int(n) + bytes.MinRead) // room for the final read that sees EOF
	}
	buf.lr = io.LimitedReader{R: resp.Body, N: limit}
	_, err = buf.ReadFrom(&buf.lr)
	buf.lr.R = nil
	return buf, buf.Bytes(), err
}

// release returns a buffer of readAnswer to the pool.
func release(buf *answerBuf) {
	if buf.Cap() <= maxPooledAnswer {
		answerPool.Put(buf)
	}
}
