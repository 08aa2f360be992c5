package config

import (
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// metadataHosts are names of cloud instance-metadata services. Their
// answers include the instance's own credentials, so a channel pointed at
// one would let whoever edits the config (or a leaked config) read them
// through the gateway.
var metadataHosts = map[string]bool{
	"metadata":                   true, // GCE short name
	"metadata.google.internal":   true,
	"metadata.goog":              true,
	"instance-data":              true, // EC2
	"instance-data.ec2.internal": true,
	"metadata.azure.com":         true,
	"metadata.tencentyun.com":    true,
}

// metadataAddrs are metadata services outside the link-local ranges.
var metadataAddrs = map[netip.Addr]bool{
	netip.MustParseAddr("100.100.100.200"): true, // Alibaba Cloud
	netip.MustParseAddr("fd00:ec2::254"):   true, // EC2 over IPv6
}

// CheckChannelHost refuses a base URL whose host is a link-local address
// (169.254.0.0/16, fe80::/10) or a cloud metadata service, unless the
// channel sets allow_private. Loopback and private ranges (10/8, 172.16/12,
// 192.168/16, fc00::/7) stay allowed: a local model server (Ollama, vLLM)
// is the common case. Names are checked as written; a name that merely
// resolves to such an address is not (the check runs without DNS).
func CheckChannelHost(rawURL string, allowPrivate bool) error {
	if allowPrivate {
		return nil
	}
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.Host == "" {
		return nil // the URL's own check reports it
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if metadataHosts[host] {
		return fmt.Errorf("base_url host %q is a cloud metadata service; set allow_private: true on the channel if this is really an upstream", host)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return nil
	}
	a = a.Unmap()
	switch {
	case metadataAddrs[a]:
		return fmt.Errorf("base_url address %s is a cloud metadata service; set allow_private: true on the channel if this is really an upstream", a)
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return fmt.Errorf("base_url address %s is link-local (169.254.0.0/16, fe80::/10: cloud metadata services live there); set allow_private: true on the channel if this is really an upstream", a)
	case a.IsUnspecified() || a.IsMulticast():
		return fmt.Errorf("base_url address %s cannot be an upstream", a)
	}
	return nil
}
