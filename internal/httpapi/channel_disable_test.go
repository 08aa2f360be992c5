package httpapi_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

// An upstream that refuses a channel's credential disables the channel: the
// next calls are not sent upstream (no more refused calls on the operator's
// account), the operator gets an audit event, and enabling it restores it.
func TestRefusedCredentialDisablesTheChannelUntilEnabled(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	var upstreamCalls atomic.Int32
	inner := g.Upstream.Config.Handler
	g.Upstream.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamCalls.Add(1)
		inner.ServeHTTP(w, r)
	})
	k := g.CreateKey(nil)
	call := func(model string) (int, string) {
		resp, body := g.Do("POST", "/v1/chat/completions", testgw.Bearer(k.Key),
			`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`)
		return resp.StatusCode, string(body)
	}
	if st, body := call("mock-error-401"); st != 502 || !strings.Contains(body, "upstream_auth_failed") {
		t.Fatalf("first call: %d %s", st, body)
	}
	if upstreamCalls.Load() != 1 {
		t.Fatalf("upstream calls = %d, want 1", upstreamCalls.Load())
	}
	st, body := call("mock-error-401")
	if st != 502 || !strings.Contains(body, "upstream_auth_failed") || !strings.Contains(body, "disabled") {
		t.Fatalf("call to a disabled channel: %d %s", st, body)
	}
	if upstreamCalls.Load() != 1 {
		t.Fatal("a disabled channel was called again")
	}
	// Other channels are untouched.
	if st, body := call("mock-gpt"); st != 200 {
		t.Fatalf("healthy channel: %d %s", st, body)
	}

	var chans struct {
		Data []struct {
			Name      string `json:"name"`
			State     string `json:"state"`
			LastError string `json:"last_error"`
		} `json:"data"`
	}
	g.Admin("GET", "/admin/v1/channels", nil, &chans)
	found := false
	for _, c := range chans.Data {
		if c.Name == "mock-badcred" {
			found = true
			if c.State != "disabled" || !strings.Contains(c.LastError, "401") {
				t.Fatalf("channel report: %+v", c)
			}
			if strings.Contains(c.LastError, testgw.UpstreamKey) {
				t.Fatal("channel report shows the upstream credential")
			}
		}
	}
	if !found {
		t.Fatal("mock-badcred missing from GET /admin/v1/channels")
	}

	var audit struct {
		Data []struct {
			Action string `json:"action"`
			Object string `json:"object"`
		} `json:"data"`
	}
	testgw.Eventually(t, func() bool {
		g.Admin("GET", "/admin/v1/audit?action=channel.disable", nil, &audit)
		return len(audit.Data) == 1 && audit.Data[0].Object == "channel:mock-badcred"
	})

	if st := g.Admin("POST", "/admin/v1/channels/mock-badcred/enable", nil, nil); st != 200 {
		t.Fatalf("enable: %d", st)
	}
	call("mock-error-401")
	if upstreamCalls.Load() != 3 { // mock-gpt + the first 401 + this probe after enabling
		t.Fatalf("upstream calls after enable = %d, want 3", upstreamCalls.Load())
	}
}
