package i18n

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestFromAcceptLanguage(t *testing.T) {
	for in, want := range map[string]Lang{
		"":                               EN,
		"zh":                             ZH,
		"zh-CN":                          ZH,
		"zh-cn":                          ZH,
		"zh-Hans":                        ZH,
		"zh-Hans-CN":                     ZH,
		"zh_CN":                          ZH,
		"zh-TW":                          EN, // no Traditional Chinese catalogue
		"zh-Hant":                        EN,
		"fr":                             EN,
		"*":                              EN,
		"en-US,en;q=0.9":                 EN,
		"en;q=0.5, zh-CN;q=0.8":          ZH,
		"zh-CN;q=0.8, en;q=0.9":          EN,
		"zh-CN;q=0.9, en;q=0.9":          ZH, // a tie goes to the earlier one
		"fr-FR, zh;q=0.7":                ZH, // French is not offered; Chinese is
		"zh;q=0, en":                     EN,
		"zh;q=0":                         EN,
		"zh-CN,zh;q=0.9,en;q=0.8":        ZH,
		" zh-Hans-CN ; q=1 , en ; q=0.1": ZH,
		"de;q=0.9, *;q=0.8, zh;q=0.1":    EN, // "*" is English, and ranks above zh here
		"zh;q=bogus":                     ZH, // an unreadable q counts as 1
		",,;,":                           EN,
	} {
		if got := FromAcceptLanguage([]string{in}); got != want {
			t.Errorf("FromAcceptLanguage(%q) = %s, want %s", in, got, want)
		}
	}
	if got := FromAcceptLanguage([]string{"en;q=0.2", "zh-CN;q=0.4"}); got != ZH {
		t.Errorf("several header values: got %s, want zh-CN", got)
	}
	if got := FromAcceptLanguage(nil); got != EN {
		t.Errorf("no header: got %s, want en", got)
	}
}

func TestParseLocale(t *testing.T) {
	for in, want := range map[string]Lang{
		"zh_CN.UTF-8": ZH, "zh_CN": ZH, "zh": ZH, "zh-Hans-CN": ZH, "en_US.UTF-8": EN, "C": EN, "C.UTF-8": EN, "POSIX": EN,
	} {
		if got, ok := Parse(in); !ok || got != want {
			t.Errorf("Parse(%q) = %s, %v; want %s, true", in, got, ok, want)
		}
	}
	for _, in := range []string{"de_DE@euro", "fr", "", "zh_TW.UTF-8"} {
		if got, ok := Parse(in); ok || got != EN {
			t.Errorf("Parse(%q) = %s, %v; want en, false", in, got, ok)
		}
	}
}

func TestRender(t *testing.T) {
	m := M("auth.key_disabled", S("key", "kg_live_AbCd…WxYz"), S("at", "2026-01-02T03:04:05Z"),
		Sub("reason", M("auth.key_disabled.reason", S("reason", "leak"))), Sub("replaced", Message{}))
	if got, want := m.Render(EN), "Key kg_live_AbCd…WxYz was disabled at 2026-01-02T03:04:05Z (reason: leak)."; got != want {
		t.Errorf("en: %q, want %q", got, want)
	}
	if got, want := m.Render(ZH), "密钥 kg_live_AbCd…WxYz 已于 2026-01-02T03:04:05Z 被停用（原因：leak）。"; got != want {
		t.Errorf("zh-CN: %q, want %q", got, want)
	}
	or := M("model.not_found.did_you_mean", Or("names", Q("", "gpt-4o"), Sub("", M("model.not_found.dated_alias", Q("name", "x"), S("aliases", "x-1")))))
	if got, want := or.Render(EN), ` Did you mean "gpt-4o" or "x" (dated alias x-1)?`; got != want {
		t.Errorf("list en: %q, want %q", got, want)
	}
	if got, want := or.Render(ZH), `你是不是想用 "gpt-4o" 或 "x"（带日期的别名 x-1）？`; got != want {
		t.Errorf("list zh: %q, want %q", got, want)
	}
	if got := M("no.such.key").Render(ZH); got != "no.such.key" {
		t.Errorf("unknown key renders as %q, want the key", got)
	}
	if got := (Message{}).Render(ZH); got != "" {
		t.Errorf("zero message renders as %q", got)
	}
}

