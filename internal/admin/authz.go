package admin

// Authorization of the admin API: one table decides who may do what.
//
// Every admin route is registered with s.admin(handler). After the caller is
// authenticated, s.admin calls s.authorize, which looks the route's pattern
// (r.Pattern, exactly as registered) up in adminRules and
//
//  1. answers 403 permission_denied when the caller's role lacks the rule's
//     permission (rolePermissions);
//  2. when the rule names the object in the path — a key {id}, a request
//     {request_id}, a project {name}, a member {id} — loads it and answers
//     404, the very same 404 as for a missing object, when it belongs to a
//     project the caller may not see: a member of project A cannot even learn
//     that project B's key exists;
//  3. does the same for the ?project= and ?key_id= (and ?object=key_…)
//     filters of any admin route.
//
// A route without a rule is open to owners and admins only (fail closed),
// and TestEveryAdminRouteHasARule fails until it gets one.
//
// FOR AUTHORS OF ADMIN HANDLERS — three things the wrapper cannot know:
//
//   - Add your route's pattern to adminRules below, with the permission it
//     needs and, when the path names an object, where to find its project.
//   - Lists: restrict what you return with s.visibleProjects(r) (nil means
//     every project); store filters take a Projects []string for this.
//   - Objects named in a request body (the "project" of POST /admin/v1/keys):
//     check s.canSeeProject(actorFrom(ctx), name) and answer the object's own
//     not-found error when it is false.
//
// Role powers: owner — everything; admin — everything but owners (they cannot
// create, change or remove an owner, nor make anyone one); member — keys,
// logs, usage, evidence and audit of their own projects, and change keys
// there; support — read keys, logs, evidence and audit, change nothing;
// viewer — read everything it may see, change nothing. Owners and admins see
// every project; the others see the projects listed on their member record
// (an empty list means every project, except for the member role, which
// always names its projects).

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/service"
	"github.com/keygate/keygate/internal/store"
)

// Permission is one kind of access to the admin API.
type Permission string

// Permissions. PermAny admits every authenticated caller; PermGateway is
// what a route without a rule requires.
const (
	PermAny           Permission = "any"
	PermKeysRead      Permission = "read keys"
	PermKeysWrite     Permission = "change keys"
	PermLogsRead      Permission = "read request logs"
	PermEvidenceRead  Permission = "read request evidence"
	PermUsageRead     Permission = "read usage reports"
	PermAuditRead     Permission = "read the audit log"
	PermProjectsRead  Permission = "read projects"
	PermProjectsWrite Permission = "create or change projects"
	PermGroupsRead    Permission = "read groups"
	PermGroupsWrite   Permission = "create or change groups"
	PermMembersRead   Permission = "read members"
	PermMembersWrite  Permission = "create, change or remove members"
	PermCatalogRead   Permission = "read channels and models"
	PermCatalogWrite  Permission = "change channels and models"
	PermGateway       Permission = "administer the gateway"
)

var readPerms = []Permission{PermKeysRead, PermLogsRead, PermEvidenceRead, PermUsageRead, PermAuditRead,
	PermProjectsRead, PermGroupsRead, PermMembersRead, PermCatalogRead}

// rolePermissions is what each role may do (owner and admin: everything).
var rolePermissions = map[string][]Permission{
	store.RoleMember: {PermKeysRead, PermKeysWrite, PermLogsRead, PermEvidenceRead, PermUsageRead, PermAuditRead,
		PermProjectsRead, PermGroupsRead},
	store.RoleSupport: {PermKeysRead, PermLogsRead, PermEvidenceRead, PermAuditRead, PermProjectsRead, PermGroupsRead},
	store.RoleViewer:  readPerms,
}

// Can reports whether the actor's role grants p.
func (a Actor) Can(p Permission) bool {
	switch a.Role {
	case store.RoleOwner, store.RoleAdmin:
		return true
	}
	if p == PermAny {
		return a.Role != ""
	}
	return slices.Contains(rolePermissions[a.Role], p)
}

