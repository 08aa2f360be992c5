package ui

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/keygate/keygate/internal/admin"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/wire"
)

// Members, projects and groups, and generation jobs: each page reads and
// changes through the admin routes, so the role rules (an admin cannot
// touch an owner, the last owner stays, a member sees its projects only)
// are the API's own. The templates hide what the role may not do.

// CanReadMembers, CanChangeMembers, CanChangeProjects, CanChangeGroups and
// CanReadJobs say which links and controls to show.
func (v *view) CanReadMembers() bool    { return v.Actor.Can(admin.PermMembersRead) }
func (v *view) CanChangeMembers() bool  { return v.Actor.Can(admin.PermMembersWrite) }
func (v *view) CanReadProjects() bool   { return v.Actor.Can(admin.PermProjectsRead) }
func (v *view) CanChangeProjects() bool { return v.Actor.Can(admin.PermProjectsWrite) }
func (v *view) CanChangeGroups() bool   { return v.Actor.Can(admin.PermGroupsWrite) }
func (v *view) CanReadJobs() bool       { return v.Actor.Can(admin.PermLogsRead) }
func (v *view) CanReadUsage() bool      { return v.Actor.Can(admin.PermUsageRead) }

// CanChangeMember says whether to show the controls of member m: only an
// owner changes an owner.
func (v *view) CanChangeMember(m wire.MemberView) bool {
	return v.CanChangeMembers() && (m.Role != store.RoleOwner || v.Actor.Role == store.RoleOwner)
}

// Roles are the roles a member may be given, for the role selects.
func (v *view) Roles() []string {
	out := []string{store.RoleAdmin, store.RoleMember, store.RoleSupport, store.RoleViewer}
	if v.Actor.Role == store.RoleOwner {
		out = append([]string{store.RoleOwner}, out...)
	}
	return out
}

func (s *Server) membersPage(q *req) error {
	var list struct {
		Data []wire.MemberView `json:"data"`
	}
	if err := q.call("GET", "/admin/v1/members", nil, &list); err != nil {
		return err
	}
	var projects struct {
		Data []wire.ProjectView `json:"data"`
	}
	_ = q.call("GET", "/admin/v1/projects", nil, &projects)
	q.render(200, "members", map[string]any{"Members": list.Data, "Projects": projects.Data})
	return nil
}

// splitList reads a comma- or space-separated list field.
func splitList(v string) []string {
	return append([]string{}, strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })...)
}

