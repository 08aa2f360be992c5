package admin_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/testgw"
)

// The lifecycle harness is testgw's (testgw.Harness); these are this
// package's short names for it, shared with the other package that drives
// it (internal/admin, internal/httpapi).
type (
	hookDelivery = testgw.HookDelivery
	keyOut       = testgw.KeyOut
)

const hookSecret = testgw.HookSecret

// gateway is a testgw.Harness; response one of its answers.
type gateway struct {
	*testgw.Harness
	t *testing.T
}

// response is a testgw.Response with this package's method names.
type response testgw.Response

func startGateway(t *testing.T, tweak func(*config.Config)) *gateway {
	t.Helper()
	return &gateway{Harness: testgw.StartHarness(t, tweak), t: t}
}

func (g *gateway) do(method, path string, hdr http.Header, body []byte) response {
	return response(g.Do(method, path, hdr, body))
}

// admin calls the admin API with the owner token.
func (g *gateway) admin(method, path string, body any) response {
	return response(g.AdminCall(method, path, body))
}

// call uses an API key on GET /v1/models/{model}, or /v1/models for "".
func (g *gateway) call(key, model string) response { return response(g.Call(key, model)) }

func (g *gateway) chat(key, model string) response { return response(g.Chat(key, model)) }

func (g *gateway) createKey(body map[string]any) keyOut { return g.NewKey(body) }

// waitLogs waits for n log rows of key id with code ("" = any).
func (g *gateway) waitLogs(keyID, code string, n int) { g.WaitLogs(keyID, code, n) }

func (r response) json(t *testing.T, v any) { t.Helper(); testgw.Response(r).JSON(t, v) }

// errCode returns the error code of an error answer.
func (r response) errCode() string { return testgw.Response(r).ErrCode() }

func (r response) errMessage() string { return testgw.Response(r).ErrMessage() }

// expect fails unless r has status and (when code != "") error code.
func expect(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	testgw.Expect(t, what, testgw.Response(r), status, code)
}

const chatBody = `{"model":"mock-gpt","max_tokens":16,"messages":[{"role":"user","content":"hello"}]}`

func errCode(b []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(b, &e)
	return e.Error.Code
}

// assertNoSecret fails when text holds any 5 consecutive characters of a
// keygate key's random body (the display form shows at most 4 at each end),
// or 12 of another secret (whose body may hold ordinary words).
func assertNoSecret(t *testing.T, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		n := 12
		if strings.HasPrefix(s, "kg_") {
			n = 5
		}
		body := s
		for _, p := range []string{keys.PrefixLive, keys.PrefixTest, keys.PrefixPAT, "sk-proj-", "sk-ant-api03-", "sk-ant-", "sk-", "AIza"} {
			if strings.HasPrefix(body, p) {
				body = body[len(p):]
				break
			}
		}
		for i := 0; i+n <= len(body); i++ {
			if w := body[i : i+n]; strings.Contains(text, w) {
				t.Errorf("%q holds %q, part of a secret beyond its display form", text, w)
				return
			}
		}
	}
}

// errorBody is the OpenAI-shaped error with keygate's fields.
type errorBody struct {
	Error struct {
		Message   string  `json:"message"`
		Type      string  `json:"type"`
		Param     *string `json:"param"`
		Code      string  `json:"code"`
		Hint      string  `json:"hint"`
		Docs      string  `json:"docs"`
		RequestID string  `json:"request_id"`
	} `json:"error"`
}
