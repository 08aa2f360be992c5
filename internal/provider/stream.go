package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Decoder turns one SSE event of an upstream's stream into a neutral chunk
// (nil when the event carries nothing for the client). It is pure and keeps
// whatever state its format needs (open blocks, usage, the terminal mark).
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

// Recv returns the next chunk; io.EOF once the body ended after the terminal
// event; ErrStreamCut when it ended before.
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

// Usage returns the usage the decoder saw.
func (s *SSEStream) Usage() (Usage, bool) { return s.dec.Usage() }

// Close releases the body.
func (s *SSEStream) Close() error { return s.body.Close() }

// ErrorParser reads an upstream error body into its type and message.
type ErrorParser func(body []byte) (typ, msg string)

// Post sends a JSON body with the given headers and returns the response
// when its status is 2xx; any other status becomes an *UpstreamError whose
// message is the upstream's own, with the credential scrubbed.
func Post(ctx context.Context, client *http.Client, url string, c Credential, header http.Header, body []byte, stream bool, parse ErrorParser) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "keygate")
	if stream {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
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
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	typ, msg := parse(b)
	// Scrub before truncating, so a cut cannot leave half a credential.
	msg = Scrub(msg, c.APIKey)
	if msg == "" {
		msg = Scrub(strings.TrimSpace(string(b)), c.APIKey)
		if len(msg) > 500 {
			msg = msg[:500] + "…"
		}
	}
	return nil, &UpstreamError{Status: resp.StatusCode, Type: typ, Message: msg, RetryAfter: resp.Header.Get("Retry-After")}
}

// ReadBody reads a bounded response body.
func ReadBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("read upstream body: %w", err)
	}
	return b, nil
}

// Scrub removes a channel's credential from upstream text before it is
// logged, stored or shown: some upstreams echo the key they rejected.
// Credentials shorter than 8 characters are left alone (replacing them
// would mangle ordinary text, and no provider issues such keys).
func Scrub(s, credential string) string {
	if len(credential) < 8 {
		return s
	}
	return strings.ReplaceAll(s, credential, "[channel credential]")
}
