package ui

import (
	"net/url"
	"time"

	"github.com/keygate/keygate/internal/admin"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/wire"
)

// budgetItem is one budget as the usage and projects pages draw it: a bar
// with marks at 50, 80 and 100 % of the limit and the date it resets.
type budgetItem struct {
	Kind, Label, Link string
	Limit, Spent      float64
	Pct               int
	Period            string
	Resets            *time.Time
	// Fill is the bar's width (0–300 px, the limit at 300) and Level
	// which mark it has passed: "ok" (< 50 %), "half", "high" (≥ 80 %),
	// "over" (≥ 100 %).
	Fill  int
	Level string
}

// Marks are the budget bar's marks: percent and x position.
func (b budgetItem) Marks() []struct{ Pct, X int } {
	return []struct{ Pct, X int }{{50, 150}, {80, 240}, {100, 300}}
}

func newBudgetItem(kind, label, link string, limit, spent float64, period string, resets *time.Time) budgetItem {
	b := budgetItem{Kind: kind, Label: label, Link: link, Limit: limit, Spent: spent, Period: period, Resets: resets}
	if limit > 0 {
		b.Pct = int(spent / limit * 100)
		b.Fill = int(min(spent/limit, 1) * 300)
	}
	switch {
	case b.Pct >= 100:
		b.Level = "over"
	case b.Pct >= 80:
		b.Level = "high"
	case b.Pct >= 50:
		b.Level = "half"
	default:
		b.Level = "ok"
	}
	return b
}

// budgets returns every budget the reader may see: keys', members' and
// projects', with this period's spend and reset date.
func (q *req) budgets() []budgetItem {
	var out []budgetItem
	var keys struct {
		Data []wire.KeyView `json:"data"`
	}
	if q.call("GET", "/admin/v1/keys?limit=200", nil, &keys) == nil {
		for _, k := range keys.Data {
			if k.Budget == nil || k.Budget.LimitUSD <= 0 || k.State == "deleted" {
				continue
			}
			var one wire.KeyView // the single-key view carries the spend
			if q.call("GET", "/admin/v1/keys/"+url.PathEscape(k.ID), nil, &one) != nil || one.Budget == nil {
				continue
			}
			spent := 0.0
			if one.SpentUSD != nil {
				spent = *one.SpentUSD
			}
			label := one.Display
			if one.Name != "" {
				label += " " + one.Name
			}
			out = append(out, newBudgetItem("key", label, "/ui/keys/"+url.PathEscape(k.ID), one.Budget.LimitUSD, spent, one.Budget.Period, one.BudgetResetsAt))
		}
	}
	if q.actor.Can(admin.PermMembersRead) {
		var members struct {
			Data []wire.MemberView `json:"data"`
		}
		if q.call("GET", "/admin/v1/members", nil, &members) == nil {
			for _, m := range members.Data {
				if m.Budget == nil || m.Budget.LimitUSD <= 0 {
					continue
				}
				var one wire.MemberView
				if q.call("GET", "/admin/v1/members/"+url.PathEscape(m.ID), nil, &one) != nil || one.Budget == nil {
					continue
				}
				spent := 0.0
				if one.SpentUSD != nil {
					spent = *one.SpentUSD
				}
				out = append(out, newBudgetItem("member", one.Email, "/ui/members#m-"+url.QueryEscape(m.ID), one.Budget.LimitUSD, spent, one.Budget.Period, one.BudgetResetsAt))
			}
		}
	}
	var projects struct {
		Data []wire.ProjectView `json:"data"`
	}
	if q.call("GET", "/admin/v1/projects", nil, &projects) == nil {
		out = append(out, q.projectBudgets(projects.Data)...)
	}
	return out
}

// projectBudgets draws the projects' budgets. The admin API has no
// ledger read for a project, so the spend is the cost of the project's
// request logs in the budget's current period (the usage report).
func (q *req) projectBudgets(ps []wire.ProjectView) []budgetItem {
	var out []budgetItem
	if !q.actor.Can(admin.PermUsageRead) {
		return nil
	}
	spent := map[string]map[string]float64{} // period → project → cost
	now := q.s.Now()
	for _, p := range ps {
		if p.Budget == nil || p.Budget.LimitUSD <= 0 {
			continue
		}
		per := p.Budget.Period
		w, end := ledger.WindowOf(ledger.Budget{Period: per}, now)
		if spent[per] == nil {
			spent[per] = map[string]float64{}
			params := url.Values{"group_by": {"project"}}
			if w.Start > 0 {
				params.Set("since", time.UnixMilli(w.Start).UTC().Format(time.RFC3339))
			}
			var rep struct {
				Data []map[string]any `json:"data"`
			}
			if q.call("GET", "/admin/v1/usage?"+params.Encode(), nil, &rep) == nil {
				for _, r := range rep.Data {
					name, _ := r["project"].(string)
					cost, _ := r["cost_usd"].(float64)
					spent[per][name] += cost
				}
			}
		}
		var resets *time.Time
		if !end.IsZero() {
			resets = &end
		}
		out = append(out, newBudgetItem("project", p.Name, "/ui/projects#p-"+url.QueryEscape(p.Name), p.Budget.LimitUSD, spent[per][p.Name], per, resets))
	}
	return out
}
