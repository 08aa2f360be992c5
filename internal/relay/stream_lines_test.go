package relay

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/catalog"
)

// pieceUpstream answers with body, handed out by its Read in pieces of the
// given sizes (cycled), as a network hands out a stream: lines and events
// cut anywhere.
type pieceUpstream struct {
	body   []byte
	pieces []int
	eof    bool // the last piece comes with io.EOF, as net/http's chunked reader gives it when the body's end is buffered
}

func (u *pieceUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body: io.NopCloser(&pieceReader{b: u.body, pieces: u.pieces, eof: u.eof}), ContentLength: -1, Request: r}, nil
}

type pieceReader struct {
	b      []byte
	pieces []int
	i      int
	eof    bool
}

func (p *pieceReader) Read(b []byte) (int, error) {
	if len(p.b) == 0 {
		return 0, io.EOF
	}
	n := min(len(b), len(p.b), p.pieces[p.i%len(p.pieces)])
	p.i++
	copy(b, p.b[:n])
	p.b = p.b[n:]
	if p.eof && len(p.b) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// relayPieces relays stream through Relay.Do, read in pieces of the given
// sizes, and returns what the client got.
func relayPieces(t *testing.T, stream string, pieces []int, strip bool) (string, Result) {
	t.Helper()
	rl, chs := benchRelay(t, &cannedUpstream{})
	rl.Client = &http.Client{Transport: &pieceUpstream{body: []byte(stream), pieces: pieces}}
	w := &recordWriter{discardWriter: discardWriter{h: http.Header{}}}
	req := Request{Path: "/chat/completions", Body: []byte(`{"model":"m"}`), Model: "m", BodyModel: "m", Stream: true,
		StripUsage: strip, Channels: chs}
	var res Result
	if err := rl.Do(context.Background(), w, &req, &res); err != nil {
		t.Fatal(err)
	}
	return w.buf.String(), res
}

// pieceSizes are the read sizes every stream test is run with: a byte at a
// time, odd sizes that cut lines and events anywhere, and whole reads.
var pieceSizes = [][]int{{1}, {2, 5, 3}, {7}, {13, 1, 40}, {64}, {1 << 20}}

// Whatever the reads cut, every line reaches the client as the upstream
// wrote it — comments, event and id fields, CRLF endings, data without a
// space, a last line without its newline — and the usage and [DONE] are
// read from it.
func TestStreamPassesLinesAsWritten(t *testing.T) {
	long := strings.Repeat("y", streamBufSize+100)
	streams := map[string]string{
		"openai": "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n" +
			"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n",
		"obfuscated": "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null,\"obfuscation\":\"a1\"}\n\n" +
			"data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2},\"obfuscation\":\"b\"}\n\ndata: [DONE]\n\n",
		"fields and comments": ": keep-alive\n\nid: 1\nevent: delta\ndata: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\nretry: 10\n\n" +
			"data:{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\ndata:[DONE]\n\n",
		"crlf":              "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\r\n\r\ndata: {\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\r\n\r\ndata: [DONE]\r\n\r\n",
		"no final newline":  "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: {\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\ndata: [DONE]",
		"spaced blank line": "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n \t\ndata: {\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n",
		"long line": "data: {\"choices\":[{\"delta\":{\"content\":\"" + long + "\"}}]}\n\n: " + long + "\n\n" +
			"data: {\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n",
	}
	for name, stream := range streams {
		for _, pieces := range pieceSizes {
			t.Run(fmt.Sprintf("%s/%v", name, pieces), func(t *testing.T) {
				got, res := relayPieces(t, stream, pieces, false)
				if got != stream {
					t.Fatalf("client got\n%q\nwant\n%q", got, stream)
				}
				if !res.Completed || !res.HasUsage || res.Usage.InputTokens != 3 || res.Usage.OutputTokens != 2 {
					t.Fatalf("completed %v, usage %+v (has %v)", res.Completed, res.Usage, res.HasUsage)
				}
			})
		}
	}
}

// A stream cut anywhere ends with the error event, and the estimate counts
// what came before the cut, whatever the reads were.
func TestStreamCutAnywhere(t *testing.T) {
	stream := "data: {\"choices\":[{\"delta\":{\"content\":\"hello\"}}],\"usage\":null}\n\n" +
		"data: {\"choices\":[{\"delta\":{\"content\":\" world\"}}],\"usage\":null}\n\n"
	for _, pieces := range pieceSizes {
		got, res := relayPieces(t, stream, pieces, true)
		if !strings.HasPrefix(got, stream) || !strings.Contains(got[len(stream):], `"code":"upstream_error"`) {
			t.Fatalf("%v: client got %q", pieces, got)
		}
		if res.Completed || res.HasUsage || res.OutputBytes != len("hello world") {
			t.Fatalf("%v: completed %v, usage %v, output bytes %d", pieces, res.Completed, res.HasUsage, res.OutputBytes)
		}
	}
}

// The usage chunk the gateway asked for is hidden from a client that did
// not (with the blank line ending it), and only that chunk: another chunk
// with empty choices — Azure's prompt_filter_results, sent with
// "usage":null like every chunk of a call that asked for usage — reaches
// the client. (Before, any chunk naming usage with empty choices was
// dropped.)
func TestStripUsageHidesOnlyTheUsageChunk(t *testing.T) {
	filter := "data: {\"id\":\"\",\"choices\":[],\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":{}}],\"usage\":null}\n\n"
	content := "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n"
	usageChunk := "data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\n"
	done := "data: [DONE]\n\n"
	for _, pieces := range pieceSizes {
		got, res := relayPieces(t, filter+content+usageChunk+done, pieces, true)
		if want := filter + content + done; got != want {
			t.Fatalf("%v: client got\n%q\nwant\n%q", pieces, got, want)
		}
		if !res.Completed || !res.HasUsage || res.Usage.InputTokens != 3 || res.Usage.OutputTokens != 2 {
			t.Fatalf("%v: completed %v, usage %+v", pieces, res.Completed, res.Usage)
		}
	}
}

