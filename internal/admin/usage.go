package admin

// Usage reports: GET /admin/v1/usage adds up the request log — and, for
// calls older than the log retention, the per-day rollup that replaced them
// — by model, key, member, project, environment (live, test) or day. The sums are the request log's
// own cost_usd values, so a report and the logs agree to the cent. A caller
// sees only the projects it may see (authz.go).

import (
	"fmt"
	"math"
	"net/http"
	"strings"

	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/store"
)

// UsageGroupBy lists the dimensions a usage report can group by.
var UsageGroupBy = []string{"model", "key", "member", "project", "env", "day"}

func (s *Server) usageReport(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.UsageFilter{Project: q.Get("project"), Projects: s.visibleProjects(r), KeyID: q.Get("key_id"), Model: q.Get("model"),
		Env: q.Get("env")}
	if f.Env != "" && f.Env != "live" && f.Env != envTest {
		return invalid("env", i18n.M("admin.env_is_not_an_environment", i18n.Q("env", fmt.Sprint(truncate(f.Env, 40)))), i18n.M("admin.use_env_live_or_env.hint"))
	}
	var err error
	if f.Member, err = s.memberParam(r.Context(), q.Get("member")); err != nil {
		return err
	}
	if f.Since, err = parseTimeParam(q, "since"); err != nil {
		return err
	}
	if f.Until, err = parseTimeParam(q, "until"); err != nil {
		return err
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		return invalid("until", i18n.M("admin.until_must_be_after_since"), i18n.M("admin.the_window_is_since_until.hint"))
	}
	if f.GroupBy, err = parseGroupBy(q["group_by"]); err != nil {
		return err
	}
	rep, err := s.Svc.UsageReport(r.Context(), f)
	if err != nil {
		return err
	}
	rows, emails := rep.Rows, rep.Emails
	var total store.UsageRow
	out := make([]map[string]any, 0, len(rows))
	for _, u := range rows {
		row := map[string]any{}
		for _, g := range f.GroupBy {
			switch g {
			case "model":
				row["model"] = u.Model
			case "key":
				row["key_id"], row["key_display"] = u.KeyID, u.KeyDisplay
			case "member":
				row["member"], row["member_email"] = u.Member, emails[u.Member]
			case "project":
				row["project"] = u.Project
			case "env":
				row["env"] = u.Env
			case "day":
				row["day"] = u.Day.Format("2006-01-02")
			}
		}
		addCounts(row, u)
		out = append(out, row)
		total.Requests += u.Requests
		total.Errors += u.Errors
		total.InputTokens += u.InputTokens
		total.OutputTokens += u.OutputTokens
		total.CachedInputTokens += u.CachedInputTokens
		total.CacheWriteTokens += u.CacheWriteTokens
		total.ReasoningTokens += u.ReasoningTokens
		total.CostUSD += u.CostUSD
	}
	totals := map[string]any{}
	addCounts(totals, total)
	resp := map[string]any{"data": out, "group_by": nonNilStrs(f.GroupBy), "totals": totals,
		"note": "cost_usd adds the request log's cost_usd; calls older than the log retention come from daily totals, so for them since and until select whole days (UTC)."}
	if !f.Since.IsZero() {
		resp["since"] = f.Since.UTC()
	}
	if !f.Until.IsZero() {
		resp["until"] = f.Until.UTC()
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func addCounts(row map[string]any, u store.UsageRow) {
	row["requests"], row["errors"] = u.Requests, u.Errors
	row["input_tokens"], row["output_tokens"] = u.InputTokens, u.OutputTokens
	row["cached_input_tokens"], row["cache_write_tokens"], row["reasoning_tokens"] = u.CachedInputTokens, u.CacheWriteTokens, u.ReasoningTokens
	row["cost_usd"] = roundNano(u.CostUSD)
}

// roundNano drops float noise below a billionth of a dollar.
func roundNano(v float64) float64 { return math.Round(v*1e9) / 1e9 }

// parseGroupBy accepts group_by=model, group_by=day,model and repeats.
func parseGroupBy(vals []string) ([]string, error) {
	var out []string
	for _, v := range vals {
		for _, g := range strings.Split(v, ",") {
			g = strings.ToLower(strings.TrimSpace(g))
			switch g {
			case "":
				continue
			case "key_id":
				g = "key"
			}
			if !has(UsageGroupBy, g) {
				return nil, invalid("group_by", i18n.M("admin.group_by_is_not_a", i18n.Q("value", fmt.Sprint(g))), i18n.M("admin.use_model_key_member_project.hint"))
			}
			if !has(out, g) {
				out = append(out, g)
			}
		}
	}
	return out, nil
}

func has(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
