package docs

import (
	"strings"
	"testing"
)

func TestRenderMarkdown(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"heading":               {"## Check in this order", `<h2 id="check-in-this-order">Check in this order</h2>` + "\n"},
		"paragraph joins lines": {"one\ntwo", "<p>one two</p>\n"},
		"bold and code": {"**HTTP 401** · type `authentication_error`",
			"<p><strong>HTTP 401</strong> · type <code>authentication_error</code></p>\n"},
		"list":                            {"- a\n- b `c`\n  continued", "<ul>\n<li>a</li>\n<li>b <code>c</code> continued</li>\n</ul>\n"},
		"ordered list start":              {"3. x\n4. y", "<ol start=\"3\">\n<li>x</li>\n<li>y</li>\n</ol>\n"},
		"code block":                      {"```sh\ncurl -H \"a: <b>\" &\n```", "<pre><code>curl -H &#34;a: &lt;b&gt;&#34; &amp;</code></pre>\n"},
		"unclosed code block":             {"```\n<x>", "<pre><code>&lt;x&gt;</code></pre>\n"},
		"sibling link":                    {"[key](invalid_api_key.md)", `<p><a href="/docs/errors/invalid_api_key">key</a></p>` + "\n"},
		"https link":                      {"[x](https://example.com/a?b=1&c=2)", `<p><a href="https://example.com/a?b=1&amp;c=2">x</a></p>` + "\n"},
		"absolute link":                   {"[m](/v1/models)", `<p><a href="/v1/models">m</a></p>` + "\n"},
		"javascript link dropped":         {"[x](javascript:alert(1))", "<p>x)</p>\n"},
		"data link dropped":               {"[x](data:text/html,hi)", "<p>x</p>\n"},
		"protocol-relative dropped":       {"[x](//evil.example/)", "<p>x</p>\n"},
		"escape":                          {`\*not bold\*`, "<p>*not bold*</p>\n"},
		"code with brackets in link text": {"[`a]b`](x.md)", `<p><a href="/docs/errors/x"><code>a]b</code></a></p>` + "\n"},
		"lone specials":                   {"a * b [c] `d", "<p>a * b [c] `d</p>\n"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := string(renderMarkdown([]byte(tc.in))); got != tc.want {
				t.Errorf("renderMarkdown(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestRenderMarkdownEscapesHTML(t *testing.T) {
	src := "# <script>alert(1)</script>\n\nText <script>alert(2)</script> and <img src=x onerror=alert(3)>.\n\n" +
		"- **<b>bold</b>** `<i>`\n\n[<script>](https://example.com/\"><script>)\n\n```\n</code></pre><script>\n```\n"
	out := string(renderMarkdown([]byte(src)))
	if strings.Contains(out, "<script") || strings.Contains(out, "<img") || strings.Contains(out, "<b>") || strings.Contains(out, "<i>") {
		t.Fatalf("raw HTML passed through:\n%s", out)
	}
	if !strings.Contains(out, "&lt;script&gt;") {
		t.Errorf("want <script> escaped as &lt;script&gt;:\n%s", out)
	}
	if strings.Contains(out, `"><`) {
		t.Errorf("attribute not escaped:\n%s", out)
	}
}

// Whatever the input, the output is balanced and has no raw tag from the source.
func FuzzRenderMarkdown(f *testing.F) {
	f.Add("# h\n\n- a **b** `c` [d](e.md)\n\n```\n<x>\n```\n")
	f.Add("[[[`]]]((**")
	f.Fuzz(func(t *testing.T, s string) {
		out := string(renderMarkdown([]byte(s)))
		for _, tag := range []string{"<script", "<img", "<iframe", "<svg", "<style", "javascript:"} {
			if strings.Contains(strings.ToLower(out), tag) && !strings.Contains(strings.ToLower(s), "&lt;") {
				t.Fatalf("%q rendered %q containing %s", s, out, tag)
			}
		}
	})
}
