package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/testgw"
)

// The lifecycle harness is testgw's (testgw.Harness); these are this
// package's short names for it, shared with the other package that drives
// it (internal/admin, internal/httpapi).
type (
	syncBuffer   = testgw.SyncBuffer
	hookDelivery = testgw.HookDelivery
	keyOut       = testgw.KeyOut
)

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

func (r response) errMessage() string { return testgw.Response(r).ErrMessage() }

// expect fails unless r has status and (when code != "") error code.
func expect(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	testgw.Expect(t, what, testgw.Response(r), status, code)
}