// formBudget reads a budget from the fields prefix_usd and prefix_period:
// absent when the amount is empty, null when it is 0.
func (q *req) formBudget(prefix string) (any, bool, error) {
	v := strings.TrimSpace(q.r.PostFormValue(prefix + "_usd"))
	if v == "" {
		return nil, false, nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 0 {
		return nil, false, &apiError{Status: 400, Code: "invalid_request", Message: i18n.M("ui.keys.bad_budget", i18n.S("value", v)).Render(q.lang)}
	}
	if n == 0 {
		return nil, true, nil
	}
	return map[string]any{"limit_usd": n, "period": q.r.PostFormValue(prefix + "_period")}, true, nil
}

func (s *Server) createMember(q *req) error {
	f := q.r.PostForm
	body := map[string]any{"email": strings.TrimSpace(f.Get("email")), "role": f.Get("role"), "projects": f["projects"]}
	if pw := f.Get("password"); pw != "" {
		body["password"] = pw
	}
	if b, set, err := q.formBudget("budget"); err != nil {
		return err
	} else if set && b != nil {
		body["budget"] = b
	}
	var m wire.MemberView
	if err := q.call("POST", "/admin/v1/members", body, &m); err != nil {
		return err
	}
	q.redirect("/ui/members/" + url.PathEscape(m.ID) + "/token/" + q.keep("member", reveal{Plain: m.Token, ID: m.ID, Display: m.Email}))
	return nil
}

// patchMember changes a member's role and projects, or disables or
// enables it (the form's action field says which).
func (s *Server) patchMember(q *req) error {
	id := q.r.PathValue("id")
	f := q.r.PostForm
	body := map[string]any{}
	switch f.Get("action") {
	case "disable":
		body["disabled"] = true
	case "enable":
		body["disabled"] = false
	case "password":
		body["password"] = f.Get("password") // the admin API checks its length
	default:
		body["role"] = f.Get("role")
		body["projects"] = splitList(f.Get("projects"))
	}
	if err := q.call("PATCH", "/admin/v1/members/"+url.PathEscape(id), body, nil); err != nil {
		return err
	}
	if body["disabled"] == true {
		q.endMemberSessions(id)
	}
	if _, pw := body["password"]; id == q.actor.ID && (body["disabled"] == true || pw) {
		// A new password ends the member's sessions, this one too: the
		// next request would find it so.
		q.endSession()
		q.redirect("/ui/signin")
		return nil
	}
	if _, pw := body["password"]; pw {
		q.endMemberSessions(id)
	}
	q.redirect("/ui/members#m-" + url.QueryEscape(id))
	return nil
}

// retokenMember issues a member a new personal access token; the old one
// and the member's dashboard sessions stop working. Re-tokening oneself
// ends this very session, so the token is shown in this answer (a reload
// re-sends a form whose session is gone and is refused).
func (s *Server) retokenMember(q *req) error {
	id := q.r.PathValue("id")
	var m wire.MemberView
	if err := q.call("POST", "/admin/v1/members/"+url.PathEscape(id)+"/token", nil, &m); err != nil {
		return err
	}
	rv := reveal{Plain: m.Token, ID: m.ID, Display: m.Email}
	q.endMemberSessions(id)
	if id == q.actor.ID {
		q.endSession()
		q.render(200, "token", map[string]any{"MemberID": id, "Plain": rv.Plain, "Email": rv.Display, "Self": true})
		q.sess = nil
		return nil
	}
	q.redirect("/ui/members/" + url.PathEscape(id) + "/token/" + q.keep("member", rv))
	return nil
}

// endMemberSessions deletes a member's dashboard sessions at once after a
// change that ends them (disabled, new token). Every request checks the
// member anyway, so a session the change leaves behind (the change made
// through the API or the CLI, or this delete failing) is refused and
// deleted at its next use; this only keeps the table from holding them
// until they expire.
func (q *req) endMemberSessions(id string) {
	if n, err := q.s.Store.DeleteMemberUISessions(context.WithoutCancel(q.r.Context()), id); err != nil {
		q.s.Log.Warn("dashboard: cannot delete the member's sessions; they end at their next use", "member", id, "err", err)
	} else if n > 0 {
		q.s.Log.Info("dashboard: ended the member's sessions", "member", id, "n", n)
	}
}

func (s *Server) tokenPage(q *req) error {
	rv, ok := q.take("member", q.r.PathValue("id"), q.r.PathValue("reveal"))
	data := map[string]any{"MemberID": q.r.PathValue("id"), "Gone": !ok}
	if ok {
		data["Plain"], data["Email"] = rv.Plain, rv.Display
	}
	q.render(200, "token", data)
	return nil
}

func (s *Server) deleteMember(q *req) error {
	id := q.r.PathValue("id")
	if q.r.PostFormValue("confirm") != "yes" {
		return &apiError{Status: 400, Code: "invalid_request", Message: i18n.M("ui.members.delete_unconfirmed").Render(q.lang)}
	}
	if err := q.call("DELETE", "/admin/v1/members/"+url.PathEscape(id), nil, nil); err != nil {
		return err
	}
	q.redirect("/ui/members")
	return nil
}

// projectsPage lists projects (with their budgets' use) and groups.
func (s *Server) projectsPage(q *req) error {
	var projects struct {
		Data []wire.ProjectView `json:"data"`
	}
	if err := q.call("GET", "/admin/v1/projects", nil, &projects); err != nil {
		return err
	}
	var groups struct {
		Data []wire.GroupView `json:"data"`
	}
	data := map[string]any{"Projects": projects.Data}
	if q.actor.Can(admin.PermGroupsRead) {
		if err := q.call("GET", "/admin/v1/groups", nil, &groups); err != nil {
			return err
		}
		data["Groups"] = groups.Data
	}
	data["Budgets"] = q.projectBudgets(projects.Data)
	q.render(200, "projects", data)
	return nil
}

func (s *Server) createProject(q *req) error {
	body := map[string]any{"name": strings.TrimSpace(q.r.PostFormValue("name"))}
	if b, set, err := q.formBudget("budget"); err != nil {
		return err
	} else if set {
		body["budget"] = b
	}
	if err := q.call("POST", "/admin/v1/projects", body, nil); err != nil {
		return err
	}
	q.redirect("/ui/projects")
	return nil
}

// patchProject sets a project's budget (0 removes it).
func (s *Server) patchProject(q *req) error {
	name := q.r.PathValue("name")
	b, set, err := q.formBudget("budget")
	if err != nil {
		return err
	}
	if set {
		if err := q.call("PATCH", "/admin/v1/projects/"+url.PathEscape(name), map[string]any{"budget": b}, nil); err != nil {
			return err
		}
	}
	q.redirect("/ui/projects#p-" + url.QueryEscape(name))
	return nil
}

func (s *Server) createGroup(q *req) error {
	f := q.r.PostForm
	body := map[string]any{"name": strings.TrimSpace(f.Get("name")), "models": splitList(f.Get("models"))}
	for _, n := range []string{"rpm", "tpm"} {
		if v := strings.TrimSpace(f.Get(n)); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil {
				return &apiError{Status: 400, Code: "invalid_request", Message: i18n.M("ui.groups.bad_number", i18n.S("name", n), i18n.S("value", v)).Render(q.lang)}
			}
			body[n] = i
		}
	}
	if v := strings.TrimSpace(f.Get("price_multiplier")); v != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return &apiError{Status: 400, Code: "invalid_request", Message: i18n.M("ui.groups.bad_number", i18n.S("name", "price_multiplier"), i18n.S("value", v)).Render(q.lang)}
		}
		body["price_multiplier"] = x
	}
	if err := q.call("POST", "/admin/v1/groups", body, nil); err != nil {
		return err
	}
	q.redirect("/ui/projects#groups")
	return nil
}

