package admin

// Members of the admin API: people with a role and, for scoped roles, a
// list of projects. A member authenticates with a personal access token
// (kg_pat_…), shown once at creation or rotation and stored only as its
// SHA-256 digest; a bcrypt password is kept for the dashboard. Who may do
// what is decided in authz.go; this file adds the rules about owners that
// only the member handlers know: admins cannot create, change, remove or
// re-token an owner, nor make anyone one, and the last enabled owner cannot
// be demoted, disabled or removed.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/keygate/keygate/internal/wire"

	"golang.org/x/crypto/bcrypt"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/store"
)

// Password bounds: bcrypt reads at most 72 bytes.
const (
	minPasswordLen = 12
	maxPasswordLen = 72
)

func (s *Server) memberRoutes(mux router) {
	mux.Handle("GET /admin/v1/members/me", s.admin(s.getMe))
	mux.Handle("POST /admin/v1/members/me/token", s.admin(s.rotateMyToken))
	mux.Handle("GET /admin/v1/members", s.admin(s.listMembers))
	mux.Handle("POST /admin/v1/members", s.admin(s.createMember))
	mux.Handle("GET /admin/v1/members/{id}", s.admin(s.getMember))
	mux.Handle("PATCH /admin/v1/members/{id}", s.admin(s.patchMember))
	mux.Handle("DELETE /admin/v1/members/{id}", s.admin(s.deleteMember))
	mux.Handle("POST /admin/v1/members/{id}/token", s.admin(s.rotateMemberToken))
}

