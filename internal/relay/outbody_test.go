package relay

import (
	"net/http"
	"testing"
)

// writeCounter counts the writes made to it.
type writeCounter struct{ writes, n int }

func (w *writeCounter) Write(b []byte) (int, error) { w.writes++; w.n += len(b); return len(b), nil }

// A pass-through request's header and body leave in one write: the
// transport flushes the header of a body it does not know to be in memory
// on its own, a second syscall per call.
func TestOutBodyWrittenWithItsHeader(t *testing.T) {
	out, err := http.NewRequest(http.MethodPost, "http://upstream.invalid/v1/chat/completions", nil)
	if err != nil {
		t.Fatal(err)
	}
	setOutBody(out, []byte(`{"model":"m"}`))
	var w writeCounter
	if err := out.Write(&w); err != nil {
		t.Fatal(err)
	}
	if w.writes != 1 {
		t.Errorf("the request took %d writes, want 1", w.writes)
	}
	rc, err := out.GetBody()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	if n, _ := rc.Read(b); string(b[:n]) != `{"model":"m"}` {
		t.Errorf("GetBody gives %q", b[:n])
	}
}
