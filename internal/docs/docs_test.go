package docs

import (
	"bytes"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/apierr"
)

// Every code of the catalogue has a page, and every page documents a code.
func TestEveryCodeHasAPage(t *testing.T) {
	has := map[string]bool{}
	for _, c := range Codes() {
		has[c] = true
	}
	inCatalogue := map[string]bool{}
	for _, e := range apierr.Catalogue() {
		code := string(e.Code)
		inCatalogue[code] = true
		if !has[code] {
			t.Errorf("code %s has no page: write internal/docs/errors/%s.md", code, code)
		}
		if _, ok := Page(code); !ok && has[code] {
			t.Errorf("Page(%q) = false, but Codes() lists it", code)
		}
	}
	for c := range has {
		if !inCatalogue[c] {
			t.Errorf("page errors/%s.md documents no code of apierr.Catalogue()", c)
		}
	}
}

var (
	realKey = regexp.MustCompile(`kg_(live|test|pat)_[0-9A-Za-z]{38}`)
	// Other providers' keys, in case an example ever gets "realistic".
	otherKey    = regexp.MustCompile(`sk-(ant-)?[A-Za-z0-9_-]{24,}|AIza[0-9A-Za-z_-]{35}`)
	siblingLink = regexp.MustCompile(`\]\(([a-z0-9_]+)\.md(#[^)]*)?\)`)
)

func TestPagesAreComplete(t *testing.T) {
	required := []string{"## What it means", "## Check in this order", "## Fix", "## Evidence to send", "## Never send"}
	for _, e := range apierr.Catalogue() {
		code := string(e.Code)
		t.Run(code, func(t *testing.T) {
			md, ok := Page(code)
			if !ok {
				t.Skip("no page (reported by TestEveryCodeHasAPage)")
			}
			text := string(md)
			if !strings.HasPrefix(text, "# "+code+"\n") {
				t.Errorf("page must start with the heading %q", "# "+code)
			}
			last := -1
			for _, h := range required {
				i := strings.Index(text, "\n"+h+"\n")
				if i < 0 {
					t.Errorf("missing section %q", h)
					continue
				}
				if i < last {
					t.Errorf("section %q is out of order", h)
				}
				last = i
			}
			if want := "HTTP " + strconv.Itoa(e.Status); !strings.Contains(text, want) {
				t.Errorf("page does not state the status %q", want)
			}
			if want := "`" + e.Type + "`"; !strings.Contains(text, want) {
				t.Errorf("page does not state the type %s", want)
			}
			if m := realKey.FindString(text); m != "" {
				t.Errorf("page contains a string shaped like a real keygate key: %s", m)
			}
			if m := otherKey.FindString(text); m != "" {
				t.Errorf("page contains a string shaped like a real provider key: %s", m)
			}
			if n := strings.Count(text, "\n"); n < 35 || n > 100 {
				t.Errorf("page has %d lines; keep it focused (40–90)", n)
			}
			for _, m := range siblingLink.FindAllStringSubmatch(text, -1) {
				if _, ok := Page(m[1]); !ok {
					t.Errorf("link to %s.md, which does not exist", m[1])
				}
			}
			if strings.Count(text, "```")%2 != 0 {
				t.Errorf("unbalanced code fence")
			}
		})
	}
}

// The repository's docs/README.md points readers at every page.
func TestReadmeListsEveryPage(t *testing.T) {
	b, err := os.ReadFile("../../docs/README.md")
	if err != nil {
		t.Skipf("docs/README.md: %v", err)
	}
	for _, c := range Codes() {
		if !bytes.Contains(b, []byte("(../internal/docs/errors/"+c+".md)")) {
			t.Errorf("docs/README.md does not link errors/%s.md", c)
		}
	}
}

func TestPageRejectsPaths(t *testing.T) {
	for _, code := range []string{"", "../docs", "errors/x", "Invalid_API_Key", "x.md", strings.Repeat("a", 100)} {
		if _, ok := Page(code); ok {
			t.Errorf("Page(%q) = true", code)
		}
	}
}
