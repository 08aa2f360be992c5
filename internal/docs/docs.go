// Package docs serves keygate's documentation: one Markdown page per code of
// the apierr catalogue and the guides users are told to keep (a key leaked,
// a rotation, a 401 in order…), each in English and Simplified Chinese,
// embedded in the binary and answered as HTML for people, as Markdown for
// tools and agents, and indexed in /llms.txt.
//
// The pages live next to this file (go:embed cannot reach the repository's
// top-level docs/ directory): errors/<code>.md and guides/<slug>.md in
// English, errors/zh-CN/<code>.md and guides/zh-CN/<slug>.md in Chinese.
// Every error body the gateway sends has a "docs" field pointing at
// /docs/errors/<code> (with ?lang=zh-CN for a Chinese reader), so these
// pages are the first thing a caller with a failing request reads; they
// must say what to check, in which order, and what evidence to send without
// ever asking for a full key.
package docs

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/keygate/keygate/internal/i18n"
)

//go:embed errors guides
var pages embed.FS

// Guide is one of the guides, and the error codes whose pages link it.
type Guide struct {
	Slug  string
	Codes []string
}

// guides lists the guides in reading order. A test checks that every page
// of Codes links the guide, in both languages.
var guides = []Guide{
	{"key-leaked", []string{"key_disabled", "invalid_api_key_format"}},
	{"rotation", []string{"key_rotated", "key_disabled"}},
	{"401", []string{"missing_authorization", "malformed_authorization", "invalid_api_key_format", "invalid_api_key",
		"key_disabled", "key_expired", "key_rotated", "unknown_endpoint"}},
	{"model-not-found", []string{"model_not_found", "model_not_allowed", "unknown_endpoint"}},
	{"support", []string{"missing_authorization", "malformed_authorization", "invalid_api_key_format", "invalid_api_key",
		"key_disabled", "key_expired", "key_rotated", "ip_not_allowed", "model_not_allowed", "model_not_found",
		"unknown_endpoint", "method_not_allowed", "insufficient_quota", "rate_limit_exceeded", "upstream_unavailable",
		"upstream_auth_failed", "upstream_timeout", "upstream_error", "invalid_request", "request_too_large",
		"permission_denied", "not_found", "conflict", "service_unavailable", "internal_error"}},
	{"team-cost-control", []string{"insufficient_quota", "rate_limit_exceeded", "model_not_allowed"}},
	{"handoff", []string{"upstream_unavailable", "upstream_auth_failed", "service_unavailable", "internal_error"}},
}

// Guides returns the guides in reading order.
func Guides() []Guide { return append([]Guide(nil), guides...) }

// dir is the directory of kind ("errors", "guides") in lang.
func dir(kind string, lang i18n.Lang) string {
	if lang == i18n.EN {
		return kind
	}
	return kind + "/" + string(lang)
}

// Page returns the English Markdown source of the page of code, and whether
// there is one.
func Page(code string) (markdown []byte, ok bool) { return PageIn(i18n.EN, code) }

// PageIn returns the Markdown source of the page of code in lang.
func PageIn(lang i18n.Lang, code string) ([]byte, bool) {
	if !validName(code, '_') {
		return nil, false
	}
	return read(dir("errors", lang) + "/" + code + ".md")
}

// GuideIn returns the Markdown source of the guide slug in lang.
func GuideIn(lang i18n.Lang, slug string) ([]byte, bool) {
	if !validName(slug, '-') {
		return nil, false
	}
	return read(dir("guides", lang) + "/" + slug + ".md")
}

func read(name string) ([]byte, bool) {
	b, err := fs.ReadFile(pages, name)
	if err != nil {
		return nil, false
	}
	return b, true
}

// Codes returns the codes that have an English page, sorted.
func Codes() []string { return CodesIn(i18n.EN) }

// CodesIn returns the codes that have a page in lang, sorted.
func CodesIn(lang i18n.Lang) []string { return names(dir("errors", lang), '_') }

// GuideSlugs returns the slugs of the guides written in lang, sorted.
func GuideSlugs(lang i18n.Lang) []string { return names(dir("guides", lang), '-') }

func names(d string, sep byte) []string {
	entries, err := fs.ReadDir(pages, d)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".md" {
			continue
		}
		if n := strings.TrimSuffix(name, ".md"); validName(n, sep) {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// validName reports whether s can be a page name: lower-case ASCII letters,
// digits and sep ('_' for codes, '-' for guides). It keeps request paths
// away from anything file-like.
func validName(s string, sep byte) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == sep) {
			return false
		}
	}
	return true
}

// title is the text of the first "# " heading of md.
func title(md []byte) string {
	line, _, _ := strings.Cut(string(md), "\n")
	return strings.TrimSpace(strings.TrimPrefix(line, "# "))
}
