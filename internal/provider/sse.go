package provider

import (
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
	r io.Reader
	// buf[start:end] is read from r and not yet returned; rerr is the
	// error r last returned, met once buf holds no whole line.
	buf        []byte
	start, end int
	rerr       error
	empty      int    // reads in a row that returned nothing
	long       []byte // the start of a line longer than buf
	data       []byte
	event      []byte
	// idle, when set, is called before a read that would wait for the
	// upstream (no whole line is buffered): a relay flushes what it wrote
	// then, so it never holds a chunk back while the upstream is silent,
	// yet sends the events that arrived together in one write.
	idle func()
	// raw, while capturing, keeps every line read since the last TakeRaw,
	// whole lines with their terminators.
	capture bool
	raw     []byte
	// pb is the pool's holder of buf, data and event, given back on
	// Release.
	pb *sseBuf
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
// otherwise allocated (and the GC cleared) 8 KiB per call, and grew its
// data and event slices again.
var sseBufs = sync.Pool{New: func() any { return &sseBuf{buf: make([]byte, sseBufSize)} }}

// sseBuf is what a reader takes from sseBufs and gives back.
type sseBuf struct {
	buf, data, event []byte
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
	s := &SSEReader{r: r, buf: b.buf, data: b.data[:0], event: b.event[:0], pb: b}
	*b = sseBuf{}
	return s
}

// Release returns the reader's buffer for another stream; any later read
// returns ErrReaderReleased. It must not be called while a read is under
// way, and the slices Next and TakeRaw returned are invalid after it.
func (s *SSEReader) Release() {
	if s.buf == nil {
		return
	}
	b := s.pb
	b.buf = s.buf
	if cap(s.data) <= maxPooledData {
		b.data = s.data[:0]
	}
	if cap(s.event) <= maxPooledData {
		b.event = s.event[:0]
	}
	sseBufs.Put(b)
	s.r, s.buf, s.pb, s.data, s.event, s.long, s.raw = nil, nil, nil, nil, nil, nil, nil
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

// maxEmptyReads is how many reads in a row may return nothing before the
// reader gives up (bufio's limit).
const maxEmptyReads = 100

// readLine returns one line without its terminator (\n, \r\n or \r). It
// finds lines in its own buffer, so it knows without a look of its own
// whether one is whole (the idle hook's question), and reads the upstream
// only when none is.
func (s *SSEReader) readLine() ([]byte, error) {
	for {
		if s.buf == nil {
			return nil, ErrReaderReleased
		}
		if i := bytes.IndexByte(s.buf[s.start:s.end], '\n'); i >= 0 {
			line := s.buf[s.start : s.start+i+1]
			s.start += i + 1
			return s.took(line, true), nil
		}
		if s.rerr != nil {
			rest := s.buf[s.start:s.end]
			s.start = s.end
			if len(rest)+len(s.long) > 0 {
				line := s.took(rest, false)
				if errors.Is(s.rerr, io.EOF) {
					return line, nil // a last line without its terminator
				}
			}
			return nil, s.rerr
		}
		if s.idle != nil {
			s.idle()
		}
		if s.start > 0 { // the start of a line moves to the front
			s.end = copy(s.buf, s.buf[s.start:s.end])
			s.start = 0
		}
		if s.end == len(s.buf) { // a line longer than the buffer: gathered
			s.long = append(s.long, s.buf...)
			s.end = 0
			if len(s.long) > MaxEventBytes {
				return nil, ErrEventTooLarge
			}
		}
		n, err := s.r.Read(s.buf[s.end:])
		if n < 0 || n > len(s.buf)-s.end {
			return nil, errors.New("SSE reader: upstream reader returned an invalid count")
		}
		s.end += n
		switch {
		case err != nil:
			s.rerr = err
		case n > 0:
			s.empty = 0
		default:
			if s.empty++; s.empty >= maxEmptyReads {
				s.rerr = io.ErrNoProgress
			}
		}
	}
}

// took is a line readLine found (with its \n when terminated): joined to
// the start gathered of a long one, kept for TakeRaw, and returned without
// its terminator.
func (s *SSEReader) took(line []byte, terminated bool) []byte {
	if len(s.long) > 0 {
		line = append(s.long, line...)
		s.long = line[:0]
	}
	if s.capture {
		s.raw = append(s.raw, line...)
	}
	if terminated {
		line = line[:len(line)-1]
	}
	return bytes.TrimRight(line, "\r")
}
