package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/scan"
	"github.com/keygate/keygate/internal/wire"
)

func newScanCmd() *cobra.Command {
	var git, check, asJSON bool
	var addr string
	cmd := &cobra.Command{
		Use:   "scan PATH...",
		Short: "Find keygate keys (and OpenAI, Anthropic, Google keys) in files, directories or git history",
		Long: `Find credentials in files and directories, or with --git in every commit of a repository.

keygate keys are matched by prefix and checksum, so look-alikes are never reported; other
providers' keys by shape. Each finding is printed once with file, line and the key's display
form only. Exit status: 0 nothing found, 1 found something, 2 the scan failed.

--check asks the gateway (KEYGATE_ADDR, KEYGATE_ADMIN_TOKEN) which keygate keys are live,
sending only their SHA-256 digests.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var found []scan.Finding
			if git {
				for _, dir := range args {
					fs, err := scan.GitHistory(cmd.Context(), dir)
					if err != nil {
						return &exitError{code: 2, msg: "keygate scan: " + err.Error()}
					}
					found = append(found, fs...)
				}
			} else {
				fs, err := scan.Paths(args, scan.Options{})
				if err != nil {
					return &exitError{code: 2, msg: "keygate scan: " + err.Error()}
				}
				found = fs
			}
			status := map[string]wire.DigestStatus{}
			if check {
				var digests []string
				seen := map[string]bool{}
				for _, f := range found {
					if d := f.Digest(); d != "" && !seen[d] {
						seen[d] = true
						digests = append(digests, d)
					}
				}
				if len(digests) > 0 {
					c, err := newAdminClient(addr)
					if err != nil {
						return &exitError{code: 2, msg: "keygate scan --check: " + err.Error()}
					}
					for start := 0; start < len(digests); start += 1000 {
						var out struct {
							Data []wire.DigestStatus `json:"data"`
						}
						batch := digests[start:min(start+1000, len(digests))]
						if _, err := c.do(cmd.Context(), "POST", "/admin/v1/keys/check", map[string]any{"digests": batch}, &out, nil); err != nil {
							return &exitError{code: 2, msg: "keygate scan --check: " + err.Error()}
						}
						for _, s := range out.Data {
							status[s.Digest] = s
						}
					}
				}
			}
			if asJSON {
				type row struct {
					scan.Finding
					Gateway *wire.DigestStatus `json:"gateway,omitempty"`
				}
				rows := make([]row, 0, len(found))
				for _, f := range found {
					r := row{Finding: f}
					if s, ok := status[f.Digest()]; ok {
						r.Gateway = &s
					}
					rows = append(rows, r)
				}
				b, _ := json.MarshalIndent(map[string]any{"findings": rows}, "", "  ")
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
			} else {
				writeFindings(cmd.OutOrStdout(), found, status, check)
			}
			if len(found) > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&git, "git", false, "scan the history of the git repositories at PATH (every commit of every ref)")
	f.BoolVar(&check, "check", false, "ask the gateway which found keygate keys are live (sends digests only)")
	f.BoolVar(&asJSON, "json", false, "print findings as JSON")
	f.StringVar(&addr, "addr", "", "gateway URL for --check (KEYGATE_ADDR)")
	return cmd
}

func writeFindings(w io.Writer, found []scan.Finding, status map[string]wire.DigestStatus, check bool) {
	if len(found) == 0 {
		fmt.Fprintln(w, i18n.M("cli.scan.none").Render(cliLang()))
		return
	}
	l := cliLang()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range found {
		kind := f.Provider
		if f.Env != "" {
			kind += " " + f.Env
		}
		place := fmt.Sprintf("%s:%d:%d", f.Path, f.Line, f.Column)
		extra := ""
		if f.Commit != "" {
			extra = i18n.M("cli.scan.commit", i18n.S("commit", f.Commit[:min(12, len(f.Commit))])).Render(l)
		}
		if check && f.Digest() != "" {
			s, ok := status[f.Digest()]
			switch {
			case !ok || !s.Known:
				extra += "  " + i18n.M("cli.scan.unknown").Render(l)
			case s.State == "active" || s.State == "rotated":
				extra += "  " + i18n.M("cli.scan.live", i18n.S("state", s.State), i18n.S("id", s.ID), i18n.S("project", s.Project)).Render(l)
			default:
				extra += "  " + i18n.M("cli.scan.known", i18n.S("state", s.State), i18n.S("id", s.ID), i18n.S("project", s.Project)).Render(l)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", place, kind, f.Display, extra)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%s\n", i18n.M("cli.scan.total", i18n.N("n", len(found))).Render(l))
}
