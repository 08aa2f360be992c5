package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// usageCols maps a group_by dimension to the report fields it adds.
var usageCols = map[string][]string{
	"model":   {"model"},
	"key":     {"key_id", "key_display"},
	"member":  {"member", "member_email"},
	"project": {"project"},
	"env":     {"env"},
	"day":     {"day"},
}

var usageCounts = []string{"requests", "errors", "input_tokens", "output_tokens", "cached_input_tokens", "cache_write_tokens", "reasoning_tokens", "cost_usd"}

func newUsageCmd() *cobra.Command {
	var af adminFlags
	var project, key, member, model, env, since, until, by string
	var asCSV bool
	cmd := &cobra.Command{
		Use:   "usage",
		Short: "Where the money went: requests, errors, tokens and cost by model, key, member, project, env or day",
		Long: `Print the usage report of GET /admin/v1/usage as a table (or --csv for spreadsheets).

The sums are the request log's own costs, so they agree with ` + "`keygate logs`" + ` to the cent.
Calls older than the log retention (KEYGATE_LOG_RETENTION) come from daily totals.

  keygate usage --since 30d --by model
  keygate usage --project checkout --since 2026-01-01T00:00:00Z --by day,model --csv > january.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := url.Values{}
			for k, v := range map[string]string{"project": project, "key_id": key, "member": member, "model": model, "env": env, "group_by": by} {
				if v != "" {
					q.Set(k, v)
				}
			}
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
			if asCSV && af.json {
				return fmt.Errorf("--csv and --json cannot be combined: choose one output")
			}
			return af.call(cmd, "GET", "/admin/v1/usage?"+q.Encode(), nil, nil, func(w io.Writer, raw json.RawMessage) error {
				return printUsage(w, raw, asCSV)
			})
		},
	}
	af.register(cmd)
	f := cmd.Flags()
	f.StringVar(&project, "project", "", "only this project")
	f.StringVar(&key, "key", "", "only this key (key id)")
	f.StringVar(&member, "member", "", "only keys of this member (id or email)")
	f.StringVar(&model, "model", "", "only this model")
	f.StringVar(&env, "env", "", "only keys of this environment (live or test)")
	f.StringVar(&since, "since", "", "from this RFC 3339 time, or a duration ago (24h, 30d)")
	f.StringVar(&until, "until", "", "up to (not including) this RFC 3339 time, or a duration ago")
	f.StringVar(&by, "by", "", "group by model, key, member, project, env or day; several with commas (day,model); none gives totals")
	f.BoolVar(&asCSV, "csv", false, "print CSV for spreadsheets (full precision, no totals row)")
	return cmd
}

// printUsage renders the report as a table with a totals row, or as CSV.
func printUsage(w io.Writer, raw json.RawMessage, asCSV bool) error {
	var rep struct {
		Data    []map[string]any `json:"data"`
		GroupBy []string         `json:"group_by"`
		Totals  map[string]any   `json:"totals"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&rep); err != nil {
		return fmt.Errorf("decode the usage report: %w", err)
	}
	var cols []string
	for _, g := range rep.GroupBy {
		cols = append(cols, usageCols[g]...)
	}
	cols = append(cols, usageCounts...)
	if asCSV {
		cw := csv.NewWriter(w)
		if err := cw.Write(cols); err != nil {
			return err
		}
		for _, row := range rep.Data {
			rec := make([]string, len(cols))
			for i, c := range cols {
				rec[i] = cell(row[c])
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := make([]string, len(cols))
	for i, c := range cols {
		head[i] = strings.ToUpper(c)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	line := func(row map[string]any) {
		rec := make([]string, len(cols))
		for i, c := range cols {
			rec[i] = cell(row[c])
			if c == "cost_usd" {
				rec[i] = money(row[c])
			}
		}
		fmt.Fprintln(tw, strings.Join(rec, "\t")+"\t")
	}
	for _, row := range rep.Data {
		line(row)
	}
	if len(rep.GroupBy) > 0 {
		total := map[string]any{}
		for k, v := range rep.Totals {
			total[k] = v
		}
		if len(cols) > len(usageCounts) {
			total[cols[0]] = "TOTAL"
		}
		line(total)
	} else if len(rep.Data) == 0 {
		line(rep.Totals)
	}
	return tw.Flush()
}

func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

// money prints dollars with six decimals: cents and the fractions of a
// cent that cheap models cost per call.
func money(v any) string {
	n, ok := v.(json.Number)
	if !ok {
		return cell(v)
	}
	f, err := n.Float64()
	if err != nil {
		return n.String()
	}
	return fmt.Sprintf("$%.6f", f)
}
