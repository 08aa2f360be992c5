package credential

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/keys"
)

// The random part alternates letters and digits so that any 5 characters
// of it appearing in a message can only be a leak, never an English word.
const random = "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6"

func key(prefix string) string { return prefix + random + keys.Checksum(prefix+random) }

var (
	live = key(keys.PrefixLive)
	test = key(keys.PrefixTest)
	pat  = key(keys.PrefixPAT)
)

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i < len(kv); i += 2 {
		h[http.CanonicalHeaderKey(kv[i])] = append(h[http.CanonicalHeaderKey(kv[i])], kv[i+1])
	}
	return h
}

func typo(k string) string {
	b := []byte(k)
	i := len(keys.PrefixLive) + 5
	if b[i] == 'Z' {
		b[i] = 'Y'
	} else {
		b[i] = 'Z'
	}
	return string(b)
}

func TestExtractAccepts(t *testing.T) {
	admin := "s3cr3t-Bootstrap-Token-0123456789abcdef"
	tests := map[string]struct {
		h    http.Header
		kind Kind
		want string
	}{
		"openai bearer":             {hdr("Authorization", "Bearer "+live), OpenAI, live},
		"openai lowercase bearer":   {hdr("Authorization", "bearer "+test), OpenAI, test},
		"openai uppercase bearer":   {hdr("Authorization", "BEARER "+live), OpenAI, live},
		"openai repeated same":      {hdr("Authorization", "Bearer "+live, "Authorization", "Bearer "+live), OpenAI, live},
		"anthropic x-api-key":       {hdr("x-api-key", live), Anthropic, live},
		"anthropic bearer":          {hdr("Authorization", "Bearer "+live), Anthropic, live},
		"anthropic both same":       {hdr("x-api-key", live, "Authorization", "Bearer "+live), Anthropic, live},
		"anthropic broken header":   {hdr("x-api-key", "", "Authorization", "Bearer "+live), Anthropic, live},
		"anthropic broken bearer":   {hdr("x-api-key", live, "Authorization", "Basic Zm9vOmJhcg=="), Anthropic, live},
		"gemini x-goog-api-key":     {hdr("x-goog-api-key", test), Gemini, test},
		"gemini bearer":             {hdr("Authorization", "Bearer "+test), Gemini, test},
		"admin personal token":      {hdr("Authorization", "Bearer "+pat), Admin, pat},
		"admin bootstrap token":     {hdr("Authorization", "Bearer "+admin), Admin, admin},
		"gemini header beats query": {hdr("x-goog-api-key", test), Gemini, test},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, p := Extract(tc.h, url.Values{"key": {"ignored"}}, tc.kind)
			if p != nil || got != tc.want {
				t.Fatalf("Extract = %q, %v; want the key", got, p)
			}
		})
	}
}

