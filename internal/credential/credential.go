// Package credential finds the API key a client presented and, when it is
// unusable, says exactly why from the request alone: no store lookup, no
// I/O. It turns the failures users actually hit (an unset environment
// variable, a key pasted with a newline or a zero-width space, an OpenAI key
// sent to the gateway, a key in the URL, "Basic" instead of "Bearer") into a
// Problem whose message names the cause and whose hint names the next step.
//
// Nothing here ever repeats more of what the client sent than
// keys.DisplayPresented would show.
package credential

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/keys"
)

// Kind is the kind of route the credential was presented to; it decides
// where a key may be sent and which keys are acceptable.
type Kind int

const (
	// OpenAI routes (/v1/...) take Authorization: Bearer <key>.
	OpenAI Kind = iota
	// Anthropic routes take x-api-key: <key> or Authorization: Bearer <key>.
	Anthropic
	// Gemini routes take x-goog-api-key: <key> or Authorization: Bearer <key>.
	Gemini
	// Admin routes take Authorization: Bearer with a personal access token
	// (kg_pat_) or the bootstrap admin token (any string of ≥ 32 characters).
	Admin
)

func (k Kind) String() string {
	switch k {
	case OpenAI:
		return "openai"
	case Anthropic:
		return "anthropic"
	case Gemini:
		return "gemini"
	case Admin:
		return "admin"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Codes of the problems Extract reports; they are the error codes of the
// API contract (DESIGN.md §3).
const (
	CodeMissingAuthorization   = "missing_authorization"
	CodeMalformedAuthorization = "malformed_authorization"
	CodeInvalidAPIKeyFormat    = "invalid_api_key_format"
)

// MinAdminTokenLen is the shortest bootstrap admin token accepted.
const MinAdminTokenLen = 32

// Problem says why the presented credential cannot be used.
type Problem struct {
	Code      string       // CodeMissingAuthorization, CodeMalformedAuthorization or CodeInvalidAPIKeyFormat
	Message   string       // the exact cause, in English; never echoes more than Presented
	Hint      string       // the next step for the caller, in English
	Msg       i18n.Message // Message as a catalogue text, for readers of other languages
	HintMsg   i18n.Message // Hint as a catalogue text
	Presented string       // keys.DisplayPresented of what was sent, "" if nothing or too short
}

// problem builds a Problem from catalogue texts.
func problem(code string, msg, hint i18n.Message, presented string) *Problem {
	return &Problem{Code: code, Msg: msg, HintMsg: hint, Message: msg.Render(i18n.EN), Hint: hint.Render(i18n.EN), Presented: presented}
}

// In returns the message and hint in l.
func (p *Problem) In(l i18n.Lang) (message, hint string) {
	return p.Msg.Render(l), p.HintMsg.Render(l)
}

// Error makes a Problem usable as an error in logs and tests.
func (p *Problem) Error() string { return p.Code + ": " + p.Message }

// Header names as net/http canonicalises them, so lookups are plain map
// reads without canonicalising (and allocating) on every request.
const (
	hAuthorization = "Authorization"
	hXAPIKey       = "X-Api-Key"
	hXGoogAPIKey   = "X-Goog-Api-Key"
)

// Extract returns the key presented in h for a route of the given kind, or
// the Problem that makes it unusable. query is the request's URL query; it
// is only read to explain a missing key (a key in a URL is never accepted,
// because URLs end up in access logs, proxies and browser history).
//
// On success the key is a well-formed keygate key (kg_live_ or kg_test_ for
// OpenAI, Anthropic and Gemini; kg_pat_ for Admin) or, for Admin, a clean
// string of at least MinAdminTokenLen characters. Whether the key exists is
// for the caller to find out.
func Extract(h http.Header, query url.Values, kind Kind) (key string, p *Problem) {
	switch kind {
	case Anthropic:
		return fromEither(h, query, kind, hXAPIKey)
	case Gemini:
		return fromEither(h, query, kind, hXGoogAPIKey)
	}
	av := h[hAuthorization]
	if len(av) == 0 || len(av) == 1 && av[0] == "" {
		return "", missing(h, query, kind)
	}
	return fromAuthorization(av, kind)
}

// fromEither handles routes that take the key in a vendor header or as a
// Bearer token. Some SDKs send both; that is fine as long as they agree.
func fromEither(h http.Header, query url.Values, kind Kind, header string) (string, *Problem) {
	hv := h[header]
	av := h[hAuthorization]
	if len(av) == 1 && av[0] == "" {
		av = nil
	}
	if len(hv) == 0 && len(av) == 0 {
		return "", missing(h, query, kind)
	}
	if len(av) == 0 {
		return fromHeader(hv, header, kind)
	}
	if len(hv) == 0 {
		return fromAuthorization(av, kind)
	}
	hk, hp := fromHeader(hv, header, kind)
	ak, ap := fromAuthorization(av, kind)
	switch {
	case hp == nil && ap == nil && hk != ak:
		return "", problem(CodeMalformedAuthorization,
			i18n.M("cred.two_keys", i18n.S("header", headerLabel(header)), i18n.S("first", keys.DisplayPresented(hk)), i18n.S("second", keys.DisplayPresented(ak))),
			i18n.M("cred.two_keys.hint", i18n.S("header", headerLabel(header))),
			keys.DisplayPresented(hk))
	case hp == nil:
		return hk, nil
	case ap == nil:
		return ak, nil
	}
	return "", hp
}

// fromHeader reads a key sent alone in a vendor header (x-api-key, x-goog-api-key).
func fromHeader(vals []string, header string, kind Kind) (string, *Problem) {
	if p := repeated(vals, header); p != nil {
		return "", p
	}
	return checkToken(vals[0], kind, source{label: i18n.M("cred.src.header", i18n.S("header", headerLabel(header)))})
}

// fromAuthorization reads "Bearer <key>" from the Authorization header.
func fromAuthorization(vals []string, kind Kind) (string, *Problem) {
	if p := repeated(vals, hAuthorization); p != nil {
		return "", p
	}
	v := vals[0]
	// The one shape every correct client sends, checked before anything else.
	if len(v) > 7 && v[6] == ' ' && isBearer(v[:6]) {
		return checkToken(v[7:], kind, source{label: i18n.M("cred.src.bearer"), bearer: true})
	}
	return diagnoseAuthorization(v, kind)
}

// repeated reports a header sent more than once with different values.
// Identical repeats (a proxy adding the header again) are harmless.
func repeated(vals []string, header string) *Problem {
	for _, v := range vals[1:] {
		if v != vals[0] {
			return problem(CodeMalformedAuthorization,
				i18n.M("cred.repeated", i18n.S("header", headerLabel(header)), i18n.N("n", len(vals))),
				i18n.M("cred.repeated.hint"), "")
		}
	}
	return nil
}

func headerLabel(canonical string) string {
	switch canonical {
	case hXAPIKey:
		return "x-api-key"
	case hXGoogAPIKey:
		return "x-goog-api-key"
	}
	return canonical
}

// isBearer compares s with "bearer" ignoring ASCII case, without allocating.
func isBearer(s string) bool {
	const w = "bearer"
	if len(s) != len(w) {
		return false
	}
	for i := 0; i < len(w); i++ {
		if s[i]|0x20 != w[i] {
			return false
		}
	}
	return true
}

// source says where a token came from, for messages.
type source struct {
	label  i18n.Message // "the Bearer token", "x-api-key", …
	bearer bool         // taken from Authorization: Bearer
}

// checkToken accepts a well-formed key for kind or diagnoses why not.
func checkToken(tok string, kind Kind, src source) (string, *Problem) {
	prefix, err := keys.Parse(tok)
	if err == nil {
		if (prefix == keys.PrefixPAT) == (kind == Admin) {
			return tok, nil
		}
	} else if kind == Admin && acceptableAdminToken(tok) {
		return tok, nil
	}
	return "", diagnoseToken(tok, kind, src)
}

// acceptableAdminToken is the bootstrap-token rule: at least 32 characters,
// nothing invisible, no quotes around it, and not something that claims to
// be a keygate key (a broken kg_ key deserves its own diagnosis).
func acceptableAdminToken(tok string) bool {
	if len(tok) < MinAdminTokenLen || strings.HasPrefix(tok, "kg_") {
		return false
	}
	n := 0
	for _, r := range tok {
		if isInvisible(r) || r == '\ufffd' {
			return false
		}
		n++
	}
	if n < MinAdminTokenLen {
		return false
	}
	return !isQuote(firstRune(tok)) && !isQuote(lastRune(tok))
}
