package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/channelcheck"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/wire"
)

func newChannelsCmd() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "channels",
		Short: "Add, change, test and watch upstream channels (through the admin API)",
		Long: `Manage upstream channels through the admin API of a running gateway, so every change is
audited and reaches every instance.

  KEYGATE_ADDR          the gateway (default ` + defaultAddr + `)
  KEYGATE_ADMIN_TOKEN   the owner token or a member's personal access token

A new upstream, in order:
  keygate channels add openai-main --base-url https://api.openai.com/v1 --api-key-stdin --models gpt-4o-mini < key.txt
  keygate channels test openai-main
  keygate channels models openai-main --diff

Channels declared in KEYGATE_CONFIG are managed by the file: they can be disabled, enabled
and tested here, not changed.`,
	}
	af.register(cmd)
	cmd.AddCommand(channelsListCmd(&af), channelsShowCmd(&af), channelsAddCmd(&af), channelsUpdateCmd(&af),
		channelsStateCmd(&af, "disable"), channelsStateCmd(&af, "enable"), channelsTestCmd(&af), channelsModelsCmd(&af))
	return cmd
}

func channelPath(name string, rest ...string) string {
	return "/admin/v1/channels/" + url.PathEscape(name) + strings.Join(rest, "")
}

func printChannels(w io.Writer, raw json.RawMessage) error {
	var out struct {
		Data []wire.ChannelView `json:"data"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, i18n.M("cli.channel.list_header").Render(cliLang()))
	for _, c := range out.Data {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, c.Type, channelState(c), strings.Join(c.Models, ","), c.Credential,
			lastTest(c.LastTest), orDash(c.ManagedBy))
	}
	return tw.Flush()
}

func channelState(c wire.ChannelView) string {
	if !c.Enabled && c.State != "disabled" {
		return "disabled"
	}
	return c.State
}

func lastTest(raw json.RawMessage) string {
	var r channelcheck.Report
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &r) != nil {
		return "never"
	}
	verdict := "ok"
	if !r.OK {
		verdict = "FAILED"
	}
	return verdict + " " + r.At.Format("2006-01-02 15:04")
}

func printChannel(w io.Writer, raw json.RawMessage) error {
	var c wire.ChannelView
	if err := json.Unmarshal(raw, &c); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s  %s  %s  state %s\n", c.Name, c.Type, c.BaseURL, channelState(c))
	fmt.Fprintf(w, "models: %s\n", strings.Join(c.Models, ", "))
	if len(c.ModelMap) > 0 {
		var m []string
		for k, v := range c.ModelMap {
			m = append(m, k+"→"+v)
		}
		fmt.Fprintf(w, "model map: %s\n", strings.Join(m, ", "))
	}
	fmt.Fprintf(w, "groups: %s  priority %d  weight %d\n", orDash(strings.Join(c.Groups, ",")), c.Priority, c.Weight)
	cred := c.Credential
	if f := c.CredentialFingerprint; f != nil && f.Set {
		cred += fmt.Sprintf(" (%s, %d characters", f.Kind, f.Length)
		if f.Last4 != "" {
			cred += ", ending " + f.Last4
		}
		cred += ")"
	} else if f != nil && f.Source == "env" {
		cred += " (the variable is not set on the answering instance)"
	}
	fmt.Fprintf(w, "credential: %s\n", cred)
	if c.APIVersion != "" {
		fmt.Fprintf(w, "api version: %s\n", c.APIVersion)
	}
	if c.DisabledReason != "" {
		fmt.Fprintf(w, "disabled: %s\n", c.DisabledReason)
	} else if c.LastError != "" {
		fmt.Fprintf(w, "last error: %s\n", c.LastError)
	}
	fmt.Fprintf(w, "managed by: %s  last test: %s\n", orDash(c.ManagedBy), lastTest(c.LastTest))
	return nil
}

// channelFlags are the definition flags shared by add and update; only
// the flags given are sent.
type channelFlags struct {
	typ, baseURL, apiKeyEnv, models, groups, modelMap, apiVersion string
	apiKeyStdin                                                   bool
	priority, weight, maxAttempts, breakerFailures                int
}

func (f *channelFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.typ, "type", "openai", "openai, anthropic, gemini or azure")
	fl.StringVar(&f.baseURL, "base-url", "", "the upstream's API root, e.g. https://api.openai.com/v1")
	fl.StringVar(&f.apiKeyEnv, "api-key-env", "", "name of the environment variable holding the credential on every instance")
	fl.BoolVar(&f.apiKeyStdin, "api-key-stdin", false, "read the credential from stdin (stored sealed; never on the command line)")
	fl.StringVar(&f.models, "models", "", "comma-separated models the channel serves")
	fl.StringVar(&f.groups, "groups", "", "comma-separated groups that may use it (empty: all)")
	fl.StringVar(&f.modelMap, "model-map", "", "catalogue=upstream names, comma-separated (azure: model=deployment)")
	fl.StringVar(&f.apiVersion, "api-version", "", "azure channels: the api-version")
	fl.IntVar(&f.priority, "priority", 0, "higher is tried first")
	fl.IntVar(&f.weight, "weight", 1, "share among channels of the same priority")
	fl.IntVar(&f.maxAttempts, "max-attempts", 0, "channels one call may try when this one is first (0: the default)")
	fl.IntVar(&f.breakerFailures, "breaker-failures", 0, "consecutive failures that open the breaker (0: the default)")
}

func (f *channelFlags) body(cmd *cobra.Command, create bool) (map[string]any, error) {
	b := map[string]any{}
	ch := func(name string) bool { return create || cmd.Flags().Changed(name) }
	if ch("type") {
		b["type"] = f.typ
	}
	if ch("base-url") {
		b["base_url"] = f.baseURL
	}
	if cmd.Flags().Changed("api-key-env") {
		b["api_key_env"] = f.apiKeyEnv
	}
	if f.apiKeyStdin {
		k, err := readPassword(cmd)
		if err != nil {
			return nil, errors.New(i18n.M("cli.channel.no_credential").Render(cliLang()))
		}
		b["api_key"] = k
	}
	if ch("models") {
		b["models"] = splitList(f.models)
	}
	if cmd.Flags().Changed("groups") {
		b["groups"] = splitList(f.groups)
	}
	if cmd.Flags().Changed("model-map") {
		m := map[string]string{}
		for _, kv := range splitList(f.modelMap) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" || v == "" {
				return nil, fmt.Errorf("--model-map %q: want name=upstream-name pairs", kv)
			}
			m[k] = v
		}
		b["model_map"] = m
	}
	if cmd.Flags().Changed("api-version") {
		b["api_version"] = f.apiVersion
	}
	for flag, field := range map[string]string{"priority": "priority", "weight": "weight", "max-attempts": "max_attempts", "breaker-failures": "breaker_failures"} {
		if cmd.Flags().Changed(flag) {
			v, _ := cmd.Flags().GetInt(flag)
			b[field] = v
		}
	}
	return b, nil
}

func channelsListCmd(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List channels with their state and last test",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return af.call(cmd, "GET", "/admin/v1/channels", nil, nil, printChannels)
		},
	}
}

func channelsShowCmd(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show one channel: definition, credential fingerprint, health, last test",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return af.call(cmd, "GET", channelPath(args[0]), nil, nil, printChannel)
		},
	}
}

func channelsAddCmd(af *adminFlags) *cobra.Command {
	var f channelFlags
	cmd := &cobra.Command{
		Use:   "add NAME --base-url URL --models a,b [--api-key-env VAR | --api-key-stdin]",
		Short: "Add a channel; it serves the next call on every instance",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := f.body(cmd, true)
			if err != nil {
				return err
			}
			b["name"] = args[0]
			return af.call(cmd, "POST", "/admin/v1/channels", b, nil, printChannel)
		},
	}
	f.register(cmd)
	_ = cmd.MarkFlagRequired("base-url")
	_ = cmd.MarkFlagRequired("models")
	return cmd
}

func channelsUpdateCmd(af *adminFlags) *cobra.Command {
	var f channelFlags
	cmd := &cobra.Command{
		Use:   "update NAME [flags]",
		Short: "Change a channel (only the flags given)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := f.body(cmd, false)
			if err != nil {
				return err
			}
			if len(b) == 0 {
				return errors.New(i18n.M("cli.channel.nothing_to_change").Render(cliLang()))
			}
			return af.call(cmd, "PATCH", channelPath(args[0]), b, nil, printChannel)
		},
	}
	f.register(cmd)
	return cmd
}

func channelsStateCmd(af *adminFlags, verb string) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   verb + " NAME",
		Short: map[string]string{"disable": "Take a channel out of rotation on every instance", "enable": "Put a channel back into rotation, with a fresh breaker"}[verb],
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var body any
			if reason != "" {
				body = map[string]any{"reason": reason}
			}
			return af.call(cmd, "POST", channelPath(args[0], "/"+verb), body, nil, printChannel)
		},
	}
	if verb == "disable" {
		cmd.Flags().StringVar(&reason, "reason", "", "why, for the audit log and the channel view")
	}
	return cmd
}

// errTestFailed makes `channels test` exit non-zero when a step failed.
type testFailed struct{}

func (testFailed) Error() string { return i18n.M("cli.channel.test_failed").Render(cliLang()) }

var errTestFailed error = testFailed{}

func channelsTestCmd(af *adminFlags) *cobra.Command {
	var model string
	cmd := &cobra.Command{
		Use:   "test NAME [--model M]",
		Short: "The doctor for an upstream: reachable, credential accepted, models listed, a 1-token call per model",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var body any
			if model != "" {
				body = map[string]any{"model": model}
			}
			failed := false
			err := af.call(cmd, "POST", channelPath(args[0], "/test"), body, nil, func(w io.Writer, raw json.RawMessage) error {
				var r channelcheck.Report
				if err := json.Unmarshal(raw, &r); err != nil {
					return err
				}
				failed = !r.OK
				return printReport(w, r)
			})
			if err == nil && failed {
				return errTestFailed
			}
			return err
		},
	}
	cmd.Flags().StringVar(&model, "model", "", "call only this model")
	return cmd
}

func mark(ok bool) string {
	if ok {
		return i18n.M("cli.channel.ok").Render(cliLang())
	}
	return i18n.M("cli.channel.fail").Render(cliLang())
}

func printReport(w io.Writer, r channelcheck.Report) error {
	l := cliLang()
	fmt.Fprintln(w, i18n.M("cli.channel.report", i18n.S("name", r.Channel), i18n.S("type", r.Type),
		i18n.S("at", r.At.Format("2006-01-02 15:04:05Z07:00"))).Render(l))
	for _, s := range []struct {
		name string
		step channelcheck.Step
	}{{i18n.M("cli.channel.reachable").Render(l), r.Reachable}, {i18n.M("cli.channel.credential").Render(l), r.Credential},
		{i18n.M("cli.channel.models").Render(l), r.Models.Step}} {
		fmt.Fprintf(w, "  %s  %s  %s\n", mark(s.step.OK), s.name, s.step.Detail)
		if s.step.Fix != "" {
			fmt.Fprintf(w, "        %s\n", i18n.M("cli.channel.fix", i18n.S("fix", s.step.Fix)).Render(l))
		}
	}
	for _, c := range r.Calls {
		name := c.Model
		if c.Upstream != "" {
			name += " (" + c.Upstream + ")"
		}
		line := fmt.Sprintf("  %s  %s%s  %d ms", mark(c.OK), i18n.M("cli.channel.call").Render(l), name, c.LatencyMS)
		if c.Error != "" {
			line += "  " + c.Error
		}
		fmt.Fprintln(w, line)
	}
	return nil
}

func channelsModelsCmd(af *adminFlags) *cobra.Command {
	var diff bool
	cmd := &cobra.Command{
		Use:   "models NAME [--diff]",
		Short: "The upstream's model list; --diff: the new ones it offers and the claimed ones it lacks",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return af.call(cmd, "GET", channelPath(args[0], "/models"), nil, nil, func(w io.Writer, raw json.RawMessage) error {
				var d wire.ModelsDiff
				if err := json.Unmarshal(raw, &d); err != nil {
					return err
				}
				if !diff {
					for _, m := range d.Listed {
						fmt.Fprintln(w, m)
					}
					return nil
				}
				for _, m := range d.New {
					fmt.Fprintf(w, "+ %s\n", m)
				}
				for _, m := range d.Missing {
					fmt.Fprintln(w, i18n.M("cli.channel.missing", i18n.S("model", m)).Render(cliLang()))
				}
				if len(d.New)+len(d.Missing) == 0 {
					fmt.Fprintln(w, i18n.M("cli.channel.exact", i18n.S("name", d.Channel), i18n.N("n", len(d.Listed))).Render(cliLang()))
				} else if len(d.New) > 0 {
					fmt.Fprintf(w, "\n%s\n", i18n.M("cli.channel.nothing_added", i18n.S("name", d.Channel)).Render(cliLang()))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&diff, "diff", false, "show only the differences with the channel's models")
	return cmd
}