func TestPlaceholders(t *testing.T) {
	got := Placeholders(`Add {"model": "x"} to {a_1}, {b} and {a_1}; not {B} or {}`)
	if want := []string{"a_1", "b"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Every text of the catalogue exists in both languages with the same
// placeholders: a Chinese reader never gets a hole, an English one never
// gets a Chinese fallback.
func TestCatalogueComplete(t *testing.T) {
	for _, k := range Keys() {
		tx, _ := Entry(k)
		if strings.TrimSpace(tx.EN) == "" && k != "list.or" {
			t.Errorf("%s: no English text", k)
		}
		if strings.TrimSpace(tx.ZH) == "" && k != "list.or" {
			t.Errorf("%s: no Chinese (zh-CN) text", k)
		}
		en, zh := Placeholders(tx.EN), Placeholders(tx.ZH)
		slices.Sort(en)
		slices.Sort(zh)
		if !slices.Equal(en, zh) {
			t.Errorf("%s: placeholders differ: en %q, zh-CN %q", k, en, zh)
		}
		if !strings.HasPrefix(string(k), "ui.") && (strings.Contains(tx.EN, "dashboard") || strings.Contains(tx.ZH, "控制台")) {
			t.Errorf("%s names the dashboard; only its own texts (ui.*) should", k)
		}
	}
}

// Every key the code uses exists in the catalogue, and every call gives
// exactly the placeholders its English text has (the test above makes the
// Chinese one the same). Keys are read from the source: calls of i18n.M
// (or M inside this package) with a literal key.
func TestCallSites(t *testing.T) {
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	used, joins := map[Key]bool{}, map[Key]bool{}
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == ".git" || name == "node_modules" || name == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		inI18n := f.Name.Name == "i18n"
		ast.Inspect(f, func(node ast.Node) bool {
			call, ok := node.(*ast.CallExpr)
			if ok && isFunc(call.Fun, "List", inI18n) && len(call.Args) > 1 {
				if lit, ok := call.Args[1].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					k, _ := strconv.Unquote(lit.Value)
					joins[Key(k)] = true
					if _, ok := Entry(Key(k)); !ok {
						t.Errorf("%s: separator %q is not in the catalogue", fset.Position(call.Pos()), k)
					}
				}
			}
			if !ok || !isFunc(call.Fun, "M", inI18n) || len(call.Args) == 0 {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			key, _ := strconv.Unquote(lit.Value)
			n++
			used[Key(key)] = true
			pos := fset.Position(call.Pos())
			tx, ok := Entry(Key(key))
			if !ok {
				t.Errorf("%s: key %q is not in the catalogue", pos, key)
				return true
			}
			if call.Ellipsis.IsValid() {
				return true
			}
			var names []string
			for _, a := range call.Args[1:] {
				ac, ok := a.(*ast.CallExpr)
				if !ok || len(ac.Args) == 0 {
					return true // built elsewhere: not checkable here
				}
				isArg := false
				for _, fn := range []string{"S", "Q", "N", "Sub", "Or"} {
					isArg = isArg || isFunc(ac.Fun, fn, inI18n)
				}
				nl, ok := ac.Args[0].(*ast.BasicLit)
				if !isArg || !ok {
					return true
				}
				name, _ := strconv.Unquote(nl.Value)
				names = append(names, name)
			}
			want := Placeholders(tx.EN)
			slices.Sort(names)
			slices.Sort(want)
			if !slices.Equal(names, want) {
				t.Errorf("%s: %s is given %q; its text has the placeholders %q", pos, key, names, want)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("no call of i18n.M found: the walk is broken")
	}
	for _, k := range Keys() {
		s := string(k)
		if strings.HasPrefix(s, "code.") {
			continue // looked up by a computed key
		}
		if strings.HasPrefix(s, "ui.") {
			continue // the dashboard's templates use them; internal/ui's TestTemplateTexts checks them
		}
		if !used[k] && !joins[k] {
			t.Errorf("%s is in the catalogue but no code uses it", k)
		}
	}
}

func isFunc(fun ast.Expr, name string, local bool) bool {
	switch f := fun.(type) {
	case *ast.SelectorExpr:
		x, ok := f.X.(*ast.Ident)
		return ok && x.Name == "i18n" && f.Sel.Name == name
	case *ast.Ident:
		return local && f.Name == name
	}
	return false
}
