package httpapi

import (
	"github.com/keygate/keygate/internal/keys"

	"net/http"
	"strings"
)

// clientHeaders are the headers by which callers name themselves, in the
// order they are preferred; keys are in canonical form so the lookup on
// the hot path is a plain map read. The tag keeps an organisation id from
// passing for a service name.
var clientHeaders = [...]struct{ name, tag string }{
	{"X-Client-Name", ""},
	{"X-Title", ""}, // OpenRouter-style app name
	{"Openai-Project", "openai-project="},
	{"Openai-Organization", "openai-org="},
}

// maxClientName bounds the client column of the request log.
const maxClientName = 64

// clientName is the caller's declared name for the request log (never a
// body, never a credential): printable ASCII only, at most 64 bytes, with
// anything key-shaped replaced by its display form. Nothing is allocated
// when no such header was sent.
func clientName(h http.Header) string {
	for _, c := range clientHeaders {
		vs := h[c.name]
		if len(vs) == 0 || vs[0] == "" {
			continue
		}
		v := sanitizeClient(vs[0])
		if v == "" {
			continue
		}
		return truncate(c.tag+v, maxClientName)
	}
	return ""
}

func sanitizeClient(v string) string {
	if len(v) > 4*maxClientName {
		v = v[:4*maxClientName]
	}
	clean := true
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			clean = false
			break
		}
	}
	if !clean {
		b := []byte(v)
		for i, c := range b {
			if c < 0x20 || c > 0x7e {
				b[i] = '?'
			}
		}
		v = string(b)
	}
	v = strings.TrimSpace(v)
	// A name has no business holding a secret; if someone put one there,
	// only its display form is kept.
	if strings.Contains(v, "kg_") || strings.Contains(v, "sk-") || strings.Contains(v, "AIza") || len(v) >= 40 {
		v = keys.CleanText(v, 4*maxClientName)
	}
	return truncate(v, maxClientName)
}
