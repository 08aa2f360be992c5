package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/i18n"
)

// memberOut is the admin API's member, as the CLI prints it.
type memberOut struct {
	ID          string   `json:"id"`
	Email       string   `json:"email"`
	Role        string   `json:"role"`
	Projects    []string `json:"projects"`
	AllProjects bool     `json:"all_projects"`
	Disabled    bool     `json:"disabled"`
	HasPassword bool     `json:"has_password"`
	Token       string   `json:"token"`
	Budget      *struct {
		LimitUSD float64 `json:"limit_usd"`
		Period   string  `json:"period"`
	} `json:"budget"`
	SpentUSD       *float64   `json:"spent_usd"`
	BudgetResetsAt *time.Time `json:"budget_resets_at"`
}

// budget describes the member's budget and what is spent of it.
func (m memberOut) budget() string {
	if m.Budget == nil {
		return ""
	}
	s := fmt.Sprintf("$%.2f %s", m.Budget.LimitUSD, m.Budget.Period)
	if m.SpentUSD != nil {
		s = fmt.Sprintf("$%.2f of %s", *m.SpentUSD, s)
	}
	if m.BudgetResetsAt != nil {
		s += ", resets " + m.BudgetResetsAt.UTC().Format(time.RFC3339)
	}
	return s
}

func (m memberOut) projects() string {
	if m.AllProjects {
		return "(all)"
	}
	return strings.Join(m.Projects, ",")
}

func newMembersCmd() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "members",
		Short: "People who use the admin API: roles, projects and personal access tokens",
		Long: `Manage members through the admin API. Roles:

  owner    everything
  admin    everything but owners
  member   keys, logs and usage of their own projects
  support  read request evidence, logs and keys; change nothing
  viewer   read-only

A member's personal access token (kg_pat_…) is printed once, at creation and by ` + "`members token`" + `.`,
	}
	af.register(cmd)
	cmd.AddCommand(membersCreateCmd(&af), membersListCmd(&af), membersShowCmd(&af), membersUpdateCmd(&af),
		membersDeleteCmd(&af), membersTokenCmd(&af))
	return cmd
}

func printMember(w io.Writer, raw json.RawMessage) error {
	var m memberOut
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	l := cliLang()
	state := i18n.M("cli.member.enabled").Render(l)
	if m.Disabled {
		state = i18n.M("cli.member.disabled").Render(l)
	}
	fmt.Fprintln(w, i18n.M("cli.member.line", i18n.S("id", m.ID), i18n.S("email", m.Email), i18n.S("role", m.Role),
		i18n.S("projects", orDash(m.projects())), i18n.S("state", state)).Render(l))
	if b := m.budget(); b != "" {
		fmt.Fprintln(w, i18n.M("cli.member.budget", i18n.S("budget", b)).Render(l))
	}
	if m.Token != "" {
		fmt.Fprintf(w, "\n%s\n\n    %s\n\n%s\n", i18n.M("cli.member.token_once").Render(l), m.Token, i18n.M("cli.member.token_use").Render(l))
	}
	return nil
}

// readPassword reads one line from stdin for --password-stdin, so a
// password never sits in shell history or the process list.
func readPassword(cmd *cobra.Command) (string, error) {
	in := cmd.InOrStdin()
	if in == nil {
		in = os.Stdin
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", errors.New(i18n.M("cli.member.no_password").Render(cliLang()))
	}
	return pw, nil
}

func membersCreateCmd(af *adminFlags) *cobra.Command {
	var email, role, projects string
	var pwStdin bool
	cmd := &cobra.Command{
		Use:   "create --email EMAIL --role ROLE [--projects a,b] [--budget-usd N --budget-period P]",
		Short: "Add a member; their personal access token is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body := map[string]any{"email": email, "role": role, "projects": splitList(projects)}
			if err := memberBudget(cmd, body, false); err != nil {
				return err
			}
			if pwStdin {
				pw, err := readPassword(cmd)
				if err != nil {
					return err
				}
				body["password"] = pw
			}
			return af.call(cmd, "POST", "/admin/v1/members", body, nil, printMember)
		},
	}
	f := cmd.Flags()
	f.StringVar(&email, "email", "", "the member's email (required)")
	f.StringVar(&role, "role", "member", "owner, admin, member, support or viewer")
	f.StringVar(&projects, "projects", "", "comma-separated projects the member works on (required for role member)")
	f.BoolVar(&pwStdin, "password-stdin", false, "read a dashboard password from stdin")
	budgetFlags(cmd)
	_ = cmd.MarkFlagRequired("email")
	return cmd
}

