// Package incident holds the pure parts of incident handoff records: the
// record as the admin API and the CLI exchange it, its Markdown summary
// for a ticket or a post-incident review, and the detection of secrets in
// free text, so that nothing written into an incident can carry a key or
// an upstream credential.
package incident

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/keygate/keygate/internal/keys"
)

// Finding is a secret found in free text. Display is a safe form of it
// (prefix and the first and last four characters at most); the secret
// itself is deliberately not kept.
type Finding struct {
	Start, End int
	What       string // "a keygate key", "an OpenAI API key", "a private key"…
	Display    string
}

// shapes are credentials recognised by shape. Keygate keys with a valid
// checksum and other AI providers' keys are found by internal/keys; these
// catch the rest that ends up in incident notes: damaged or truncated
// keygate keys, code host and cloud tokens, bearer headers, private keys,
// JWTs and "api_key = …" assignments.
var shapes = []struct {
	what string
	re   *regexp.Regexp
}{
	// A keygate key with a typo or cut short is still most of a secret.
	{"a keygate key (or most of one)", regexp.MustCompile(`kg_(?:live|test|pat)_[0-9A-Za-z]{16,}`)},
	{"a GitHub token", regexp.MustCompile(`\b(?:gh[pousr]_[0-9A-Za-z]{30,}|github_pat_[0-9A-Za-z_]{40,})`)},
	{"an AWS access key id", regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`)},
	{"a Slack token", regexp.MustCompile(`\bxox[abposr]-[0-9A-Za-z-]{10,}`)},
	{"a private key", regexp.MustCompile(`-----BEGIN[A-Z ]*PRIVATE KEY-----`)},
	{"a JSON Web Token", regexp.MustCompile(`\beyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}`)},
	{"a bearer credential", regexp.MustCompile(`(?i)\bbearer\s+[0-9A-Za-z._~+/=-]{20,}`)},
	{"a credential assignment", regexp.MustCompile(`(?i)\b(?:api[_-]?key|secret(?:[_-]?key)?|access[_-]?token|auth[_-]?token|password|passwd)["']?\s*[:=]\s*["']?[0-9A-Za-z._~+/=-]{12,}`)},
}

// FindSecrets returns the secrets in text, in order of position.
// Overlapping findings (a bearer header holding a keygate key) are
// reported once, by the most specific detector.
func FindSecrets(text string) []Finding {
	var out []Finding
	for _, m := range keys.Find(text) {
		out = append(out, Finding{Start: m.Start, End: m.End, What: "a keygate key", Display: keys.Display(m.Key)})
	}
	for _, m := range keys.FindOtherProviders(text) {
		out = append(out, Finding{Start: m.Start, End: m.End, What: providerKey(m.Provider), Display: m.Display})
	}
	for _, sh := range shapes {
		for _, loc := range sh.re.FindAllStringIndex(text, -1) {
			out = append(out, Finding{Start: loc[0], End: loc[1], What: sh.what, Display: keys.DisplayPresented(text[loc[0]:loc[1]])})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	kept := out[:0]
	end := -1
	for _, f := range out {
		if f.Start < end {
			continue // inside one already reported
		}
		kept = append(kept, f)
		end = f.End
	}
	return kept
}

// providerKey names another provider's key with the right article.
func providerKey(provider string) string {
	switch provider[0] {
	case 'A', 'E', 'I', 'O', 'U':
		return "an " + provider + " API key"
	}
	return "a " + provider + " API key"
}

// Describe says what was found where, in one sentence without the secret.
func (f Finding) Describe(field string) string {
	what := f.What
	shown := ""
	if f.Display != "" {
		shown = " (" + f.Display + ")"
	}
	return fmt.Sprintf("%s contains what looks like %s%s at character %d", field, what, shown, f.Start+1)
}

// CheckText returns an error naming the first secret in text, or nil.
// field names the input for the message ("symptom", "note").
func CheckText(field, text string) error {
	fs := FindSecrets(text)
	if len(fs) == 0 {
		return nil
	}
	msg := fs[0].Describe(field)
	if len(fs) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(fs)-1)
	}
	return &SecretError{Field: field, Findings: fs, msg: msg}
}

// SecretError is the refusal of free text that holds a secret.
type SecretError struct {
	Field    string
	Findings []Finding
	msg      string
}

func (e *SecretError) Error() string { return e.msg }
