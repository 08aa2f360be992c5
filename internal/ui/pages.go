package ui

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/admin"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/incident"
	"github.com/keygate/keygate/internal/wire"
)

// view is what every template gets.
type view struct {
	Lang  i18n.Lang
	Path  string
	CSRF  string
	Actor admin.Actor
	Data  map[string]any
	Now   time.Time
}

// T renders a catalogue text in the reader's language; args are pairs of
// placeholder name and value.
func (v *view) T(key string, args ...any) string {
	var as []i18n.Arg
	for i := 0; i+1 < len(args); i += 2 {
		as = append(as, i18n.S(fmt.Sprint(args[i]), fmt.Sprint(args[i+1])))
	}
	return i18n.M(i18n.Key(key), as...).Render(v.Lang)
}

// CanChangeKeys says whether to show key controls (the server refuses the
// change anyway when the role lacks it).
func (v *view) CanChangeKeys() bool { return v.Actor.Can(admin.PermKeysWrite) }

// SignedIn reports whether a session rendered the page.
func (v *view) SignedIn() bool { return v.Actor.Role != "" }

// SwitchLang is the other language's tag and its switch link.
func (v *view) SwitchLang() (string, string) {
	to := i18n.ZH
	if v.Lang == i18n.ZH {
		to = i18n.EN
	}
	return string(to), "/ui/lang?to=" + url.QueryEscape(string(to)) + "&back=" + url.QueryEscape(v.Path)
}

// SwitchHref is the language switch link.
func (v *view) SwitchHref() string { _, h := v.SwitchLang(); return h }

// SwitchLabel is the language switch's label, in the other language.
func (v *view) SwitchLabel() string {
	if v.Lang == i18n.ZH {
		return "English"
	}
	return "中文"
}

var funcs = template.FuncMap{
	"when": func(t any) string {
		switch t := t.(type) {
		case time.Time:
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if t == nil || t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return "—"
	},
	"usd": func(v any) string {
		switch v := v.(type) {
		case float64:
			return "$" + strconv.FormatFloat(v, 'f', 4, 64)
		case *float64:
			if v == nil {
				return "—"
			}
			return "$" + strconv.FormatFloat(*v, 'f', 4, 64)
		}
		return "—"
	},
	"budget":    budgetOf,
	"list":      func(s ...string) []string { return s },
	"hasPrefix": strings.HasPrefix,
	"deref": func(v *float64) float64 {
		if v == nil {
			return 0
		}
		return *v
	},
	"pretty": func(raw json.RawMessage) string {
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return string(raw)
		}
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	},
}

// keyRow is one key of the list.
type keyRow struct {
	wire.KeyView
	LastUsed *time.Time
}

func (s *Server) keysPage(q *req) error {
	var list struct {
		Data []wire.KeyView `json:"data"`
	}
	if err := q.call("GET", "/admin/v1/keys?limit=200", nil, &list); err != nil {
		return err
	}
	rows := make([]keyRow, 0, len(list.Data))
	for _, k := range list.Data {
		row := keyRow{KeyView: k}
		if k.State != "deleted" {
			var one wire.KeyView // the single-key view carries the spend
			if err := q.call("GET", "/admin/v1/keys/"+url.PathEscape(k.ID), nil, &one); err == nil {
				row.KeyView = one
			}
			row.LastUsed = q.lastUsed(k.ID)
		}
		rows = append(rows, row)
	}
	var projects struct {
		Data []wire.ProjectView `json:"data"`
	}
	_ = q.call("GET", "/admin/v1/projects", nil, &projects) // the create form then asks for a name
	q.render(200, "keys", map[string]any{"Keys": rows, "Projects": projects.Data})
	return nil
}

// lastUsed is the time of the key's latest request log row.
func (q *req) lastUsed(id string) *time.Time {
	var logs struct {
		Data []wire.LogView `json:"data"`
	}
	if err := q.call("GET", "/admin/v1/logs?limit=1&key_id="+url.QueryEscape(id), nil, &logs); err != nil || len(logs.Data) == 0 {
		return nil
	}
	return &logs.Data[0].Time
}

