package keys

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// displayEdge is how many characters of a secret's body the display form
// keeps at each end; minDisplayBody is the shortest body that may be shown
// at all, so the display never reveals more than a third of a secret.
const (
	displayEdge    = 4
	minDisplayBody = 12
	ellipsis       = "…"
)

// Other providers' key prefixes, longest first so that sk-ant- and sk-proj-
// win over sk-.
var otherPrefixes = [...]struct{ prefix, provider string }{
	{"sk-ant-", "Anthropic"},
	{"sk-proj-", "OpenAI"},
	{"sk-", "OpenAI"},
	{"AIza", "Google"},
}

// OtherProvider reports whether s has the shape of another provider's key
// (OpenAI sk-/sk-proj-, Anthropic sk-ant-, Google AIza) and returns the
// provider's name and the prefix it matched, or "", "".
func OtherProvider(s string) (provider, prefix string) {
	for _, p := range otherPrefixes {
		if strings.HasPrefix(s, p.prefix) {
			return p.provider, p.prefix
		}
	}
	return "", ""
}

// Display is the form in which a key may appear anywhere outside its
// creation response: the prefix and the first and last 4 characters of the
// body, e.g. kg_live_7HqK…p2Xe. For anything that is not a keygate key it
// falls back to DisplayPresented, so it is always safe to call.
func Display(key string) string {
	p := keyPrefix(key)
	if p == "" || len(key)-len(p) < minDisplayBody {
		return DisplayPresented(key)
	}
	body := key[len(p):]
	if !isASCII(body) {
		return DisplayPresented(key)
	}
	return p + body[:displayEdge] + ellipsis + body[len(body)-displayEdge:]
}

// DisplayPresented is the display form of any string a client presented as
// a key, however broken. A recognised prefix (keygate or another
// provider's) is kept; of the rest only the first and last 4 characters are
// shown, and nothing at all if the rest is shorter than 12 characters, since
// showing 8 characters of a short secret would reveal most of it.
// Characters that are not printable (newlines, NBSP, zero-width…) and
// invalid UTF-8 become U+FFFD so the result is safe to put in a log line.
func DisplayPresented(s string) string {
	prefix := keyPrefix(s)
	if prefix == "" {
		_, prefix = OtherProvider(s)
	}
	rest := s[len(prefix):]
	n := utf8.RuneCountInString(rest)
	if n < minDisplayBody {
		return ""
	}
	var b strings.Builder
	b.Grow(len(prefix) + 2*displayEdge*utf8.UTFMax + len(ellipsis))
	b.WriteString(prefix)
	i := 0
	for _, r := range rest {
		if i == displayEdge {
			break
		}
		writeVisible(&b, r)
		i++
	}
	b.WriteString(ellipsis)
	// Walk back over the last displayEdge runes.
	end := len(rest)
	start := end
	for k := 0; k < displayEdge; k++ {
		_, size := utf8.DecodeLastRuneInString(rest[:start])
		start -= size
	}
	for _, r := range rest[start:end] {
		writeVisible(&b, r)
	}
	return b.String()
}

func writeVisible(b *strings.Builder, r rune) {
	if r == utf8.RuneError || !unicode.IsPrint(r) {
		r = utf8.RuneError
	}
	b.WriteRune(r)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
