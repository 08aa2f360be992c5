package i18n

import (
	"fmt"
	"sort"
)

// Text is one entry of the catalogue in every language.
type Text struct {
	EN string
	ZH string
}

// In returns the text in l ("" when it lacks that language).
func (t Text) In(l Lang) string {
	if l == ZH {
		return t.ZH
	}
	return t.EN
}

// catalogue is built once from the per-area tables (one file each: codes,
// credential, auth, …); a key defined twice is a programming error.
var catalogue = func() map[Key]Text {
	m := map[Key]Text{}
	// One table per line, so that areas adding their table do not collide.
	for _, table := range []map[Key]Text{
		codeTexts, credentialTexts, runeTexts, authTexts, limitTexts, requestTexts, relayTexts, mediaTexts,
		adminTexts,
		serviceTexts,
		docsTexts,
		doctorTexts,
		uiTexts,
		cliTexts,
	} {
		for k, t := range table {
			if _, dup := m[k]; dup {
				panic(fmt.Sprintf("i18n: key %q defined twice", k))
			}
			m[k] = t
		}
	}
	return m
}()

// Lookup returns the text of k in l, falling back to English.
func Lookup(k Key, l Lang) (string, bool) {
	t, ok := catalogue[k]
	if !ok {
		return "", false
	}
	if s := t.In(l); s != "" {
		return s, true
	}
	return t.EN, t.EN != ""
}

// Entry returns the catalogue entry of k.
func Entry(k Key) (Text, bool) {
	t, ok := catalogue[k]
	return t, ok
}

// Keys returns every key of the catalogue, sorted.
func Keys() []Key {
	out := make([]Key, 0, len(catalogue))
	for k := range catalogue {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Title is the key of the one-line title of an error code.
func Title(code string) Key { return Key("code." + code) }
