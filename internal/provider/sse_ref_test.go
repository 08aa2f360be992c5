package provider

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// refSSEReader is the reader as it was over bufio.Reader (ReadSlice, and
// a look at the buffered bytes before each read for the idle hook): the
// reference FuzzSSEReaderAsBufio holds the reader to.
type refSSEReader struct {
	br          *bufio.Reader
	data, event []byte
	raw         []byte
}

func (s *refSSEReader) next() (event string, data []byte, err error) {
	s.data, s.event = s.data[:0], s.event[:0]
	hasData, inEvent := false, false
	for {
		line, err := s.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if hasData {
					return string(s.event), s.data, nil
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
				return string(s.event), s.data, nil
			}
			s.event = s.event[:0]
			inEvent = false
			continue
		}
		if line[0] == ':' {
			continue
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

func (s *refSSEReader) readLine() ([]byte, error) {
	var long []byte
	for {
		chunk, err := s.br.ReadSlice('\n')
		s.raw = append(s.raw, chunk...)
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

// pieces reads b in reads of the sizes in steps, in turn (0 is a read
// that returns nothing), and then fails with fail if set.
type pieces struct {
	b     []byte
	steps []byte
	i     int
	fail  error
}

func (p *pieces) Read(q []byte) (int, error) {
	if len(p.b) == 0 {
		if p.fail != nil {
			return 0, p.fail
		}
		return 0, io.EOF
	}
	n := len(p.b)
	if len(p.steps) > 0 {
		n = int(p.steps[p.i%len(p.steps)]) % 40
		p.i++
	}
	n = min(n, len(q), len(p.b))
	copy(q, p.b[:n])
	p.b = p.b[n:]
	return n, nil
}

var errUpstream = errors.New("upstream read failed")

// The reader reads what the bufio one did, event for event, with the
// same errors and the same raw bytes, however the upstream's bytes come
// in (the read sizes), with or without a read error after them, and its
// idle hook runs exactly before the reads that wait: never while a whole
// line is buffered.
func FuzzSSEReaderAsBufio(f *testing.F) {
	for _, s := range []string{
		"data: {\"a\":1}\n\ndata: [DONE]\n\n",
		"event: message_start\ndata: {}\n\n",
		"data: a\ndata: b\r\n\r\n: comment\n\nretry: 10\nid: 1\ndata:x\n\n",
		"data: cut",
		"event: x\n\n\ndata\n\ndata:\r\n\r",
		"\n\n\n",
	} {
		f.Add([]byte(s), []byte{1, 7, 0, 3}, false)
		f.Add([]byte(s), []byte{}, true)
	}
	f.Fuzz(func(t *testing.T, b, steps []byte, fail bool) {
		var failWith error
		if fail {
			failWith = errUpstream
		}
		ref := &refSSEReader{br: bufio.NewReaderSize(&pieces{b: b, steps: steps, fail: failWith}, sseBufSize)}
		up := &pieces{b: b, steps: steps, fail: failWith}
		r := NewSSEReader(up)
		defer r.Release()
		r.Capture()
		r.OnIdle(func() {
			if bytes.IndexByte(r.buf[r.start:r.end], '\n') >= 0 {
				t.Fatalf("idle with a whole line buffered")
			}
		})
		var raw []byte
		for range len(b) + 2 {
			ev1, d1, err1 := ref.next()
			ev2, d2, err2 := r.Next()
			raw = append(raw, r.TakeRaw()...)
			if ev1 != ev2 || !bytes.Equal(d1, d2) || fmt.Sprint(err1) != fmt.Sprint(err2) {
				t.Fatalf("%q in %v: read (%q, %q, %v), bufio's (%q, %q, %v)", b, steps, ev2, d2, err2, ev1, d1, err1)
			}
			if err1 != nil {
				if !bytes.Equal(raw, ref.raw) {
					t.Fatalf("%q: raw %q, bufio's %q", b, raw, ref.raw)
				}
				return
			}
		}
		t.Fatalf("more events than input bytes from %q", b)
	})
}

// Lines about the buffer's size and longer are read as the bufio reader
// read them, whatever the read sizes.
func TestSSEReaderLongLinesAsBufio(t *testing.T) {
	var in bytes.Buffer
	for i, n := range []int{sseBufSize - 8, sseBufSize - 7, sseBufSize - 6, sseBufSize, 2 * sseBufSize, 20000} {
		fmt.Fprintf(&in, "event: e%d\ndata: %s\r\n\n", i, bytes.Repeat([]byte{'a' + byte(i)}, n))
	}
	in.WriteString("data: last")
	for _, steps := range [][]byte{nil, {39}, {1, 38, 0, 17}} {
		ref := &refSSEReader{br: bufio.NewReaderSize(&pieces{b: in.Bytes(), steps: steps}, sseBufSize)}
		r := NewSSEReader(&pieces{b: in.Bytes(), steps: steps})
		r.Capture()
		var raw []byte
		for {
			ev1, d1, err1 := ref.next()
			ev2, d2, err2 := r.Next()
			raw = append(raw, r.TakeRaw()...)
			if ev1 != ev2 || !bytes.Equal(d1, d2) || err1 != err2 {
				t.Fatalf("steps %v: read (%q, %d bytes, %v), bufio's (%q, %d bytes, %v)", steps, ev2, len(d2), err2, ev1, len(d1), err1)
			}
			if err1 != nil {
				break
			}
		}
		if !bytes.Equal(raw, ref.raw) || !bytes.Equal(raw, in.Bytes()) {
			t.Fatalf("steps %v: raw %d bytes, bufio's %d, input %d", steps, len(raw), len(ref.raw), in.Len())
		}
		r.Release()
	}
}
