package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/incident"
)

func newIncidentsCmd() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "incidents",
		Short: "Incident handoff records: open, list, show (Markdown), note, update, resolve",
		Long: `Incident records keep what the next person needs: the keys and requests involved, the
symptom, the evidence (impact report, rotation status), the actions taken (from the
audit log) and what is left. A key disabled for a leak opens one automatically.

Never paste a key or credential: text that holds one is refused (checked here, before
it leaves this machine, and again by the gateway). Refer to keys by id or display form.`,
	}
	af.register(cmd)
	cmd.AddCommand(incidentsListCmd(&af), incidentsShowCmd(&af), incidentsOpenCmd(&af), incidentsNoteCmd(&af),
		incidentsUpdateCmd(&af), incidentsResolveCmd(&af))
	return cmd
}

// checkLocal refuses text with a secret before it is sent anywhere.
func checkLocal(fields map[string]string) error {
	for name, v := range fields {
		if err := incident.CheckText("--"+name, v); err != nil {
			return wrapErr(i18n.M("cli.incident.secret_in_text", i18n.S("err", err.Error())).Render(cliLang()), err)
		}
	}
	return nil
}

func incidentsListCmd(af *adminFlags) *cobra.Command {
	var state, key string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List incidents (unresolved by default)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if state != "" {
				q.Set("state", state)
			}
			if key != "" {
				q.Set("key_id", key)
			}
			return af.call(cmd, "GET", "/admin/v1/incidents?"+q.Encode(), nil, nil, func(w io.Writer, raw json.RawMessage) error {
				var out struct {
					Data []struct {
						ID         string     `json:"id"`
						Title      string     `json:"title"`
						State      string     `json:"state"`
						Owner      string     `json:"owner"`
						Project    string     `json:"project"`
						NextReview *time.Time `json:"next_review"`
						Overdue    bool       `json:"review_overdue"`
						CreatedAt  time.Time  `json:"created_at"`
					} `json:"data"`
				}
				if err := json.Unmarshal(raw, &out); err != nil {
					return err
				}
				if len(out.Data) == 0 {
					fmt.Fprintln(w, i18n.M("cli.incident.none").Render(cliLang()))
					return nil
				}
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, i18n.M("cli.incident.list_header").Render(cliLang()))
				for _, in := range out.Data {
					review := fmtTime(in.NextReview)
					if in.Overdue {
						review += " (overdue)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.State, in.CreatedAt.UTC().Format(time.RFC3339), orDash(in.Owner),
						orDash(in.Project), review, in.Title)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "open, contained, resolved, unresolved (default) or all")
	cmd.Flags().StringVar(&key, "key", "", "only incidents of this key id")
	return cmd
}

func incidentsShowCmd(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show INCIDENT_ID",
		Short: "Print the incident as a Markdown summary for a ticket or a post-incident review",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/admin/v1/incidents/" + url.PathEscape(args[0])
			if af.json {
				return af.call(cmd, "GET", path, nil, nil, nil)
			}
			c, err := newAdminClient(af.addr)
			if err != nil {
				return err
			}
			var raw json.RawMessage
			if _, err := c.do(cmd.Context(), "GET", path+"?format=markdown", nil, &raw, nil); err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(raw)
			return err
		},
	}
}

// incidentFlags are the fields of open and update.
type incidentFlags struct {
	title, owner, env, deployment, capability, symptom, state, nextReview, lastGood, note string
	keys, requests                                                                        []string
}

func (f *incidentFlags) register(cmd *cobra.Command, open bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.title, "title", "", "what is wrong, in a few words")
	fl.StringVar(&f.owner, "owner", "", "who carries it now (email)")
	fl.StringVar(&f.env, "env", "", "environment (live, test)")
	fl.StringVar(&f.deployment, "deployment", "", "which deployment (eu-1, staging…)")
	fl.StringVar(&f.capability, "affected", "", "affected capability: models, routes")
	fl.StringVar(&f.symptom, "symptom", "", "what was observed")
	fl.StringVar(&f.nextReview, "next-review", "", "next review: RFC 3339 time or a duration from now (4h, 1d)")
	fl.StringVar(&f.lastGood, "last-good", "", "last known good request id")
	fl.StringVar(&f.note, "note", "", "a note for the timeline")
	fl.StringSliceVar(&f.keys, "key", nil, "linked key id (repeatable); its impact report is attached")
	fl.StringSliceVar(&f.requests, "request", nil, "linked request id (repeatable); its log row is attached")
	if !open {
		fl.StringVar(&f.state, "state", "", "open or contained (resolve with `keygate incidents resolve`)")
	}
}

