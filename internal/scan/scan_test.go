package scan

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/keys"
)

func genKey(t *testing.T, prefix string) string {
	k, err := keys.Generate(prefix)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// lookAlike changes one body character so the checksum no longer matches.
func lookAlike(k string) string {
	b := []byte(k)
	i := len(keys.PrefixLive) + 3
	if b[i] == 'a' {
		b[i] = 'b'
	} else {
		b[i] = 'a'
	}
	return string(b)
}

func TestText(t *testing.T) {
	live, test := genKey(t, keys.PrefixLive), genKey(t, keys.PrefixTest)
	openai := "sk-proj-" + strings.Repeat("Ab3", 20)
	google := "AIza" + strings.Repeat("x", 34) + "1"
	text := "OPENAI_API_KEY=" + openai + "\n" +
		"# keygate\nKEYGATE_KEY=" + live + "\n" +
		"typo=" + lookAlike(live) + "\n" +
		"  test: \"" + test + "\"  google: " + google + "\n"
	fs := Text("app/.env", text)
	type row struct {
		provider, env, display string
		line, col              int
	}
	var got []row
	for _, f := range fs {
		got = append(got, row{f.Provider, f.Env, f.Display, f.Line, f.Column})
		if strings.Contains(f.Display, live[12:30]) {
			t.Fatalf("display form reveals the key body: %s", f.Display)
		}
	}
	want := []row{
		{"keygate", "live", keys.Display(live), 3, 13},
		{"keygate", "test", keys.Display(test), 5, 10},
		{"OpenAI", "", keys.DisplayPresented(openai), 1, 16},
		{"Google", "", keys.DisplayPresented(google), 5, 67},
	}
	if len(got) != len(want) {
		t.Fatalf("findings %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("finding %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if fs[0].Digest() != keys.HashHex(live) || fs[2].Digest() != "" {
		t.Error("digest: keygate keys carry their SHA-256, other providers none")
	}
}

func TestPathsSkipsBinaryAndGit(t *testing.T) {
	dir := t.TempDir()
	k := genKey(t, keys.PrefixLive)
	write := func(p, s string) {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("src/config.go", "package x\n\nconst key = \""+k+"\"\n")
	write("bin/blob", "\x00\x01"+k)
	write(".git/objects/aa", k)
	var skipped []string
	fs, err := Paths([]string{dir, filepath.Join(dir, "src/config.go")}, Options{Skipped: func(p, why string) { skipped = append(skipped, why) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 1 || fs[0].Line != 3 || !strings.HasSuffix(fs[0].Path, "config.go") {
		t.Fatalf("findings %+v", fs)
	}
	if len(skipped) != 1 || skipped[0] != "binary" {
		t.Fatalf("skipped %v", skipped)
	}
	if _, err := Paths([]string{filepath.Join(dir, "missing")}, Options{}); err == nil {
		t.Fatal("a missing path must be an error")
	}
}

func TestGitHistory(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
			"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(p, s string) {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q", "-b", "main")
	k := genKey(t, keys.PrefixLive)
	write("README.md", "# app\n")
	git("add", ".")
	git("commit", "-q", "-m", "init")
	write("settings.py", "DEBUG = True\nNAME = 'x'\nAPI_KEY = '"+k+"'\n")
	write("decoy.txt", "KEY="+lookAlike(k)+"\n")
	git("add", ".")
	git("commit", "-q", "-m", "add settings")
	leakCommit := git("rev-parse", "HEAD")
	// The key is removed again: only history still has it.
	write("settings.py", "DEBUG = True\nNAME = 'x'\nAPI_KEY = os.environ['KEY']\n")
	git("commit", "-q", "-am", "remove key")
	// And on another branch it is copied elsewhere.
	git("checkout", "-q", "-b", "feature")
	write("copy.env", "K="+k+"\n")
	git("add", ".")
	git("commit", "-q", "-m", "copy")
	git("checkout", "-q", "main")

	fs, err := GitHistory(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 {
		t.Fatalf("want 2 findings (settings.py in history, copy.env on a branch), got %+v", fs)
	}
	if fs[0].Path != "settings.py" || fs[0].Line != 3 || fs[0].Commit != leakCommit || fs[0].Display != keys.Display(k) {
		t.Errorf("first finding %+v (leak commit %s)", fs[0], leakCommit)
	}
	if fs[1].Path != "copy.env" || fs[1].Line != 1 {
		t.Errorf("second finding %+v", fs[1])
	}
	if _, err := GitHistory(context.Background(), t.TempDir()); err == nil {
		t.Error("a directory that is not a repository must be an error")
	}
}