// An error event is scrubbed of the channel credential even when it also
// names usage (an upstream that ends every chunk with "usage":null): it
// was passed as it came, since only chunks without "usage" were checked.
func TestStreamErrorEventNamingUsageScrubbed(t *testing.T) {
	stream := "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"usage\":null}\n\n" +
		"data: {\"error\":{\"message\":\"key sk-channel-secret-0000 is over its quota\",\"type\":\"server_error\"},\"usage\":null}\n\n" +
		"data: [DONE]\n\n"
	for _, pieces := range pieceSizes {
		got, _ := relayPieces(t, stream, pieces, false)
		if strings.Contains(got, "sk-channel-secret") || !strings.Contains(got, "key [channel credential] is over its quota") {
			t.Fatalf("%v: client got %q", pieces, got)
		}
	}
}

// A whole event the gateway has read reaches the client before it waits
// for more, even when the start of the next event came with it: the relay
// never holds an event back for a read. (Before, an event followed by part
// of the next one waited for the rest.)
func TestStreamFlushesCompleteEventsBeforeWaiting(t *testing.T) {
	release := make(chan struct{})
	gaveUp := make(chan bool, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"one\"}}]}\n\ndata: {\"choices\":[{\"delta\":")
		w.(http.Flusher).Flush()
		select {
		case <-release:
			gaveUp <- false
		case <-time.After(10 * time.Second): // only so that a failing run ends
			gaveUp <- true
		}
		io.WriteString(w, "{\"content\":\"two\"}}]}\n\ndata: {\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n")
	}))
	defer up.Close()
	rl := newRelay()
	var res Result
	done := make(chan error, 1)
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := &Request{Path: "/chat/completions", Body: []byte(`{"model":"m"}`), Model: "m", BodyModel: "m", Stream: true,
			Channels: []*catalog.Channel{channel(t, "c", up.URL, 0)}}
		done <- rl.Do(r.Context(), w, req, &res)
	}))
	defer gw.Close()
	resp, err := http.Post(gw.URL, "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	var first bytes.Buffer
	for !strings.HasSuffix(first.String(), "\n\n") {
		line, err := br.ReadString('\n')
		first.WriteString(line)
		if err != nil {
			t.Fatalf("first event %q: %v", first.String(), err)
		}
	}
	close(release)
	rest, _ := io.ReadAll(br)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if <-gaveUp {
		t.Fatal("the first event reached the client only after the upstream sent the rest")
	}
	if !strings.Contains(first.String(), "one") || !strings.Contains(string(rest), "two") || !res.Completed {
		t.Fatalf("first %q, rest %q, completed %v", first.String(), rest, res.Completed)
	}
}

