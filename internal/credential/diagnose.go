package credential

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/keygate/keygate/internal/keys"
)

// Everything in this file runs only when a credential is unusable, so it
// favours precise messages over speed.

// hints for the common next steps, per kind of route.
func sendHint(kind Kind) string {
	switch kind {
	case Anthropic:
		return "send the key as x-api-key: <key> (what the Anthropic SDKs do with api_key / ANTHROPIC_API_KEY) or as Authorization: Bearer <key>"
	case Gemini:
		return "send the key as x-goog-api-key: <key> (what the Google GenAI SDKs do with api_key / GEMINI_API_KEY) or as Authorization: Bearer <key>"
	case Admin:
		return "send Authorization: Bearer <token> with a personal access token (kg_pat_…) or the KEYGATE_ADMIN_TOKEN"
	}
	return "send the header Authorization: Bearer <key> (what the OpenAI SDKs do with api_key / OPENAI_API_KEY), with base_url pointing at this gateway"
}

func envVar(kind Kind) string {
	switch kind {
	case Anthropic:
		return "ANTHROPIC_API_KEY"
	case Gemini:
		return "GEMINI_API_KEY"
	case Admin:
		return "KEYGATE_ADMIN_TOKEN"
	}
	return "OPENAI_API_KEY"
}

// missing explains a request without a credential where this kind of route
// looks for one, naming any place a key was sent instead.
func missing(h map[string][]string, query map[string][]string, kind Kind) *Problem {
	var where string
	switch kind {
	case Anthropic:
		where = "no x-api-key header and no Authorization header"
	case Gemini:
		where = "no x-goog-api-key header and no Authorization header"
	default:
		where = "no Authorization header"
	}
	p := &Problem{Code: CodeMissingAuthorization, Hint: sendHint(kind)}

	// Headers this route does not read but clients send keys in.
	elsewhere := []struct{ header, why string }{
		{"Api-Key", "an api-key header (the Azure OpenAI style), which this gateway does not read"},
		{hXAPIKey, "an x-api-key header (the Anthropic style), which this route does not read"},
		{hXGoogAPIKey, "an x-goog-api-key header (the Google style), which this route does not read"},
		{"Authentication", "an Authentication header; the header is called Authorization"},
		{"Proxy-Authorization", "a Proxy-Authorization header, which is for proxies, not for this gateway"},
		{"X-Auth-Token", "an X-Auth-Token header, which this gateway does not read"},
	}
	for _, e := range elsewhere {
		if kind == Anthropic && e.header == hXAPIKey || kind == Gemini && e.header == hXGoogAPIKey {
			continue
		}
		if v, ok := h[e.header]; ok && len(v) > 0 && v[0] != "" {
			p.Message = fmt.Sprintf("no API key: the request has %s, but a key was sent in %s", where, e.why)
			p.Presented = keys.DisplayPresented(cleanForDisplay(stripBearer(v[0])))
			return p
		}
	}
	for _, name := range []string{"key", "api_key", "api-key", "apikey", "access_token", "token"} {
		if v, ok := query[name]; ok && len(v) > 0 && v[0] != "" {
			p.Message = fmt.Sprintf("no API key: the request has %s; a key was sent in the URL (?%s=…), and this gateway never accepts keys from URLs because URLs are written to access logs, proxies and browser history", where, name)
			if kind == Gemini {
				p.Hint = "send the key in the x-goog-api-key header instead of ?key= (the Google GenAI SDKs do so by default), and consider rotating it: it may already be in URL logs"
			} else {
				p.Hint = sendHint(kind) + "; and consider rotating the key: it may already be in URL logs"
			}
			p.Presented = keys.DisplayPresented(cleanForDisplay(v[0]))
			return p
		}
	}
	if v, ok := h[hAuthorization]; ok && len(v) > 0 {
		p.Message = "no API key: the Authorization header is present but empty"
		p.Hint = "the variable holding the key is probably empty or unset (" + envVar(kind) + "); " + sendHint(kind)
		return p
	}
	p.Message = "no API key: the request has " + where
	return p
}

// stripBearer drops a leading "Bearer " so a key sent in the wrong header
// with its scheme still gets a recognisable display form.
func stripBearer(v string) string {
	if len(v) > 7 && isBearer(v[:6]) && v[6] == ' ' {
		return v[7:]
	}
	return v
}

