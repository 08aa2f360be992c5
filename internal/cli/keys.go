package cli

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/wire"
)

// adminFlags are shared by the commands that call the admin API.
type adminFlags struct {
	addr string
	json bool
}

func (f *adminFlags) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.addr, "addr", "", "gateway URL (KEYGATE_ADDR, default "+defaultAddr+")")
	cmd.PersistentFlags().BoolVar(&f.json, "json", false, "print the API's JSON instead of a table")
}

// call runs one admin API call and prints either its JSON (--json) or
// what human renders from it.
func (f *adminFlags) call(cmd *cobra.Command, method, path string, body any, hdr http.Header, human func(io.Writer, json.RawMessage) error) error {
	c, err := newAdminClient(f.addr)
	if err != nil {
		return err
	}
	var raw json.RawMessage
	if _, err := c.do(cmd.Context(), method, path, body, &raw, hdr); err != nil {
		return err
	}
	if f.json {
		return writeJSONOut(cmd.OutOrStdout(), raw)
	}
	return human(cmd.OutOrStdout(), raw)
}

func newKeysCmd() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Create, list, disable, rotate and investigate API keys (through the admin API)",
		Long: `Manage API keys through the admin API of a running gateway, so every change is audited.

  KEYGATE_ADDR          the gateway (default ` + defaultAddr + `)
  KEYGATE_ADMIN_TOKEN   the owner token or a member's personal access token

Suspected leak, in order:
  keygate keys disable KEY_ID --reason "posted in a public gist"
  keygate keys impact KEY_ID --since 72h
  keygate keys rotate KEY_ID`,
	}
	af.register(cmd)
	cmd.AddCommand(keysCreateCmd(&af), keysListCmd(&af), keysShowCmd(&af), keysUpdateCmd(&af), keysDisableCmd(&af),
		keysEnableCmd(&af), keysRotateCmd(&af), keysDeleteCmd(&af), keysImpactCmd(&af))
	cmd.AddCommand(keysRotationCmd(&af), keysGraceCmd(&af), keysRetireCmd(&af)) // rotation.go
	return cmd
}

// parseWhen reads an RFC 3339 time or a duration ("90m", "24h", "7d")
// counted from now, into the past (sign -1) or the future (sign +1).
func parseWhen(s string, sign int) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := parseDays(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-01-02T15:04:05Z) nor a duration (90m, 24h, 7d)", s)
	}
	return time.Now().UTC().Add(time.Duration(sign) * d), nil
}