// An error event is found and scrubbed however much of it the chunk before
// it shared (the search skips what the last chunk counted shared and had no
// "error" in): an error after the same envelope as the content before it,
// one whose "error" begins in the shared bytes, two errors in a row.
func TestStreamErrorAfterSharedBytesScrubbed(t *testing.T) {
	const env = `{"id":"gen-1","object":"chat.completion.chunk","created":1,"model":"m","provider":"p",`
	streams := map[string]struct {
		stream string
		errors int
	}{
		"after the envelope": {"data: " + env + `"choices":[{"index":0,"delta":{"content":"x"}}]}` + "\n\n" +
			"data: " + env + `"error":{"code":502,"message":"key sk-channel-secret-0000 refused"},"choices":[{"index":0,"delta":{"content":""}}]}` + "\n\n", 1},
		"begins in the shared bytes": {"data: {\"content\":\"abc\"errorX\",\"m\":1}\n\n" +
			"data: {\"content\":\"abc\"error\",\"m\":\"key sk-channel-secret-0000 refused\"}\n\n", 1},
		"two in a row": {"data: {\"error\":{\"message\":\"key sk-channel-secret-0000 refused\"}}\n\n" +
			"data: {\"error\":{\"message\":\"key sk-channel-secret-0000 refused again\"}}\n\n", 2},
	}
	for name, c := range streams {
		for _, pieces := range pieceSizes {
			got, _ := relayPieces(t, c.stream+"data: [DONE]\n\n", pieces, false)
			if strings.Contains(got, "sk-channel-secret") || strings.Count(got, "key [channel credential] refused") != c.errors {
				t.Errorf("%s %v: client got %q", name, pieces, got)
				break
			}
		}
	}
}

// indexWord finds what bytes.Index finds.
func FuzzIndexWord(f *testing.F) {
	for _, s := range []string{`{"error":1}`, `"error"`, `"erro`, `rror"`, `x"errr"error"`, `""error""`, `"e"error"`,
		`{"usage":null}`, `"usag"usage"`, `ggg"usage`, `"usage"`} {
		f.Add([]byte(s), 0)
	}
	f.Fuzz(func(t *testing.T, p []byte, from int) {
		if from < 0 || from > len(p) {
			return
		}
		for _, c := range []struct {
			w string
			k int
		}{{`"error"`, 2}, {`"usage"`, 4}} {
			want := bytes.Index(p[from:], []byte(c.w))
			if want >= 0 {
				want += from
			}
			if got := indexWord(p, from, c.w, c.k); got != want {
				t.Fatalf("indexWord(%q, %d, %s) = %d, want %d", p, from, c.w, got, want)
			}
		}
	})
}

// The read that ends the body is not flushed by the relay: the handler's
// return ends the response, and net/http writes its bytes with the end of
// the chunked body, in one write (before, a flush wrote them and the end
// went in a second write). Reads before it are flushed as they come, and
// a body that ends on a read of its own changes nothing.
func TestStreamEndGoesWithTheResponseEnd(t *testing.T) {
	first := "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n"
	stream := first + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\n\ndata: [DONE]\n\n"
	cases := []struct {
		name    string
		pieces  []int
		eof     bool
		flushes int
	}{
		{"whole, with the end", []int{1 << 20}, true, 0},
		{"two reads, the end with the second", []int{len(first), 1 << 20}, true, 1},
		{"a byte a read, the end with the last", []int{1}, true, strings.Count(stream, "\n") - 1}, // a write per line, the last one not flushed
		{"whole, the end read alone", []int{1 << 20}, false, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rl, chs := benchRelay(t, &cannedUpstream{})
			rl.Client = NewClient(&pieceUpstream{body: []byte(stream), pieces: c.pieces, eof: c.eof})
			w := &recordWriter{discardWriter: discardWriter{h: http.Header{}}}
			req := Request{Path: "/chat/completions", Body: []byte(`{"model":"m"}`), Model: "m", BodyModel: "m", Stream: true, Channels: chs}
			var res Result
			if err := rl.Do(context.Background(), w, &req, &res); err != nil {
				t.Fatal(err)
			}
			if w.buf.String() != stream || !res.Completed || !res.HasUsage {
				t.Fatalf("client got %q, completed %v, usage %v", w.buf.String(), res.Completed, res.HasUsage)
			}
			if w.flushes != c.flushes {
				t.Fatalf("%d flushes, want %d", w.flushes, c.flushes)
			}
		})
	}
}
