package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/keygate/keygate"

// listed is what `go list -json` says of one package.
type listed struct {
	ImportPath                string
	Dir                       string
	Export                    string
	GoFiles                   []string
	Imports                   []string
	TestImports, XTestImports []string
}

// goList runs `go list -json args…` at the module root.
func goList(t *testing.T, args ...string) []listed {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	cmd := exec.Command(goBin, append([]string{"list", "-json"}, args...)...)
	cmd.Dir = moduleRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s", dir)
	}
	return dir
}

// Layers, top to bottom. A package may import packages of lower layers
// (a larger number), and of its own layer only where sameLayerOK says so.
const (
	layerCommand = iota // cmd/…, e2e tests
	layerCLI            // internal/cli; internal/testgw (starts the app for tests)
	layerApp            // internal/app: the one wiring point
	layerUI             // transports, in the order they may import each other:
	layerAdmin          //   ui → admin → httpapi (admin reuses httpapi's plumbing)
	layerHTTPAPI        //
	layerService        // internal/service: every state change
	layerDomain         // everything not named here
	layerStore          // internal/store/…, internal/provider/…
	layerBase           // libraries every layer may use; they import only each other
)

var layerNames = map[int]string{layerCommand: "command", layerCLI: "cli", layerApp: "app", layerUI: "transport ui",
	layerAdmin: "transport admin", layerHTTPAPI: "transport httpapi", layerService: "service", layerDomain: "domain",
	layerStore: "store/provider", layerBase: "base library"}

// base are the leaf libraries: formats, texts, counters, crypto.
var base = map[string]bool{
	"apierr": true, "i18n": true, "ids": true, "keys": true, "jsonscan": true, "usage": true, "similar": true,
	"secretbox": true, "metrics": true, "webhook": true, "leak": true, "pricing": true, "scan": true, "limit": true,
}

func layer(path string) int {
	rel := strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
	first, _, _ := strings.Cut(strings.TrimPrefix(rel, "internal/"), "/")
	switch {
	case strings.HasPrefix(rel, "cmd/"), rel == "e2e", strings.HasPrefix(rel, "e2e/"):
		return layerCommand
	case !strings.HasPrefix(rel, "internal/"):
		return layerDomain
	}
	switch first {
	case "cli", "testgw":
		return layerCLI
	case "app":
		return layerApp
	case "ui":
		return layerUI
	case "admin":
		return layerAdmin
	case "httpapi":
		return layerHTTPAPI
	case "service":
		return layerService
	case "store", "provider", "ledger":
		// The ledger is the spend counters' storage (memory, database,
		// Redis): sqlstore implements its SpendStore, and it carries
		// store.Spend on the request log rows.
		return layerStore
	}
	if base[first] {
		return layerBase
	}
	return layerDomain
}

// upward reports whether from importing to runs against the layering. The
// CLI is a client of the admin API besides: its commands that change state
// talk HTTP with the wire types (DESIGN.md §6), so it imports no transport
// and no service (serve goes through app).
func upward(from, to string) bool {
	lf, lt := layer(from), layer(to)
	if from == module+"/internal/cli" && lt >= layerUI && lt <= layerService {
		return true
	}
	return lt < lf || lt == lf && !sameLayerOK(lf)
}

func sameLayerOK(l int) bool {
	return l == layerCommand || l == layerDomain || l == layerStore || l == layerBase
}

// wiringOnly are packages only the wiring point (and the commands) may
// import: the concrete store.
var wiringOnly = map[string][]string{
	module + "/internal/store/sqlstore": {module + "/internal/app", module + "/internal/cli"},
}

