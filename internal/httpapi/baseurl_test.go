package httpapi_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/testgw"
)

// The wrong-base-URL hint names the URL the client used: behind a trusted
// TLS-terminating proxy its X-Forwarded-Proto/Host, from anyone else never.
func TestUnknownEndpointHintBehindProxy(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	fwd := http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"gw.example.com"}}

	_, body := g.Do("POST", "/chat/completions", fwd, `{}`)
	if strings.Contains(string(body), "gw.example.com") || !strings.Contains(string(body), g.URL+"/v1") {
		t.Fatalf("untrusted forwarding headers were believed: %s", body)
	}

	g.App.Server.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	_, body = g.Do("POST", "/chat/completions", fwd, `{}`)
	if !strings.Contains(string(body), "https://gw.example.com/v1") {
		t.Fatalf("hint does not name the client's base URL: %s", body)
	}
	bad := http.Header{"X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"evil.example/<script>"}}
	_, body = g.Do("POST", "/chat/completions", bad, `{}`)
	if strings.Contains(string(body), "evil.example") || strings.Contains(string(body), "<script>") {
		t.Fatalf("a malformed X-Forwarded-Host reached the hint: %s", body)
	}
}
