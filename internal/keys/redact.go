package keys

import (
	"regexp"
	"strings"
)

// Redact replaces every keygate key and every other provider's key in s by
// its display form. It is for free text that comes from outside (a reason,
// a name, an upstream message, a user agent) before it is stored, logged
// or shown.
func Redact(s string) string {
	if !strings.Contains(s, "kg_") && !strings.Contains(s, "sk-") && !strings.Contains(s, "AIza") {
		return s
	}
	// Replace from the end so earlier offsets stay valid.
	ms := Find(s)
	for i := len(ms) - 1; i >= 0; i-- {
		s = s[:ms[i].Start] + Display(ms[i].Key) + s[ms[i].End:]
	}
	os := FindOtherProviders(s)
	for i := len(os) - 1; i >= 0; i-- {
		s = s[:os[i].Start] + os[i].Display + s[os[i].End:]
	}
	return s
}

// longToken catches long secret-looking runs that no scanner recognises
// (a truncated key, another gateway's token) in reasons and names.
var longToken = regexp.MustCompile(`[A-Za-z0-9_\-]{40,}`)

// CleanText is Redact for short free text a person typed (a reason, a
// name, a client name): trimmed, every key and every long secret-looking
// run replaced by its display form, and cut to n bytes.
func CleanText(s string, n int) string {
	s = Redact(strings.TrimSpace(s))
	s = longToken.ReplaceAllStringFunc(s, DisplayPresented)
	if len(s) > n {
		s = s[:n]
	}
	return s
}