// TestLayering: no import runs upward. The house reads top-down — cmd →
// cli → app → transports (ui, admin, httpapi) → service → domain →
// store/provider → base libraries — and the concrete store is imported by
// the wiring point alone.
func TestLayering(t *testing.T) {
	var bad []string
	for _, p := range goList(t, "./...") {
		from := layer(p.ImportPath)
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			if upward(p.ImportPath, imp) {
				bad = append(bad, fmt.Sprintf("%s (%s) imports %s (%s)", rel(p.ImportPath), layerNames[from], rel(imp), layerNames[layer(imp)]))
			}
			if allowed, ok := wiringOnly[imp]; ok && !contains(allowed, p.ImportPath) && layer(p.ImportPath) != layerCommand {
				bad = append(bad, fmt.Sprintf("%s imports %s, which only %s may", rel(p.ImportPath), rel(imp), strings.Join(allowed, ", ")))
			}
		}
		// Tests of the transports and services do not reach for the
		// concrete store either: they go through app (testgw).
		if l := layer(p.ImportPath); l >= layerUI && l <= layerService {
			for _, imp := range append(append([]string{}, p.TestImports...), p.XTestImports...) {
				if _, ok := wiringOnly[imp]; ok {
					bad = append(bad, fmt.Sprintf("tests of %s import %s", rel(p.ImportPath), rel(imp)))
				}
			}
		}
	}
	if len(bad) > 0 {
		t.Errorf("imports that run against the layering (docs/architecture.md):\n  %s", strings.Join(bad, "\n  "))
	}
}

// TestLayerRule pins the rule TestLayering applies to today's graph, so a
// change of the layer table that would let an upward import pass fails.
func TestLayerRule(t *testing.T) {
	for _, c := range []struct {
		from, to string
		upward   bool
	}{
		{"internal/service", "internal/admin", true},
		{"internal/service", "internal/httpapi", true},
		{"internal/httpapi", "internal/admin", true},
		{"internal/admin", "internal/ui", true},
		{"internal/catalog", "internal/service", true},
		{"internal/store", "internal/catalog", true},
		{"internal/store/sqlstore", "internal/service", true},
		{"internal/app", "internal/cli", true},
		{"internal/keys", "internal/store", true},
		{"internal/cli", "internal/httpapi", true},
		{"internal/cli", "internal/service", true},
		{"internal/cli", "internal/app", false},
		{"internal/cli", "internal/wire", false},
		{"internal/ui", "internal/admin", false},
		{"internal/admin", "internal/httpapi", false},
		{"internal/admin", "internal/service", false},
		{"internal/service", "internal/catalog", false},
		{"internal/catalog", "internal/store", false},
		{"internal/store/sqlstore", "internal/ledger", false},
		{"internal/ledger", "internal/store", false},
		{"internal/ledger", "internal/catalog", true},
		{"internal/relay", "internal/catalog", false},
		{"cmd/keygate", "internal/cli", false},
	} {
		if got := upward(module+"/"+c.from, module+"/"+c.to); got != c.upward {
			t.Errorf("%s imports %s: upward %v, want %v", c.from, c.to, got, c.upward)
		}
	}
}

func rel(path string) string { return strings.TrimPrefix(path, module+"/") }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// storeCall is one use of the store from a file: a method of a store
// interface (store.Store and the interfaces it embeds — s.Store.GetKey,
// tx.UpdateMember inside a service callback) or anything of the concrete
// store (internal/store/sqlstore). Store types, their constants and the
// pure methods of store value types (k.LineageID()) are data, not calls.
type storeCall struct {
	file, name string
}

