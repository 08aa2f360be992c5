// Package i18n is keygate's one message catalogue: every text a person reads
// in an error body (message and hint), in `keygate doctor` and in the titles
// of the error reference, in English and Simplified Chinese, with named
// placeholders.
//
// A call site never formats a sentence itself: it names a message by its key
// and passes the values of its placeholders (M("auth.key_disabled",
// S("key", display), S("at", when))). The sentence is rendered only when it
// is shown, in the language of the reader: apierr renders an error body in
// the language chosen from the request's Accept-Language, doctor in the one
// of KEYGATE_LANG or the locale. English is the fallback for a key missing
// from the catalogue, and a test keeps the catalogue complete in both
// languages with the same placeholders, and every key used in the code
// present in it with the arguments its text expects.
package i18n

import (
	"strconv"
	"strings"
)

// Lang is a language the catalogue is written in.
type Lang string

const (
	EN Lang = "en"
	ZH Lang = "zh-CN"
)

// Langs lists the catalogue's languages, English (the fallback) first.
var Langs = []Lang{EN, ZH}

// Parse reads a language tag or a POSIX locale (zh, zh-CN, zh_CN.UTF-8,
// zh-Hans, zh-Hans-CN, en_US, C…). It reports false for a language the
// catalogue does not have; such a reader gets English.
func Parse(s string) (Lang, bool) {
	if i := strings.IndexAny(s, ".@"); i >= 0 { // zh_CN.UTF-8, de_DE@euro
		s = s[:i]
	}
	s = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"))
	switch s {
	case "zh", "zh-cn", "zh-hans", "zh-hans-cn":
		return ZH, true
	case "en", "c", "posix":
		return EN, true
	}
	if strings.HasPrefix(s, "en-") {
		return EN, true
	}
	return EN, false
}

// FromAcceptLanguage chooses the language for a reader from the values of
// the Accept-Language header (RFC 9110 §12.5.4): the supported language of
// the highest quality, the earlier one on a tie; q=0 excludes a language;
// "*" and anything the catalogue lacks count as English. It runs only when
// something is about to be shown, never on a successful call.
func FromAcceptLanguage(values []string) Lang {
	best, bestQ := EN, -1.0
	for _, v := range values {
		for len(v) > 0 {
			var part string
			part, v, _ = strings.Cut(v, ",")
			tag, params, _ := strings.Cut(part, ";")
			tag = strings.TrimSpace(tag)
			if tag == "" {
				continue
			}
			q := 1.0
			for params != "" {
				var p string
				p, params, _ = strings.Cut(params, ";")
				p = strings.TrimSpace(p)
				if len(p) > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=' {
					if f, err := strconv.ParseFloat(p[2:], 64); err == nil && f >= 0 && f <= 1 {
						q = f
					}
				}
			}
			if q <= 0 {
				continue
			}
			l, ok := Parse(tag)
			if !ok && tag != "*" {
				continue
			}
			if q > bestQ {
				best, bestQ = l, q
			}
		}
	}
	return best
}

// Key names a text of the catalogue.
type Key string

// Message is a text of the catalogue with the values of its placeholders,
// not yet rendered. The zero Message renders as "".
type Message struct {
	Key  Key
	Args []Arg
}

// Arg is the value of one named placeholder: a literal (a key's display
// form, a time, a model name — shown as it is in every language) or a
// nested Message rendered in the reader's language.
type Arg struct {
	Name  string
	Value string
	Sub   *Message
	Items []Arg // a list, joined by the text of Join ("list.or": " or ", " 或 ")
	Join  Key
}

// M names a message of the catalogue and the values of its placeholders.
func M(key Key, args ...Arg) Message { return Message{Key: key, Args: args} }

// S is a literal placeholder value.
func S(name, value string) Arg { return Arg{Name: name, Value: value} }

// Q is a literal placeholder value shown in double quotes, as %q would.
func Q(name, value string) Arg { return Arg{Name: name, Value: strconv.Quote(value)} }

// N is a number placeholder value.
func N(name string, n int) Arg { return Arg{Name: name, Value: strconv.Itoa(n)} }

// Sub is a placeholder whose value is another message (a clause), rendered
// in the same language; the zero Message renders as "".
func Sub(name string, m Message) Arg { return Arg{Name: name, Sub: &m} }

// Or is a placeholder whose value is a list of items joined by "or" in the
// reader's language.
func Or(name string, items ...Arg) Arg { return List(name, "list.or", items...) }

// List is a placeholder whose value is a list of items joined by the text
// sep (a key of the catalogue, such as a comma: ", " or "、").
func List(name string, sep Key, items ...Arg) Arg { return Arg{Name: name, Items: items, Join: sep} }

// IsZero reports whether m names no text.
func (m Message) IsZero() bool { return m.Key == "" }

// String renders m in English (for logs and tests).
func (m Message) String() string { return m.Render(EN) }

// Render renders m in l; a key the catalogue lacks in l is rendered in
// English, and one it lacks entirely as the key itself.
func (m Message) Render(l Lang) string {
	if m.Key == "" {
		return ""
	}
	var b strings.Builder
	m.render(&b, l, 0)
	return b.String()
}

func (m Message) render(b *strings.Builder, l Lang, depth int) {
	t, ok := Lookup(m.Key, l)
	if !ok {
		b.WriteString(string(m.Key))
		return
	}
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			break
		}
		n := placeholderLen(t[i:])
		if n == 0 {
			b.WriteString(t[:i+1])
			t = t[i+1:]
			continue
		}
		b.WriteString(t[:i])
		name := t[i+1 : i+n-1]
		t = t[i+n:]
		for _, a := range m.Args {
			if a.Name != name {
				continue
			}
			a.render(b, l, depth)
			break
		}
	}
	b.WriteString(t)
}

func (a Arg) render(b *strings.Builder, l Lang, depth int) {
	switch {
	case a.Sub != nil:
		if depth < 8 && !a.Sub.IsZero() {
			a.Sub.render(b, l, depth+1)
		}
	case a.Items != nil:
		sep, _ := Lookup(a.Join, l)
		for i, it := range a.Items {
			if i > 0 {
				b.WriteString(sep)
			}
			it.render(b, l, depth)
		}
	default:
		b.WriteString(a.Value)
	}
}

// placeholderLen returns the length of the placeholder "{name}" at the start
// of s (name: a lower-case letter, then letters, digits and underscores), or
// 0 when s does not start with one — so JSON such as {"model": …} in a text
// stays as it is.
func placeholderLen(s string) int {
	if len(s) < 3 || s[0] != '{' || !(s[1] >= 'a' && s[1] <= 'z') {
		return 0
	}
	for i := 2; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '}':
			return i + 1
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		default:
			return 0
		}
	}
	return 0
}

// Placeholders returns the names of the placeholders of text, in order of
// first appearance.
func Placeholders(text string) []string {
	var out []string
	for {
		i := strings.IndexByte(text, '{')
		if i < 0 {
			return out
		}
		n := placeholderLen(text[i:])
		if n == 0 {
			text = text[i+1:]
			continue
		}
		name := text[i+1 : i+n-1]
		seen := false
		for _, o := range out {
			seen = seen || o == name
		}
		if !seen {
			out = append(out, name)
		}
		text = text[i+n:]
	}
}
