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
		Use:   "create --email EMAIL --role ROLE [--projects a,b]",
		Short: "Add a member; their personal access token is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			body := map[string]any{"email": email, "role": role, "projects": splitList(projects)}
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
		Use:   "update MEMBER_ID [--role ROLE] [--projects a,b] [--disable|--enable]",
		Short: "Change a member's role, projects, password or state",
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
			if len(body) == 0 {
				return fmt.Errorf("nothing to change: give --role, --projects, --disable, --enable, --password-stdin or --clear-password")
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
	return cmd
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
