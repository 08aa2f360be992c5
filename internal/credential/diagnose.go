package credential

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/keys"
)

// Everything in this file runs only when a credential is unusable, so it
// favours precise messages over speed.

// hints for the common next steps, per kind of route.
func sendHint(kind Kind) i18n.Message {
	switch kind {
	case Anthropic:
		return i18n.M("cred.send.anthropic")
	case Gemini:
		return i18n.M("cred.send.gemini")
	case Admin:
		return i18n.M("cred.send.admin")
	}
	return i18n.M("cred.send.openai")
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
	var where i18n.Message
	switch kind {
	case Anthropic:
		where = i18n.M("cred.where.anthropic")
	case Gemini:
		where = i18n.M("cred.where.gemini")
	default:
		where = i18n.M("cred.where.default")
	}
	code, hint := CodeMissingAuthorization, sendHint(kind)

	// Headers this route does not read but clients send keys in.
	elsewhere := []struct {
		header string
		why    i18n.Message
	}{
		{"Api-Key", i18n.M("cred.elsewhere.api_key")},
		{hXAPIKey, i18n.M("cred.elsewhere.x_api_key")},
		{hXGoogAPIKey, i18n.M("cred.elsewhere.x_goog_api_key")},
		{"Authentication", i18n.M("cred.elsewhere.authentication")},
		{"Proxy-Authorization", i18n.M("cred.elsewhere.proxy_authorization")},
		{"X-Auth-Token", i18n.M("cred.elsewhere.x_auth_token")},
	}
	for _, e := range elsewhere {
		if kind == Anthropic && e.header == hXAPIKey || kind == Gemini && e.header == hXGoogAPIKey {
			continue
		}
		if v, ok := h[e.header]; ok && len(v) > 0 && v[0] != "" {
			return problem(code, i18n.M("cred.missing.elsewhere", i18n.Sub("where", where), i18n.Sub("why", e.why)), hint,
				keys.DisplayPresented(cleanForDisplay(stripBearer(v[0]))))
		}
	}
	for _, name := range []string{"key", "api_key", "api-key", "apikey", "access_token", "token"} {
		if v, ok := query[name]; ok && len(v) > 0 && v[0] != "" {
			hint := i18n.M("cred.missing.url.hint", i18n.Sub("send", sendHint(kind)))
			if kind == Gemini {
				hint = i18n.M("cred.missing.url.gemini_hint")
			}
			return problem(code, i18n.M("cred.missing.url", i18n.Sub("where", where), i18n.S("param", name)), hint,
				keys.DisplayPresented(cleanForDisplay(v[0])))
		}
	}
	if v, ok := h[hAuthorization]; ok && len(v) > 0 {
		return problem(code, i18n.M("cred.missing.empty"),
			i18n.M("cred.missing.empty.hint", i18n.S("env", envVar(kind)), i18n.Sub("send", sendHint(kind))), "")
	}
	return problem(code, i18n.M("cred.missing", i18n.Sub("where", where)), hint, "")
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
	malformed := func(msg, hint i18n.Message, presented string) (string, *Problem) {
		return "", problem(CodeMalformedAuthorization, msg, hint, keys.DisplayPresented(cleanForDisplay(presented)))
	}
	expect := i18n.M("cred.expect")
	if r, _ := utf8.DecodeRuneInString(v); isInvisible(r) {
		return malformed(i18n.M("cred.auth.invisible_start", i18n.Sub("char", describeRune(r))),
			i18n.M("cred.remove_it", i18n.Sub("expect", expect)), "")
	}
	if _, _, ok := quoteName(firstRune(v)); ok {
		return malformed(i18n.M("cred.auth.quoted"), i18n.M("cred.remove_quotes", i18n.Sub("expect", expect)), "")
	}
	if len(v) >= 14 && strings.EqualFold(v[:14], "authorization:") {
		return malformed(i18n.M("cred.auth.repeats_name"), i18n.M("cred.auth.repeats_name.hint"), "")
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
			return malformed(i18n.M("cred.auth.bearer_empty"), i18n.M("cred.auth.bearer_empty.hint", i18n.S("env", envVar(kind))), "")
		case rest[0] == ':':
			return malformed(i18n.M("cred.auth.colon"), i18n.M("cred.auth.colon.hint"), "")
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
		msg := func(extra i18n.Message) i18n.Message {
			return i18n.M("cred.auth.scheme", i18n.S("scheme", name), i18n.Sub("extra", extra))
		}
		if name == "Basic" {
			if k := keyInBasic(strings.TrimLeftFunc(rest, isInvisible)); k != "" {
				return malformed(msg(i18n.M("cred.auth.basic_key")), i18n.M("cred.auth.basic_key.hint"), k)
			}
			return malformed(msg(i18n.Message{}), i18n.M("cred.auth.basic.hint"), "")
		}
		return malformed(msg(i18n.Message{}), i18n.M("cred.auth.scheme.hint", i18n.S("scheme", name), i18n.Sub("expect", expect)),
			strings.TrimLeftFunc(rest, isInvisible))
	}
	if rest == "" {
		// A single word: most often the key without its scheme.
		if parts := keyParts(first); parts > 1 {
			return malformed(i18n.M("cred.auth.keys_no_scheme", i18n.N("n", parts)),
				i18n.M("cred.send_one", i18n.Sub("expect", expect)), firstPart(first))
		}
		if looksLikeKey(first) {
			return malformed(i18n.M("cred.auth.no_scheme"), i18n.M("cred.auth.no_scheme.hint", i18n.Sub("expect", expect)), first)
		}
		return malformed(i18n.M("cred.auth.not_bearer"), expect, first)
	}
	if looksLikeKey(first) {
		if parts := keyParts(v); parts > 1 {
			return malformed(i18n.M("cred.auth.keys", i18n.N("n", parts)), i18n.M("cred.send_one", i18n.Sub("expect", expect)), first)
		}
		return malformed(i18n.M("cred.auth.no_scheme_more"), i18n.M("cred.send_exactly"), first)
	}
	return malformed(i18n.M("cred.auth.unknown_scheme"), expect, "")
}

