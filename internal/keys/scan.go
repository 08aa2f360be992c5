package keys

import "strings"

// Match is a keygate key found in text; Start and End are byte offsets
// (text[Start:End] == Key).
type Match struct {
	Start, End int
	Key        string
}

// Find returns every well-formed keygate key in text, in order. Only
// strings whose checksum is valid count, which is what makes scanning for
// leaked keys nearly free of false positives: a look-alike with a bad
// checksum is not reported.
func Find(text string) []Match {
	var out []Match
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], "kg_")
		if j < 0 {
			break
		}
		start := i + j
		prefix := keyPrefix(text[start:])
		if prefix == "" {
			i = start + 3
			continue
		}
		end := start + len(prefix) + BodyLen
		// The key may be glued to following text (a doubled paste, a URL);
		// the checksum, not a word boundary, decides whether it is a key.
		if end <= len(text) {
			if _, err := Parse(text[start:end]); err == nil {
				out = append(out, Match{Start: start, End: end, Key: text[start:end]})
				i = end
				continue
			}
		}
		i = start + len(prefix)
	}
	return out
}

// OtherMatch is another provider's key found in text. Display is its
// DisplayPresented form; the key itself is deliberately not returned.
type OtherMatch struct {
	Start, End int
	Provider   string
	Display    string
}

// Minimum lengths after the prefix. Real keys are longer (OpenAI legacy 48,
// project keys ~156, Anthropic ~95, Google exactly 35); the minimums keep
// words like "task-list" or "sk-learn" from matching.
const (
	minOpenAIBody    = 32
	minAnthropicBody = 32
	googleBody       = 35
)

// FindOtherProviders returns keys of other providers found in text: OpenAI
// (sk-…, sk-proj-…), Anthropic (sk-ant-…) and Google (AIza + 35 characters).
// These have no checksum, so the match is by shape: a word boundary before,
// the provider's character set, and a minimum length.
func FindOtherProviders(text string) []OtherMatch {
	var out []OtherMatch
	for i := 0; i < len(text); {
		sk := strings.Index(text[i:], "sk-")
		ai := strings.Index(text[i:], "AIza")
		var at int
		switch {
		case sk < 0 && ai < 0:
			return out
		case ai < 0 || (sk >= 0 && sk < ai):
			at = i + sk
		default:
			at = i + ai
		}
		if at > 0 && isTokenChar(text[at-1]) {
			i = at + 1
			continue
		}
		provider, prefix := OtherProvider(text[at:])
		end := at + len(prefix)
		for end < len(text) && isTokenChar(text[end]) {
			end++
		}
		n := end - at - len(prefix)
		ok := false
		switch prefix {
		case "AIza":
			ok = n == googleBody
		case "sk-ant-":
			ok = n >= minAnthropicBody
		default:
			ok = n >= minOpenAIBody && hasDigit(text[at+len(prefix):end])
		}
		if !ok {
			i = at + 1
			continue
		}
		out = append(out, OtherMatch{Start: at, End: end, Provider: provider, Display: DisplayPresented(text[at:end])})
		i = end
	}
	return out
}

// isTokenChar is the character set of provider keys (base64url).
func isTokenChar(c byte) bool {
	return isBase62(c) || c == '-' || c == '_'
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}