// Authorization schemes worth naming back to the caller. Only names from
// this table are ever echoed; an unknown scheme might be a secret.
var schemes = map[string]string{
	"basic": "Basic", "token": "Token", "digest": "Digest", "negotiate": "Negotiate",
	"ntlm": "NTLM", "apikey": "ApiKey", "api-key": "Api-Key", "key": "Key", "bot": "Bot",
	"jwt": "JWT", "oauth": "OAuth", "dpop": "DPoP", "hoba": "HOBA", "mutual": "Mutual",
	"aws4-hmac-sha256": "AWS4-HMAC-SHA256",
}

// diagnoseAuthorization explains an Authorization value that is not
// "Bearer <key>" with one space (or is, but the key is wrong).
func diagnoseAuthorization(v string, kind Kind) (string, *Problem) {
	malformed := func(msg, hint, presented string) (string, *Problem) {
		return "", &Problem{Code: CodeMalformedAuthorization, Message: msg, Hint: hint,
			Presented: keys.DisplayPresented(cleanForDisplay(presented))}
	}
	expect := "the Authorization header must be: Bearer <key>"
	if r, _ := utf8.DecodeRuneInString(v); isInvisible(r) {
		return malformed(fmt.Sprintf("the Authorization header starts with %s before the scheme", keys.DescribeRune(r)),
			"remove it; "+expect, "")
	}
	if _, ok := quoteName(firstRune(v)); ok {
		return malformed("the whole Authorization value is wrapped in quotes",
			"remove the quotes; "+expect, "")
	}
	if len(v) >= 14 && strings.EqualFold(v[:14], "authorization:") {
		return malformed("the Authorization value repeats the header name (\"Authorization: Authorization: …\")",
			"set the header value to Bearer <key> only", "")
	}
	// Split off the first word: up to whitespace (of any kind) or a colon.
	end := len(v)
	for i, r := range v {
		if isInvisible(r) || r == ':' {
			end = i
			break
		}
	}
	first, rest := v[:end], v[end:]
	if isBearer(first) {
		switch {
		case rest == "" || strings.TrimFunc(rest, isInvisible) == "":
			return malformed("the Authorization header is \"Bearer\" with no key after it",
				"the variable holding the key is probably empty or unset ("+envVar(kind)+"); set it to your key", "")
		case rest[0] == ':':
			return malformed("the Authorization header has a colon after Bearer",
				"write Bearer <key> with a single space and no colon", "")
		}
		// The separator is not exactly one space: name what it is.
		sepEnd := len(rest) - len(strings.TrimLeftFunc(rest, isInvisible))
		tok := rest[sepEnd:]
		if p := bearerBearer(tok); p != nil {
			return "", p
		}
		return "", badSeparator(rest[:sepEnd], tok)
	}
	if name, ok := schemes[strings.ToLower(first)]; ok && rest != "" {
		hint := "replace \"" + name + "\" with \"Bearer\": " + expect
		msg := fmt.Sprintf("the Authorization header uses the %s scheme; this gateway accepts only Bearer", name)
		if name == "Basic" {
			if k := keyInBasic(strings.TrimLeftFunc(rest, isInvisible)); k != "" {
				msg += " (the Basic credentials contain a keygate key)"
				hint = "send the key itself as Authorization: Bearer <key>, not inside Basic credentials"
				return malformed(msg, hint, k)
			}
			hint = "use your keygate key as Authorization: Bearer <key>; user names and passwords are not accepted"
			return malformed(msg, hint, "")
		}
		return malformed(msg, hint, strings.TrimLeftFunc(rest, isInvisible))
	}
	if rest == "" {
		// A single word: most often the key without its scheme.
		if parts := keyParts(first); parts > 1 {
			return malformed(fmt.Sprintf("the Authorization header holds %d keys and no Bearer scheme; send exactly one key", parts),
				"send one key: "+expect, firstPart(first))
		}
		if looksLikeKey(first) {
			return malformed("the Authorization header holds a key without the Bearer scheme",
				"put \"Bearer \" in front of the key: "+expect, first)
		}
		return malformed("the Authorization header is not of the form Bearer <key>", expect, first)
	}
	if looksLikeKey(first) {
		if parts := keyParts(v); parts > 1 {
			return malformed(fmt.Sprintf("the Authorization header holds %d keys; send exactly one", parts),
				"send one key: "+expect, first)
		}
		return malformed("the Authorization header holds a key without the Bearer scheme, followed by other text",
			"send exactly: Bearer <key>", first)
	}
	return malformed("the Authorization header uses an unrecognised scheme; this gateway accepts only Bearer",
		expect, "")
}