func (s *Server) createKey(q *req) error {
	f := q.r.PostForm
	body := map[string]any{"project": f.Get("project"), "name": strings.TrimSpace(f.Get("name")), "env": f.Get("env")}
	if v := strings.TrimSpace(f.Get("budget_usd")); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return &apiError{Status: 400, Code: "invalid_request", Message: i18n.M("ui.keys.bad_budget", i18n.S("value", v)).Render(q.lang)}
		}
		body["budget"] = map[string]any{"limit_usd": n, "period": f.Get("budget_period")}
	}
	var k wire.KeyView
	if err := q.call("POST", "/admin/v1/keys", body, &k); err != nil {
		return err
	}
	q.reveal(k.ID, reveal{Plain: k.Key, ID: k.ID, Display: k.Display})
	return nil
}

// reveal keeps a new key's plaintext for the one page that shows it and
// sends the browser there. Reading it deletes it, so a reload, the back
// button or any later page finds nothing.
func (q *req) reveal(keyID string, rv reveal) {
	rv.ID = keyID
	q.redirect("/ui/keys/" + url.PathEscape(keyID) + "/shown/" + q.keep("key", rv))
}

func (s *Server) shownPage(q *req) error {
	rv, ok := q.take("key", q.r.PathValue("id"), q.r.PathValue("reveal"))
	data := map[string]any{"KeyID": q.r.PathValue("id"), "Gone": !ok}
	if ok {
		data["Plain"], data["Display"], data["Note"], data["Incident"] = rv.Plain, rv.Display, rv.Note, rv.Incident
		data["BaseURL"] = baseURL(q.r, s)
	}
	q.render(200, "shown", data)
	return nil
}

