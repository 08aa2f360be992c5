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

	"github.com/keygate/keygate/internal/i18n"
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
	l := cliLang()
	// Labels are padded to one width in display columns, so the values line
	// up in Chinese (two columns a character) as in English.
	type line struct{ label, val string }
	var lines []line
	row := func(label i18n.Message, val string) {
		if val = strings.Join(strings.Fields(val), " "); val != "" {
			lines = append(lines, line{label.Render(l), val})
		}
	}
	say := func(m i18n.Message) string { return m.Render(l) }
	row(i18n.M("cli.evidence.request_id"), v.RequestID)
	row(i18n.M("cli.evidence.time"), v.Time.UTC().Format(time.RFC3339Nano))
	key := v.Key.Display
	switch {
	case v.Key.ID != "":
		key += " (" + v.Key.ID + ", " + v.Key.Env + ")"
	case key != "":
		key += " " + say(i18n.M("cli.evidence.no_key_matched"))
	default:
		key = "-"
	}
	row(i18n.M("cli.evidence.key"), key)
	if v.Key.StateNow != "" {
		st := v.Key.StateNow
		if v.Key.StateAt != nil {
			st = say(i18n.M("cli.evidence.state_since", i18n.S("state", st), i18n.S("at", v.Key.StateAt.UTC().Format(time.RFC3339))))
		}
		if v.Key.StateReason != "" {
			st += " (" + v.Key.StateReason + ")"
		}
		row(i18n.M("cli.evidence.key_state"), st)
	}
	row(i18n.M("cli.evidence.project"), v.Project)
	row(i18n.M("cli.evidence.member"), v.Member)
	row(i18n.M("cli.evidence.group"), v.Group)
	route := v.Route
	if v.Stream {
		route += " " + say(i18n.M("cli.evidence.stream"))
	}
	row(i18n.M("cli.evidence.route"), route)
	row(i18n.M("cli.evidence.model_asked"), v.Model.Asked)
	row(i18n.M("cli.evidence.model_served"), v.Model.Served)
	row(i18n.M("cli.evidence.channel"), v.Channel)
	for i, a := range v.Attempts {
		status := say(i18n.M("cli.evidence.no_answer"))
		if a.Status != 0 {
			status = fmt.Sprint(a.Status)
		}
		s := say(i18n.M("cli.evidence.attempt_value", i18n.S("channel", a.Channel), i18n.S("status", status),
			i18n.S("ms", fmt.Sprintf("%.0f", a.DurationMS))))
		if a.Code != "" {
			s += " " + a.Code
		}
		if a.Error != "" {
			s += ": " + a.Error
		}
		lines = append(lines, line{say(i18n.M("cli.evidence.attempt", i18n.N("n", i+1))), s})
	}
	outcome := fmt.Sprint(v.Outcome.Status)
	if v.Outcome.ErrorCode != "" {
		outcome += " " + v.Outcome.ErrorCode
	}
	row(i18n.M("cli.evidence.answered"), outcome)
	row(i18n.M("cli.evidence.reason"), v.Outcome.FailureReason)
	row(i18n.M("cli.evidence.docs"), v.Outcome.Docs)
	tok := say(i18n.M("cli.evidence.tokens_value", i18n.N("in", v.Usage.InputTokens), i18n.N("out", v.Usage.OutputTokens)))
	if v.Usage.Estimated {
		tok += " " + say(i18n.M("cli.evidence.estimated"))
	}
	row(i18n.M("cli.evidence.tokens"), tok)
	row(i18n.M("cli.evidence.cost"), say(i18n.M("cli.evidence.cost_value", i18n.S("usd", fmt.Sprintf("%.6f", v.CostUSD)), i18n.S("charged", v.Charged))))
	row(i18n.M("cli.evidence.latency"), say(i18n.M("cli.evidence.latency_value", i18n.S("ms", fmt.Sprintf("%.1f", v.Timing.LatencyMS)),
		i18n.S("ttfb", fmt.Sprintf("%.1f", v.Timing.TTFBMS)))))
	row(i18n.M("cli.evidence.source"), v.Client.SourceIP)
	row(i18n.M("cli.evidence.user_agent"), v.Client.UserAgent)

	width := 0
	for _, ln := range lines {
		width = max(width, displayWidth(ln.label))
	}
	fmt.Fprintf(w, "%s\n\n", v.Summary)
	for _, ln := range lines {
		label := ln.label + say(i18n.M("cli.evidence.colon"))
		fmt.Fprintf(w, "%s%s %s\n", label, strings.Repeat(" ", width+1-displayWidth(ln.label)), ln.val)
	}
}

// displayWidth is how many terminal columns s takes: two for a CJK
// character or full-width punctuation, one for the rest.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x1100 && (r <= 0x115f || r >= 0x2e80 && r <= 0xa4cf || r >= 0xac00 && r <= 0xd7a3 ||
			r >= 0xf900 && r <= 0xfaff || r >= 0xfe30 && r <= 0xfe4f || r >= 0xff00 && r <= 0xff60 || r >= 0xffe0 && r <= 0xffe6) {
			n += 2
		} else {
			n++
		}
	}
	return n
}