// badSeparator explains whitespace other than one space between Bearer and
// the key (two spaces, a tab, a no-break space…).
func badSeparator(sep, tok string) *Problem {
	what, verb := "", "is"
	n := utf8.RuneCountInString(sep)
	if n > 1 {
		verb = "are"
	}
	switch {
	case strings.Trim(sep, " ") == "":
		what = fmt.Sprintf("%d spaces", n)
	case n == 1:
		what = keys.DescribeRune(firstRune(sep))
	default:
		var names []string
		for _, r := range sep {
			if d := keys.DescribeRune(r); len(names) < 3 && (len(names) == 0 || names[len(names)-1] != d) {
				names = append(names, d)
			}
		}
		what = strings.Join(names, ", ")
	}
	return &Problem{
		Code:      CodeInvalidAPIKeyFormat,
		Message:   fmt.Sprintf("between Bearer and the key there %s %s instead of a single space", verb, what),
		Hint:      "send exactly \"Bearer \" followed by the key; check how the header is assembled (string formatting, a copied value)",
		Presented: keys.DisplayPresented(cleanForDisplay(tok)),
	}
}

// keyInBasic returns the keygate key inside Basic credentials, if any:
// some clients can only do Basic and put the key in as user or password.
func keyInBasic(b64 string) string {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return ""
	}
	if m := keys.Find(string(raw)); len(m) > 0 {
		return m[0].Key
	}
	return ""
}

// bearerBearer reports a token that itself starts with "Bearer".
func bearerBearer(tok string) *Problem {
	if len(tok) < 6 || !isBearer(tok[:6]) {
		return nil
	}
	rest := tok[6:]
	if rest != "" {
		if r, _ := utf8.DecodeRuneInString(rest); !isInvisible(r) && r != ':' {
			return nil
		}
	}
	return &Problem{
		Code:      CodeMalformedAuthorization,
		Message:   "the Authorization header says Bearer twice (\"Bearer Bearer …\")",
		Hint:      "the client already adds \"Bearer \": set the key variable to the key alone, without \"Bearer\"",
		Presented: keys.DisplayPresented(cleanForDisplay(strings.TrimLeftFunc(rest, isInvisible))),
	}
}

