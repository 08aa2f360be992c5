package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/i18n"
)

// adminClient is a small client of the admin API. State-changing commands
// go through it so every change is authenticated and audited by the
// gateway, never written to the database behind its back.
type adminClient struct {
	base  string
	token string
	lang  i18n.Lang
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
		return nil, errors.New(i18n.M("cli.no_token").Render(cliLang()))
	}
	return &adminClient{base: strings.TrimRight(addr, "/"), token: tok, lang: cliLang(), http: &http.Client{Timeout: 60 * time.Second}}, nil
}

// wrapErr is an error whose text is msg (already in the reader's language)
// and which still unwraps to err, so callers can test for its cause.
func wrapErr(msg string, err error) error { return &wrappedErr{msg, err} }

type wrappedErr struct {
	msg string
	err error
}

func (e *wrappedErr) Error() string { return e.msg }
func (e *wrappedErr) Unwrap() error { return e.err }

// apiError is an error answer of the gateway.
type apiError struct {
	Status  int
	Code    string
	Message string
	Hint    string
	Request string
}

func (e *apiError) Error() string {
	l := cliLang()
	s := e.Message
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	if e.Hint != "" {
		s += "\n  " + i18n.M("cli.error.hint", i18n.S("hint", e.Hint)).Render(l)
	}
	if e.Request != "" {
		s += "\n  " + i18n.M("cli.error.request_id", i18n.S("id", e.Request)).Render(l)
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
		return nil, wrapErr(i18n.M("cli.bad_addr", i18n.Q("addr", c.base), i18n.S("err", err.Error())).Render(c.lang), err)
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", "keygate-cli")
	if req.Header.Get("Accept-Language") == "" {
		req.Header.Set("Accept-Language", string(c.lang))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, wrapErr(i18n.M("cli.unreachable", i18n.S("addr", c.base), i18n.S("err", err.Error())).Render(c.lang), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.Header, wrapErr(i18n.M("cli.read_answer", i18n.S("err", err.Error())).Render(c.lang), err)
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
			return resp.Header, &apiError{Status: resp.StatusCode,
				Message: i18n.M("cli.not_keygate", i18n.S("method", method), i18n.S("path", path), i18n.S("status", resp.Status)).Render(c.lang),
				Hint:    i18n.M("cli.not_keygate.hint").Render(c.lang)}
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
			return resp.Header, wrapErr(i18n.M("cli.decode_answer", i18n.S("method", method), i18n.S("path", path), i18n.S("err", err.Error())).Render(c.lang), err)
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
