// Package providertest runs golden tests of the provider conversions: each
// input file under a testdata directory is converted and compared with the
// expected file beside it. Run the tests with -update to rewrite the
// expected files, then read the diff before committing it.
package providertest

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/provider"
)

var update = flag.Bool("update", false, "rewrite the expected golden files")

// Golden converts every dir/*inExt file with fn and compares the result with
// the file of the same name ending in outExt, one subtest per file. JSON
// outputs are compared after indenting, so the files stay readable.
func Golden(t *testing.T, dir, inExt, outExt string, fn func(in []byte) ([]byte, error)) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"+inExt))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no %s files under %s", inExt, dir)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), inExt)
		t.Run(name, func(t *testing.T) {
			in, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := fn(in)
			if err != nil {
				t.Fatalf("convert %s: %v", f, err)
			}
			got = Pretty(got)
			want := strings.TrimSuffix(f, inExt) + outExt
			if *update {
				if err := os.WriteFile(want, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(exp)) {
				t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", f, want, got, exp)
			}
		})
	}
}

// Pretty indents a JSON document; anything else is returned as it is.
func Pretty(b []byte) []byte {
	var out bytes.Buffer
	if json.Valid(b) && json.Indent(&out, b, "", "  ") == nil {
		out.WriteByte('\n')
		return out.Bytes()
	}
	return b
}

// ConvertStream decodes an upstream SSE body with dec and renders every
// chunk with enc, as the relay does, ending with Finish (or Fail when the
// stream is cut).
func ConvertStream(body []byte, dec provider.Decoder, enc provider.StreamEncoder) ([]byte, error) {
	st := provider.NewSSEStream(io.NopCloser(bytes.NewReader(body)), dec)
	var out []byte
	for {
		c, err := st.Recv()
		if errors.Is(err, io.EOF) {
			u, _ := st.Usage()
			return enc.Finish(out, u), nil
		}
		if err != nil {
			var ue *provider.UpstreamError
			if errors.Is(err, provider.ErrStreamCut) || errors.As(err, &ue) {
				return enc.Fail(out, 502, err.Error()), nil
			}
			return nil, err
		}
		out = enc.Chunk(out, c)
	}
}