// diagnoseToken explains why tok, sent where src says, is not a usable key.
// Causes are checked from the outside in, so the first reported is the one
// to fix first.
func diagnoseToken(tok string, kind Kind, src source) *Problem {
	invalid := func(msg, hint, presented string) *Problem {
		return &Problem{Code: CodeInvalidAPIKeyFormat, Message: msg, Hint: hint,
			Presented: keys.DisplayPresented(presented)}
	}
	if p := bearerBearer(tok); p != nil {
		if !src.bearer {
			p.Message = fmt.Sprintf("%s holds \"Bearer <key>\"; it takes the key alone", src.label)
			p.Hint = "drop \"Bearer \" from the value of " + src.label
		}
		return p
	}
	clean := cleanForDisplay(tok)
	envHint := "set " + envVar(kind) + " (or whatever your client reads the key from) in the environment of the process that sends the request, then restart it"

	if clean == "" {
		what := src.label + " is empty"
		if tok != "" {
			what = src.label + " holds only quotes or invisible characters"
		}
		return invalid(what+": the variable holding the key is not set", envHint, "")
	}
	if what, ok := placeholder(clean); ok {
		return invalid(fmt.Sprintf("%s is %s, not a key: the environment variable is not set or the placeholder was not replaced", src.label, what),
			envHint, "")
	}
	if strings.Contains(clean, "…") || strings.Contains(clean, "...") {
		return invalid(src.label+" is a shortened display form of a key (it contains an ellipsis), not the key itself",
			"use the full key; it is shown only once, when it is created or rotated — if it was not saved, rotate the key to get a new one", clean)
	}
	if n := keyParts(trimOuter(tok)); n > 1 {
		return &Problem{Code: CodeMalformedAuthorization,
			Message:   fmt.Sprintf("%s holds %d keys separated by commas or spaces; send exactly one", src.label, n),
			Hint:      "send one key per request",
			Presented: keys.DisplayPresented(firstPart(trimOuter(tok)))}
	}
	wsHint := "remove it: such characters come from copying the key out of a chat, PDF or web page, or from reading a file without trimming the newline (use strip()/trim())"
	if src.bearer && isInvisible(firstRune(tok)) {
		rest := strings.TrimLeftFunc(tok, isInvisible)
		if rest != "" {
			return badSeparator(" "+tok[:len(tok)-len(rest)], rest)
		}
	}
	if r, _ := utf8.DecodeRuneInString(tok); isInvisible(r) {
		return invalid(fmt.Sprintf("%s starts with %s before the key%s", src.label, keys.DescribeRune(r), others(tok, 1)), wsHint, clean)
	}
	if r, _ := utf8.DecodeLastRuneInString(tok); isInvisible(r) {
		return invalid(fmt.Sprintf("%s ends with %s after the key%s", src.label, keys.DescribeRune(r), others(tok, 1)), wsHint, clean)
	}
	if p := quoted(tok, src, clean); p != nil {
		return p
	}
	pos := 0
	for _, r := range tok {
		pos++
		if isInvisible(r) {
			return invalid(fmt.Sprintf("%s contains %s inside the key at position %d%s", src.label, keys.DescribeRune(r), pos, others(tok, 1)), wsHint, clean)
		}
	}

	if provider, prefix := otherProvider(clean); provider != "" {
		return invalid(fmt.Sprintf("this is %s key (%s…), not a keygate key; send a keygate key issued by this gateway", provider, prefix),
			"this gateway holds the provider credentials itself: create a keygate key (dashboard or `keygate keys create`) and use it as the API key, with base_url pointing at the gateway", clean)
	}
	for _, p := range []string{keys.PrefixLive, keys.PrefixTest, keys.PrefixPAT} {
		if len(clean) >= len(p) && clean[:len(p)] != p && strings.EqualFold(clean[:len(p)], p) {
			return invalid(fmt.Sprintf("the key prefix must be written %s in lowercase; the rest of the key is case-sensitive", p),
				"copy the key again exactly as it was issued; something changed its letter case", "")
		}
		dashed := strings.ReplaceAll(p, "_", "-")
		if len(clean) >= len(p) && strings.EqualFold(clean[:len(p)], dashed) {
			return invalid(fmt.Sprintf("the key prefix must be %s with underscores, not dashes", p),
				"copy the key again exactly as it was issued", "")
		}
	}

	prefix, err := keys.Parse(clean)
	var fe *keys.FormatError
	if err != nil {
		fe, _ = err.(*keys.FormatError)
	}
	switch {
	case err == nil && prefix == keys.PrefixPAT:
		return invalid("this is a personal access token (kg_pat_…): personal access tokens authenticate the admin API, not /v1",
			"use an API key (kg_live_… or kg_test_…) for model requests; create one in the dashboard or with `keygate keys create`", clean)
	case err == nil && kind == Admin:
		return invalid("this is an API key for model requests (/v1), not an admin credential",
			"the admin API takes a personal access token (kg_pat_…, from `keygate token generate` or the dashboard) or the KEYGATE_ADMIN_TOKEN", clean)
	case err == nil:
		// Unreachable in practice: a clean valid key means tok had extra
		// characters, which the checks above name.
		return invalid(src.label+" has extra characters around the key", "send the key alone", clean)
	case fe == nil:
		return invalid(src.label+" is not a valid key", sendHint(kind), clean)
	case fe.Reason == keys.ReasonUnknownPrefix:
		if kind == Admin {
			n := utf8.RuneCountInString(clean)
			return invalid(fmt.Sprintf("the token is %d characters; the admin token is at least %d characters, and personal access tokens start with kg_pat_", n, MinAdminTokenLen),
				"send a personal access token (kg_pat_…) or the full KEYGATE_ADMIN_TOKEN", clean)
		}
		if strings.HasPrefix(clean, "kg_") {
			return invalid("this is not a known keygate key type: API keys start with kg_live_ or kg_test_",
				"copy the key again exactly as it was issued", clean)
		}
		return invalid("this is not a keygate key: keygate API keys start with kg_live_ or kg_test_",
			"use a key issued by this gateway (dashboard or `keygate keys create`)", clean)
	case fe.Reason == keys.ReasonWrongLength:
		n, m := utf8.RuneCountInString(clean), len(prefix0(clean))+keys.BodyLen
		switch {
		case n < m:
			return invalid(fmt.Sprintf("the key is %d characters, expected %d: it looks truncated (part of it was not copied)", n, m),
				"copy the whole key again; if it was not saved in full, rotate it to get a new one", clean)
		case strings.Count(clean, prefix0(clean)) > 1:
			return invalid(fmt.Sprintf("the key is %d characters, expected %d: it looks pasted twice", n, m),
				"send the key once", clean)
		}
		return invalid(fmt.Sprintf("the key is %d characters, expected %d: extra characters were added to it", n, m),
			"copy the key again exactly as it was issued", clean)
	case fe.Reason == keys.ReasonBadCharacter:
		pos, r := badRune(clean)
		return invalid(fmt.Sprintf("%s contains %s at position %d, which cannot be part of a keygate key (keys use only 0-9, A-Z and a-z after the prefix)", src.label, keys.DescribeRune(r), pos),
			"copy the key again exactly as it was issued", clean)
	}
	return invalid("the key's checksum does not match: one or more characters differ from the key you were given (a typo or a mis-copied character)",
		"copy the key again from where it was saved rather than retyping it; if it is lost, rotate the key to get a new one", clean)
}

