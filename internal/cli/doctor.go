package cli

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/doctor"
	"github.com/keygate/keygate/internal/i18n"
)

func newDoctorCmd() *cobra.Command {
	var baseURL, key, model string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "doctor --base-url URL --key KEY [--model M]",
		Short: "Check a client setup against keygate or any OpenAI-compatible server",
		Long: `Run the minimal checks a client needs, in order, and print a checklist:

  1. the base URL answers and speaks the OpenAI API (detects a missing or
     doubled /v1 and a server that is not keygate);
  2. the key's format, checked locally before it is sent (whitespace, quotes,
     invisible characters, checksum, another provider's key, unset variable);
  3. GET /models with the key;
  4. the model exists and the key may use it (with "did you mean");
  5. a 1-token chat completion (status, latency, request id).

It ends with an evidence block to paste into a support ticket: the key's
display form (kg_live_7HqK…p2Xe), never the key. Exit status 0 only when
every check passes.

The key may come from --key, KEYGATE_KEY or OPENAI_API_KEY (in that order);
the base URL from --base-url, KEYGATE_BASE_URL or OPENAI_BASE_URL. Prefer
the variables: a key on the command line lands in shell history.

It reports every problem in one run: a mistake it can correct for (spaces or
quotes around the key, a base URL missing /v1) is reported, and the next
checks go on with the corrected value.

Output is in English or Simplified Chinese: KEYGATE_LANG (en, zh-CN), else the
locale (LC_ALL, LC_MESSAGES, LANG; zh_CN.UTF-8 gives Chinese). keygate is
asked for its messages and hints in the same language.`,
		Example: `  keygate doctor --base-url http://127.0.0.1:8080/v1 --model mock-gpt
  KEYGATE_KEY=kg_live_… keygate doctor --base-url https://gw.example.com/v1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if key == "" {
				key = doctorEnv("KEYGATE_KEY", "OPENAI_API_KEY")
			}
			if baseURL == "" {
				baseURL = doctorEnv("KEYGATE_BASE_URL", "OPENAI_BASE_URL")
			}
			lang := cliLang()
			if baseURL == "" {
				return &exitError{code: 2, msg: i18n.M("doctor.cli.no_base").Render(lang)}
			}
			out := cmd.OutOrStdout()
			rep := doctor.Run(cmd.Context(), doctor.Options{BaseURL: baseURL, Key: key, Model: model, Timeout: timeout, Lang: lang})
			rep.Write(out)
			if !rep.OK() {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&baseURL, "base-url", "", "base URL clients use, ending in /v1 (KEYGATE_BASE_URL, OPENAI_BASE_URL)")
	f.StringVar(&key, "key", "", "API key to check (KEYGATE_KEY, OPENAI_API_KEY); never printed")
	f.StringVar(&model, "model", "", "model to check (default: the first one the key may use)")
	f.DurationVar(&timeout, "timeout", 30*time.Second, "timeout of each HTTP request")
	return cmd
}

// doctorEnv returns the first non-empty environment variable of names.
func doctorEnv(names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
			return v
		}
	}
	return ""
}
