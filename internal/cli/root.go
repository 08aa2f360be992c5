// Package cli is the keygate command line: one file per command. Commands
// that change state talk to the admin API, so every change is audited in one
// place.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/i18n"
)

// Run executes the command line and returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.ExecuteContext(ctx); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(stderr, ee.msg)
			}
			return ee.code
		}
		fmt.Fprintln(stderr, "keygate:", err)
		return 1
	}
	return 0
}

// exitError ends a command with a specific exit code.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "keygate",
		Short:         "keygate — an OpenAI-compatible AI API gateway with safe keys and self-explaining errors",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newMockUpstreamCmd(), newBenchCmd(), newBenchProxyCmd(), newTokenCmd(), newMigrateCmd())
	root.AddCommand(newDoctorCmd(), newSupportCmd())
	root.AddCommand(newKeysCmd(), newAuditCmd(), newScanCmd())
	root.AddCommand(newMembersCmd(), newUsageCmd())
	root.AddCommand(newIncidentsCmd(), newJobsCmd(), newChannelsCmd())
	return root
}

func getenv(name string) string { return os.Getenv(name) }

// cliLang is the language of what the command line prints, and the one it
// asks the gateway to answer in (Accept-Language): KEYGATE_LANG, else the
// locale in POSIX order (LC_ALL, LC_MESSAGES, LANG); English otherwise.
func cliLang() i18n.Lang {
	for _, name := range []string{"KEYGATE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(name); v != "" {
			l, _ := i18n.Parse(v)
			return l
		}
	}
	return i18n.EN
}