// jobStates are the jobs page's state filter (the admin API's).
var jobStates = []string{"submitting", "queued", "in_progress", "completed", "failed", "cancelled"}

// JobEnded says whether a job is in a final state (no cancel control).
func (v *view) JobEnded(state string) bool {
	return state == "completed" || state == "failed" || state == "cancelled"
}

func (s *Server) jobsPage(q *req) error {
	in := q.r.URL.Query()
	out := url.Values{"limit": {"200"}}
	filters := map[string]string{}
	for _, f := range []string{"state", "project", "key_id", "model"} {
		if v := strings.TrimSpace(in.Get(f)); v != "" {
			out.Set(f, v)
			filters[f] = v
		}
	}
	var list struct {
		Data []wire.JobView `json:"data"`
	}
	data := map[string]any{"Filters": filters, "States": jobStates}
	if err := q.call("GET", "/admin/v1/jobs?"+out.Encode(), nil, &list); err != nil {
		data["Problem"] = err.Error()
	}
	data["Jobs"] = list.Data
	q.render(200, "jobs", data)
	return nil
}

func (s *Server) cancelJob(q *req) error {
	id := q.r.PathValue("id")
	if err := q.call("POST", "/admin/v1/jobs/"+url.PathEscape(id)+"/cancel", map[string]any{}, nil); err != nil {
		return err
	}
	q.redirect("/ui/jobs#j-" + url.QueryEscape(id))
	return nil
}