// prefix0 is the keygate prefix of a string already known to have one.
func prefix0(s string) string {
	for _, p := range []string{keys.PrefixLive, keys.PrefixTest, keys.PrefixPAT} {
		if strings.HasPrefix(s, p) {
			return p
		}
	}
	return ""
}

// badRune finds the first character after the prefix that is not base62,
// returning its 1-based position in the whole key.
func badRune(s string) (int, rune) {
	p := prefix0(s)
	pos := utf8.RuneCountInString(p)
	for _, r := range s[len(p):] {
		pos++
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return pos, r
		}
	}
	return pos, utf8.RuneError
}

// otherProvider refines keys.OtherProvider for messages ("an OpenAI key").
func otherProvider(s string) (string, string) {
	provider, prefix := keys.OtherProvider(s)
	switch {
	case provider == "":
		return "", ""
	case strings.HasPrefix(s, "sk-or-"):
		return "an OpenRouter", "sk-or-"
	case provider == "OpenAI" && prefix == "sk-":
		return "an OpenAI-style (OpenAI, DeepSeek or similar)", prefix
	case provider == "OpenAI":
		return "an OpenAI", prefix
	case provider == "Anthropic":
		return "an Anthropic", prefix
	}
	return "a " + provider, prefix
}

// quoted reports quotes around (or at one end of) the key.
func quoted(tok string, src source, clean string) *Problem {
	first, last := firstRune(tok), lastRune(tok)
	fq, fok := quoteName(first)
	lq, lok := quoteName(last)
	hint := "remove the quotes: they are usually part of a .env line or a shell command, not of the key"
	var msg string
	switch {
	case fok && lok && first == last:
		msg = fmt.Sprintf("%s is wrapped in %s", src.label, fq)
	case fok && lok:
		msg = fmt.Sprintf("%s is wrapped in quotes (%s before, %s after)", src.label, fq, lq)
	case fok:
		msg = fmt.Sprintf("%s starts with %s", src.label, singular(fq))
	case lok:
		msg = fmt.Sprintf("%s ends with %s", src.label, singular(lq))
	default:
		return nil
	}
	return &Problem{Code: CodeInvalidAPIKeyFormat, Message: msg, Hint: hint, Presented: keys.DisplayPresented(clean)}
}

func singular(q string) string {
	q = strings.TrimSuffix(q, "s")
	if strings.HasPrefix(q, "a") || strings.HasPrefix(q, "o") {
		return "an " + q
	}
	return "a " + q
}

// quoteName names a quote character (plural, as in "wrapped in double quotes").
func quoteName(r rune) (string, bool) {
	switch r {
	case '"':
		return "double quotes", true
	case '\'':
		return "single quotes", true
	case '`':
		return "backticks", true
	case '“', '”', '„':
		return "typographic double quotes", true
	case '‘', '’', '‚':
		return "typographic single quotes", true
	case '«', '»':
		return "angle quotes", true
	}
	return "", false
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// isInvisible reports characters that do not show when a key is pasted:
// whitespace of every kind, control characters and zero-width/format
// characters (U+200B…U+200D, U+2060, U+FEFF, soft hyphen, …).
func isInvisible(r rune) bool {
	if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
		return true
	}
	if r < utf8.RuneSelf {
		return r < ' ' || r == 0x7f
	}
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}

// others describes how many more invisible characters follow the first.
func others(tok string, reported int) string {
	n := 0
	for _, r := range tok {
		if isInvisible(r) {
			n++
		}
	}
	switch n - reported {
	case 0:
		return ""
	case 1:
		return " (and 1 more invisible character)"
	}
	return fmt.Sprintf(" (and %d more invisible characters)", n-reported)
}

