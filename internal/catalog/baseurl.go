package catalog

import (
	"net/url"
	"strings"
)

// DisplayBaseURL is a channel's base URL as it may be shown to any admin
// role: userinfo (a user:password@ or a token@) replaced by "xxxxx@".
func DisplayBaseURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		// Unparseable: show nothing of what could be userinfo.
		if i := strings.LastIndex(raw, "@"); i >= 0 {
			if j := strings.Index(raw, "://"); j >= 0 && j < i {
				return raw[:j+3] + "xxxxx@" + raw[i+1:]
			}
			return "xxxxx@" + raw[i+1:]
		}
		return raw
	}
	if u.User == nil {
		return raw
	}
	u.User = nil
	s := u.String()
	if i := strings.Index(s, "://"); i >= 0 {
		return s[:i+3] + "xxxxx@" + s[i+3:]
	}
	return s
}