// Global reports whether the actor sees every project.
func (a Actor) Global() bool {
	switch a.Role {
	case store.RoleOwner, store.RoleAdmin:
		return true
	case store.RoleMember:
		return false
	}
	return len(a.Projects) == 0
}

// canSeeProject reports whether a may see objects of project p. Objects of
// no project (a request whose key was unknown) are for global actors only.
func (s *Server) canSeeProject(a Actor, p string) bool {
	return a.Global() || p != "" && slices.Contains(a.Projects, p)
}

// visibleProjects returns the projects the caller may see, or nil when it
// sees all of them. A scoped caller always gets a non-empty list (a
// placeholder that matches nothing when it has none), so the result can go
// straight into a store filter.
func (s *Server) visibleProjects(r *http.Request) []string {
	a := actorFrom(r.Context())
	if a.Global() {
		return nil
	}
	if len(a.Projects) == 0 {
		return []string{"\x00none"}
	}
	return a.Projects
}

// objectRef says where a route's path names an object that belongs to a
// project.
type objectRef int

const (
	noObject      objectRef = iota
	keyInPath               // {id} is a key id
	requestInPath           // {request_id} is a request id
	projectInPath           // {name} is a project name
	memberInPath            // {id} is a member id
)

// rule is the authorization of one admin route.
type rule struct {
	perm   Permission
	object objectRef
}