func viewMember(m store.Member) wire.MemberView {
	v := wire.MemberView{ID: m.ID, Email: m.Email, Role: m.Role, Projects: nonNilStrs(m.Projects),
		AllProjects: Actor{Role: m.Role, Projects: m.Projects}.Global(), Disabled: m.Disabled,
		HasPassword: m.PasswordHash != "", CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
	if m.BudgetUSD > 0 {
		v.Budget = &wire.BudgetView{LimitUSD: m.BudgetUSD, Period: m.BudgetPeriod}
	}
	return v
}

// viewMemberSpend is viewMember with the current period's spend.
func (s *Server) viewMemberSpend(ctx context.Context, m store.Member) (wire.MemberView, error) {
	v := viewMember(m)
	if s.Ledger == nil || m.BudgetUSD <= 0 {
		return v, nil
	}
	spent, reset, err := s.Ledger.Usage(ctx, ledger.Budget{Scope: ledger.ScopeMember, Subject: m.ID, Period: m.BudgetPeriod, Limit: ledger.FromUSD(m.BudgetUSD)})
	if err != nil {
		return v, apierr.T(apierr.ServiceUnavailable, i18n.M("admin.the_member_s_spend_cannot"), i18n.M("admin.retry_shortly.hint")).WithCause(err)
	}
	usd := ledger.ToUSD(spent)
	v.SpentUSD = &usd
	v.BudgetResetsAt = timePtr(reset)
	return v, nil
}

// parseBudget reads a budget field (param) of a request: absent (nil,
// false), null (nil, true) or {"limit_usd", "period"}; limit_usd 0 removes
// it too.
func parseBudget(param string, raw json.RawMessage) (b *wire.BudgetView, set bool, err error) {
	if len(raw) == 0 {
		return nil, false, nil
	}
	if isNull(raw) {
		return nil, true, nil
	}
	b = new(wire.BudgetView)
	if err := json.Unmarshal(raw, b); err != nil || b.LimitUSD < 0 || !ledger.ValidPeriod(b.Period) {
		return nil, false, invalid(param, i18n.M("admin.needs_limit_usd_0_and", i18n.S("param", param)), i18n.M("admin.for_example_limit_usd_200.hint", i18n.S("param2", param)))
	}
	if b.LimitUSD == 0 {
		return nil, true, nil
	}
	return b, true, nil
}

// reloadForBudget makes a member budget change take effect on this
// instance at once (other instances reload on the change event).
func (s *Server) reloadForBudget(ctx context.Context, id string) {
	if s.Catalog == nil {
		return
	}
	if err := s.Catalog.Reload(ctx); err != nil {
		s.Log.Warn("member budget saved; catalogue reload failed, it applies at the next refresh (≤ 5 s)", "member", id, "err", err)
	}
}

// memberRequest is the body of POST /admin/v1/members.
type memberRequest struct {
	Email    string   `json:"email"`
	Role     string   `json:"role"`
	Projects []string `json:"projects"`
	Password string   `json:"password"`
	// Budget is {"limit_usd", "period"}: all the member's keys together.
	Budget json.RawMessage `json:"budget"`
}

func (s *Server) createMember(w http.ResponseWriter, r *http.Request) error {
	var req memberRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	a := actorFrom(r.Context())
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if err := validEmail(email); err != nil {
		return err
	}
	if err := s.validRoleChange(a, "", req.Role); err != nil {
		return err
	}
	projects, err := s.validProjects(r.Context(), a, req.Role, req.Projects)
	if err != nil {
		return err
	}
	budget, _, err := parseBudget("budget", req.Budget)
	if err != nil {
		return err
	}
	m := store.Member{ID: ids.New("mem"), Email: email, Role: req.Role, Projects: projects, CreatedAt: s.Now().UTC()}
	if budget != nil {
		m.BudgetUSD, m.BudgetPeriod = budget.LimitUSD, budget.Period
	}
	if req.Password != "" {
		if m.PasswordHash, err = hashPassword(req.Password); err != nil {
			return err
		}
	}
	tok, err := keys.Generate(keys.PrefixPAT)
	if err != nil {
		return fmt.Errorf("generate member token: %w", err)
	}
	m.TokenHash = keys.HashHex(tok)
	detail := map[string]any{"email": m.Email, "role": m.Role, "projects": nonNilStrs(m.Projects),
		"password": m.PasswordHash != ""}
	if budget != nil {
		detail["budget"] = budget
	}
	if err := s.Svc.CreateMember(r.Context(), s.who(r), m, detail); err != nil {
		return err
	}
	m.UpdatedAt = m.CreatedAt
	if budget != nil {
		s.reloadForBudget(r.Context(), m.ID)
	}
	v, err := s.viewMemberSpend(r.Context(), m)
	if err != nil {
		return err
	}
	v.Token = tok
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func validEmail(e string) error {
	at := strings.LastIndexByte(e, '@')
	if at < 1 || at == len(e)-1 || len(e) > 254 || strings.ContainsAny(e, " \t\r\n,;<>\"") {
		return invalid("email", i18n.M("admin.is_not_an_email_address", i18n.Q("value", fmt.Sprint(truncate(e, 80)))), i18n.M("admin.members_are_named_by_email.hint"))
	}
	return nil
}

// validRoleChange checks that a may give role to a member whose role is
// now from ("" for a new member).
func (s *Server) validRoleChange(a Actor, from, role string) error {
	if !store.ValidRole(role) {
		return invalid("role", i18n.M("admin.role_is_not_a_role", i18n.Q("role", fmt.Sprint(role))), i18n.M("admin.use_one_of_owner_admin.hint"))
	}
	if a.Role != store.RoleOwner && (role == store.RoleOwner || from == store.RoleOwner) {
		return apierr.T(apierr.PermissionDenied, i18n.M("admin.has_role_only_an_owner", i18n.S("actor", fmt.Sprint(a)), i18n.Q("role", fmt.Sprint(a.Role))), i18n.M("admin.ask_an_owner_of_the.hint"))
	}
	return nil
}

// validProjects checks a member's project list: every project exists, and
// the member role names at least one.
func (s *Server) validProjects(ctx context.Context, a Actor, role string, projects []string) ([]string, error) {
	out, err := s.knownProjects(ctx, a, projects)
	if err != nil {
		return nil, err
	}
	return out, needsProjects(role, out)
}

// knownProjects trims and de-duplicates a project list and checks that a
// may see every project in it.
func (s *Server) knownProjects(ctx context.Context, a Actor, projects []string) ([]string, error) {
	var out []string
	for _, p := range projects {
		p = strings.TrimSpace(p)
		if p == "" || slices.Contains(out, p) {
			continue
		}
		if err := s.checkProject(ctx, a, p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// needsProjects refuses a member of role member with no project.
func needsProjects(role string, projects []string) error {
	if role == store.RoleMember && len(projects) == 0 {
		return invalid("projects", i18n.M("admin.a_member_with_role_member"), i18n.M("admin.name_the_projects_they_work.hint"))
	}
	return nil
}

func hashPassword(pw string) (string, error) {
	if n := len([]rune(pw)); n < minPasswordLen || len(pw) > maxPasswordLen {
		return "", invalid("password", i18n.M("admin.the_password_has_characters_it", i18n.S("n", fmt.Sprint(n)), i18n.S("min_password_len", fmt.Sprint(minPasswordLen)), i18n.S("max_password_len", fmt.Sprint(maxPasswordLen))), i18n.M("admin.choose_a_longer_passphrase_bcrypt.hint"))
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// CheckMemberPassword reports whether password is m's (for the dashboard's
// sign-in). A member without a password never matches.
func CheckMemberPassword(m store.Member, password string) bool {
	if m.PasswordHash == "" || m.Disabled {
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(m.PasswordHash), []byte(password)) == nil
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) error {
	all, err := s.Svc.Members(r.Context())
	if err != nil {
		return err
	}
	a := actorFrom(r.Context())
	out := make([]wire.MemberView, 0, len(all))
	for _, m := range all {
		if canSeeMember(a, m) {
			out = append(out, viewMember(m))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

func (s *Server) getMember(w http.ResponseWriter, r *http.Request) error {
	m, err := s.loadMember(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	v, err := s.viewMemberSpend(r.Context(), m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// getMe answers who the caller is, for `keygate members me` and scripts.
func (s *Server) getMe(w http.ResponseWriter, r *http.Request) error {
	a := actorFrom(r.Context())
	if a.ID == "bootstrap" {
		writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "email": "", "role": a.Role, "projects": []string{}, "all_projects": true,
			"note": "This is the bootstrap owner credential (KEYGATE_ADMIN_TOKEN); create members with POST /admin/v1/members."})
		return nil
	}
	m, err := s.loadMember(r.Context(), a.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewMember(m))
	return nil
}

func (s *Server) loadMember(ctx context.Context, id string) (store.Member, error) {
	return s.Svc.Member(ctx, id)
}

// memberPatch is the body of PATCH /admin/v1/members/{id}; absent fields
// stay as they are, "password": null removes the password and "budget":
// null the budget.
type memberPatch struct {
	Role     *string         `json:"role"`
	Projects *[]string       `json:"projects"`
	Password json.RawMessage `json:"password"`
	Disabled *bool           `json:"disabled"`
	// Budget replaces the member's budget; null removes it.
	Budget json.RawMessage `json:"budget"`
}

func (s *Server) patchMember(w http.ResponseWriter, r *http.Request) error {
	var p memberPatch
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	ctx := r.Context()
	a := actorFrom(ctx)
	// What the body alone decides is checked (and a password hashed)
	// before the change's transaction; what depends on the member is
	// decided inside it, on the member as it is then.
	var projects []string
	var err error
	if p.Projects != nil {
		if projects, err = s.knownProjects(ctx, a, *p.Projects); err != nil {
			return err
		}
	}
	var password *string
	if len(p.Password) > 0 {
		h := ""
		if !isNull(p.Password) {
			var pw string
			if err := json.Unmarshal(p.Password, &pw); err != nil {
				return invalid("password", i18n.M("admin.password_must_be_a_string"), i18n.Message{})
			}
			if h, err = hashPassword(pw); err != nil {
				return err
			}
		}
		password = &h
	}
	budget, setBudget, err := parseBudget("budget", p.Budget)
	if err != nil {
		return err
	}
	m, changed, err := s.Svc.ChangeMember(ctx, s.who(r), r.PathValue("id"), func(m *store.Member) (map[string]any, error) {
		before := *m
		if err := s.validRoleChange(a, m.Role, m.Role); err != nil {
			return nil, err
		}
		changed := map[string]any{}
		if p.Role != nil && *p.Role != m.Role {
			if err := s.validRoleChange(a, m.Role, *p.Role); err != nil {
				return nil, err
			}
			changed["role"] = map[string]string{"from": m.Role, "to": *p.Role}
			m.Role = *p.Role
		}
		if p.Projects != nil {
			m.Projects = projects
		}
		if err := needsProjects(m.Role, m.Projects); err != nil {
			return nil, err
		}
		if !slices.Equal(m.Projects, before.Projects) {
			changed["projects"] = nonNilStrs(m.Projects)
		}
		if password != nil {
			m.PasswordHash = *password
			changed["password"] = m.PasswordHash != ""
		}
		if p.Disabled != nil && *p.Disabled != m.Disabled {
			m.Disabled = *p.Disabled
			changed["disabled"] = m.Disabled
		}
		if setBudget {
			m.BudgetUSD, m.BudgetPeriod = 0, ""
			if budget != nil {
				m.BudgetUSD, m.BudgetPeriod = budget.LimitUSD, budget.Period
			}
			if m.BudgetUSD != before.BudgetUSD || m.BudgetPeriod != before.BudgetPeriod {
				changed["budget"] = budget
			}
		}
		if len(changed) > 0 {
			changed["email"] = m.Email
		}
		return changed, nil
	})
	if err != nil {
		return err
	}
	if _, ok := changed["budget"]; ok {
		s.reloadForBudget(ctx, m.ID)
	}
	v, err := s.viewMemberSpend(ctx, m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) deleteMember(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	a := actorFrom(ctx)
	m, err := s.loadMember(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.validRoleChange(a, m.Role, m.Role); err != nil {
		return err
	}
	if m, err = s.Svc.DeleteMember(ctx, s.who(r), m.ID); err != nil {
		return err
	}
	if m.BudgetUSD > 0 {
		s.reloadForBudget(ctx, m.ID)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": m.ID, "email": m.Email, "deleted": true,
		"note": "The member's token no longer works. Keys they own keep working; list them with GET /admin/v1/keys?member=" + m.ID + "."})
	return nil
}

func (s *Server) rotateMemberToken(w http.ResponseWriter, r *http.Request) error {
	a := actorFrom(r.Context())
	m, err := s.loadMember(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := s.validRoleChange(a, m.Role, m.Role); err != nil {
		return err
	}
	return s.issueToken(w, r, m)
}

func (s *Server) rotateMyToken(w http.ResponseWriter, r *http.Request) error {
	a := actorFrom(r.Context())
	if a.ID == "bootstrap" {
		return apierr.T(apierr.InvalidRequest, i18n.M("admin.the_bootstrap_owner_token_is"), i18n.M("admin.set_a_new_keygate_admin.hint"))
	}
	m, err := s.loadMember(r.Context(), a.ID)
	if err != nil {
		return err
	}
	return s.issueToken(w, r, m)
}

// issueToken replaces m's personal access token; the old one stops working
// at once.
func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, m store.Member) error {
	tok, err := keys.Generate(keys.PrefixPAT)
	if err != nil {
		return fmt.Errorf("generate member token: %w", err)
	}
	m, err = s.Svc.SetMemberToken(r.Context(), s.who(r), m.ID, keys.HashHex(tok))
	if err != nil {
		return err
	}
	v := viewMember(m)
	v.Token = tok
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, v)
	return nil
}

// keyOwner decides the member who owns a new key of project. Members own
// the keys they create; owners and admins may name another member (by id
// or email), who must be able to see the project.
func (s *Server) keyOwner(r *http.Request, project, ref string) (string, error) {
	a := actorFrom(r.Context())
	self := a.ID
	if self == "bootstrap" {
		self = ""
	}
	if ref == "" || ref == a.ID || ref == a.Email && a.Email != "" {
		return self, nil
	}
	if a.Role != store.RoleOwner && a.Role != store.RoleAdmin {
		return "", apierr.T(apierr.PermissionDenied, i18n.M("admin.has_role_and_may_only", i18n.S("actor", fmt.Sprint(a)), i18n.Q("role", fmt.Sprint(a.Role))), i18n.M("admin.leave_member_out_an_owner.hint"))
	}
	id, err := s.memberParam(r.Context(), ref)
	if err != nil {
		return "", err
	}
	m, err := s.loadMember(r.Context(), id)
	if err != nil {
		return "", err
	}
	if !(Actor{Role: m.Role, Projects: m.Projects}).Global() && !slices.Contains(m.Projects, project) {
		return "", invalid("member", i18n.M("admin.member_cannot_see_project_so", i18n.S("email", fmt.Sprint(m.Email)), i18n.Q("project", fmt.Sprint(project))), i18n.M("admin.add_the_project_to_the.hint", i18n.S("id", m.ID)))
	}
	return m.ID, nil
}

// memberParam resolves a member named by id or email in a query or body to
// its id ("" stays "").
func (s *Server) memberParam(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" || !strings.Contains(ref, "@") {
		return ref, nil
	}
	m, err := s.Svc.MemberByEmail(ctx, strings.ToLower(ref))
	if err != nil {
		return "", err
	}
	return m.ID, nil
}

// auditVisibility returns which audit objects the caller may see: global
// callers see everything; scoped callers see the events of keys of their
// projects only.
func (s *Server) auditVisibility(r *http.Request) func(object string) bool {
	a := actorFrom(r.Context())
	if a.Global() {
		return func(string) bool { return true }
	}
	seen := map[string]bool{}
	return func(object string) bool {
		if v, ok := seen[object]; ok {
			return v
		}
		v := false
		if strings.HasPrefix(object, "key_") {
			k, err := s.Svc.Key(r.Context(), object)
			v = err == nil && s.canSeeProject(a, k.Project)
		}
		seen[object] = v
		return v
	}
}
