package docs_test

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/cli"
	"github.com/keygate/keygate/internal/docs"
	"github.com/keygate/keygate/internal/i18n"
)

// texts returns every page and guide in every language, by name.
func texts() map[string]string {
	out := map[string]string{}
	for _, l := range i18n.Langs {
		for _, c := range docs.CodesIn(l) {
			md, _ := docs.PageIn(l, c)
			out[string(l)+"/errors/"+c] = string(md)
		}
		for _, g := range docs.Guides() {
			if md, ok := docs.GuideIn(l, g.Slug); ok {
				out[string(l)+"/guides/"+g.Slug] = string(md)
			}
		}
	}
	return out
}

var (
	inlineCode = regexp.MustCompile("`([^`\n]+)`")
	command    = regexp.MustCompile(`(?:^|[\s=…])keygate((?: [a-z][a-z-]*)+)((?: [^\s#]+)*)`)
	flag       = regexp.MustCompile(`(?:^|\s)(--[a-z][a-z-]*)`)
)

// snippets returns the code of md: fenced blocks line by line (joining
// backslash continuations) and inline code spans.
func snippets(md string) []string {
	var out []string
	in := false
	var cont string
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			in = !in
			continue
		}
		if in {
			if strings.HasSuffix(line, "\\") {
				cont += strings.TrimSuffix(line, "\\") + " "
				continue
			}
			out = append(out, cont+line)
			cont = ""
			continue
		}
		for _, m := range inlineCode.FindAllStringSubmatch(line, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// Every `keygate …` command a page or guide tells a reader to run exists,
// with every flag it names.
func TestPagesNameRealCommands(t *testing.T) {
	help := map[string]string{}
	usage := func(words []string) string {
		k := strings.Join(words, " ")
		if h, ok := help[k]; ok {
			return h
		}
		var out, errb bytes.Buffer
		cli.Run(context.Background(), append(append([]string{}, words...), "--help"), &out, &errb)
		help[k] = out.String()
		return help[k]
	}
	n := 0
	for name, md := range texts() {
		for _, s := range snippets(md) {
			for _, m := range command.FindAllStringSubmatch(s, -1) {
				words := strings.Fields(m[1])
				// Words after the command path are arguments (keygate scan
				// PATH, keygate incidents note ID "text"): keep the longest
				// prefix that is a command.
				var path []string
				for i := len(words); i > 0; i-- {
					h := usage(words[:i])
					if strings.Contains(h, "Usage:\n  keygate "+strings.Join(words[:i], " ")) {
						path = words[:i]
						break
					}
				}
				if path == nil {
					t.Errorf("%s: `keygate%s` is not a command of the CLI", name, m[1])
					continue
				}
				n++
				h := usage(path)
				if len(path) < len(words) && strings.Contains(h, "Available Commands:") {
					t.Errorf("%s: `keygate %s` has no subcommand %q", name, strings.Join(path, " "), words[len(path)])
					continue
				}
				for _, f := range flag.FindAllStringSubmatch(m[1]+m[2], -1) {
					if !strings.Contains(h, f[1]+" ") && !strings.Contains(h, f[1]+"\n") {
						t.Errorf("%s: `keygate %s` has no flag %s", name, strings.Join(path, " "), f[1])
					}
				}
			}
		}
	}
	if n < 50 {
		t.Fatalf("only %d commands found: the scan is broken", n)
	}
}

var (
	routeDecl = regexp.MustCompile(`"(GET|POST|PATCH|PUT|DELETE) (/[^" ]*)"`)
	routeUse  = regexp.MustCompile(`(?:(GET|POST|PATCH|PUT|DELETE) )?(/(?:admin/v1|v1|v1beta|security/v1)/[A-Za-z0-9_{}./:-]*[A-Za-z0-9_}])`)
	pathParam = regexp.MustCompile(`\{[a-z_]+(\.\.\.)?\}`)
)

// The guides name only routes the gateway serves: every method and path in
// them matches a route registered somewhere in the code.
func TestGuidesNameRealRoutes(t *testing.T) {
	type route struct {
		method string
		re     *regexp.Regexp
	}
	var routes []route
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range routeDecl.FindAllStringSubmatch(string(src), -1) {
			var expr strings.Builder
			last := 0
			for _, loc := range pathParam.FindAllStringIndex(m[2], -1) {
				expr.WriteString(regexp.QuoteMeta(m[2][last:loc[0]]))
				if strings.HasSuffix(m[2][loc[0]:loc[1]], "...}") {
					expr.WriteString(`.+`)
				} else {
					expr.WriteString(`[^/]+`)
				}
				last = loc[1]
			}
			expr.WriteString(regexp.QuoteMeta(m[2][last:]))
			routes = append(routes, route{m[1], regexp.MustCompile("^" + expr.String() + "$")})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(routes) < 30 {
		t.Fatalf("only %d routes found in the source", len(routes))
	}
	for name, md := range texts() {
		if !strings.Contains(name, "/guides/") {
			continue
		}
		for _, s := range snippets(md) {
			for _, m := range routeUse.FindAllStringSubmatch(s, -1) {
				path, _, _ := strings.Cut(m[2], "?")
				ok := false
				for _, r := range routes {
					if (m[1] == "" || m[1] == r.method) && r.re.MatchString(path) {
						ok = true
						break
					}
				}
				if !ok {
					t.Errorf("%s names %s %s, which no route serves", name, m[1], m[2])
				}
			}
		}
	}
}
