// Package storable makes text that came from outside (a client's header, a
// model name it asked for, an upstream's error words) safe to store: valid
// UTF-8, no NUL, bounded in length and cut on a rune boundary, with every
// key-shaped substring in display form. It is applied once, where a request
// log row enters the log writer, so no store ever sees a byte PostgreSQL
// would refuse or a secret a viewer could read.
package storable

import (
	"strings"
	"unicode/utf8"

	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/store"
)

// Field bounds of the request log row, in bytes.
const (
	MaxShort  = 256 // model, user agent, channel, codes, source address…
	MaxClient = 64  // the caller's declared name
	MaxReason = 500 // failure reasons and attempt errors
)

// Text returns s as storable text of at most max bytes: invalid UTF-8
// sequences and NUL become U+FFFD, keys (keygate's and other providers')
// are replaced by their display form, and the result is cut on a rune
// boundary. Clean, short text is returned as is, without allocating.
func Text(s string, max int) string {
	if len(s) <= max && clean(s) {
		return s
	}
	// Bound the work on a huge value first; a key cut by this bound lies
	// past max and is cut away below.
	if len(s) > 4*max+64 {
		s = s[:4*max+64]
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	s = keys.Redact(s)
	return cut(s, max)
}

// clean reports whether s is valid UTF-8 without NUL and carries nothing
// keys.Redact would change (the prefixes of its own quick test), in one
// pass over short ASCII text, the common case.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 0 || c >= utf8.RuneSelf:
			return utf8.ValidString(s[i:]) && strings.IndexByte(s[i:], 0) < 0 && !keyShaped(s)
		case c == '_' && i >= 2 && s[i-2] == 'k' && s[i-1] == 'g',
			c == '-' && i >= 2 && s[i-2] == 's' && s[i-1] == 'k',
			c == 'a' && i >= 3 && s[i-3:i] == "AIz":
			return false
		}
	}
	return true
}

func keyShaped(s string) bool {
	return strings.Contains(s, "kg_") || strings.Contains(s, "sk-") || strings.Contains(s, "AIza")
}

// cut shortens s to at most max bytes without splitting a rune.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// Log cleans every text field of a request log row that can carry outside
// bytes: what the client sent (model asked, user agent, declared name, the
// forwarded source address), what an upstream answered (model served,
// failure reason, attempt errors) and the codes derived from them. Ids, the
// key's display form, project, member, group and route are the gateway's
// own catalogue values and are left alone.
func Log(r *store.RequestLog) {
	r.Model = Text(r.Model, MaxShort)
	r.ModelServed = Text(r.ModelServed, MaxShort)
	r.Channel = Text(r.Channel, MaxShort)
	r.ErrorCode = Text(r.ErrorCode, MaxShort)
	r.FailureReason = Text(r.FailureReason, MaxReason)
	r.SourceIP = Text(r.SourceIP, MaxShort)
	r.UserAgent = Text(r.UserAgent, MaxShort)
	r.Client = Text(r.Client, MaxClient)
	// The attempts may share their array with the caller: copy on change.
	copied := false
	for i, a := range r.AttemptsDetail {
		c := a
		c.Channel, c.Code, c.Error = Text(a.Channel, MaxShort), Text(a.Code, MaxShort), Text(a.Error, MaxReason)
		if c == a {
			continue
		}
		if !copied {
			r.AttemptsDetail, copied = append([]store.Attempt(nil), r.AttemptsDetail...), true
		}
		r.AttemptsDetail[i] = c
	}
}