// storeCalls type-checks the non-test files of pkg (from the export data
// `go list -export` builds) and returns every store call in them.
func storeCalls(t *testing.T, pkg string) map[storeCall]int {
	t.Helper()
	pkgs := goList(t, "-export", "-deps", pkg)
	exports := map[string]string{}
	var target listed
	for _, p := range pkgs {
		exports[p.ImportPath] = p.Export
		if p.ImportPath == pkg {
			target = p
		}
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range target.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(target.Dir, name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		e, ok := exports[path]
		if !ok || e == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(e)
	})
	info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}, Uses: map[*ast.Ident]types.Object{}}
	if _, err := (&types.Config{Importer: imp}).Check(pkg, fset, files, info); err != nil {
		t.Fatalf("type-check %s: %v", pkg, err)
	}
	storePkg, concrete := module+"/internal/store", module+"/internal/store/sqlstore"
	calls := map[storeCall]int{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			se, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			var obj types.Object
			if sel := info.Selections[se]; sel != nil {
				obj = sel.Obj()
			} else {
				obj = info.Uses[se.Sel]
			}
			fn, ok := obj.(*types.Func)
			if !ok || fn.Pkg() == nil {
				return true
			}
			path := fn.Pkg().Path()
			isStore := false
			switch {
			case path == concrete || strings.HasPrefix(path, concrete+"/"):
				isStore = true
			case path == storePkg:
				if recv := fn.Type().(*types.Signature).Recv(); recv != nil {
					_, isStore = recv.Type().Underlying().(*types.Interface)
				}
			}
			if isStore {
				calls[storeCall{file: filepath.Base(fset.Position(se.Pos()).Filename), name: fn.Name()}]++
			}
			return true
		})
	}
	return calls
}

// adminPending are store calls allowed to remain in internal/admin while
// they are moved behind internal/service. The set may only shrink: a call
// not in it, or more of one, fails. It is empty: the admin package makes
// no store call.
var adminPending = map[storeCall]int{}

// TestAdminMakesNoStoreCalls: the admin transport decodes, calls one
// service method and encodes; every read and write of the store is the
// service's, so the rules, the not-found mapping and the audit row live in
// one place.
func TestAdminMakesNoStoreCalls(t *testing.T) {
	calls := storeCalls(t, module+"/internal/admin")
	var bad, gone []string
	for c, n := range calls {
		if n > adminPending[c] {
			bad = append(bad, fmt.Sprintf("%s: %s ×%d", c.file, c.name, n-adminPending[c]))
		}
	}
	for c, n := range adminPending {
		if calls[c] < n {
			gone = append(gone, fmt.Sprintf("%s: %s %d → %d", c.file, c.name, n, calls[c]))
		}
	}
	sort.Strings(bad)
	sort.Strings(gone)
	if len(gone) > 0 {
		t.Logf("store calls gone from the pending set (shrink adminPending):\n  %s", strings.Join(gone, "\n  "))
	}
	if len(bad) > 0 {
		t.Errorf("internal/admin calls the store directly (go through internal/service):\n  %s", strings.Join(bad, "\n  "))
	}
}

// TestAdminImportsNoConcreteStore: no admin file, tests included, imports
// internal/store/sqlstore.
func TestAdminImportsNoConcreteStore(t *testing.T) {
	dir := filepath.Join(moduleRoot(t), "internal", "admin")
	fset := token.NewFileSet()
	names, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	if len(names) == 0 {
		t.Fatal("no admin files found")
	}
	for _, name := range names {
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range f.Imports {
			if p := strings.Trim(s.Path.Value, `"`); strings.HasPrefix(p, module+"/internal/store/sqlstore") {
				t.Errorf("%s imports %s", filepath.Base(name), p)
			}
		}
	}
}

// TestNotFoundTranslatedOnce: in the admin transport and the services,
// store.ErrNotFound is named in service/errors.go alone (missing, found,
// Err); everywhere else a missing object is the error the service made of
// it.
func TestNotFoundTranslatedOnce(t *testing.T) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	for _, dir := range []string{"internal/admin", "internal/service"} {
		names, _ := filepath.Glob(filepath.Join(root, dir, "*.go"))
		for _, name := range names {
			if strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, filepath.Join("service", "errors.go")) {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				se, ok := n.(*ast.SelectorExpr)
				if !ok || se.Sel.Name != "ErrNotFound" {
					return true
				}
				if x, ok := se.X.(*ast.Ident); ok && x.Name == "store" {
					t.Errorf("%s: store.ErrNotFound outside service/errors.go (use service.found or the service's not-found errors)", fset.Position(se.Pos()))
				}
				return true
			})
		}
	}
}
