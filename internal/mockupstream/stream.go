package mockupstream

import (
	"net/http"
)

// sseWriter sends server-sent events and flushes each one at once, so the
// gateway (and the benchmark's time-to-first-byte) sees every chunk as soon
// as it is produced.
type sseWriter struct {
	w   http.ResponseWriter
	rc  *http.ResponseController
	buf *[]byte
	err error
}

func newSSEWriter(w http.ResponseWriter) *sseWriter {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	return &sseWriter{w: w, rc: http.NewResponseController(w), buf: getBuf()}
}

// begin starts a new event in the shared buffer and returns it for the
// caller to append the JSON payload to.
func (e *sseWriter) begin() []byte { return append((*e.buf)[:0], "data: "...) }

// send finishes and writes the event. After the first failure (the client
// went away) every later send is a no-op and err says why.
func (e *sseWriter) send(b []byte) {
	b = append(b, '\n', '\n')
	*e.buf = b
	if e.err != nil {
		return
	}
	if _, e.err = e.w.Write(b); e.err == nil {
		e.err = e.rc.Flush()
	}
}

func (e *sseWriter) done() { e.send(append(e.begin(), "[DONE]"...)) }

func (e *sseWriter) close() { putBuf(e.buf) }

// pause waits the configured delay between chunks; false means the client
// has gone and the stream should stop.
func (s *server) pause(r *http.Request, e *sseWriter) bool {
	if e.err != nil {
		return false
	}
	if s.opts.ChunkDelay > 0 {
		return sleep(r.Context(), s.opts.ChunkDelay) == nil
	}
	return true
}

// streamChat sends a chat.completion.chunk stream: a first chunk with the
// role, one chunk per piece, a chunk with finish_reason, optionally a usage
// chunk with empty choices, then [DONE]. With cut set it stops after two
// chunks, without [DONE].
func (s *server) streamChat(w http.ResponseWriter, r *http.Request, id string, created int64, modelName string, rp *reply, includeUsage, cut bool) {
	// Every chunk starts with the same bytes; build them once.
	prefix := make([]byte, 0, 192)
	prefix = append(prefix, `{"id":`...)
	prefix = appendString(prefix, id)
	prefix = append(prefix, `,"object":"chat.completion.chunk","created":`...)
	prefix = appendInt(prefix, created)
	prefix = append(prefix, `,"model":`...)
	prefix = appendString(prefix, modelName)
	prefix = append(prefix, `,"service_tier":"default","system_fingerprint":"`+fingerprint+`","choices":[`...)
	// OpenAI marks "usage": null on every chunk but the last when usage was
	// asked for; clients that look for it rely on the key being present.
	suffix := "]}"
	if includeUsage {
		suffix = `],"usage":null}`
	}

	e := newSSEWriter(w)
	defer e.close()

	b := append(e.begin(), prefix...)
	b = append(b, `{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}`...)
	e.send(append(b, suffix...))

	for i, p := range rp.pieces {
		if cut && i == 1 {
			return // two chunks sent (role + first piece): end without [DONE]
		}
		if !s.pause(r, e) {
			return
		}
		b := append(e.begin(), prefix...)
		b = append(b, `{"index":0,"delta":{"content":`...)
		b = appendString(b, p)
		b = append(b, `},"logprobs":null,"finish_reason":null}`...)
		e.send(append(b, suffix...))
	}
	if !s.pause(r, e) {
		return
	}
	b = append(e.begin(), prefix...)
	b = append(b, `{"index":0,"delta":{},"logprobs":null,"finish_reason":`...)
	b = appendString(b, rp.finish)
	b = append(b, '}')
	e.send(append(b, suffix...))

	if includeUsage {
		b = append(e.begin(), prefix...)
		b = append(b, `],"usage":`...)
		b = appendUsage(b, rp.promptTokens, rp.completionTokens, true)
		e.send(append(b, '}'))
	}
	e.done()
}

// streamCompletion is streamChat for the legacy endpoint, whose chunks are
// text_completion objects carrying "text" instead of a delta.
func (s *server) streamCompletion(w http.ResponseWriter, r *http.Request, id string, created int64, modelName string, rp *reply, includeUsage, cut bool) {
	prefix := make([]byte, 0, 160)
	prefix = append(prefix, `{"id":`...)
	prefix = appendString(prefix, id)
	prefix = append(prefix, `,"object":"text_completion","created":`...)
	prefix = appendInt(prefix, created)
	prefix = append(prefix, `,"model":`...)
	prefix = appendString(prefix, modelName)
	prefix = append(prefix, `,"system_fingerprint":"`+fingerprint+`","choices":[`...)
	suffix := "]}"
	if includeUsage {
		suffix = `],"usage":null}`
	}

	e := newSSEWriter(w)
	defer e.close()

	for i, p := range rp.pieces {
		if cut && i == 2 {
			return
		}
		if i > 0 && !s.pause(r, e) {
			return
		}
		b := append(e.begin(), prefix...)
		b = append(b, `{"text":`...)
		b = appendString(b, p)
		b = append(b, `,"index":0,"logprobs":null,"finish_reason":null}`...)
		e.send(append(b, suffix...))
	}
	if !s.pause(r, e) {
		return
	}
	b := append(e.begin(), prefix...)
	b = append(b, `{"text":"","index":0,"logprobs":null,"finish_reason":`...)
	b = appendString(b, rp.finish)
	b = append(b, '}')
	e.send(append(b, suffix...))

	if includeUsage {
		b = append(e.begin(), prefix...)
		b = append(b, `],"usage":`...)
		b = appendUsage(b, rp.promptTokens, rp.completionTokens, false)
		e.send(append(b, '}'))
	}
	e.done()
}