func membersListCmd(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the members you can see",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return af.call(cmd, "GET", "/admin/v1/members", nil, nil, func(w io.Writer, raw json.RawMessage) error {
				var out struct {
					Data []memberOut `json:"data"`
				}
				if err := json.Unmarshal(raw, &out); err != nil {
					return err
				}
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				l := cliLang()
				fmt.Fprintln(tw, i18n.M("cli.member.list_header").Render(l))
				for _, m := range out.Data {
					state, pw := i18n.M("cli.member.enabled").Render(l), i18n.M("cli.member.no").Render(l)
					if m.Disabled {
						state = i18n.M("cli.member.disabled").Render(l)
					}
					if m.HasPassword {
						pw = i18n.M("cli.member.yes").Render(l)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Email, m.Role, orDash(m.projects()), state, pw)
				}
				return tw.Flush()
			})
		},
	}
}

func membersShowCmd(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show MEMBER_ID|me",
		Short: "Show one member (me: the owner of KEYGATE_ADMIN_TOKEN)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return af.call(cmd, "GET", "/admin/v1/members/"+url.PathEscape(args[0]), nil, nil, printMember)
		},
	}
}

func membersUpdateCmd(af *adminFlags) *cobra.Command {
	var role, projects string
	var disable, enable, pwStdin, clearPw bool
	cmd := &cobra.Command{
		Use:   "update MEMBER_ID [--role ROLE] [--projects a,b] [--disable|--enable] [--budget-usd N --budget-period P]",
		Short: "Change a member's role, projects, password, state or budget",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			f := cmd.Flags()
			if f.Changed("role") {
				body["role"] = role
			}
			if f.Changed("projects") {
				body["projects"] = splitList(projects)
			}
			if disable && enable {
				return errors.New(i18n.M("cli.member.enable_disable").Render(cliLang()))
			}
			if disable || enable {
				body["disabled"] = disable
			}
			if pwStdin {
				pw, err := readPassword(cmd)
				if err != nil {
					return err
				}
				body["password"] = pw
			} else if clearPw {
				body["password"] = nil
			}
			if err := memberBudget(cmd, body, true); err != nil {
				return err
			}
			if len(body) == 0 {
				return errors.New(i18n.M("cli.member.nothing_to_change").Render(cliLang()))
			}
			return af.call(cmd, "PATCH", "/admin/v1/members/"+url.PathEscape(args[0]), body, nil, printMember)
		},
	}
	f := cmd.Flags()
	f.StringVar(&role, "role", "", "new role")
	f.StringVar(&projects, "projects", "", "new comma-separated project list (replaces the old one)")
	f.BoolVar(&disable, "disable", false, "refuse the member's token until enabled again")
	f.BoolVar(&enable, "enable", false, "accept the member's token again")
	f.BoolVar(&pwStdin, "password-stdin", false, "read a new dashboard password from stdin")
	f.BoolVar(&clearPw, "clear-password", false, "remove the dashboard password")
	budgetFlags(cmd)
	return cmd
}

func budgetFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.Float64("budget-usd", 0, "budget in USD per --budget-period for all the member's keys together (0 on update: remove it)")
	f.String("budget-period", "monthly", "daily, monthly or total")
}

// memberBudget adds "budget" to a create or update body when --budget-usd
// or --budget-period was given.
func memberBudget(cmd *cobra.Command, body map[string]any, update bool) error {
	f := cmd.Flags()
	if !f.Changed("budget-usd") {
		if f.Changed("budget-period") {
			return errors.New(i18n.M("cli.member.period_needs_usd").Render(cliLang()))
		}
		return nil
	}
	v, _ := f.GetFloat64("budget-usd")
	p, _ := f.GetString("budget-period")
	switch {
	case v < 0:
		return errors.New(i18n.M("cli.member.negative_budget", i18n.S("value", strconv.FormatFloat(v, 'g', -1, 64))).Render(cliLang()))
	case p != "daily" && p != "monthly" && p != "total":
		return errors.New(i18n.M("cli.member.bad_period", i18n.Q("value", p)).Render(cliLang()))
	case v == 0 && update:
		body["budget"] = nil
	case v > 0:
		body["budget"] = map[string]any{"limit_usd": v, "period": p}
	}
	return nil
}

func membersDeleteCmd(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "delete MEMBER_ID",
		Short: "Remove a member; their token stops working, their keys keep working",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return af.call(cmd, "DELETE", "/admin/v1/members/"+url.PathEscape(args[0]), nil, nil, func(w io.Writer, raw json.RawMessage) error {
				var out struct {
					Email string `json:"email"`
					Note  string `json:"note"`
				}
				if err := json.Unmarshal(raw, &out); err != nil {
					return err
				}
				fmt.Fprintln(w, i18n.M("cli.member.removed", i18n.S("email", out.Email), i18n.S("note", out.Note)).Render(cliLang()))
				return nil
			})
		},
	}
}

func membersTokenCmd(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "token MEMBER_ID|me",
		Short: "Issue a new personal access token (printed once); the old one stops working at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return af.call(cmd, "POST", "/admin/v1/members/"+url.PathEscape(args[0])+"/token", nil, nil, printMember)
		},
	}
}
