package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
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
	state := "enabled"
	if m.Disabled {
		state = "disabled"
	}
	fmt.Fprintf(w, "%s  %s  role %s  projects %s  %s\n", m.ID, m.Email, m.Role, orDash(m.projects()), state)
	if b := m.budget(); b != "" {
		fmt.Fprintf(w, "budget: %s\n", b)
	}
	if m.Token != "" {
		fmt.Fprintf(w, "\nPersonal access token — shown ONCE, store it now:\n\n    %s\n\nUse it as KEYGATE_ADMIN_TOKEN for the CLI, or as the Bearer token of the admin API.\n", m.Token)
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
		return "", fmt.Errorf("--password-stdin: stdin held no password; pipe one line, e.g. `pass show keygate/ana | keygate members …`")
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
				fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tPROJECTS\tSTATE\tPASSWORD")
				for _, m := range out.Data {
					state, pw := "enabled", "no"
					if m.Disabled {
						state = "disabled"
					}
					if m.HasPassword {
						pw = "yes"
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
				return fmt.Errorf("--disable and --enable contradict each other: choose one")
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
				return fmt.Errorf("nothing to change: give --role, --projects, --disable, --enable, --password-stdin, --clear-password or --budget-usd")
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
			return fmt.Errorf("--budget-period needs --budget-usd (the amount per period)")
		}
		return nil
	}
	v, _ := f.GetFloat64("budget-usd")
	p, _ := f.GetString("budget-period")
	switch {
	case v < 0:
		return fmt.Errorf("--budget-usd %v: a budget cannot be negative (0 removes it)", v)
	case p != "daily" && p != "monthly" && p != "total":
		return fmt.Errorf("--budget-period %q: use daily, monthly or total", p)
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
				fmt.Fprintf(w, "Removed %s. %s\n", out.Email, out.Note)
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
