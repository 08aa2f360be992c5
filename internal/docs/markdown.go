package docs

import (
	"bytes"
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// renderMarkdown turns the small Markdown subset the pages use into HTML:
// ATX headings, paragraphs, bullet and numbered lists (one level, with
// continuation lines), fenced code blocks, inline code, bold and links.
// Everything that comes from the source is HTML-escaped; raw HTML in the
// source is shown as text, never passed through. Links are kept only when
// they are http(s), site-absolute or fragment links, or links to a sibling
// page ("code.md"), which become /docs/errors/code.
func renderMarkdown(src []byte) []byte {
	var r renderer
	lines := strings.Split(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], " \t")
		if fence, ok := fenceOpen(line); ok {
			r.closeBlocks()
			var code []string
			for i++; i < len(lines); i++ {
				if strings.HasPrefix(strings.TrimSpace(lines[i]), fence) &&
					strings.Trim(strings.TrimSpace(lines[i]), "`~") == "" {
					break
				}
				code = append(code, lines[i])
			}
			r.out.WriteString("<pre><code>")
			r.out.WriteString(html.EscapeString(strings.Join(code, "\n")))
			r.out.WriteString("</code></pre>\n")
			continue
		}
		if strings.TrimSpace(line) == "" {
			r.closeBlocks()
			continue
		}
		if level, text, ok := heading(line); ok {
			r.closeBlocks()
			tag := "h" + strconv.Itoa(level)
			r.out.WriteString("<" + tag + ` id="` + slug(text) + `">`)
			r.out.WriteString(renderInline(text))
			r.out.WriteString("</" + tag + ">\n")
			continue
		}
		if kind, start, text, ok := listItem(line); ok {
			if r.list != kind {
				r.closeBlocks()
				r.list = kind
				if kind == "ol" && start != 1 {
					r.out.WriteString(`<ol start="` + strconv.Itoa(start) + `">` + "\n")
				} else {
					r.out.WriteString("<" + kind + ">\n")
				}
			} else {
				r.flushItem()
			}
			r.item = []string{text}
			continue
		}
		if r.list != "" {
			// A continuation line (indented or lazy) belongs to the open item.
			r.item = append(r.item, strings.TrimSpace(line))
			continue
		}
		r.para = append(r.para, strings.TrimSpace(line))
	}
	r.closeBlocks()
	return r.out.Bytes()
}

type renderer struct {
	out  bytes.Buffer
	para []string // lines of the open paragraph
	list string   // "ul", "ol" or "" when no list is open
	item []string // lines of the open list item
}

func (r *renderer) flushItem() {
	if r.item == nil {
		return
	}
	r.out.WriteString("<li>" + renderInline(strings.Join(r.item, "\n")) + "</li>\n")
	r.item = nil
}

func (r *renderer) closeBlocks() {
	if len(r.para) > 0 {
		r.out.WriteString("<p>" + renderInline(strings.Join(r.para, "\n")) + "</p>\n")
		r.para = nil
	}
	if r.list != "" {
		r.flushItem()
		r.out.WriteString("</" + r.list + ">\n")
		r.list = ""
	}
}

// fenceOpen reports whether line opens a fenced code block and returns the
// fence that closes it. An info string (language) is allowed and ignored.
func fenceOpen(line string) (string, bool) {
	t := strings.TrimSpace(line)
	for _, f := range []string{"```", "~~~"} {
		if strings.HasPrefix(t, f) {
			n := len(t) - len(strings.TrimLeft(t, f[:1]))
			return t[:n], true
		}
	}
	return "", false
}

func heading(line string) (level int, text string, ok bool) {
	for level < len(line) && level < 7 && line[level] == '#' {
		level++
	}
	if level == 0 || level > 6 || level >= len(line) || line[level] != ' ' {
		return 0, "", false
	}
	return level, strings.TrimSpace(strings.TrimRight(line[level:], "#")), true
}

var orderedItem = regexp.MustCompile(`^\s{0,3}(\d{1,9})[.)] (.*)$`)

