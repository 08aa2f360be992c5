package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientAddr is the caller's address (ClientAddr with
// KEYGATE_TRUSTED_PROXIES).
func (s *Server) clientAddr(r *http.Request) netip.Addr { return ClientAddr(r, s.TrustedProxies) }

// ClientAddr is the caller's address: the connection's peer, or, when the
// peer is one of the trusted proxies, the right-most untrusted
// X-Forwarded-For entry.
func ClientAddr(r *http.Request, trustedProxies []netip.Prefix) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	addr = addr.Unmap()
	if len(trustedProxies) == 0 || !trusted(trustedProxies, addr) {
		return addr
	}
	xff := r.Header.Values("X-Forwarded-For")
	for i := len(xff) - 1; i >= 0; i-- {
		parts := strings.Split(xff[i], ",")
		for j := len(parts) - 1; j >= 0; j-- {
			a, err := netip.ParseAddr(strings.TrimSpace(parts[j]))
			if err != nil {
				return addr
			}
			a = a.Unmap()
			if !trusted(trustedProxies, a) {
				return a
			}
		}
	}
	return addr
}

func trusted(proxies []netip.Prefix, a netip.Addr) bool {
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// fromTrustedProxy reports whether the connection's peer is a proxy listed
// in KEYGATE_TRUSTED_PROXIES.
func (s *Server) fromTrustedProxy(r *http.Request) bool {
	if len(s.TrustedProxies) == 0 {
		return false
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && trusted(s.TrustedProxies, addr.Unmap())
}
