package relay

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

// recordWriter keeps what the relay wrote.
type recordWriter struct {
	discardWriter
	buf bytes.Buffer
}

func (w *recordWriter) Write(b []byte) (int, error) { return w.buf.Write(b) }

// A line longer than the stream buffer is relayed intact, in pieces, and
// the usage chunk after it is still read.
func TestStreamLineLongerThanBuffer(t *testing.T) {
	long := "data: {\"choices\":[{\"delta\":{\"content\":\"" + strings.Repeat("x", 3*streamBufSize) + "\"}}]}\n\n"
	stream := long + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n"
	up := &cannedUpstream{contentType: "text/event-stream", body: []byte(stream)}
	rl, chs := benchRelay(t, up)
	w := &recordWriter{discardWriter: discardWriter{h: http.Header{}}}
	req := Request{Path: "/chat/completions", Body: []byte(`{"model":"m"}`), Model: "m", BodyModel: "m", Stream: true, Channels: chs}
	var res Result
	if err := rl.Do(context.Background(), w, &req, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Completed || !res.HasUsage || res.Usage.InputTokens != 3 || res.Usage.OutputTokens != 2 {
		t.Fatalf("completed %v, usage %+v (has %v)", res.Completed, res.Usage, res.HasUsage)
	}
	if w.buf.String() != stream {
		t.Fatalf("relayed %d bytes, want the %d bytes of the stream unchanged", w.buf.Len(), len(stream))
	}
}
