package provider

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Decoder turns one SSE event of an upstream's stream into a neutral chunk
// (nil when the event carries nothing for the client). It is pure and keeps
// whatever state its format needs (open blocks, usage, the terminal mark).
// The chunk, its strings aside, is valid until the next Decode: a decoder
// may reuse it (and its tool call slice) for the next event, so a caller
// that keeps one copies it.
type Decoder interface {
	Decode(event string, data []byte) (*ChatChunk, error)
	// Done reports whether the format's terminal event was seen.
	Done() bool
	Usage() (Usage, bool)
}

// SSEStream is a ChatStream over an SSE body and a Decoder.
type SSEStream struct {
	body io.ReadCloser
	r    *SSEReader
	dec  Decoder
}

// NewSSEStream returns a stream reading body with dec.
func NewSSEStream(body io.ReadCloser, dec Decoder) *SSEStream {
	return &SSEStream{body: body, r: NewSSEReader(body), dec: dec}
}

// Recv returns the next chunk, valid until the next Recv (the decoder may
// reuse it); io.EOF once the body ended after the terminal event;
// ErrStreamCut when it ended before.
func (s *SSEStream) Recv() (*ChatChunk, error) {
	for {
		ev, data, err := s.r.Next()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				if s.dec.Done() {
					return nil, io.EOF
				}
				return nil, ErrStreamCut
			}
			return nil, fmt.Errorf("read upstream stream: %w", err)
		}
		c, err := s.dec.Decode(ev, data)
		if err != nil {
			return nil, err
		}
		if c != nil {
			return c, nil
		}
	}
}

// OnIdle makes the stream call f before each read that would wait for the
// upstream. A relay that writes converted chunks without flushing uses it
// to flush exactly when nothing more is ready, as the pass-through path
// does at an event boundary with nothing buffered.
func (s *SSEStream) OnIdle(f func()) { s.r.OnIdle(f) }

// Usage returns the usage the decoder saw.
func (s *SSEStream) Usage() (Usage, bool) { return s.dec.Usage() }

// Close releases the body and the reader's buffer. The stream must not be
// read during or after it.
func (s *SSEStream) Close() error {
	err := s.body.Close()
	s.r.Release()
	return err
}

// ErrorParser reads an upstream error body into its type and message.
type ErrorParser func(body []byte) (typ, msg string)

// Post sends a JSON body with the given headers and returns the response
// when its status is 2xx; any other status becomes an *UpstreamError whose
// message is the upstream's own, with the credential scrubbed. header is
// the request's own (Post adds to it); its values may be shared, read-only
// slices, as the transport only reads them.
func Post(ctx context.Context, client *http.Client, url string, c Credential, header http.Header, body []byte, stream bool, parse ErrorParser) (*http.Response, error) {
	// The body is a *bytes.Reader, which the transport knows to be in
	// memory: it writes the header and the body in one write (a reader
	// of another type has its header flushed on its own first: two
	// writes, two syscalls, per call).
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if header == nil {
		header = make(http.Header, 4)
	}
	req.Header = header
	header["Content-Type"], header["User-Agent"] = hdrJSON, hdrKeygate
	if stream {
		header["Accept"] = hdrEventStream
	} else {
		header["Accept"] = hdrJSON
	}
	for k, vs := range c.Header {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
	return nil, StatusError(resp.StatusCode, b, resp.Header.Get("Retry-After"), c.APIKey, parse)
}

// Shared, read-only header values of every upstream request.
var (
	hdrJSON        = []string{"application/json"}
	hdrEventStream = []string{"text/event-stream"}
	hdrKeygate     = []string{"keygate"}
)

// ReadBody reads a bounded response body.
func ReadBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	const limit = 64 << 20
	if n := resp.ContentLength; n > 0 && n <= limit {
		// The length is known (the transport holds the body to it): one
		// buffer of that size, not io.ReadAll's growing ones.
		b := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			return nil, fmt.Errorf("read upstream body: %w", err)
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, fmt.Errorf("read upstream body: %w", err)
	}
	return b, nil
}

// Scrub removes a channel's credential from upstream text before it is
// logged, stored, counted or shown: some upstreams echo the key they
// rejected, and not always as it was sent. Every form is removed: raw,
// JSON-escaped (`\/`, `\u002f`, `\u003c`…), URL-encoded (`%2F`, either
// hex case) and base64 (standard and URL alphabets, padded or not, and the
// part of it that shows inside a longer encoded text such as a Basic
// header). Credentials shorter than 8 characters are left alone (replacing
// them would mangle ordinary text, and no provider issues such keys).
func Scrub(s, credential string) string {
	if len(credential) < 8 || len(s) < 4 {
		return s
	}
	for _, f := range credentialForms(credential) {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, "[channel credential]")
		}
	}
	return s
}

// minEncodedCore is the shortest piece of a base64 encoding taken as the
// credential when it is found inside a longer encoded text (12 characters
// encode 9 bytes: no ordinary text matches by chance).
const minEncodedCore = 12

// credentialForms lists the ways a credential can appear in upstream text,
// longest first, so a form is replaced before any shorter one inside it.
func credentialForms(c string) []string {
	forms := []string{c}
	// JSON: Python and most servers escape only " and \; Go also escapes
	// <, > and &; some escape / as \/ or \u002f.
	minimal := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(c)
	goStyle := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "<", `\u003c`, ">", `\u003e`, "&", `\u0026`).Replace(c)
	for _, j := range []string{minimal, goStyle} {
		forms = append(forms, j, strings.ReplaceAll(j, "/", `\/`), strings.ReplaceAll(j, "/", `\u002f`), strings.ReplaceAll(j, "/", `\u002F`))
	}
	// URL encodings, with upper- and lower-case hex.
	for _, u := range []string{url.QueryEscape(c), url.PathEscape(c)} {
		forms = append(forms, u, lowerHex(u))
	}
	// base64: the whole credential, and for each alignment of it inside a
	// longer encoded text the characters that depend on its bytes alone.
	b := []byte(c)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		forms = append(forms, enc.EncodeToString(b))
		raw := enc.WithPadding(base64.NoPadding)
		for skip := range 3 {
			n := (len(b) - skip) / 3 * 3
			if core := raw.EncodeToString(b[skip : skip+n]); len(core) >= minEncodedCore {
				forms = append(forms, core)
			}
		}
	}
	slices.SortFunc(forms, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	return slices.Compact(forms)
}

// lowerHex lowers the hex digits of %XX escapes.
func lowerHex(s string) string {
	b := []byte(s)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			b[i+1], b[i+2] = lowerASCII(b[i+1]), lowerASCII(b[i+2])
			i += 2
		}
	}
	return string(b)
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
