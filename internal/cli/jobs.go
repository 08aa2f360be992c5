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
	"github.com/keygate/keygate/internal/wire"
)

func newJobsCmd() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "jobs",
		Short: "Generation jobs (videos): list, show, cancel (through the admin API)",
		Long: `Video jobs run asynchronously: the worst case is charged to the budgets at submit, and the
job settles to the seconds actually produced or is refunded (failed, cancelled, expired).

  keygate jobs list --state in_progress
  keygate jobs show video_…
  keygate jobs cancel video_…     refunded; the upstream is told`,
	}
	af.register(cmd)
	cmd.AddCommand(jobsListCmd(&af), jobsShowCmd(&af), jobsCancelCmd(&af))
	return cmd
}

func jobsListCmd(af *adminFlags) *cobra.Command {
	var project, key, state, model, channel string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"project": project, "key_id": key, "state": state, "model": model, "channel": channel} {
				if v != "" {
					q.Set(k, v)
				}
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			return af.call(cmd, "GET", "/admin/v1/jobs?"+q.Encode(), nil, nil, func(w io.Writer, raw json.RawMessage) error {
				var out struct {
					Data []wire.JobView `json:"data"`
				}
				if err := json.Unmarshal(raw, &out); err != nil {
					return err
				}
				if len(out.Data) == 0 {
					fmt.Fprintln(w, i18n.M("cli.job.none").Render(cliLang()))
					return nil
				}
				tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
				fmt.Fprintln(tw, i18n.M("cli.job.list_header").Render(cliLang()))
				for _, j := range out.Data {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t$%.4f\n", j.ID, j.State, j.CreatedAt.UTC().Format(time.RFC3339),
						j.Project, j.KeyDisplay, j.Model, j.Seconds, j.Charged, j.ChargedUSD)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&project, "project", "", "only this project's jobs")
	cmd.Flags().StringVar(&key, "key", "", "only this key's jobs (key_…)")
	cmd.Flags().StringVar(&state, "state", "", "submitting, queued, in_progress, completed, failed or cancelled")
	cmd.Flags().StringVar(&model, "model", "", "only this model's jobs")
	cmd.Flags().StringVar(&channel, "channel", "", "only jobs on this channel")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many (default 100)")
	return cmd
}

func printJob(w io.Writer, raw json.RawMessage) error {
	var j wire.JobView
	if err := json.Unmarshal(raw, &j); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	row("id", j.ID)
	row("state", j.State)
	if j.ErrorCode != "" {
		row("error", j.ErrorCode+": "+j.ErrorMessage)
	}
	row("progress", fmt.Sprintf("%d%%", j.Progress))
	row("project", j.Project)
	row("key", j.KeyDisplay+" ("+j.KeyID+")")
	row("model", j.Model+" on channel "+j.Channel)
	if j.UpstreamID != "" {
		row("upstream id", j.UpstreamID)
	}
	row("seconds", strconv.Itoa(j.Seconds)+" "+j.Size)
	row("reserved", fmt.Sprintf("$%.4f", j.ReservedUSD))
	row("charged", fmt.Sprintf("%s, $%.4f", j.Charged, j.ChargedUSD))
	row("request", j.RequestID)
	row("created", j.CreatedAt.UTC().Format(time.RFC3339))
	row("completed", fmtTime(j.CompletedAt))
	row("content expires", fmtTime(j.ExpiresAt))
	row("deadline", j.DeadlineAt.UTC().Format(time.RFC3339))
	if j.LeaseOwner != "" {
		row("polled by", j.LeaseOwner)
	}
	return tw.Flush()
}

func jobsShowCmd(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "show JOB_ID",
		Short: "Show one job: state, money, upstream",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return af.call(cmd, "GET", "/admin/v1/jobs/"+url.PathEscape(args[0]), nil, nil, printJob)
		},
	}
}

func jobsCancelCmd(af *adminFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel JOB_ID",
		Short: "Cancel a job in flight (refunded; a finished job is shown as it is)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return af.call(cmd, "POST", "/admin/v1/jobs/"+url.PathEscape(args[0])+"/cancel", nil, nil, printJob)
		},
	}
}
