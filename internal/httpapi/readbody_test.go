package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// readDeclared reads a body of its declared length whole, refuses one that
// goes on past the limit (whatever it declared) and passes a short body's
// error on.
func TestReadDeclared(t *testing.T) {
	const limit = 1000
	for _, c := range []struct {
		name     string
		body     io.Reader
		declared int64
		want     string
		tooLarge bool
		other    error
	}{
		{name: "exact", body: strings.NewReader(strings.Repeat("a", 700)), declared: 700, want: strings.Repeat("a", 700)},
		{name: "at the limit", body: strings.NewReader(strings.Repeat("b", limit)), declared: limit, want: strings.Repeat("b", limit)},
		{name: "one byte", body: strings.NewReader("c"), declared: 1, want: "c"},
		{name: "more than declared, past the limit", body: strings.NewReader(strings.Repeat("d", 5000)), declared: 10, tooLarge: true},
		{name: "in small reads", body: io.MultiReader(strings.NewReader("ab"), strings.NewReader("cd"), strings.NewReader("e")), declared: 5, want: "abcde"},
		{name: "short", body: io.MultiReader(strings.NewReader("ab"), errReader{io.ErrUnexpectedEOF}), declared: 5, other: io.ErrUnexpectedEOF},
	} {
		var buf bytes.Buffer
		err := readDeclared(&buf, c.body, c.declared, limit)
		var mbe *http.MaxBytesError
		switch {
		case c.tooLarge:
			if !errors.As(err, &mbe) || mbe.Limit != limit || buf.Len() > limit+1 {
				t.Errorf("%s: err %v after %d bytes, want a MaxBytesError of %d having read at most %d", c.name, err, buf.Len(), limit, limit+1)
			}
		case c.other != nil:
			if !errors.Is(err, c.other) {
				t.Errorf("%s: err %v, want %v", c.name, err, c.other)
			}
		default:
			if err != nil || buf.String() != c.want {
				t.Errorf("%s: err %v, read %d bytes, want the %d bytes", c.name, err, buf.Len(), len(c.want))
			}
		}
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
