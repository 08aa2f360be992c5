package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// The log row's source address is clientAddr's String form, whether it is
// cut from RemoteAddr or formatted.
func TestSourceIPIsClientAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	for _, c := range []struct{ remote, xff string }{
		{"127.0.0.1:5000", ""}, {"[::1]:80", ""}, {"[::ffff:1.2.3.4]:80", ""}, {"[fe80::1%eth0]:443", ""},
		{"[2001:0db8::0001]:1", ""}, {"1.2.3.4", ""}, {"", ""}, {"garbage", ""}, {"10.1.2.3:9", "203.0.113.7"},
		{"10.1.2.3:9", "10.9.9.9, 198.51.100.2"}, {"[::1]", ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		s := &Server{TrustedProxies: proxies}
		if got, want := s.sourceIP(r), s.clientAddr(r).String(); got != want {
			t.Errorf("RemoteAddr %q, X-Forwarded-For %q: sourceIP %q, clientAddr %q", c.remote, c.xff, got, want)
		}
	}
}
