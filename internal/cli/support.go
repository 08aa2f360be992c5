package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/wire"
)

func newSupportCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "support", Short: "Help a caller from a request id, without ever seeing their key"}
	var asJSON bool
	ev := &cobra.Command{
		Use:   "evidence REQUEST_ID",
		Short: "Print the redacted story of one request (GET /admin/v1/requests/{request_id})",
		Long: `Print what happened to one request: time, key (display form and id), project,
group, model asked and served, channel, each upstream attempt with its status and
error, the code returned, tokens, cost, whether it was charged, source address and
user agent. The request id is in the x-request-id response header and in the
request_id field of every error body.

Talks to the admin API at KEYGATE_ADDR (default http://127.0.0.1:8080) with
KEYGATE_ADMIN_TOKEN.`,
		Example: "  keygate support evidence req_0123456789abcdefghjkmnpqrs",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newAdminClient("")
			if err != nil {
				return err
			}
			var body json.RawMessage
			if _, err := c.do(cmd.Context(), http.MethodGet, "/admin/v1/requests/"+url.PathEscape(strings.TrimSpace(args[0])), nil, &body, nil); err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSONOut(out, body)
			}
			var v wire.EvidenceView
			if err := json.Unmarshal(body, &v); err != nil {
				return fmt.Errorf("the admin API answered something that is not request evidence (%v); is KEYGATE_ADDR a keygate gateway?", err)
			}
			printEvidence(out, v)
			return nil
		},
	}
	ev.Flags().BoolVar(&asJSON, "json", false, "print the JSON answer as is")
	cmd.AddCommand(ev)
	return cmd
}

func printEvidence(w io.Writer, v wire.EvidenceView) {
	row := func(k, val string) {
		if val = strings.Join(strings.Fields(val), " "); val != "" {
			fmt.Fprintf(w, "%-15s %s\n", k+":", val)
		}
	}
	fmt.Fprintf(w, "%s\n\n", v.Summary)
	row("request id", v.RequestID)
	row("time (UTC)", v.Time.UTC().Format(time.RFC3339Nano))
	key := v.Key.Display
	if v.Key.ID != "" {
		key += " (" + v.Key.ID + ", " + v.Key.Env + ")"
	} else if key != "" {
		key += " (no issued key matched)"
	} else {
		key = "-"
	}
	row("key", key)
	if v.Key.StateNow != "" {
		st := v.Key.StateNow
		if v.Key.StateAt != nil {
			st += " since " + v.Key.StateAt.UTC().Format(time.RFC3339)
		}
		if v.Key.StateReason != "" {
			st += " (" + v.Key.StateReason + ")"
		}
		row("key state now", st)
	}
	row("project", v.Project)
	row("member", v.Member)
	row("group", v.Group)
	route := v.Route
	if v.Stream {
		route += " (stream)"
	}
	row("route", route)
	row("model asked", v.Model.Asked)
	row("model served", v.Model.Served)
	row("channel", v.Channel)
	for i, a := range v.Attempts {
		s := fmt.Sprintf("%s → ", a.Channel)
		if a.Status != 0 {
			s += fmt.Sprint(a.Status)
		} else {
			s += "no answer"
		}
		s += fmt.Sprintf(" in %.0f ms", a.DurationMS)
		if a.Code != "" {
			s += " " + a.Code
		}
		if a.Error != "" {
			s += ": " + a.Error
		}
		row(fmt.Sprintf("attempt %d", i+1), s)
	}
	outcome := fmt.Sprint(v.Outcome.Status)
	if v.Outcome.ErrorCode != "" {
		outcome += " " + v.Outcome.ErrorCode
	}
	row("answered", outcome)
	row("reason", v.Outcome.FailureReason)
	row("docs", v.Outcome.Docs)
	tok := fmt.Sprintf("%d in, %d out", v.Usage.InputTokens, v.Usage.OutputTokens)
	if v.Usage.Estimated {
		tok += " (estimated)"
	}
	row("tokens", tok)
	row("cost", fmt.Sprintf("$%.6f, charged: %s", v.CostUSD, v.Charged))
	row("latency", fmt.Sprintf("%.1f ms (first byte %.1f ms)", v.Timing.LatencyMS, v.Timing.TTFBMS))
	row("source", v.Client.SourceIP)
	row("user agent", v.Client.UserAgent)
}