func listItem(line string) (kind string, start int, text string, ok bool) {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) <= 3 && (strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* ")) {
		return "ul", 0, strings.TrimSpace(t[2:]), true
	}
	if m := orderedItem.FindStringSubmatch(line); m != nil {
		n, _ := strconv.Atoi(m[1])
		return "ol", n, strings.TrimSpace(m[2]), true
	}
	return "", 0, "", false
}

// slug makes a heading id: "Evidence to send" → "evidence-to-send";
// letters of other scripts are kept ("需要提供的证据").
func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c > unicode.MaxASCII && (unicode.IsLetter(c) || unicode.IsDigit(c)) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// renderInline renders code spans, bold, links and backslash escapes;
// everything else is escaped text. Newlines inside a block become spaces.
func renderInline(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && isPunct(s[i+1]):
			b.WriteString(html.EscapeString(s[i+1 : i+2]))
			i += 2
		case c == '`':
			n := runLen(s[i:], '`')
			fence := s[i : i+n]
			if end := strings.Index(s[i+n:], fence); end >= 0 {
				code := s[i+n : i+n+end]
				if len(code) > 2 && code[0] == ' ' && code[len(code)-1] == ' ' {
					code = code[1 : len(code)-1]
				}
				b.WriteString("<code>" + html.EscapeString(strings.ReplaceAll(code, "\n", " ")) + "</code>")
				i += n + end + n
			} else {
				b.WriteString(fence)
				i += n
			}
		case c == '*' && strings.HasPrefix(s[i:], "**"):
			if end := strings.Index(s[i+2:], "**"); end > 0 {
				b.WriteString("<strong>" + renderInline(s[i+2:i+2+end]) + "</strong>")
				i += 2 + end + 2
			} else {
				b.WriteString("**")
				i += 2
			}
		case c == '[':
			text, href, n, ok := link(s[i:])
			if !ok {
				b.WriteString("[")
				i++
				continue
			}
			if safe, ok := safeHref(href); ok {
				b.WriteString(`<a href="` + html.EscapeString(safe) + `">` + renderInline(text) + "</a>")
			} else {
				b.WriteString(renderInline(text))
			}
			i += n
		case c == '\n':
			b.WriteByte(' ')
			i++
		default:
			j := i + 1
			for j < len(s) && !strings.ContainsRune("\\`*[\n", rune(s[j])) {
				j++
			}
			b.WriteString(html.EscapeString(s[i:j]))
			i = j
		}
	}
	return b.String()
}

func runLen(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return n
}

func isPunct(c byte) bool {
	return strings.IndexByte("\\`*_{}[]()#+-.!<>|~\"'", c) >= 0
}

// link parses "[text](href)" at the start of s and returns its length.
func link(s string) (text, href string, n int, ok bool) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '`':
			// Brackets inside a code span do not close the link text.
			if end := strings.IndexByte(s[i+1:], '`'); end >= 0 {
				i += end + 1
			}
		case '[':
			depth++
		case ']':
			depth--
			if depth == 0 {
				if i+1 >= len(s) || s[i+1] != '(' {
					return "", "", 0, false
				}
				end := strings.IndexByte(s[i+2:], ')')
				if end < 0 {
					return "", "", 0, false
				}
				href = strings.TrimSpace(s[i+2 : i+2+end])
				if strings.ContainsAny(href, " \n\t") {
					return "", "", 0, false
				}
				return s[1:i], href, i + 2 + end + 1, true
			}
		}
	}
	return "", "", 0, false
}

var siblingPage = regexp.MustCompile(`^(?:\./)?([a-z0-9_]+)\.md(#[A-Za-z0-9_-]*)?$`)

// safeHref returns the href to emit, or false when the link must be dropped
// (javascript:, data:, protocol-relative and other schemes).
func safeHref(href string) (string, bool) {
	if m := siblingPage.FindStringSubmatch(href); m != nil {
		return "/docs/errors/" + m[1] + m[2], true
	}
	lower := strings.ToLower(href)
	switch {
	case strings.HasPrefix(lower, "https://"), strings.HasPrefix(lower, "http://"):
		return href, true
	case strings.HasPrefix(href, "/") && !strings.HasPrefix(href, "//") && !strings.HasPrefix(href, `/\`):
		return href, true
	case strings.HasPrefix(href, "#"):
		return href, true
	}
	return "", false
}