func parseDays(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.ParseFloat(n, 64)
		if err != nil {
			return 0, err
		}
		return time.Duration(v * 24 * float64(time.Hour)), nil
	}
	return time.ParseDuration(s)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func printKey(w io.Writer, raw json.RawMessage) error {
	var k wire.KeyView
	if err := json.Unmarshal(raw, &k); err != nil {
		return err
	}
	writeKeyDetail(w, k)
	return nil
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func writeKeyDetail(w io.Writer, k wire.KeyView) {
	l := cliLang()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(label i18n.Message, v string) { fmt.Fprintf(tw, "%s\t%s\n", label.Render(l), v) }
	by := func(t *time.Time, who string) string {
		return i18n.M("cli.key.by", i18n.S("when", fmtTime(t)), i18n.S("who", orDash(who))).Render(l)
	}
	row(i18n.M("cli.key.id"), k.ID)
	row(i18n.M("cli.key.display"), k.Display)
	row(i18n.M("cli.key.env"), k.Env)
	row(i18n.M("cli.key.state"), k.State)
	if k.StateAt != nil {
		row(i18n.M("cli.key.state_since"), by(k.StateAt, k.StateBy))
	}
	if k.StateReason != "" {
		row(i18n.M("cli.key.reason"), k.StateReason)
	}
	if k.GraceUntil != nil {
		row(i18n.M("cli.key.grace_until"), fmtTime(k.GraceUntil))
	}
	if k.ReplacedBy != "" {
		row(i18n.M("cli.key.replaced_by"), k.ReplacedBy)
	}
	if k.RotatedFrom != "" {
		row(i18n.M("cli.key.rotated_from"), k.RotatedFrom)
	}
	row(i18n.M("cli.key.name"), orDash(k.Name))
	row(i18n.M("cli.key.project"), k.Project)
	row(i18n.M("cli.key.group"), k.Group)
	row(i18n.M("cli.key.models"), orDash(strings.Join(k.Models, ", ")))
	row(i18n.M("cli.key.allowed_ips"), orDash(strings.Join(k.AllowedIPs, ", ")))
	row(i18n.M("cli.key.expires"), fmtTime(k.ExpiresAt))
	if k.Budget != nil {
		row(i18n.M("cli.key.budget"), i18n.M("cli.key.budget_value",
			i18n.S("usd", strconv.FormatFloat(k.Budget.LimitUSD, 'f', 2, 64)), i18n.S("period", k.Budget.Period)).Render(l))
	}
	if k.RPM > 0 || k.TPM > 0 {
		row(i18n.M("cli.key.limits"), i18n.M("cli.key.limits_value", i18n.N("rpm", k.RPM), i18n.N("tpm", k.TPM)).Render(l))
	}
	if k.Concurrency > 0 {
		row(i18n.M("cli.key.concurrency"), i18n.M("cli.key.concurrency_value", i18n.N("n", k.Concurrency)).Render(l))
	}
	row(i18n.M("cli.key.created"), by(&k.CreatedAt, k.CreatedBy))
	tw.Flush()
}

// printSecretOnce prints a new key's secret with the warning that it is
// shown only now.
func printSecretOnce(w io.Writer, k wire.KeyView) {
	if k.Key == "" {
		return
	}
	fmt.Fprintf(w, "\n%s\n\n    %s\n\n", i18n.M("cli.key.shown_once").Render(cliLang()), k.Key)
}

func keyFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("name", "", "a name to recognise the key by")
	f.String("group", "", "the key's group (model access and default limits)")
	f.String("models", "", "comma-separated model allow-list (empty: all the group allows)")
	f.String("allowed-ips", "", "comma-separated CIDRs the key may be used from")
	f.String("expires", "", "expiry: RFC 3339 time or a duration from now (30d, 12h)")
	f.Float64("budget-usd", 0, "budget in USD per --budget-period")
	f.String("budget-period", "monthly", "daily, monthly or total")
	f.Int("rpm", 0, "requests per minute (0: the group's default)")
	f.Int("tpm", 0, "tokens per minute (0: the group's default)")
	f.Int("concurrency", 0, "calls in flight per instance (0: the group's default, then KEYGATE_KEY_CONCURRENCY)")
}

// keyBody builds a create or update body from the flags that were set.
func keyBody(cmd *cobra.Command, update bool) (map[string]any, error) {
	f := cmd.Flags()
	body := map[string]any{}
	for _, name := range []string{"name", "group"} {
		if f.Changed(name) {
			v, _ := f.GetString(name)
			body[name] = v
		}
	}
	for flag, field := range map[string]string{"models": "models", "allowed-ips": "allowed_ips"} {
		if f.Changed(flag) {
			v, _ := f.GetString(flag)
			body[field] = append([]string{}, splitList(v)...)
		}
	}
	if f.Changed("expires") {
		v, _ := f.GetString("expires")
		if v == "" || v == "never" {
			if update {
				body["expires_at"] = nil
			}
		} else {
			t, err := parseWhen(v, +1)
			if err != nil {
				return nil, fmt.Errorf("--expires: %w", err)
			}
			body["expires_at"] = t
		}
	}
	if f.Changed("budget-usd") {
		v, _ := f.GetFloat64("budget-usd")
		p, _ := f.GetString("budget-period")
		if v == 0 && update {
			body["budget"] = nil
		} else {
			body["budget"] = map[string]any{"limit_usd": v, "period": p}
		}
	}
	for _, name := range []string{"rpm", "tpm", "concurrency"} {
		if f.Changed(name) {
			v, _ := f.GetInt(name)
			body[name] = v
		}
	}
	return body, nil
}