// badSeparator explains whitespace other than one space between Bearer and
// the key (two spaces, a tab, a no-break space…).
func badSeparator(sep, tok string) *Problem {
	var what i18n.Message
	n := utf8.RuneCountInString(sep)
	switch {
	case strings.Trim(sep, " ") == "":
		what = i18n.M("cred.sep.spaces", i18n.N("n", n))
	case n == 1:
		what = describeRune(firstRune(sep))
	default:
		var names []i18n.Arg
		var last rune = -1
		for _, r := range sep {
			if len(names) < 3 && (last < 0 || keys.DescribeRune(last) != keys.DescribeRune(r)) {
				names = append(names, i18n.Sub("", describeRune(r)))
				last = r
			}
		}
		what = i18n.M("cred.list", i18n.List("items", "cred.list.sep", names...))
	}
	msg := i18n.M("cred.sep.one", i18n.Sub("what", what))
	if n > 1 {
		msg = i18n.M("cred.sep.many", i18n.Sub("what", what))
	}
	return problem(CodeInvalidAPIKeyFormat, msg, i18n.M("cred.sep.hint"), keys.DisplayPresented(cleanForDisplay(tok)))
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
	return problem(CodeMalformedAuthorization, i18n.M("cred.bearer_twice"), i18n.M("cred.bearer_twice.hint"),
		keys.DisplayPresented(cleanForDisplay(strings.TrimLeftFunc(rest, isInvisible))))
}

