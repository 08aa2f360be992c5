package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// adminClient is a small client of the admin API. State-changing commands
// go through it so every change is authenticated and audited by the
// gateway, never written to the database behind its back.
type adminClient struct {
	base  string
	token string
	http  *http.Client
}

// defaultAddr is where a local gateway listens (KEYGATE_LISTEN's default).
const defaultAddr = "http://127.0.0.1:8080"

// newAdminClient reads KEYGATE_ADDR and KEYGATE_ADMIN_TOKEN; addr, when
// non-empty, overrides KEYGATE_ADDR.
func newAdminClient(addr string) (*adminClient, error) {
	if addr == "" {
		addr = getenv("KEYGATE_ADDR")
	}
	if addr == "" {
		addr = defaultAddr
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	tok := strings.TrimSpace(getenv("KEYGATE_ADMIN_TOKEN"))
	if tok == "" {
		return nil, errors.New("KEYGATE_ADMIN_TOKEN is not set: export the owner token the gateway printed on first start (or a member's kg_pat_ token)")
	}
	return &adminClient{base: strings.TrimRight(addr, "/"), token: tok, http: &http.Client{Timeout: 60 * time.Second}}, nil
}

// apiError is an error answer of the gateway.
type apiError struct {
	Status  int
	Code    string
	Message string
	Hint    string
	Request string
}

func (e *apiError) Error() string {
	s := e.Message
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Hint != "" {
		s += "\n  hint: " + e.Hint
	}
	if e.Request != "" {
		s += "\n  request id: " + e.Request
	}
	return s
}

// do calls the admin API and decodes a JSON answer into out.
func (c *adminClient) do(ctx context.Context, method, path string, body, out any, hdr http.Header) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("KEYGATE_ADDR %q is not a usable URL: %w", c.base, err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", "keygate-cli")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the gateway at %s (KEYGATE_ADDR): %w", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.Header, fmt.Errorf("read the gateway's answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct {
				Message   string `json:"message"`
				Code      string `json:"code"`
				Hint      string `json:"hint"`
				RequestID string `json:"request_id"`
			} `json:"error"`
		}
		if json.Unmarshal(b, &e) != nil || e.Error.Message == "" {
			return resp.Header, &apiError{Status: resp.StatusCode, Message: fmt.Sprintf("%s %s answered %s", method, path, resp.Status),
				Hint: "check that KEYGATE_ADDR points at a keygate gateway"}
		}
		return resp.Header, &apiError{Status: resp.StatusCode, Code: e.Error.Code, Message: e.Error.Message, Hint: e.Error.Hint,
			Request: e.Error.RequestID}
	}
	if out != nil {
		if raw, ok := out.(*json.RawMessage); ok {
			*raw = append((*raw)[:0], b...)
			return resp.Header, nil
		}
		if err := json.Unmarshal(b, out); err != nil {
			return resp.Header, fmt.Errorf("decode the gateway's answer to %s %s: %w", method, path, err)
		}
	}
	return resp.Header, nil
}

// writeJSONOut prints raw JSON indented, for --json.
func writeJSONOut(w io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(raw), "", "  "); err != nil {
		_, err = w.Write(raw)
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}