func keysCreateCmd(af *adminFlags) *cobra.Command {
	var project, env string
	cmd := &cobra.Command{
		Use:   "create --project NAME",
		Short: "Create a key; its secret is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body, err := keyBody(cmd, false)
			if err != nil {
				return err
			}
			body["project"], body["env"] = project, env
			return af.call(cmd, "POST", "/admin/v1/keys", body, nil, func(w io.Writer, raw json.RawMessage) error {
				var k wire.KeyView
				if err := json.Unmarshal(raw, &k); err != nil {
					return err
				}
				writeKeyDetail(w, k)
				printSecretOnce(w, k)
				return nil
			})
		},
	}
	keyFlags(cmd)
	cmd.Flags().StringVar(&project, "project", "", "the project the key belongs to (required)")
	cmd.Flags().StringVar(&env, "env", "live", "live (kg_live_) or test (kg_test_)")
	_ = cmd.MarkFlagRequired("project")
	return cmd
}

func keysListCmd(af *adminFlags) *cobra.Command {
	var project, env, state string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List keys (display forms only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"project": project, "env": env, "state": state} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			return af.call(cmd, "GET", "/admin/v1/keys?"+q.Encode(), nil, nil, func(w io.Writer, raw json.RawMessage) error {
				var out struct {
					Data []wire.KeyView `json:"data"`
				}
				if err := json.Unmarshal(raw, &out); err != nil {
					return err
				}
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, i18n.M("cli.key.list_header").Render(cliLang()))
				for _, k := range out.Data {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Display, k.Env, k.State, k.Project, k.Group,
						orDash(k.Name), fmtTime(k.ExpiresAt), k.CreatedAt.UTC().Format("2006-01-02 15:04"))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&project, "project", "", "only this project")
	cmd.Flags().StringVar(&env, "env", "", "only live or test keys")
	cmd.Flags().StringVar(&state, "state", "", "only keys in this state (active, disabled, rotated, expired, deleted)")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many")
	return cmd
}

func keysShowCmd(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show KEY_ID",
		Short: "Show one key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return af.call(cmd, "GET", "/admin/v1/keys/"+url.PathEscape(args[0]), nil, nil, printKey)
		},
	}
}

func keysUpdateCmd(af *adminFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "update KEY_ID",
		Short: "Change a key's name, scopes, expiry, budget or limits",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := keyBody(cmd, true)
			if err != nil {
				return err
			}
			if len(body) == 0 {
				return errors.New(i18n.M("cli.key.nothing_to_change").Render(cliLang()))
			}
			return af.call(cmd, "PATCH", "/admin/v1/keys/"+url.PathEscape(args[0]), body, nil, printKey)
		},
	}
	keyFlags(cmd)
	return cmd
}

func keysDisableCmd(af *adminFlags) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "disable KEY_ID",
		Short: "Refuse a key at once (every instance within the cache refresh)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return af.call(cmd, "POST", "/admin/v1/keys/"+url.PathEscape(args[0])+"/disable", map[string]string{"reason": reason}, nil, printKey)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (shown to the key's callers in the key_disabled error)")
	return cmd
}

func keysEnableCmd(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "enable KEY_ID",
		Short: "Re-enable a disabled key",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return af.call(cmd, "POST", "/admin/v1/keys/"+url.PathEscape(args[0])+"/enable", nil, nil, printKey)
		},
	}
}

func keysDeleteCmd(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "delete KEY_ID",
		Short: "Delete a key for good (it stays recognised, and refused, as deleted)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return af.call(cmd, "DELETE", "/admin/v1/keys/"+url.PathEscape(args[0]), nil, nil, printKey)
		},
	}
}

func newIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func keysRotateCmd(af *adminFlags) *cobra.Command {
	var grace time.Duration
	var idem string
	cmd := &cobra.Command{
		Use:   "rotate KEY_ID",
		Short: "Replace a key: a new key with the same settings; the old one works until --grace ends",
		Long: `Replace a key with a new one carrying the same name, project, group, scopes and limits.

The old key keeps working for --grace (default 0: refused at once, the leak path), then
answers key_rotated naming the replacement. A disabled key stays disabled. The call is
idempotent: it is retried once on a network error with the same Idempotency-Key.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if idem == "" {
				idem = newIdempotencyKey()
			}
			hdr := http.Header{"Idempotency-Key": {idem}}
			body := map[string]any{"grace_seconds": int64(grace / time.Second)}
			path := "/admin/v1/keys/" + url.PathEscape(args[0]) + "/rotate"
			human := func(w io.Writer, raw json.RawMessage) error {
				var v wire.RotateView
				if err := json.Unmarshal(raw, &v); err != nil {
					return err
				}
				l := cliLang()
				fmt.Fprintln(w, i18n.M("cli.rotate.done", i18n.S("old", v.OldKey.ID), i18n.S("old_display", v.OldKey.Display),
					i18n.S("new", v.ID), i18n.S("new_display", v.Display)).Render(l))
				if v.OldKey.State == "rotated" && v.OldKey.GraceUntil != nil {
					fmt.Fprintln(w, i18n.M("cli.rotate.grace", i18n.S("until", fmtTime(v.OldKey.GraceUntil))).Render(l))
				}
				if v.Note != "" {
					fmt.Fprintln(w, v.Note)
				}
				fmt.Fprintln(w)
				writeKeyDetail(w, v.KeyView)
				printSecretOnce(w, v.KeyView)
				return nil
			}
			err := af.call(cmd, "POST", path, body, hdr, human)
			var ae *apiError
			if err != nil && !errors.As(err, &ae) && cmd.Context().Err() == nil {
				fmt.Fprintln(cmd.ErrOrStderr(), i18n.M("cli.rotate.retry", i18n.S("err", err.Error())).Render(cliLang()))
				err = af.call(cmd, "POST", path, body, hdr, human)
			}
			return err
		},
	}
	cmd.Flags().DurationVar(&grace, "grace", 0, "how long the old key keeps working (e.g. 24h; max 720h)")
	cmd.Flags().StringVar(&idem, "idempotency-key", "", "reuse to make a retried rotation return the same new key")
	return cmd
}

func keysImpactCmd(af *adminFlags) *cobra.Command {
	var since, until string
	cmd := &cobra.Command{
		Use:   "impact KEY_ID",
		Short: "Incident report of a suspected leak: what the key did, from where, and who still tries it",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			for name, v := range map[string]string{"since": since, "until": until} {
				if v == "" {
					continue
				}
				t, err := parseWhen(v, -1)
				if err != nil {
					return fmt.Errorf("--%s: %w", name, err)
				}
				q.Set(name, t.Format(time.RFC3339))
			}
			return af.call(cmd, "GET", "/admin/v1/keys/"+url.PathEscape(args[0])+"/impact?"+q.Encode(), nil, nil,
				func(w io.Writer, raw json.RawMessage) error {
					var rep wire.ImpactReport
					if err := json.Unmarshal(raw, &rep); err != nil {
						return err
					}
					writeImpact(w, rep)
					return nil
				})
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "start: RFC 3339 time or a duration ago (72h, 7d); default 7 days ago")
	cmd.Flags().StringVar(&until, "until", "", "end: RFC 3339 time or a duration ago; default now")
	return cmd
}

// writeImpact prints the report as a summary an owner can paste into a
// ticket: plain text, display forms only.
func writeImpact(w io.Writer, r wire.ImpactReport) {
	l := cliLang()
	usd := func(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }
	stamp := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	k := r.Key
	fmt.Fprintln(w, i18n.M("cli.impact.title", i18n.S("display", k.Display), i18n.S("id", r.KeyID)).Render(l))
	fmt.Fprint(w, "  "+i18n.M("cli.impact.key", i18n.S("project", k.Project), i18n.S("group", k.Group), i18n.S("env", k.Env), i18n.S("state", k.State)).Render(l))
	if k.StateAt != nil && k.State != "active" {
		fmt.Fprint(w, i18n.M("cli.impact.since", i18n.S("when", fmtTime(k.StateAt))).Render(l))
	}
	fmt.Fprintln(w)
	if k.StateReason != "" {
		fmt.Fprintln(w, "  "+i18n.M("cli.impact.reason", i18n.S("reason", k.StateReason)).Render(l))
	}
	if k.ReplacedBy != "" {
		fmt.Fprintln(w, "  "+i18n.M("cli.impact.replaced_by", i18n.S("id", k.ReplacedBy)).Render(l))
	}
	fmt.Fprintf(w, "%s\n\n", i18n.M("cli.impact.window", i18n.S("since", stamp(r.Since)), i18n.S("until", stamp(r.Until))).Render(l))
	fmt.Fprintln(w, i18n.M("cli.impact.totals", i18n.N("requests", int(r.Requests)), i18n.S("spend", usd(r.SpendUSD)),
		i18n.N("refused", int(r.RejectedAfterDisable))).Render(l))
	fmt.Fprintln(w, i18n.M("cli.impact.baseline", i18n.N("requests", int(r.Baseline.Requests)),
		i18n.S("per_hour", strconv.FormatFloat(r.Baseline.RequestsPerHour, 'f', 2, 64))).Render(l))
	if len(r.Anomalies) > 0 {
		fmt.Fprintln(w, "\n"+i18n.M("cli.impact.anomalies").Render(l))
		for _, a := range r.Anomalies {
			fmt.Fprintf(w, "  ! %-18s %s\n", a.Kind, a.Message)
		}
	}
	if len(r.ByIP) > 0 {
		fmt.Fprintln(w, "\n"+i18n.M("cli.impact.by_ip").Render(l))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, i18n.M("cli.impact.ip_header").Render(l))
		for _, ip := range r.ByIP {
			isNew := ""
			if ip.New {
				isNew = i18n.M("cli.impact.new").Render(l)
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\t%s\t%s\n", orDash(ip.IP), ip.Requests, ip.Rejected, stamp(ip.FirstSeen), stamp(ip.LastSeen), isNew)
		}
		tw.Flush()
	}
	if len(r.ByModel) > 0 {
		fmt.Fprintln(w, "\n"+i18n.M("cli.impact.by_model").Render(l))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, m := range r.ByModel {
			fmt.Fprintf(tw, "  %s\t%s\t$%s\n", orDash(m.Model), i18n.M("cli.impact.requests", i18n.N("n", int(m.Requests))).Render(l), usd(m.SpendUSD))
		}
		tw.Flush()
	}
	if len(r.UserAgents) > 0 {
		fmt.Fprintln(w, "\n"+i18n.M("cli.impact.user_agents").Render(l))
		for _, u := range r.UserAgents {
			fmt.Fprintf(w, "  %6d  %s\n", u.Requests, orDash(u.UserAgent))
		}
	}
	if len(r.ByHour) > 0 {
		fmt.Fprintln(w, "\n"+i18n.M("cli.impact.by_hour").Render(l))
		for _, h := range r.ByHour {
			fmt.Fprintf(w, "  %s  %s  $%s\n", h.Hour, i18n.M("cli.impact.requests", i18n.N("n", int(h.Requests))).Render(l), usd(h.SpendUSD))
		}
	}
	if len(r.RejectedAttempts) > 0 {
		fmt.Fprintln(w, "\n"+i18n.M("cli.impact.refused").Render(l))
		for _, a := range r.RejectedAttempts {
			fmt.Fprintf(w, "  %s  %-15s  %-16s  %s  %s\n", stamp(a.Time), a.IP, a.Code, a.RequestID, orDash(a.UserAgent))
		}
	}
}