// adminRules is the authorization of every admin route, by the pattern it
// is registered with. Keep it in step with adminRoutes and the *Routes
// functions of the admin_*.go files.
var adminRules = map[string]rule{
	// Keys (admin.go, admin_keys.go).
	"POST /admin/v1/keys":              {PermKeysWrite, noObject}, // body project: createKey checks it
	"GET /admin/v1/keys":               {PermKeysRead, noObject},
	"GET /admin/v1/keys/{id}":          {PermKeysRead, keyInPath},
	"PATCH /admin/v1/keys/{id}":        {PermKeysWrite, keyInPath},
	"DELETE /admin/v1/keys/{id}":       {PermKeysWrite, keyInPath},
	"POST /admin/v1/keys/{id}/disable": {PermKeysWrite, keyInPath},
	"POST /admin/v1/keys/{id}/enable":  {PermKeysWrite, keyInPath},
	"POST /admin/v1/keys/{id}/rotate":  {PermKeysWrite, keyInPath},
	"GET /admin/v1/keys/{id}/impact":   {PermKeysRead, keyInPath},
	"POST /admin/v1/keys/check":        {PermKeysRead, noObject}, // checkDigests hides keys of other projects
	"GET /admin/v1/audit":              {PermAuditRead, noObject},
	// Rotation follow-through (admin_rotation.go); {id} is either key of the rotation.
	"GET /admin/v1/keys/{id}/rotation":   {PermKeysRead, keyInPath},
	"PATCH /admin/v1/keys/{id}/rotation": {PermKeysWrite, keyInPath},
	"POST /admin/v1/keys/{id}/retire":    {PermKeysWrite, keyInPath},
	// Incidents (admin_incidents.go): lists filter by visibleProjects, the
	// handlers answer 404 for an incident of a project the caller cannot
	// see and check every key and request named in a body.
	"POST /admin/v1/incidents":              {PermKeysWrite, noObject},
	"GET /admin/v1/incidents":               {PermKeysRead, noObject},
	"GET /admin/v1/incidents/{id}":          {PermKeysRead, noObject},
	"PATCH /admin/v1/incidents/{id}":        {PermKeysWrite, noObject},
	"POST /admin/v1/incidents/{id}/notes":   {PermKeysWrite, noObject},
	"POST /admin/v1/incidents/{id}/resolve": {PermKeysWrite, noObject},
	// Channels and models (channels.go): gateway-wide objects, no project.
	"GET /admin/v1/channels":                 {PermCatalogRead, noObject},
	"POST /admin/v1/channels":                {PermCatalogWrite, noObject},
	"GET /admin/v1/channels/{name}":          {PermCatalogRead, noObject},
	"PATCH /admin/v1/channels/{name}":        {PermCatalogWrite, noObject},
	"DELETE /admin/v1/channels/{name}":       {PermCatalogWrite, noObject},
	"POST /admin/v1/channels/{name}/disable": {PermCatalogWrite, noObject},
	"POST /admin/v1/channels/{name}/enable":  {PermCatalogWrite, noObject},
	"POST /admin/v1/channels/{name}/test":    {PermCatalogWrite, noObject}, // calls the upstream, stores the report
	"GET /admin/v1/channels/{name}/models":   {PermCatalogRead, noObject},
	"GET /admin/v1/models":                   {PermCatalogRead, noObject},
	"POST /admin/v1/models":                  {PermCatalogWrite, noObject},
	"GET /admin/v1/models/{name}":            {PermCatalogRead, noObject},
	"PATCH /admin/v1/models/{name}":          {PermCatalogWrite, noObject},
	"DELETE /admin/v1/models/{name}":         {PermCatalogWrite, noObject},
	// Generation jobs (jobs.go): the handlers answer 404 for a job of a
	// project the caller cannot see; the list filters by visibleProjects.
	"GET /admin/v1/jobs":              {PermLogsRead, noObject},
	"GET /admin/v1/jobs/{id}":         {PermLogsRead, noObject},
	"POST /admin/v1/jobs/{id}/cancel": {PermKeysWrite, noObject},
	// Logs, evidence, usage.
	"GET /admin/v1/logs":                  {PermLogsRead, noObject},
	"GET /admin/v1/requests/{request_id}": {PermEvidenceRead, requestInPath},
	"GET /admin/v1/usage":                 {PermUsageRead, noObject},
	// Projects and groups (admin_projects.go).
	"GET /admin/v1/projects":          {PermProjectsRead, noObject},
	"POST /admin/v1/projects":         {PermProjectsWrite, noObject},
	"GET /admin/v1/projects/{name}":   {PermProjectsRead, projectInPath},
	"PATCH /admin/v1/projects/{name}": {PermProjectsWrite, projectInPath},
	"GET /admin/v1/groups":            {PermGroupsRead, noObject},
	"POST /admin/v1/groups":           {PermGroupsWrite, noObject},
	"GET /admin/v1/groups/{name}":     {PermGroupsRead, noObject},
	"PATCH /admin/v1/groups/{name}":   {PermGroupsWrite, noObject},
	// Members (admin_members.go).
	"GET /admin/v1/members/me":          {PermAny, noObject},
	"POST /admin/v1/members/me/token":   {PermAny, noObject},
	"GET /admin/v1/members":             {PermMembersRead, noObject},
	"POST /admin/v1/members":            {PermMembersWrite, noObject},
	"GET /admin/v1/members/{id}":        {PermMembersRead, memberInPath},
	"PATCH /admin/v1/members/{id}":      {PermMembersWrite, memberInPath},
	"DELETE /admin/v1/members/{id}":     {PermMembersWrite, memberInPath},
	"POST /admin/v1/members/{id}/token": {PermMembersWrite, memberInPath},
	"/admin/":                           {PermAny, noObject}, // the unknown-endpoint answer
}

// ruleFor returns the rule of a route pattern; routes without one are for
// owners and admins.
func ruleFor(pattern string) (rule, bool) {
	r, ok := adminRules[pattern]
	if !ok {
		return rule{perm: PermGateway}, false
	}
	return r, true
}

