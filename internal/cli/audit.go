package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/i18n"
)

func newAuditCmd() *cobra.Command {
	var af adminFlags
	var actor, object, action, since string
	var limit int
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Who did what to which object, when and from where (display forms only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"actor": actor, "object": object, "action": action} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if since != "" {
				t, err := parseWhen(since, -1)
				if err != nil {
					return fmt.Errorf("--since: %w", err)
				}
				q.Set("since", t.Format(time.RFC3339))
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			return af.call(cmd, "GET", "/admin/v1/audit?"+q.Encode(), nil, nil, func(w io.Writer, raw json.RawMessage) error {
				var out struct {
					Data []struct {
						Time     time.Time       `json:"time"`
						Actor    string          `json:"actor"`
						Action   string          `json:"action"`
						Object   string          `json:"object"`
						SourceIP string          `json:"source_ip"`
						Detail   json.RawMessage `json:"detail"`
					} `json:"data"`
				}
				if err := json.Unmarshal(raw, &out); err != nil {
					return err
				}
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, i18n.M("cli.audit.header").Render(cliLang()))
				for _, e := range out.Data {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.UTC().Format(time.RFC3339), e.Actor, e.Action, e.Object,
						orDash(e.SourceIP), string(e.Detail))
				}
				return tw.Flush()
			})
		},
	}
	af.register(cmd)
	f := cmd.Flags()
	f.StringVar(&actor, "actor", "", "only events by this actor (an email, bootstrap, secret-scanning)")
	f.StringVar(&object, "object", "", "only events about this object (a key id, …)")
	f.StringVar(&action, "action", "", "only this action (key.disable, key.rotate, key.leaked, webhook.failed, …)")
	f.StringVar(&since, "since", "", "RFC 3339 time or a duration ago (24h, 7d)")
	f.IntVar(&limit, "limit", 0, "at most this many (default 100, max 1000)")
	return cmd
}
