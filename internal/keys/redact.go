package keys

import "strings"

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