// baseURL is the gateway's OpenAI base URL as this browser reaches it.
func baseURL(r *http.Request, s *Server) string {
	scheme := "http"
	if s.secureCookie(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/v1"
}

func (s *Server) keyPage(q *req) error {
	id := q.r.PathValue("id")
	var k wire.KeyView
	if err := q.call("GET", "/admin/v1/keys/"+url.PathEscape(id), nil, &k); err != nil {
		return err
	}
	data := map[string]any{"Key": k, "LastUsed": q.lastUsed(id)}
	if k.ReplacedBy != "" || k.RotatedFrom != "" {
		var rep wire.RotationReport
		if err := q.call("GET", "/admin/v1/keys/"+url.PathEscape(id)+"/rotation", nil, &rep); err == nil {
			data["Rotation"] = &rep
		}
	}
	var logs struct {
		Data []wire.LogView `json:"data"`
	}
	if err := q.call("GET", "/admin/v1/logs?limit=20&key_id="+url.QueryEscape(id), nil, &logs); err == nil {
		data["Logs"] = logs.Data
	}
	q.render(200, "key", data)
	return nil
}

func (s *Server) disableKey(q *req) error {
	id := q.r.PathValue("id")
	body := map[string]any{"reason": strings.TrimSpace(q.r.PostFormValue("reason"))}
	if err := q.call("POST", "/admin/v1/keys/"+url.PathEscape(id)+"/disable", body, nil); err != nil {
		return err
	}
	q.redirect("/ui/keys/" + url.PathEscape(id))
	return nil
}

func (s *Server) enableKey(q *req) error {
	id := q.r.PathValue("id")
	if err := q.call("POST", "/admin/v1/keys/"+url.PathEscape(id)+"/enable", map[string]any{}, nil); err != nil {
		return err
	}
	q.redirect("/ui/keys/" + url.PathEscape(id))
	return nil
}

func (s *Server) rotateKey(q *req) error {
	id := q.r.PathValue("id")
	grace, err := strconv.ParseInt(q.r.PostFormValue("grace_seconds"), 10, 64)
	if err != nil {
		grace = 0
	}
	var rot wire.RotateView
	if err := q.call("POST", "/admin/v1/keys/"+url.PathEscape(id)+"/rotate", map[string]any{"grace_seconds": grace}, &rot); err != nil {
		return err
	}
	q.reveal(rot.ID, reveal{Plain: rot.Key, Display: rot.Display, Note: rot.Note})
	return nil
}

// leakKey is the first step of "I think a key leaked": the key is
// disabled at once with the reason (the admin API opens the incident).
func (s *Server) leakKey(q *req) error {
	id := q.r.PathValue("id")
	reason := strings.TrimSpace(q.r.PostFormValue("reason"))
	if !strings.HasPrefix(strings.ToLower(reason), "leak") {
		reason = strings.TrimSpace("leak: " + reason)
	}
	body := map[string]any{"reason": reason, "leak": true}
	if err := q.call("POST", "/admin/v1/keys/"+url.PathEscape(id)+"/disable", body, nil); err != nil {
		return err
	}
	q.redirect("/ui/keys/" + url.PathEscape(id) + "/leak")
	return nil
}

// leakPage shows the disable, the impact report, the replacement step,
// the migration to it and the incident record's link.
func (s *Server) leakPage(q *req) error {
	id := q.r.PathValue("id")
	var k wire.KeyView
	if err := q.call("GET", "/admin/v1/keys/"+url.PathEscape(id), nil, &k); err != nil {
		return err
	}
	var rep wire.ImpactReport
	if err := q.call("GET", "/admin/v1/keys/"+url.PathEscape(id)+"/impact", nil, &rep); err != nil {
		return err
	}
	data := map[string]any{"Key": k, "Impact": &rep}
	var incs struct {
		Data []struct {
			ID    string `json:"id"`
			State string `json:"state"`
			Title string `json:"title"`
		} `json:"data"`
	}
	if err := q.call("GET", "/admin/v1/incidents?state=all&limit=1&key_id="+url.QueryEscape(id), nil, &incs); err == nil && len(incs.Data) > 0 {
		data["Incident"] = incs.Data[0]
	}
	if k.ReplacedBy != "" {
		var rot wire.RotationReport
		if err := q.call("GET", "/admin/v1/keys/"+url.PathEscape(id)+"/rotation", nil, &rot); err == nil {
			data["Rotation"] = &rot
		}
	}
	q.render(200, "leak", data)
	return nil
}

// replaceKey makes the leaked key's replacement (a rotation with no grace:
// the old key stays refused).
func (s *Server) replaceKey(q *req) error {
	id := q.r.PathValue("id")
	var rot wire.RotateView
	if err := q.call("POST", "/admin/v1/keys/"+url.PathEscape(id)+"/rotate", map[string]any{"grace_seconds": 0}, &rot); err != nil {
		return err
	}
	var incs struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	inc := ""
	if err := q.call("GET", "/admin/v1/incidents?state=all&limit=1&key_id="+url.QueryEscape(id), nil, &incs); err == nil && len(incs.Data) > 0 {
		inc = incs.Data[0].ID
	}
	q.reveal(rot.ID, reveal{Plain: rot.Key, Display: rot.Display, Note: rot.Note, Incident: inc})
	return nil
}

func (s *Server) incidentPage(q *req) error {
	var rec incident.Record
	if err := q.call("GET", "/admin/v1/incidents/"+url.PathEscape(q.r.PathValue("id")), nil, &rec); err != nil {
		return err
	}
	q.render(200, "incident", map[string]any{"Incident": &rec})
	return nil
}

// logFilters are the request log filters the logs page passes on.
var logFilters = []string{"key_id", "member", "model", "status", "error_code", "since", "until", "charged"}

// chargedValues are the charged filter's choices (a request log row's
// charged field).
var chargedValues = []string{"yes", "no", "refunded"}

func (s *Server) logsPage(q *req) error {
	in := q.r.URL.Query()
	out := url.Values{"limit": {"100"}}
	filters := map[string]string{}
	for _, f := range logFilters {
		if v := strings.TrimSpace(in.Get(f)); v != "" {
			out.Set(f, v)
			filters[f] = v
		}
	}
	var logs struct {
		Data []wire.LogView `json:"data"`
	}
	data := map[string]any{"Filters": filters, "ChargedValues": chargedValues}
	if err := q.call("GET", "/admin/v1/logs?"+out.Encode(), nil, &logs); err != nil {
		data["Problem"] = err.Error()
	}
	data["Logs"] = logs.Data
	q.render(200, "logs", data)
	return nil
}

func (s *Server) evidencePage(q *req) error {
	id := q.r.PathValue("request_id")
	var ev json.RawMessage
	if err := q.call("GET", "/admin/v1/requests/"+url.PathEscape(id), nil, &ev); err != nil {
		return err
	}
	q.render(200, "evidence", map[string]any{"RequestID": id, "Evidence": ev})
	return nil
}

// budgetBar is a key budget's use, for the meter.
type budgetBar struct {
	Limit, Low, High, Spent float64
	Pct                     int
	Period                  string
	Resets                  *time.Time
}

// budgetOf returns nil for a key without a budget.
func budgetOf(k wire.KeyView) *budgetBar {
	if k.Budget == nil || k.Budget.LimitUSD <= 0 {
		return nil
	}
	b := &budgetBar{Limit: k.Budget.LimitUSD, Low: k.Budget.LimitUSD * 0.5, High: k.Budget.LimitUSD * 0.8,
		Period: k.Budget.Period, Resets: k.BudgetResetsAt}
	if k.SpentUSD != nil {
		b.Spent = *k.SpentUSD
	}
	b.Pct = int(b.Spent / b.Limit * 100)
	return b
}

// deleteKey deletes a key (the row stays as a tombstone, so its owner is
// told "deleted"); the form must tick the confirmation.
func (s *Server) deleteKey(q *req) error {
	id := q.r.PathValue("id")
	if q.r.PostFormValue("confirm") != "yes" {
		return &apiError{Status: 400, Code: "invalid_request", Message: i18n.M("ui.keys.delete_unconfirmed").Render(q.lang)}
	}
	if err := q.call("DELETE", "/admin/v1/keys/"+url.PathEscape(id), nil, nil); err != nil {
		return err
	}
	q.redirect("/ui/keys/" + url.PathEscape(id))
	return nil
}

func (s *Server) incidentsPage(q *req) error {
	state := q.r.URL.Query().Get("state")
	if state == "" {
		state = "unresolved"
	}
	var list struct {
		Data []struct {
			ID            string     `json:"id"`
			Title         string     `json:"title"`
			State         string     `json:"state"`
			Project       string     `json:"project"`
			Owner         string     `json:"owner"`
			CreatedAt     time.Time  `json:"created_at"`
			NextReview    *time.Time `json:"next_review"`
			ReviewOverdue bool       `json:"review_overdue"`
		} `json:"data"`
	}
	if err := q.call("GET", "/admin/v1/incidents?limit=200&state="+url.QueryEscape(state), nil, &list); err != nil {
		return err
	}
	q.render(200, "incidents", map[string]any{"Incidents": list.Data, "State": state})
	return nil
}

// auditPage is the audit log, filtered by actor, action or object.
func (s *Server) auditPage(q *req) error {
	in := q.r.URL.Query()
	out := url.Values{"limit": {"200"}}
	filters := map[string]string{}
	for _, f := range []string{"actor", "action", "object"} {
		if v := strings.TrimSpace(in.Get(f)); v != "" {
			out.Set(f, v)
			filters[f] = v
		}
	}
	var list struct {
		Data []wire.AuditView `json:"data"`
	}
	if err := q.call("GET", "/admin/v1/audit?"+out.Encode(), nil, &list); err != nil {
		return err
	}
	q.render(200, "audit", map[string]any{"Events": list.Data, "Filters": filters})
	return nil
}
