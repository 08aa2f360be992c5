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

// sourceIP is the caller's address as the request log row keeps it
// (clientAddr's String form). The peer's host in r.RemoteAddr is that
// text already in the common case; it is then used as it is, with no
// allocation for formatting the address.
func (s *Server) sourceIP(r *http.Request) string {
	a := s.clientAddr(r)
	if !a.IsValid() {
		return a.String()
	}
	var buf [64]byte
	txt := a.AppendTo(buf[:0])
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	if string(txt) == host {
		return host
	}
	return string(txt)
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
