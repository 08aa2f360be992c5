package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keygate/keygate/internal/httpapi"
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
			body, err := supportGet(cmd.Context(), "/admin/v1/requests/"+url.PathEscape(strings.TrimSpace(args[0])))
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				_, err := out.Write(body)
				return err
			}
			var v httpapi.EvidenceView
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

func printEvidence(w io.Writer, v httpapi.EvidenceView) {
	row := func(k, val string) {
		if val != "" {
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

// supportGet calls the admin API. It is a small local helper; when the key
// lifecycle commands' admin client (adminclient.go) lands, this should use it.
func supportGet(ctx context.Context, path string) ([]byte, error) {
	addr := getenv("KEYGATE_ADDR")
	if addr == "" {
		addr = "http://127.0.0.1:8080"
	}
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	addr = strings.TrimRight(addr, "/")
	tok := getenv("KEYGATE_ADMIN_TOKEN")
	if tok == "" {
		return nil, fmt.Errorf("KEYGATE_ADMIN_TOKEN is not set: export the gateway's admin token (or a personal access token, kg_pat_…) to read request evidence")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr+path, nil)
	if err != nil {
		return nil, fmt.Errorf("KEYGATE_ADDR %q is not a usable URL: %w", addr, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the gateway at %s (KEYGATE_ADDR): %w", addr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, fmt.Errorf("read the answer of %s: %w", addr, err)
	}
	if resp.StatusCode == http.StatusOK {
		return b, nil
	}
	var e struct {
		Error struct {
			Message, Hint, Code string
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		msg := fmt.Sprintf("the gateway answered %d %s: %s", resp.StatusCode, e.Error.Code, e.Error.Message)
		if e.Error.Hint != "" {
			msg += "\n  hint: " + e.Error.Hint
		}
		return nil, &exitError{code: 1, msg: "keygate: " + msg}
	}
	return nil, fmt.Errorf("the gateway at %s answered %d to GET %s; is KEYGATE_ADDR a keygate gateway?", addr, resp.StatusCode, path)
}