// body builds the API body from the flags that were set.
func (f *incidentFlags) body(cmd *cobra.Command) (map[string]any, error) {
	b := map[string]any{}
	text := map[string]string{}
	for flag, field := range map[string]string{"title": "title", "owner": "owner", "env": "environment", "deployment": "deployment",
		"affected": "capability", "symptom": "symptom", "state": "state", "note": "note"} {
		if fl := cmd.Flags().Lookup(flag); fl != nil && fl.Changed {
			b[field] = fl.Value.String()
			text[flag] = fl.Value.String()
		}
	}
	if err := checkLocal(text); err != nil {
		return nil, err
	}
	if f.nextReview != "" {
		t, err := parseWhen(f.nextReview, 1)
		if err != nil {
			return nil, fmt.Errorf("--next-review: %w", err)
		}
		b["next_review"] = t
	}
	if f.lastGood != "" {
		b["last_known_good"] = map[string]any{"request_id": f.lastGood}
	}
	if len(f.keys) > 0 {
		b["key_ids"] = f.keys
	}
	if len(f.requests) > 0 {
		b["request_ids"] = f.requests
	}
	return b, nil
}

func printIncidentBrief(w io.Writer, raw json.RawMessage) error {
	var in struct {
		ID        string   `json:"id"`
		State     string   `json:"state"`
		Title     string   `json:"title"`
		Remaining []string `json:"remaining"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s (%s): %s\n", in.ID, in.State, in.Title)
	if len(in.Remaining) > 0 {
		fmt.Fprintln(w, i18n.M("cli.incident.left").Render(cliLang()))
		for _, r := range in.Remaining {
			fmt.Fprintln(w, "  - "+r)
		}
	}
	fmt.Fprintln(w, i18n.M("cli.incident.record", i18n.S("id", in.ID)).Render(cliLang()))
	return nil
}

func incidentsOpenCmd(af *adminFlags) *cobra.Command {
	var f incidentFlags
	cmd := &cobra.Command{
		Use:   "open --title TEXT [--key KEY_ID]… [--request REQ_ID]…",
		Short: "Open an incident record",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(f.title) == "" {
				return errors.New(i18n.M("cli.incident.title_required").Render(cliLang()))
			}
			b, err := f.body(cmd)
			if err != nil {
				return err
			}
			return af.call(cmd, "POST", "/admin/v1/incidents", b, nil, printIncidentBrief)
		},
	}
	f.register(cmd, true)
	return cmd
}

func incidentsUpdateCmd(af *adminFlags) *cobra.Command {
	var f incidentFlags
	cmd := &cobra.Command{
		Use:   "update INCIDENT_ID [flags]",
		Short: "Change an incident's owner, state, next review or fields; --key and --request add links",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			b, err := f.body(cmd)
			if err != nil {
				return err
			}
			if len(b) == 0 {
				return errors.New(i18n.M("cli.incident.nothing_to_change").Render(cliLang()))
			}
			return af.call(cmd, "PATCH", "/admin/v1/incidents/"+url.PathEscape(args[0]), b, nil, printIncidentBrief)
		},
	}
	f.register(cmd, false)
	return cmd
}

func incidentsNoteCmd(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "note INCIDENT_ID TEXT…",
		Short: "Add a note to an incident's timeline",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			text := strings.Join(args[1:], " ")
			if err := checkLocal(map[string]string{"note": text}); err != nil {
				return err
			}
			return af.call(cmd, "POST", "/admin/v1/incidents/"+url.PathEscape(args[0])+"/notes", map[string]any{"text": text}, nil,
				func(w io.Writer, raw json.RawMessage) error {
					fmt.Fprintln(w, i18n.M("cli.incident.noted").Render(cliLang()))
					return printIncidentBrief(w, raw)
				})
		},
	}
}

func incidentsResolveCmd(af *adminFlags) *cobra.Command {
	var resolution string
	cmd := &cobra.Command{
		Use:   "resolve INCIDENT_ID [--resolution TEXT]",
		Short: "Resolve an incident with what was done and learned",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkLocal(map[string]string{"resolution": resolution}); err != nil {
				return err
			}
			return af.call(cmd, "POST", "/admin/v1/incidents/"+url.PathEscape(args[0])+"/resolve",
				map[string]any{"resolution": resolution}, nil, printIncidentBrief)
		},
	}
	cmd.Flags().StringVar(&resolution, "resolution", "", "what was done and learned")
	return cmd
}
