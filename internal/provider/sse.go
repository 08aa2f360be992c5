package provider

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"sync"
)

// MaxEventBytes bounds one SSE event: an upstream that sends a larger one is
// broken or hostile, and the gateway must not buffer without limit.
const MaxEventBytes = 8 << 20

// ErrEventTooLarge is returned for an event above MaxEventBytes.
var ErrEventTooLarge = errors.New("upstream SSE event larger than 8 MiB")

// SSEReader reads Server-Sent Events one at a time (pulled, no goroutine).
type SSEReader struct {
	br    *bufio.Reader
	data  []byte
	event []byte
	// idle, when set, is called before a read that would wait for the
	// upstream (no whole line is buffered): a relay flushes what it wrote
	// then, so it never holds a chunk back while the upstream is silent,
	// yet sends the events that arrived together in one write.
	idle func()
	// raw, while capturing, keeps every byte read since the last TakeRaw,
	// whole lines with their terminators.
	capture bool
	raw     []byte
	// buf is the pool's holder of br, data and event, given back on Release.
	buf *sseBuf
}

// Capture makes the reader keep the bytes it reads, for TakeRaw: a relay
// that passes a stream through as the upstream wrote it writes them out
// after each event (or when the upstream goes quiet), so it can inspect
// what it forwards.
func (s *SSEReader) Capture() { s.capture = true }

// TakeRaw returns the bytes read since the previous call, whole lines only
// (a line is never split across two calls). The slice is valid until the
// next read.
func (s *SSEReader) TakeRaw() []byte {
	b := s.raw
	s.raw = s.raw[:0]
	return b
}

// OnIdle makes the reader call f before each read that would wait for the
// upstream.
func (s *SSEReader) OnIdle(f func()) { s.idle = f }

// sseBufSize is a reader's line buffer: every line up to this size is read
// in place, a longer one is gathered (rare: Anthropic and OpenAI send big
// tool arguments in small deltas). It is held for the whole life of a
// stream, so it is what each open converted stream costs.
const sseBufSize = 8 << 10

// sseBufs holds the buffers of released readers: a converted stream
// otherwise allocated (and the GC cleared) 16 KiB per call, and grew its
// data and event slices again.
var sseBufs = sync.Pool{New: func() any { return &sseBuf{br: bufio.NewReaderSize(nil, sseBufSize)} }}

// sseBuf is what a reader takes from sseBufs and gives back.
type sseBuf struct {
	br          *bufio.Reader
	data, event []byte
}

// maxPooledData is the largest data slice a released reader gives back:
// one huge event does not stay pooled.
const maxPooledData = 64 << 10

// ErrReaderReleased is what a reader returns once Release gave its buffer
// back.
var ErrReaderReleased = errors.New("SSE reader used after release")

// NewSSEReader reads events from r. Call Release when done with it.
func NewSSEReader(r io.Reader) *SSEReader {
	b := sseBufs.Get().(*sseBuf)
	b.br.Reset(r)
	s := &SSEReader{br: b.br, data: b.data[:0], event: b.event[:0], buf: b}
	*b = sseBuf{}
	return s
}

// Release returns the reader's buffer for another stream; any later read
// returns ErrReaderReleased. It must not be called while a read is under
// way, and the slices Next and TakeRaw returned are invalid after it.
func (s *SSEReader) Release() {
	if s.br == nil {
		return
	}
	s.br.Reset(nil)
	b := s.buf
	b.br = s.br
	if cap(s.data) <= maxPooledData {
		b.data = s.data[:0]
	}
	if cap(s.event) <= maxPooledData {
		b.event = s.event[:0]
	}
	sseBufs.Put(b)
	s.br, s.buf, s.data, s.event = nil, nil, nil, nil
}

// Next returns the next event's type ("" when the event had no event: line)
// and its data lines joined by "\n". The slices are valid until the next
// call. It returns io.EOF when the body ends at an event boundary and
// io.ErrUnexpectedEOF when it ends inside an event.
func (s *SSEReader) Next() (event string, data []byte, err error) {
	s.data, s.event = s.data[:0], s.event[:0]
	hasData, inEvent := false, false
	for {
		line, err := s.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if hasData {
					// A final event without its blank line: accept it, the
					// data is complete (some servers close right after).
					return eventName(s.event), s.data, nil
				}
				if inEvent {
					return "", nil, io.ErrUnexpectedEOF
				}
				return "", nil, io.EOF
			}
			return "", nil, err
		}
		if len(line) == 0 {
			if hasData {
				return eventName(s.event), s.data, nil
			}
			s.event = s.event[:0]
			inEvent = false
			continue
		}
		if line[0] == ':' {
			continue // comment / keep-alive
		}
		inEvent = true
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if hasData {
				s.data = append(s.data, '\n')
			}
			s.data = append(s.data, value...)
			hasData = true
			if len(s.data) > MaxEventBytes {
				return "", nil, ErrEventTooLarge
			}
		case "event":
			s.event = append(s.event[:0], value...)
		}
	}
}

// eventName returns an event's type as a string: the names the upstreams
// send on every event (Anthropic's and the Responses API's) are constants,
// so a stream does not allocate a string per event for them.
func eventName(b []byte) string {
	switch string(b) { // the compiler compares without converting
	case "":
		return ""
	case "content_block_delta":
		return "content_block_delta"
	case "content_block_start":
		return "content_block_start"
	case "content_block_stop":
		return "content_block_stop"
	case "message_start":
		return "message_start"
	case "message_delta":
		return "message_delta"
	case "message_stop":
		return "message_stop"
	case "ping":
		return "ping"
	case "error":
		return "error"
	case "response.output_text.delta":
		return "response.output_text.delta"
	case "response.function_call_arguments.delta":
		return "response.function_call_arguments.delta"
	}
	return string(b)
}

// lineBuffered reports whether a whole line is already buffered, so the
// next ReadSlice returns without reading from the upstream.
func (s *SSEReader) lineBuffered() bool {
	if s.br == nil {
		return false
	}
	n := s.br.Buffered()
	if n == 0 {
		return false
	}
	b, _ := s.br.Peek(n) // never blocks: n bytes are buffered
	return bytes.IndexByte(b, '\n') >= 0
}

// readLine returns one line without its terminator (\n, \r\n or \r).
func (s *SSEReader) readLine() ([]byte, error) {
	var long []byte
	for {
		if s.br == nil {
			return nil, ErrReaderReleased
		}
		if s.idle != nil && !s.lineBuffered() {
			s.idle()
		}
		chunk, err := s.br.ReadSlice('\n')
		if s.capture {
			s.raw = append(s.raw, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, chunk...)
			if len(long) > MaxEventBytes {
				return nil, ErrEventTooLarge
			}
			continue
		}
		if long != nil {
			long = append(long, chunk...)
			chunk = long
		}
		if err != nil {
			if errors.Is(err, io.EOF) && len(chunk) > 0 {
				return bytes.TrimRight(chunk, "\r"), nil
			}
			return nil, err
		}
		chunk = chunk[:len(chunk)-1]
		return bytes.TrimRight(chunk, "\r"), nil
	}
}