// authorize applies the route's rule to the authenticated caller a.
func (s *Server) authorize(r *http.Request, a Actor) error {
	ru, known := ruleFor(r.Pattern)
	if !known && r.Pattern != "" {
		s.Log.Warn("admin route has no authorization rule; only owners and admins may use it", "pattern", r.Pattern)
	}
	if !a.Can(ru.perm) {
		return permissionDenied(a, ru.perm)
	}
	ctx := r.Context()
	switch ru.object {
	case keyInPath:
		if err := s.checkKey(ctx, a, r.PathValue("id")); err != nil {
			return err
		}
	case requestInPath:
		id := strings.TrimSpace(r.PathValue("request_id"))
		if strings.HasPrefix(id, "req_") { // the handler explains malformed ids
			l, err := s.Svc.Request(ctx, id)
			switch {
			case err != nil:
				return err
			case !s.canSeeProject(a, l.Project):
				return requestNotFound(id)
			}
		}
	case projectInPath:
		if err := s.checkProject(ctx, a, r.PathValue("name")); err != nil {
			return err
		}
	case memberInPath:
		id := r.PathValue("id")
		m, err := s.Svc.Member(ctx, id)
		switch {
		case err != nil:
			return err
		case !canSeeMember(a, m):
			return memberNotFound(id)
		}
	}
	q := r.URL.Query()
	if p := q.Get("project"); p != "" {
		if err := s.checkProject(ctx, a, p); err != nil {
			return err
		}
	}
	if k := q.Get("key_id"); k != "" {
		if err := s.checkKey(ctx, a, k); err != nil {
			return err
		}
	}
	if o := q.Get("object"); strings.HasPrefix(o, "key_") {
		if err := s.checkKey(ctx, a, o); err != nil {
			return err
		}
	}
	return nil
}

// checkKey answers keyNotFound unless key id exists in a project a sees.
func (s *Server) checkKey(ctx context.Context, a Actor, id string) error {
	k, err := s.Svc.Key(ctx, id)
	switch {
	case err != nil:
		return err
	case !s.canSeeProject(a, k.Project):
		return keyNotFound(id)
	}
	return nil
}

// checkProject answers projectNotFound unless project p exists and a sees it.
func (s *Server) checkProject(ctx context.Context, a Actor, p string) error {
	if !s.canSeeProject(a, p) {
		return projectNotFound(p)
	}
	return s.Svc.CheckProject(ctx, p)
}

// canSeeMember: global actors see everyone; others see themselves and the
// members who share one of their projects.
func canSeeMember(a Actor, m store.Member) bool {
	if a.Global() || a.ID == m.ID {
		return true
	}
	for _, p := range m.Projects {
		if slices.Contains(a.Projects, p) {
			return true
		}
	}
	return false
}

func permissionDenied(a Actor, p Permission) error {
	return apierr.T(apierr.PermissionDenied, i18n.M("admin.has_role_which_may_not", i18n.S("actor", fmt.Sprint(a)), i18n.Q("role", fmt.Sprint(a.Role)), i18n.S("value", fmt.Sprint(p))), i18n.M("admin.ask_an_owner_or_admin.hint3"))
}

// The not-found answers are the service's (service/errors.go), so a
// hidden object and a missing one read the same.
var (
	keyNotFound     = service.KeyNotFound
	projectNotFound = service.ProjectNotFound
	memberNotFound  = service.MemberNotFound
	requestNotFound = service.RequestNotFound
)

// router is what route registration needs; *http.ServeMux has it, and
// tests record the admin route table through it.
type router interface {
	Handle(pattern string, handler http.Handler)
}

// routeRecorder collects registered patterns.
type routeRecorder struct{ patterns []string }

func (rr *routeRecorder) Handle(pattern string, _ http.Handler) {
	rr.patterns = append(rr.patterns, pattern)
}

// AdminRoutePatterns returns every admin route pattern as registered, for
// the authorization tests and documentation.
func (s *Server) AdminRoutePatterns() []string {
	var rr routeRecorder
	s.adminRoutes(&rr)
	return rr.patterns
}

// AdminRouteRule describes the authorization of one admin route pattern:
// the permission it needs, which path value names a project-owned object
// ("key", "request", "project", "member" or ""), and whether a rule exists.
func AdminRouteRule(pattern string) (perm Permission, object string, ok bool) {
	ru, ok := ruleFor(pattern)
	return ru.perm, [...]string{"", "key", "request", "project", "member"}[ru.object], ok
}

// RolePermits reports whether role grants p, for tests and documentation.
func RolePermits(role string, p Permission) bool { return Actor{Role: role}.Can(p) }