func TestExtractProblems(t *testing.T) {
	const (
		missingAuth = CodeMissingAuthorization
		malformed   = CodeMalformedAuthorization
		format      = CodeInvalidAPIKeyFormat
	)
	openaiKey := "sk-proj-" + random + random
	basicWithKey := base64.StdEncoding.EncodeToString([]byte("user:" + live))
	tests := map[string]struct {
		h         http.Header
		q         url.Values
		kind      Kind
		code      string
		msg, hint string // substrings
		presented string // expected Presented; "" means unchecked (but never a leak), "none" means empty
	}{
		// missing_authorization
		"nothing":              {h: hdr(), code: missingAuth, msg: "no Authorization header", hint: "Bearer"},
		"empty authorization":  {h: hdr("Authorization", ""), code: missingAuth, msg: "present but empty", hint: "OPENAI_API_KEY"},
		"azure api-key":        {h: hdr("api-key", live), code: missingAuth, msg: "api-key header (the Azure", presented: keys.Display(live)},
		"x-api-key on openai":  {h: hdr("x-api-key", live), code: missingAuth, msg: "x-api-key header", presented: keys.Display(live)},
		"x-goog on openai":     {h: hdr("x-goog-api-key", live), code: missingAuth, msg: "x-goog-api-key header", presented: keys.Display(live)},
		"authentication typo":  {h: hdr("Authentication", "Bearer "+live), code: missingAuth, msg: "called Authorization", presented: keys.Display(live)},
		"query key":            {h: hdr(), q: url.Values{"key": {live}}, code: missingAuth, msg: "in the URL (?key=…)", hint: "rotating", presented: keys.Display(live)},
		"query api_key":        {h: hdr(), q: url.Values{"api_key": {live}}, code: missingAuth, msg: "?api_key=", presented: keys.Display(live)},
		"anthropic nothing":    {h: hdr(), kind: Anthropic, code: missingAuth, msg: "no x-api-key header and no Authorization", hint: "x-api-key"},
		"anthropic azure":      {h: hdr("api-key", live), kind: Anthropic, code: missingAuth, msg: "api-key header"},
		"gemini query refused": {h: hdr(), q: url.Values{"key": {live}}, kind: Gemini, code: missingAuth, msg: "never accepts keys from URLs", hint: "x-goog-api-key header instead of ?key=", presented: keys.Display(live)},

		// malformed_authorization
		"basic":               {h: hdr("Authorization", "Basic dXNlcjpwYXNz"), code: malformed, msg: "Basic scheme", hint: "Bearer", presented: "none"},
		"basic holding key":   {h: hdr("Authorization", "Basic "+basicWithKey), code: malformed, msg: "contain a keygate key", hint: "not inside Basic", presented: keys.Display(live)},
		"token scheme":        {h: hdr("Authorization", "Token "+live), code: malformed, msg: "Token scheme", hint: "replace \"Token\" with \"Bearer\"", presented: keys.Display(live)},
		"unknown scheme":      {h: hdr("Authorization", "Custom "+live), code: malformed, msg: "unrecognised scheme", presented: "none"},
		"bare key":            {h: hdr("Authorization", live), code: malformed, msg: "without the Bearer scheme", hint: "\"Bearer \" in front", presented: keys.Display(live)},
		"bare openai key":     {h: hdr("Authorization", openaiKey), code: malformed, msg: "without the Bearer scheme", presented: keys.DisplayPresented(openaiKey)},
		"empty bearer":        {h: hdr("Authorization", "Bearer"), code: malformed, msg: "no key after it", hint: "OPENAI_API_KEY"},
		"bearer space":        {h: hdr("Authorization", "Bearer "), code: malformed, msg: "no key after it"},
		"bearer colon":        {h: hdr("Authorization", "Bearer: "+live), code: malformed, msg: "colon after Bearer"},
		"bearer bearer":       {h: hdr("Authorization", "Bearer Bearer "+live), code: malformed, msg: "Bearer twice", hint: "without \"Bearer\"", presented: keys.Display(live)},
		"keys with comma":     {h: hdr("Authorization", "Bearer "+live+","+test), code: malformed, msg: "2 keys", presented: keys.Display(live)},
		"keys with space":     {h: hdr("Authorization", "Bearer "+live+" "+test), code: malformed, msg: "2 keys", presented: keys.Display(live)},
		"bare keys comma":     {h: hdr("Authorization", live+","+test), code: malformed, msg: "2 keys", presented: keys.Display(live)},
		"header twice":        {h: hdr("Authorization", "Bearer "+live, "Authorization", "Bearer "+test), code: malformed, msg: "sent 2 times"},
		"quoted header":       {h: hdr("Authorization", "\"Bearer "+live+"\""), code: malformed, msg: "wrapped in quotes"},
		"header name in val":  {h: hdr("Authorization", "Authorization: Bearer "+live), code: malformed, msg: "repeats the header name"},
		"anthropic two keys":  {h: hdr("x-api-key", live, "Authorization", "Bearer "+test), kind: Anthropic, code: malformed, msg: "two different keys"},
		"x-api-key bearer":    {h: hdr("x-api-key", "Bearer "+live), kind: Anthropic, code: malformed, msg: "x-api-key holds \"Bearer <key>\"", hint: "drop"},
		"admin token scheme":  {h: hdr("Authorization", "Token "+pat), kind: Admin, code: malformed, msg: "Token scheme"},
		"basic leading nbsp":  {h: hdr("Authorization", "\u00a0Bearer "+live), code: malformed, msg: "no-break space (U+00A0) before the scheme"},
		"unknown single word": {h: hdr("Authorization", "hunter2"), code: malformed, msg: "not of the form Bearer <key>", presented: "none"},

		// invalid_api_key_format: around and inside the key
		"double quotes":      {h: hdr("Authorization", "Bearer \""+live+"\""), code: format, msg: "wrapped in double quotes", hint: "remove the quotes", presented: keys.Display(live)},
		"single quotes":      {h: hdr("Authorization", "Bearer '"+live+"'"), code: format, msg: "wrapped in single quotes", presented: keys.Display(live)},
		"backticks":          {h: hdr("x-api-key", "`"+live+"`"), kind: Anthropic, code: format, msg: "x-api-key is wrapped in backticks", presented: keys.Display(live)},
		"smart quotes":       {h: hdr("Authorization", "Bearer “"+live+"”"), code: format, msg: "typographic double quotes", presented: keys.Display(live)},
		"leading quote only": {h: hdr("Authorization", "Bearer \""+live), code: format, msg: "starts with a double quote", presented: keys.Display(live)},
		"trailing newline":   {h: hdr("Authorization", "Bearer "+live+"\n"), code: format, msg: "ends with a newline after the key", hint: "trim", presented: keys.Display(live)},
		"trailing crlf":      {h: hdr("Authorization", "Bearer "+live+"\r\n"), code: format, msg: "ends with a newline after the key (and 1 more invisible character)", presented: keys.Display(live)},
		"trailing nbsp":      {h: hdr("Authorization", "Bearer "+live+"\u00a0"), code: format, msg: "ends with a no-break space (U+00A0)", presented: keys.Display(live)},
		"trailing space":     {h: hdr("x-api-key", live+" "), kind: Anthropic, code: format, msg: "x-api-key ends with a space", presented: keys.Display(live)},
		"leading zwsp":       {h: hdr("x-api-key", "\u200b"+live), kind: Anthropic, code: format, msg: "starts with a zero-width space (U+200B)", presented: keys.Display(live)},
		"leading bom":        {h: hdr("x-goog-api-key", "\ufeff"+live), kind: Gemini, code: format, msg: "byte-order mark (U+FEFF)", presented: keys.Display(live)},
		"zwsp inside":        {h: hdr("Authorization", "Bearer "+live[:20]+"\u200b"+live[20:]), code: format, msg: "zero-width space (U+200B) inside the key at position 21", presented: keys.Display(live)},
		"zwj inside":         {h: hdr("Authorization", "Bearer "+live[:10]+"\u200d"+live[10:]), code: format, msg: "zero-width joiner (U+200D) inside the key at position 11"},
		"zwnj inside":        {h: hdr("Authorization", "Bearer "+live[:10]+"\u200c"+live[10:]), code: format, msg: "(U+200C) inside the key at position 11"},
		"tab inside":         {h: hdr("Authorization", "Bearer "+live[:30]+"\t"+live[30:]), code: format, msg: "a tab inside the key at position 31"},
		"space inside":       {h: hdr("Authorization", "Bearer "+live[:30]+" "+live[30:]), code: format, msg: "a space inside the key at position 31"},
		"double space":       {h: hdr("Authorization", "Bearer  "+live), code: format, msg: "there are 2 spaces instead of a single space", presented: keys.Display(live)},
		"tab separator":      {h: hdr("Authorization", "Bearer\t"+live), code: format, msg: "there is a tab instead of a single space", presented: keys.Display(live)},
		"nbsp separator":     {h: hdr("Authorization", "Bearer\u00a0"+live), code: format, msg: "no-break space (U+00A0) instead of a single space", presented: keys.Display(live)},

		// invalid_api_key_format: the key itself
		"truncated":      {h: hdr("Authorization", "Bearer "+live[:len(live)-3]), code: format, msg: "43 characters, expected 46", hint: "copy the whole key"},
		"doubled":        {h: hdr("Authorization", "Bearer "+live+live), code: format, msg: "92 characters, expected 46: it looks pasted twice"},
		"extra chars":    {h: hdr("Authorization", "Bearer "+live+"abc"), code: format, msg: "49 characters, expected 46: extra characters"},
		"typo":           {h: hdr("Authorization", "Bearer "+typo(live)), code: format, msg: "one or more characters differ from the key you were given", presented: keys.DisplayPresented(typo(live))},
		"bad character":  {h: hdr("Authorization", "Bearer "+live[:20]+"-"+live[21:]), code: format, msg: "contains \"-\" at position 21"},
		"accent":         {h: hdr("Authorization", "Bearer "+live[:20]+"é"+live[22:]), code: format, msg: "the character U+00E9 at position 21"},
		"uppercase":      {h: hdr("Authorization", "Bearer KG_LIVE_"+live[8:]), code: format, msg: "kg_live_ in lowercase", presented: "none"},
		"dashes":         {h: hdr("Authorization", "Bearer kg-live-"+live[8:]), code: format, msg: "with underscores, not dashes"},
		"unknown kg":     {h: hdr("Authorization", "Bearer kg_prod_"+live[8:]), code: format, msg: "not a known keygate key type"},
		"not a key":      {h: hdr("Authorization", "Bearer "+random+random), code: format, msg: "not a keygate key"},
		"openai project": {h: hdr("Authorization", "Bearer "+openaiKey), code: format, msg: "this is an OpenAI key (sk-proj-…)", hint: "holds the provider credentials", presented: keys.DisplayPresented(openaiKey)},
		"openai legacy":  {h: hdr("Authorization", "Bearer sk-"+random+random), code: format, msg: "OpenAI-style"},
		"openrouter":     {h: hdr("Authorization", "Bearer sk-or-v1-"+random+random), code: format, msg: "OpenRouter key"},
		"anthropic key":  {h: hdr("x-api-key", "sk-ant-api03-"+random+random), kind: Anthropic, code: format, msg: "an Anthropic key (sk-ant-…)"},
		"google key":     {h: hdr("x-goog-api-key", "AIza"+random+"123"), kind: Gemini, code: format, msg: "a Google key (AIza…)"},
		"pat on v1":      {h: hdr("Authorization", "Bearer "+pat), code: format, msg: "personal access tokens authenticate the admin API, not /v1", presented: keys.Display(pat)},
		"display form":   {h: hdr("Authorization", "Bearer "+keys.Display(live)), code: format, msg: "display form", presented: "none"},

		// invalid_api_key_format: placeholders and unset variables
		"undefined":       {h: hdr("Authorization", "Bearer undefined"), code: format, msg: "the literal string \"undefined\"", hint: "OPENAI_API_KEY"},
		"null":            {h: hdr("Authorization", "Bearer null"), code: format, msg: "\"null\""},
		"None":            {h: hdr("Authorization", "Bearer None"), code: format, msg: "\"None\""},
		"nil":             {h: hdr("Authorization", "Bearer <nil>"), code: format, msg: "\"<nil>\""},
		"quoted null":     {h: hdr("Authorization", "Bearer 'null'"), code: format, msg: "\"null\""},
		"shell var":       {h: hdr("Authorization", "Bearer $OPENAI_API_KEY"), code: format, msg: "unexpanded shell variable ($NAME)", hint: "environment"},
		"braced var":      {h: hdr("Authorization", "Bearer ${KEYGATE_KEY}"), code: format, msg: "(${NAME})"},
		"windows var":     {h: hdr("Authorization", "Bearer %OPENAI_API_KEY%"), code: format, msg: "(%NAME%)"},
		"angle":           {h: hdr("Authorization", "Bearer <your-api-key>"), code: format, msg: "placeholder (<…>)"},
		"your-api-key":    {h: hdr("Authorization", "Bearer your-api-key-here"), code: format, msg: "placeholder (your-api-key style)"},
		"YOUR_API_KEY":    {h: hdr("x-api-key", "YOUR_API_KEY"), kind: Anthropic, code: format, msg: "placeholder", hint: "ANTHROPIC_API_KEY"},
		"redacted":        {h: hdr("Authorization", "Bearer kg_live_xxxxxxxxxxxx"), code: format, msg: "redacted or example key"},
		"empty x-api-key": {h: hdr("x-api-key", ""), kind: Anthropic, code: format, msg: "x-api-key is empty", hint: "ANTHROPIC_API_KEY"},
		"only quotes":     {h: hdr("Authorization", "Bearer \"\""), code: format, msg: "only quotes"},
		"process env":     {h: hdr("Authorization", "Bearer process.env.OPENAI_API_KEY"), code: format, msg: "source text of an environment lookup"},

		// admin routes
		"admin short":      {h: hdr("Authorization", "Bearer tooshort"), kind: Admin, code: format, msg: "8 characters; the admin token is at least 32"},
		"admin api key":    {h: hdr("Authorization", "Bearer "+live), kind: Admin, code: format, msg: "API key for model requests", hint: "kg_pat_", presented: keys.Display(live)},
		"admin pat typo":   {h: hdr("Authorization", "Bearer "+typo(pat)), kind: Admin, code: format, msg: "differ from the key you were given"},
		"admin quoted":     {h: hdr("Authorization", "Bearer \"abcdefghijklmnopqrstuvwxyz0123456789\""), kind: Admin, code: format, msg: "wrapped in double quotes"},
		"admin trailing":   {h: hdr("Authorization", "Bearer abcdefghijklmnopqrstuvwxyz0123456789\u00a0"), kind: Admin, code: format, msg: "no-break space"},
		"admin nothing":    {h: hdr(), kind: Admin, code: missingAuth, hint: "kg_pat_"},
		"admin env unset":  {h: hdr("Authorization", "Bearer undefined"), kind: Admin, code: format, hint: "KEYGATE_ADMIN_TOKEN"},
		"admin openai key": {h: hdr("Authorization", "Bearer sk-abc123"), kind: Admin, code: format, msg: "OpenAI-style"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, p := Extract(tc.h, tc.q, tc.kind)
			if p == nil {
				t.Fatalf("Extract accepted %q", got)
			}
			if got != "" {
				t.Errorf("key %q returned with a problem", got)
			}
			if p.Code != tc.code {
				t.Fatalf("code = %s, want %s (%s)", p.Code, tc.code, p.Message)
			}
			if !strings.Contains(p.Message, tc.msg) {
				t.Errorf("message %q does not contain %q", p.Message, tc.msg)
			}
			if !strings.Contains(p.Hint, tc.hint) {
				t.Errorf("hint %q does not contain %q", p.Hint, tc.hint)
			}
			if p.Hint == "" || p.Message == "" {
				t.Errorf("empty message or hint: %+v", p)
			}
			switch tc.presented {
			case "":
			case "none":
				if p.Presented != "" {
					t.Errorf("presented = %q, want none", p.Presented)
				}
			default:
				if p.Presented != tc.presented {
					t.Errorf("presented = %q, want %q", p.Presented, tc.presented)
				}
			}
			assertNoLeak(t, random, p)
			// The same problem in Chinese: every clause translated, no
			// placeholder left unfilled, and no more of the key than in English.
			zm, zh := p.In(i18n.ZH)
			for _, s := range []string{zm, zh} {
				if !hasHan(s) || len(i18n.Placeholders(s)) > 0 {
					t.Errorf("zh-CN text %q is not a complete Chinese sentence", s)
				}
			}
			if em, eh := p.In(i18n.EN); em != p.Message || eh != p.Hint {
				t.Errorf("English rendering %q / %q differs from Message/Hint", em, eh)
			}
			assertNoLeak(t, random, &Problem{Message: zm, Hint: zh, Presented: p.Presented})
		})
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// assertNoLeak fails if any 5 consecutive characters of secret appear in
// the problem's texts. Presented shows at most 4 consecutive characters of
// the body, so it is held to the same rule.
func assertNoLeak(t testing.TB, secret string, p *Problem) {
	t.Helper()
	for _, field := range []struct{ name, s string }{{"message", p.Message}, {"hint", p.Hint}, {"presented", p.Presented}} {
		if !utf8.ValidString(field.s) {
			t.Fatalf("%s is not valid UTF-8: %q", field.name, field.s)
		}
		for i := 0; i+5 <= len(secret); i++ {
			if strings.Contains(field.s, secret[i:i+5]) {
				t.Fatalf("%s %q leaks %q", field.name, field.s, secret[i:i+5])
			}
		}
	}
	if n := utf8.RuneCountInString(p.Presented); n > len("sk-proj-")+9 {
		t.Fatalf("presented %q is %d characters", p.Presented, n)
	}
}

// fuzzAlphabet has no 5-character run in common with the package's fixed
// texts, so finding 5 body characters in the output can only be a leak.
const fuzzAlphabet = "0123456789QVWXYZ"

func FuzzExtract(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint8(0), "Bearer ", "", "abcdefghijklmnopqrstuvwxyz012345", "", true)
	f.Add(uint8(0), uint8(0), uint8(0), "Bearer  ", "\"", "abcdefghijklmnopqrstuvwxyz01234", "\"\n", false)
	f.Add(uint8(1), uint8(1), uint8(1), "", "\u200b", "abcdefghijklmnopqrstuvwxyz012345", "\u00a0", true)
	f.Add(uint8(2), uint8(2), uint8(3), "Basic ", "", "abcdefgh", "", false)
	f.Add(uint8(3), uint8(3), uint8(2), "Bearer Bearer ", "'", "abcdefghijklmnopqrstuvwxyz012345abc", "'", true)
	f.Add(uint8(4), uint8(0), uint8(4), "", "", "abcdefghijklmnopqrstuvwxyz012345", ",kg_live_x", false)
	f.Add(uint8(0), uint8(3), uint8(5), "Token ", "`", "abcdefghijklmnopqrstuvwxyz012345", "`", false)
	f.Add(uint8(5), uint8(2), uint8(6), "bearer ", "${", "abcdefghijklmnop", "}", false)
	f.Fuzz(func(t *testing.T, where, kindN, prefixN uint8, scheme, before, seed, after string, checksum bool) {
		prefixes := []string{keys.PrefixLive, keys.PrefixTest, keys.PrefixPAT, "sk-proj-", "sk-ant-", "sk-", "AIza", ""}
		prefix := prefixes[int(prefixN)%len(prefixes)]
		if len(seed) > 120 {
			seed = seed[:120]
		}
		b := make([]byte, len(seed))
		for i := range b {
			b[i] = fuzzAlphabet[seed[i]%byte(len(fuzzAlphabet))]
		}
		body := string(b)
		k := prefix + body
		if checksum {
			k += keys.Checksum(k)
		}
		value := before + k + after
		kind := Kind(int(kindN) % 4)
		h, q := http.Header{}, url.Values{}
		switch where % 6 {
		case 0:
			h["Authorization"] = []string{scheme + value}
		case 1:
			h["X-Api-Key"] = []string{value}
		case 2:
			h["X-Goog-Api-Key"] = []string{value}
		case 3:
			h["Api-Key"] = []string{value}
		case 4:
			q["key"] = []string{value}
		case 5:
			h["Authorization"] = []string{scheme + value, "Bearer " + value}
		}
		got, p := Extract(h, q, kind)
		if p == nil {
			if got == "" {
				t.Fatal("no key and no problem")
			}
			prefix, err := keys.Parse(got)
			if err != nil && kind != Admin {
				t.Fatalf("accepted malformed key %q for %v", got, kind)
			}
			if err == nil && (prefix == keys.PrefixPAT) != (kind == Admin) {
				t.Fatalf("accepted %q for %v", got, kind)
			}
			return
		}
		switch p.Code {
		case CodeMissingAuthorization, CodeMalformedAuthorization, CodeInvalidAPIKeyFormat:
		default:
			t.Fatalf("unknown code %q", p.Code)
		}
		for i := 0; i+5 <= len(body); i++ {
			w := body[i : i+5]
			if strings.Trim(w, "0123456789") == "" {
				continue // a run of digits may be a count in a message
			}
			for _, s := range []string{p.Message, p.Hint, p.Presented} {
				if strings.Contains(s, w) {
					t.Fatalf("problem %+v leaks %q of the body", p, w)
				}
			}
		}
		for _, s := range []string{p.Message, p.Hint, p.Presented} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %+v", p)
			}
		}
		if n := utf8.RuneCountInString(p.Presented); n > len("sk-proj-")+9 {
			t.Fatalf("presented %q is %d characters", p.Presented, n)
		}
	})
}

var sinkKey string

func BenchmarkExtract(b *testing.B) {
	for _, bc := range []struct {
		name string
		h    http.Header
		kind Kind
	}{
		{"openai", hdr("Authorization", "Bearer "+live), OpenAI},
		{"anthropic", hdr("x-api-key", live), Anthropic},
		{"admin", hdr("Authorization", "Bearer "+pat), Admin},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				k, p := Extract(bc.h, nil, bc.kind)
				if p != nil {
					b.Fatal(p)
				}
				sinkKey = k
			}
		})
	}
}
