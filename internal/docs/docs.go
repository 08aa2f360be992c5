// Package docs serves keygate's error documentation: one Markdown page per
// code of the apierr catalogue, embedded in the binary and answered as HTML
// for people, as Markdown for tools and agents, and indexed in /llms.txt.
//
// The pages live in errors/*.md next to this file (go:embed cannot reach the
// repository's top-level docs/ directory). Every error body the gateway sends
// has a "docs" field pointing at /docs/errors/<code>, so these pages are the
// first thing a caller with a failing request reads; they must say what to
// check, in which order, and what evidence to send without ever asking for a
// full key.
package docs

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed errors/*.md
var pages embed.FS

// Page returns the Markdown source of the page of code, and whether there is one.
func Page(code string) (markdown []byte, ok bool) {
	if !validCode(code) {
		return nil, false
	}
	b, err := fs.ReadFile(pages, "errors/"+code+".md")
	if err != nil {
		return nil, false
	}
	return b, true
}

// Codes returns the codes that have a page, sorted.
func Codes() []string {
	entries, err := fs.ReadDir(pages, "errors")
	if err != nil {
		return nil
	}
	var codes []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".md" {
			continue
		}
		if code := strings.TrimSuffix(name, ".md"); validCode(code) {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	return codes
}

// validCode reports whether s can be a code: lower-case ASCII letters, digits
// and underscores. It keeps request paths away from anything file-like.
func validCode(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
