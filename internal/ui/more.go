package ui

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/admin"
	"github.com/keygate/keygate/internal/wire"
)

// CanChangeChannels says whether to show channel controls.
func (v *view) CanChangeChannels() bool { return v.Actor.Can(admin.PermCatalogWrite) }

// channelRow is one channel with its last test's verdict.
type channelRow struct {
	wire.ChannelView
	Tested   bool
	TestOK   bool
	TestedAt time.Time
}

func (s *Server) channelsPage(q *req) error {
	var list struct {
		Data []wire.ChannelView `json:"data"`
	}
	if err := q.call("GET", "/admin/v1/channels", nil, &list); err != nil {
		return err
	}
	rows := make([]channelRow, 0, len(list.Data))
	for _, c := range list.Data {
		row := channelRow{ChannelView: c}
		var rep struct {
			OK bool      `json:"ok"`
			At time.Time `json:"at"`
		}
		if len(c.LastTest) > 0 && string(c.LastTest) != "null" && json.Unmarshal(c.LastTest, &rep) == nil {
			row.Tested, row.TestOK, row.TestedAt = true, rep.OK, rep.At
		}
		rows = append(rows, row)
	}
	q.render(200, "channels", map[string]any{"Channels": rows})
	return nil
}

// channelAction runs disable, enable or test of a channel through its
// admin route and goes back to the channels page.
func (s *Server) channelAction(action string) func(q *req) error {
	return func(q *req) error {
		name := q.r.PathValue("name")
		var body map[string]any
		if action == "disable" {
			body = map[string]any{"reason": strings.TrimSpace(q.r.PostFormValue("reason"))}
		}
		if err := q.call("POST", "/admin/v1/channels/"+url.PathEscape(name)+"/"+action, body, nil); err != nil {
			return err
		}
		q.redirect("/ui/channels#ch-" + url.QueryEscape(name))
		return nil
	}
}

// usageGroups are the dimensions the usage page offers.
var usageGroups = []string{"day", "model", "key", "member", "project"}

// usageRow is one row of a usage report as the page shows it.
type usageRow struct {
	Label                     string
	Requests, Errors          int64
	InputTokens, OutputTokens int64
	CostUSD                   float64
	Bar                       int // width of the cost bar, 0–300
}

func (q *req) usage() (rows []usageRow, total usageRow, by string, params url.Values, err error) {
	in := q.r.URL.Query()
	by = in.Get("by")
	if !contains(usageGroups, by) {
		by = "day"
	}
	params = url.Values{"group_by": {by}}
	for _, f := range []string{"since", "until", "project", "model"} {
		if v := strings.TrimSpace(in.Get(f)); v != "" {
			params.Set(f, v)
		}
	}
	if params.Get("since") == "" {
		params.Set("since", q.s.Now().UTC().AddDate(0, 0, -30).Format("2006-01-02")+"T00:00:00Z")
	}
	var rep struct {
		Data   []map[string]any `json:"data"`
		Totals map[string]any   `json:"totals"`
	}
	if err = q.call("GET", "/admin/v1/usage?"+params.Encode(), nil, &rep); err != nil {
		return
	}
	num := func(m map[string]any, k string) float64 { f, _ := m[k].(float64); return f }
	toRow := func(m map[string]any, label string) usageRow {
		return usageRow{Label: label, Requests: int64(num(m, "requests")), Errors: int64(num(m, "errors")),
			InputTokens: int64(num(m, "input_tokens")), OutputTokens: int64(num(m, "output_tokens")), CostUSD: num(m, "cost_usd")}
	}
	max := 0.0
	for _, m := range rep.Data {
		label := ""
		switch by {
		case "key":
			label = fmt.Sprint(m["key_display"]) + " " + fmt.Sprint(m["key_id"])
		case "member":
			label = fmt.Sprint(m["member_email"])
			if label == "" || label == "<nil>" {
				label = fmt.Sprint(m["member"])
			}
		default:
			label = fmt.Sprint(m[by])
		}
		r := toRow(m, label)
		if r.CostUSD > max {
			max = r.CostUSD
		}
		rows = append(rows, r)
	}
	if by == "day" {
		sort.Slice(rows, func(i, j int) bool { return rows[i].Label < rows[j].Label })
	} else {
		sort.SliceStable(rows, func(i, j int) bool { return rows[i].CostUSD > rows[j].CostUSD })
	}
	for i := range rows {
		if max > 0 {
			rows[i].Bar = int(rows[i].CostUSD / max * 300)
		}
	}
	total = toRow(rep.Totals, "")
	return
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Server) usagePage(q *req) error {
	rows, total, by, params, err := q.usage()
	if err != nil {
		return err
	}
	data := map[string]any{"Rows": rows, "Total": total, "By": by, "Groups": usageGroups,
		"Since": params.Get("since"), "Until": params.Get("until"), "CSV": "/ui/usage.csv?" + q.r.URL.RawQuery,
		"Budgets": q.budgets()}
	if by == "day" && len(rows) > 0 {
		data["Chart"] = dayChart(rows)
	}
	q.render(200, "usage", data)
	return nil
}

// chart is the usage page's column chart of spend per day (SVG drawn on
// the server).
type chart struct {
	W, H int
	Bars []chartBar
	Max  float64
}

type chartBar struct {
	X, Y, W, H int
	Label      string // shown under every few bars
	Title      string
}

func dayChart(rows []usageRow) chart {
	const step, barW, plotH = 24, 18, 100
	c := chart{W: max(len(rows)*step+8, 600), H: plotH + 30} // a short range keeps its bars narrow
	for _, r := range rows {
		c.Max = max(c.Max, r.CostUSD)
	}
	every := max(1, len(rows)/12)
	for i, r := range rows {
		h := 0
		if c.Max > 0 {
			h = int(r.CostUSD / c.Max * plotH)
		}
		if h == 0 && r.Requests > 0 {
			h = 1 // a day with calls is never invisible
		}
		b := chartBar{X: 4 + i*step, W: barW, H: h, Y: 4 + plotH - h,
			Title: fmt.Sprintf("%s: $%.4f, %d", r.Label, r.CostUSD, r.Requests)}
		if i%every == 0 {
			b.Label = r.Label
			if len(r.Label) == len("2006-01-02") {
				b.Label = r.Label[5:] // month-day
			}
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

// usageCSV is the usage page's table as CSV.
func (s *Server) usageCSV(q *req) error {
	rows, _, by, _, err := q.usage()
	if err != nil {
		return err
	}
	q.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	q.w.Header().Set("Content-Disposition", `attachment; filename="keygate-usage-by-`+by+`.csv"`)
	cw := csv.NewWriter(q.w)
	_ = cw.Write([]string{by, "requests", "errors", "input_tokens", "output_tokens", "cost_usd"})
	for _, r := range rows {
		_ = cw.Write([]string{csvSafe(r.Label), strconv.FormatInt(r.Requests, 10), strconv.FormatInt(r.Errors, 10),
			strconv.FormatInt(r.InputTokens, 10), strconv.FormatInt(r.OutputTokens, 10), strconv.FormatFloat(r.CostUSD, 'f', -1, 64)})
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