// cleanForDisplay strips what surrounds a key (invisible characters and
// quotes) and invisible characters inside it, so that the display form of a
// broken paste still shows the recognisable prefix, first and last
// characters of the key.
func cleanForDisplay(s string) string {
	return removeInvisible(trimOuter(s))
}

// trimOuter strips invisible characters and quotes around s, in any nesting.
func trimOuter(s string) string {
	for {
		t := strings.TrimFunc(s, isInvisible)
		if r := firstRune(t); isQuote(r) {
			t = t[utf8.RuneLen(r):]
		}
		if r := lastRune(t); t != "" && isQuote(r) {
			t = t[:len(t)-utf8.RuneLen(r)]
		}
		if t == s {
			return t
		}
		s = t
	}
}

func isQuote(r rune) bool {
	_, ok := quoteName(r)
	return ok
}

func removeInvisible(s string) string {
	if strings.IndexFunc(s, isInvisible) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isInvisible(r) {
			return -1
		}
		return r
	}, s)
}

// looksLikeKey reports whether s starts like a key of any provider.
func looksLikeKey(s string) bool {
	if strings.HasPrefix(s, "kg_") {
		return true
	}
	p, _ := keys.OtherProvider(s)
	return p != ""
}

// keyParts counts the key-looking parts of s separated by commas,
// semicolons or whitespace. A comma-separated list counts even when the
// parts do not look like keys: a single key never contains a comma.
func keyParts(s string) int {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || isInvisible(r) })
	n := 0
	for _, f := range fields {
		if looksLikeKey(strings.Trim(f, "\"'`")) {
			n++
		}
	}
	if n < 2 && strings.ContainsAny(s, ",;") && len(fields) > 1 {
		return len(fields)
	}
	return n
}

func firstPart(s string) string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || isInvisible(r) })
	if len(fields) == 0 {
		return ""
	}
	return fields[0]
}

// placeholder recognises values that are not a key at all but an unset
// variable or a template nobody filled in. The description returned is
// fixed text, never the input.
func placeholder(s string) (string, bool) {
	lower := strings.ToLower(s)
	switch lower {
	case "undefined", "null", "none", "nil", "<nil>", "nan", "false", "true", "[object object]", "0":
		return fmt.Sprintf("the literal string %q", lowerLiteral(lower)), true
	}
	switch {
	case strings.HasPrefix(s, "${") && strings.HasSuffix(s, "}"):
		return "an unexpanded variable reference (${NAME})", true
	case strings.HasPrefix(s, "$(") && strings.HasSuffix(s, ")"):
		return "an unexpanded command substitution ($(…))", true
	case s[0] == '$' && isIdent(s[1:]):
		return "an unexpanded shell variable ($NAME)", true
	case len(s) > 2 && s[0] == '%' && s[len(s)-1] == '%' && isIdent(s[1:len(s)-1]):
		return "an unexpanded Windows variable (%NAME%)", true
	case strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}"):
		return "an unfilled template ({{…}})", true
	case s[0] == '<' && s[len(s)-1] == '>':
		return "a placeholder (<…>)", true
	case strings.HasPrefix(s, "process.env.") || strings.HasPrefix(s, "os.environ") || strings.HasPrefix(s, "os.getenv"):
		return "the source text of an environment lookup, not its value", true
	}
	compact := strings.NewReplacer("-", "", "_", "", " ", "", ".", "").Replace(lower)
	if strings.Contains(compact, "your") && (strings.Contains(compact, "key") || strings.Contains(compact, "token")) ||
		compact == "apikey" || compact == "openaiapikey" || compact == "changeme" || compact == "replaceme" || compact == "secret" {
		return "a placeholder (your-api-key style)", true
	}
	// kg_live_xxxx, sk-xxxxxxxx, ********: a redacted or example key.
	body := s
	if p := prefix0(s); p != "" {
		body = s[len(p):]
	} else if _, p := keys.OtherProvider(s); p != "" {
		body = s[len(p):]
	}
	if len(body) >= 3 && strings.Trim(body, "xX*.•") == "" {
		return "a redacted or example key (x's or asterisks)", true
	}
	return "", false
}

func lowerLiteral(s string) string {
	switch s {
	case "none":
		return "None"
	case "[object object]":
		return "[object Object]"
	case "nan":
		return "NaN"
	}
	return s
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
