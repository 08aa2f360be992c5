// Package scan finds credentials in files, directory trees and a git
// repository's history: keygate keys (by prefix and checksum, so a
// look-alike with a bad checksum is never reported) and other providers'
// keys (OpenAI, Anthropic, Google, by shape). A Finding carries the display
// form only; the SHA-256 digest of a keygate key is kept for asking a
// gateway whether the key is live, and the key itself is dropped at once.
package scan

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/keygate/keygate/internal/keys"
)

// Finding is one credential found somewhere.
type Finding struct {
	Path     string `json:"path"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Provider string `json:"provider"`      // keygate, OpenAI, Anthropic, Google
	Env      string `json:"env,omitempty"` // live, test or pat for keygate keys
	Display  string `json:"display"`
	Commit   string `json:"commit,omitempty"` // the commit that added it (--git)
	digest   string
}

// Digest is the hex SHA-256 of a keygate key ("" for other providers): what
// a gateway stores and can be asked about without sending the key.
func (f Finding) Digest() string { return f.digest }

// Options tunes a scan.
type Options struct {
	// MaxFileBytes skips larger files (default 20 MiB).
	MaxFileBytes int64
	// Skipped, when set, is told about every file not scanned and why.
	Skipped func(path, why string)
}

func (o Options) maxBytes() int64 {
	if o.MaxFileBytes <= 0 {
		return 20 << 20
	}
	return o.MaxFileBytes
}

// Text scans one text and reports findings with path as their place.
func Text(path, text string) []Finding {
	var out []Finding
	lineStarts := []int{0}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			lineStarts = append(lineStarts, i+1)
		}
	}
	pos := func(off int) (int, int) {
		lo, hi := 0, len(lineStarts)-1
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if lineStarts[mid] <= off {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		return lo + 1, off - lineStarts[lo] + 1
	}
	for _, m := range keys.Find(text) {
		l, c := pos(m.Start)
		out = append(out, Finding{Path: path, Line: l, Column: c, Provider: "keygate", Env: keys.Env(m.Key),
			Display: keys.Display(m.Key), digest: keys.HashHex(m.Key)})
	}
	for _, m := range keys.FindOtherProviders(text) {
		l, c := pos(m.Start)
		out = append(out, Finding{Path: path, Line: l, Column: c, Provider: m.Provider, Display: m.Display})
	}
	return out
}

// Paths scans files and directory trees (skipping .git directories,
// binary and oversized files). Each finding is reported once.
func Paths(paths []string, o Options) ([]Finding, error) {
	var out []Finding
	seen := map[string]bool{}
	add := func(fs []Finding) {
		for _, f := range fs {
			id := f.Path + "\x00" + strconv.Itoa(f.Line) + "\x00" + strconv.Itoa(f.Column)
			if !seen[id] {
				seen[id] = true
				out = append(out, f)
			}
		}
	}
	for _, root := range paths {
		info, err := os.Stat(root)
		if err != nil {
			return out, fmt.Errorf("scan %s: %w", root, err)
		}
		if !info.IsDir() {
			fs, err := file(root, o)
			if err != nil {
				return out, err
			}
			add(fs)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if o.Skipped != nil {
					o.Skipped(p, err.Error())
				}
				return nil
			}
			if d.IsDir() {
				if d.Name() == ".git" && p != root {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() {
				return nil
			}
			fs, err := file(p, o)
			if err != nil {
				if o.Skipped != nil {
					o.Skipped(p, err.Error())
				}
				return nil
			}
			add(fs)
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("scan %s: %w", root, err)
		}
	}
	return out, nil
}

func file(path string, o Options) ([]Finding, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", path, err)
	}
	if info.Size() > o.maxBytes() {
		if o.Skipped != nil {
			o.Skipped(path, fmt.Sprintf("larger than %d bytes", o.maxBytes()))
		}
		return nil, nil
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", path, err)
	}
	if bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0 {
		if o.Skipped != nil {
			o.Skipped(path, "binary")
		}
		return nil, nil
	}
	return Text(path, string(b)), nil
}

const commitMarker = "kgscan-commit "

// GitHistory scans every line ever added in any commit reachable from any
// ref of the repository at dir (oldest first), so a key that was committed
// and later removed is still found. Each key is reported once per path, at
// the commit that first added it there.
func GitHistory(ctx context.Context, dir string) ([]Finding, error) {
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "log", "-p", "--all", "--reverse", "--no-color", "--no-ext-diff",
		"--unified=0", "--no-renames", "--format="+commitMarker+"%H")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("scan git history of %s: %w", dir, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("scan git history of %s: run git: %w (is git installed?)", dir, err)
	}
	out, perr := parseGitLog(stdout)
	_, _ = io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return out, fmt.Errorf("scan git history of %s: git log failed: %s", dir, msg)
	}
	if perr != nil {
		return out, fmt.Errorf("scan git history of %s: %w", dir, perr)
	}
	return out, nil
}

// parseGitLog reads `git log -p --unified=0` output and scans added lines.
func parseGitLog(r io.Reader) ([]Finding, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	var out []Finding
	seen := map[string]bool{}
	var commit, path string
	newLine := 0
	for {
		line, err := br.ReadString('\n')
		if len(line) > 0 {
			line = strings.TrimSuffix(line, "\n")
			switch {
			case strings.HasPrefix(line, commitMarker):
				commit, path = strings.TrimPrefix(line, commitMarker), ""
			case strings.HasPrefix(line, "+++ "):
				path = strings.TrimPrefix(line, "+++ ")
				if path == "/dev/null" {
					path = ""
				}
				path = unquoteGitPath(strings.TrimPrefix(path, "b/"))
			case strings.HasPrefix(line, "@@ "):
				newLine = hunkStart(line)
			case strings.HasPrefix(line, "+") && path != "":
				for _, f := range Text(path, line[1:]) {
					f.Line, f.Commit = newLine, commit
					id := f.Path + "\x00" + f.Display + "\x00" + f.digest
					if f.digest == "" {
						id += "\x00" + strconv.Itoa(newLine)
					}
					if !seen[id] {
						seen[id] = true
						out = append(out, f)
					}
				}
				newLine++
			case strings.HasPrefix(line, " "):
				newLine++
			}
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// hunkStart returns the first new-file line of "@@ -a,b +c,d @@".
func hunkStart(h string) int {
	i := strings.Index(h, " +")
	if i < 0 {
		return 0
	}
	rest := h[i+2:]
	if j := strings.IndexAny(rest, ", "); j >= 0 {
		rest = rest[:j]
	}
	n, _ := strconv.Atoi(rest)
	return n
}

// unquoteGitPath undoes git's C-style quoting of unusual file names.
func unquoteGitPath(p string) string {
	if strings.HasPrefix(p, "\"") {
		if u, err := strconv.Unquote(p); err == nil {
			return strings.TrimPrefix(u, "b/")
		}
	}
	return p
}