// diagnoseToken explains why tok, sent where src says, is not a usable key.
// Causes are checked from the outside in, so the first reported is the one
// to fix first.
func diagnoseToken(tok string, kind Kind, src source) *Problem {
	invalid := func(msg, hint i18n.Message, presented string) *Problem {
		return problem(CodeInvalidAPIKeyFormat, msg, hint, keys.DisplayPresented(presented))
	}
	label := i18n.Sub("label", src.label)
	if p := bearerBearer(tok); p != nil {
		if !src.bearer {
			p = problem(p.Code, i18n.M("cred.label_bearer", label), i18n.M("cred.label_bearer.hint", label), p.Presented)
		}
		return p
	}
	clean := cleanForDisplay(tok)
	envHint := i18n.M("cred.env.hint", i18n.S("env", envVar(kind)))

	if clean == "" {
		if tok != "" {
			return invalid(i18n.M("cred.only_invisible", label), envHint, "")
		}
		return invalid(i18n.M("cred.empty", label), envHint, "")
	}
	if what, ok := placeholder(clean); ok {
		return invalid(i18n.M("cred.placeholder", label, i18n.Sub("what", what)), envHint, "")
	}
	if strings.Contains(clean, "…") || strings.Contains(clean, "...") {
		return invalid(i18n.M("cred.display_form", label), i18n.M("cred.display_form.hint"), clean)
	}
	if n := keyParts(trimOuter(tok)); n > 1 {
		return problem(CodeMalformedAuthorization, i18n.M("cred.many_keys", label, i18n.N("n", n)), i18n.M("cred.many_keys.hint"),
			keys.DisplayPresented(firstPart(trimOuter(tok))))
	}
	wsHint := i18n.M("cred.ws.hint")
	if src.bearer && isInvisible(firstRune(tok)) {
		rest := strings.TrimLeftFunc(tok, isInvisible)
		if rest != "" {
			return badSeparator(" "+tok[:len(tok)-len(rest)], rest)
		}
	}
	if r, _ := utf8.DecodeRuneInString(tok); isInvisible(r) {
		return invalid(i18n.M("cred.ws.start", label, i18n.Sub("char", describeRune(r)), i18n.Sub("others", others(tok, 1))), wsHint, clean)
	}
	if r, _ := utf8.DecodeLastRuneInString(tok); isInvisible(r) {
		return invalid(i18n.M("cred.ws.end", label, i18n.Sub("char", describeRune(r)), i18n.Sub("others", others(tok, 1))), wsHint, clean)
	}
	if p := quoted(tok, src, clean); p != nil {
		return p
	}
	pos := 0
	for _, r := range tok {
		pos++
		if isInvisible(r) {
			return invalid(i18n.M("cred.ws.inside", label, i18n.Sub("char", describeRune(r)), i18n.N("pos", pos), i18n.Sub("others", others(tok, 1))), wsHint, clean)
		}
	}

	if provider, prefix := otherProvider(clean); !provider.IsZero() {
		return invalid(i18n.M("cred.other_provider", i18n.Sub("provider", provider), i18n.S("prefix", prefix)),
			i18n.M("cred.other_provider.hint"), clean)
	}
	copyAgain := i18n.M("cred.copy_again")
	for _, p := range []string{keys.PrefixLive, keys.PrefixTest, keys.PrefixPAT} {
		if len(clean) >= len(p) && clean[:len(p)] != p && strings.EqualFold(clean[:len(p)], p) {
			return invalid(i18n.M("cred.prefix_case", i18n.S("prefix", p)), i18n.M("cred.prefix_case.hint"), "")
		}
		dashed := strings.ReplaceAll(p, "_", "-")
		if len(clean) >= len(p) && strings.EqualFold(clean[:len(p)], dashed) {
			return invalid(i18n.M("cred.prefix_dashes", i18n.S("prefix", p)), copyAgain, "")
		}
	}

	prefix, err := keys.Parse(clean)
	var fe *keys.FormatError
	if err != nil {
		fe, _ = err.(*keys.FormatError)
	}
	switch {
	case err == nil && prefix == keys.PrefixPAT:
		return invalid(i18n.M("cred.pat_on_v1"), i18n.M("cred.pat_on_v1.hint"), clean)
	case err == nil && kind == Admin:
		return invalid(i18n.M("cred.api_key_on_admin"), i18n.M("cred.api_key_on_admin.hint"), clean)
	case err == nil:
		// Unreachable in practice: a clean valid key means tok had extra
		// characters, which the checks above name.
		return invalid(i18n.M("cred.extra", label), i18n.M("cred.extra.hint"), clean)
	case fe == nil:
		return invalid(i18n.M("cred.not_valid", label), sendHint(kind), clean)
	case fe.Reason == keys.ReasonUnknownPrefix:
		if kind == Admin {
			n := utf8.RuneCountInString(clean)
			return invalid(i18n.M("cred.admin_short", i18n.N("n", n), i18n.N("min", MinAdminTokenLen)), i18n.M("cred.admin_short.hint"), clean)
		}
		if strings.HasPrefix(clean, "kg_") {
			return invalid(i18n.M("cred.unknown_kg_type"), copyAgain, clean)
		}
		return invalid(i18n.M("cred.not_keygate"), i18n.M("cred.not_keygate.hint"), clean)
	case fe.Reason == keys.ReasonWrongLength:
		n, m := utf8.RuneCountInString(clean), len(prefix0(clean))+keys.BodyLen
		switch {
		case n < m:
			return invalid(i18n.M("cred.len.short", i18n.N("n", n), i18n.N("m", m)), i18n.M("cred.len.short.hint"), clean)
		case strings.Count(clean, prefix0(clean)) > 1:
			return invalid(i18n.M("cred.len.twice", i18n.N("n", n), i18n.N("m", m)), i18n.M("cred.len.twice.hint"), clean)
		}
		return invalid(i18n.M("cred.len.long", i18n.N("n", n), i18n.N("m", m)), copyAgain, clean)
	case fe.Reason == keys.ReasonBadCharacter:
		pos, r := badRune(clean)
		return invalid(i18n.M("cred.bad_char", label, i18n.Sub("char", describeRune(r)), i18n.N("pos", pos)), copyAgain, clean)
	}
	return invalid(i18n.M("cred.checksum"), i18n.M("cred.checksum.hint"), clean)
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
func otherProvider(s string) (i18n.Message, string) {
	provider, prefix := keys.OtherProvider(s)
	switch {
	case provider == "":
		return i18n.Message{}, ""
	case strings.HasPrefix(s, "sk-or-"):
		return i18n.M("cred.provider.openrouter"), "sk-or-"
	case provider == "OpenAI" && prefix == "sk-":
		return i18n.M("cred.provider.openai_style"), prefix
	case provider == "OpenAI":
		return i18n.M("cred.provider.openai"), prefix
	case provider == "Anthropic":
		return i18n.M("cred.provider.anthropic"), prefix
	}
	return i18n.M("cred.provider.other", i18n.S("name", provider)), prefix
}

// quoted reports quotes around (or at one end of) the key.
func quoted(tok string, src source, clean string) *Problem {
	first, last := firstRune(tok), lastRune(tok)
	fq, fq1, fok := quoteName(first)
	lq, lq1, lok := quoteName(last)
	label := i18n.Sub("label", src.label)
	var msg i18n.Message
	switch {
	case fok && lok && first == last:
		msg = i18n.M("cred.quoted.both", label, i18n.Sub("quotes", fq))
	case fok && lok:
		msg = i18n.M("cred.quoted.mixed", label, i18n.Sub("first", fq), i18n.Sub("last", lq))
	case fok:
		msg = i18n.M("cred.quoted.start", label, i18n.Sub("quote", fq1))
	case lok:
		msg = i18n.M("cred.quoted.end", label, i18n.Sub("quote", lq1))
	default:
		return nil
	}
	return problem(CodeInvalidAPIKeyFormat, msg, i18n.M("cred.quotes.hint"), keys.DisplayPresented(clean))
}

// quoteName names a quote character, as in "wrapped in double quotes"
// (plural) and "starts with a double quote" (one).
func quoteName(r rune) (plural, one i18n.Message, ok bool) {
	switch r {
	case '"':
		return i18n.M("cred.quote.double"), i18n.M("cred.quote1.double"), true
	case '\'':
		return i18n.M("cred.quote.single"), i18n.M("cred.quote1.single"), true
	case '`':
		return i18n.M("cred.quote.backtick"), i18n.M("cred.quote1.backtick"), true
	case '“', '”', '„':
		return i18n.M("cred.quote.typo_double"), i18n.M("cred.quote1.typo_double"), true
	case '‘', '’', '‚':
		return i18n.M("cred.quote.typo_single"), i18n.M("cred.quote1.typo_single"), true
	case '«', '»':
		return i18n.M("cred.quote.angle"), i18n.M("cred.quote1.angle"), true
	}
	return i18n.Message{}, i18n.Message{}, false
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
func others(tok string, reported int) i18n.Message {
	n := 0
	for _, r := range tok {
		if isInvisible(r) {
			n++
		}
	}
	switch n - reported {
	case 0:
		return i18n.Message{}
	case 1:
		return i18n.M("cred.others.one")
	}
	return i18n.M("cred.others.many", i18n.N("n", n-reported))
}

// DescribeRune is keys.DescribeRune as a catalogue text: a character that
// does not belong in a key, named safely in the reader's language.
func DescribeRune(r rune) i18n.Message { return describeRune(r) }

func describeRune(r rune) i18n.Message {
	switch r {
	case ' ':
		return i18n.M("rune.space")
	case '\t':
		return i18n.M("rune.tab")
	case '\n':
		return i18n.M("rune.newline")
	case '\r':
		return i18n.M("rune.cr")
	case '\u00a0':
		return i18n.M("rune.nbsp")
	case '\u200b':
		return i18n.M("rune.zwsp")
	case '\u200c':
		return i18n.M("rune.zwnj")
	case '\u200d':
		return i18n.M("rune.zwj")
	case '\u2060':
		return i18n.M("rune.word_joiner")
	case '\ufeff':
		return i18n.M("rune.bom")
	case '\u00ad':
		return i18n.M("rune.soft_hyphen")
	case utf8.RuneError:
		return i18n.M("rune.invalid_utf8")
	}
	if r < utf8.RuneSelf && r > ' ' && r < 0x7f {
		return i18n.M("rune.printable", i18n.Q("char", string(r)))
	}
	code := fmt.Sprintf("U+%04X", r)
	switch {
	case unicode.IsSpace(r):
		return i18n.M("rune.whitespace", i18n.S("code", code))
	case unicode.IsControl(r):
		return i18n.M("rune.control", i18n.S("code", code))
	case unicode.Is(unicode.Cf, r):
		return i18n.M("rune.format", i18n.S("code", code))
	}
	return i18n.M("rune.other", i18n.S("code", code))
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
	_, _, ok := quoteName(r)
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
func placeholder(s string) (i18n.Message, bool) {
	lower := strings.ToLower(s)
	switch lower {
	case "undefined", "null", "none", "nil", "<nil>", "nan", "false", "true", "[object object]", "0":
		return i18n.M("cred.ph.literal", i18n.Q("literal", lowerLiteral(lower))), true
	}
	switch {
	case strings.HasPrefix(s, "${") && strings.HasSuffix(s, "}"):
		return i18n.M("cred.ph.var_ref"), true
	case strings.HasPrefix(s, "$(") && strings.HasSuffix(s, ")"):
		return i18n.M("cred.ph.cmd_subst"), true
	case s[0] == '$' && isIdent(s[1:]):
		return i18n.M("cred.ph.shell_var"), true
	case len(s) > 2 && s[0] == '%' && s[len(s)-1] == '%' && isIdent(s[1:len(s)-1]):
		return i18n.M("cred.ph.windows_var"), true
	case strings.HasPrefix(s, "{{") && strings.HasSuffix(s, "}}"):
		return i18n.M("cred.ph.template"), true
	case s[0] == '<' && s[len(s)-1] == '>':
		return i18n.M("cred.ph.angle"), true
	case strings.HasPrefix(s, "process.env.") || strings.HasPrefix(s, "os.environ") || strings.HasPrefix(s, "os.getenv"):
		return i18n.M("cred.ph.env_source"), true
	}
	compact := strings.NewReplacer("-", "", "_", "", " ", "", ".", "").Replace(lower)
	if strings.Contains(compact, "your") && (strings.Contains(compact, "key") || strings.Contains(compact, "token")) ||
		compact == "apikey" || compact == "openaiapikey" || compact == "changeme" || compact == "replaceme" || compact == "secret" {
		return i18n.M("cred.ph.your_key"), true
	}
	// kg_live_xxxx, sk-xxxxxxxx, ********: a redacted or example key.
	body := s
	if p := prefix0(s); p != "" {
		body = s[len(p):]
	} else if _, p := keys.OtherProvider(s); p != "" {
		body = s[len(p):]
	}
	if len(body) >= 3 && strings.Trim(body, "xX*.•") == "" {
		return i18n.M("cred.ph.redacted"), true
	}
	return i18n.Message{}, false
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
