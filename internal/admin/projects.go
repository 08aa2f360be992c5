package admin

// Projects and groups through the admin API. The same objects can be
// declared in KEYGATE_CONFIG; those are marked managed_by "config" and the
// file stays their source of truth (it is applied again at every start), so
// the API refuses to change them and says where to. Objects created here are
// managed_by "api".

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/keygate/keygate/internal/wire"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/store"
)

// ManagedByAPI marks projects and groups created through the admin API.
const ManagedByAPI = "api"

// managedByConfig matches app.ManagedByConfig (httpapi cannot import app).
const managedByConfig = "config"

var objectName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (s *Server) projectRoutes(mux router) {
	mux.Handle("GET /admin/v1/projects", s.admin(s.listProjects))
	mux.Handle("POST /admin/v1/projects", s.admin(s.createProject))
	mux.Handle("GET /admin/v1/projects/{name}", s.admin(s.getProject))
	mux.Handle("PATCH /admin/v1/projects/{name}", s.admin(s.patchProject))
	mux.Handle("GET /admin/v1/groups", s.admin(s.listGroups))
	mux.Handle("POST /admin/v1/groups", s.admin(s.createGroup))
	mux.Handle("GET /admin/v1/groups/{name}", s.admin(s.getGroup))
	mux.Handle("PATCH /admin/v1/groups/{name}", s.admin(s.patchGroup))
}

func viewProject(p store.Project) wire.ProjectView {
	v := wire.ProjectView{Name: p.Name, TestModels: nonNilStrs(p.TestModels), ManagedBy: p.ManagedBy, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	if p.BudgetUSD > 0 {
		v.Budget = &wire.BudgetView{LimitUSD: p.BudgetUSD, Period: p.BudgetPeriod}
	}
	if p.TestBudgetUSD > 0 {
		v.TestBudget = &wire.BudgetView{LimitUSD: p.TestBudgetUSD, Period: p.TestBudgetPeriod}
	}
	return v
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.Store.ListProjects(r.Context())
	if err != nil {
		return err
	}
	a := actorFrom(r.Context())
	out := make([]wire.ProjectView, 0, len(ps))
	for _, p := range ps {
		if s.canSeeProject(a, p.Name) {
			out = append(out, viewProject(p))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

func (s *Server) getProject(w http.ResponseWriter, r *http.Request) error {
	p, err := s.Store.GetProject(r.Context(), r.PathValue("name"))
	if errors.Is(err, store.ErrNotFound) {
		return projectNotFound(r.PathValue("name"))
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewProject(p))
	return nil
}

// projectRequest is the body of POST and PATCH /admin/v1/projects. On
// PATCH absent fields are left as they are; budget and test_budget may be
// null to remove them, test_models [] to lift the restriction.
type projectRequest struct {
	Name       string          `json:"name"`
	Budget     json.RawMessage `json:"budget"`
	TestModels *[]string       `json:"test_models"`
	TestBudget json.RawMessage `json:"test_budget"`
}

// applyProject validates req and writes its fields into p; it returns
// what changed, for the audit log.
func (s *Server) applyProject(p *store.Project, req projectRequest) (audit map[string]any, err error) {
	audit = map[string]any{}
	for _, b := range []struct {
		param string
		raw   json.RawMessage
		usd   *float64
		per   *string
	}{{"budget", req.Budget, &p.BudgetUSD, &p.BudgetPeriod}, {"test_budget", req.TestBudget, &p.TestBudgetUSD, &p.TestBudgetPeriod}} {
		v, set, err := parseBudget(b.param, b.raw)
		if err != nil {
			return nil, err
		} else if !set {
			continue
		}
		*b.usd, *b.per = 0, ""
		if v != nil {
			*b.usd, *b.per = v.LimitUSD, v.Period
		}
		audit[b.param] = v
	}
	if req.TestModels != nil {
		var unknown []string
		for _, m := range *req.TestModels {
			known := s.Catalog == nil // without a catalogue (tests of the API alone), names are taken as given
			if !known {
				_, known = s.Catalog.Snapshot().Model(m)
			}
			if !known || strings.TrimSpace(m) == "" {
				unknown = append(unknown, m)
			}
		}
		if len(unknown) > 0 {
			return nil, invalid("test_models", i18n.M("admin.test_models_names_models_the", i18n.S("unknown", fmt.Sprint(quoteList(unknown)))), i18n.M("admin.use_catalogue_names_or_aliases.hint"))
		}
		p.TestModels = slices.Clone(*req.TestModels)
		audit["test_models"] = nonNilStrs(p.TestModels)
	}
	return audit, nil
}

func validName(kind, name string) error {
	if !objectName.MatchString(name) {
		return invalid("name", i18n.M("admin.name_is_not_valid", i18n.S("kind", fmt.Sprint(kind)), i18n.Q("name", fmt.Sprint(truncate(name, 80)))), i18n.M("admin.use_1_to_64_letters.hint"))
	}
	return nil
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) error {
	var req projectRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := validName("project", req.Name); err != nil {
		return err
	}
	p := store.Project{Name: req.Name, ManagedBy: ManagedByAPI}
	audit, err := s.applyProject(&p, req)
	if err != nil {
		return err
	}
	if _, err := s.Store.GetProject(r.Context(), req.Name); err == nil {
		return conflict(i18n.M("admin.project_already_exists", i18n.Q("name", fmt.Sprint(req.Name))), i18n.M("admin.change_it_with_patch_admin.hint3", i18n.S("name2", req.Name)))
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return s.saveProject(w, r, p, "project.create", audit, http.StatusCreated)
}

// saveProject writes p and reloads the catalogue, so its budgets and test
// key limits apply at once on this instance (others pick them up from the
// change event or at their next refresh).
func (s *Server) saveProject(w http.ResponseWriter, r *http.Request, p store.Project, action string, audit map[string]any, status int) error {
	if err := s.Svc.Apply(r.Context(), s.who(r), action, "project:"+p.Name, audit, func(tx store.Store) error {
		return tx.UpsertProject(r.Context(), p)
	}); err != nil {
		return err
	}
	if s.Catalog != nil {
		if err := s.Catalog.Reload(r.Context()); err != nil {
			s.Log.Warn("project saved; catalogue reload failed, it will catch up at the next refresh", "project", p.Name, "err", err)
		}
	}
	p, err := s.Store.GetProject(r.Context(), p.Name)
	if err != nil {
		return err
	}
	writeJSON(w, status, viewProject(p))
	return nil
}

func refuseConfigManaged(kind, name, managedBy string) error {
	if managedBy != managedByConfig {
		return nil
	}
	return conflict(i18n.M("admin.is_declared_in_keygate_config", i18n.S("kind", fmt.Sprint(kind)), i18n.Q("name", fmt.Sprint(name))), i18n.M("admin.change_it_in_the_configuration.hint"))
}

func (s *Server) patchProject(w http.ResponseWriter, r *http.Request) error {
	var req projectRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p, err := s.Store.GetProject(r.Context(), r.PathValue("name"))
	if errors.Is(err, store.ErrNotFound) {
		return projectNotFound(r.PathValue("name"))
	}
	if err != nil {
		return err
	}
	if err := refuseConfigManaged("Project", p.Name, p.ManagedBy); err != nil {
		return err
	}
	if req.Name != "" && req.Name != p.Name {
		return invalid("name", i18n.M("admin.a_project_cannot_be_renamed"), i18n.M("admin.create_a_new_project_instead.hint"))
	}
	audit, err := s.applyProject(&p, req)
	if err != nil {
		return err
	}
	return s.saveProject(w, r, p, "project.update", audit, http.StatusOK)
}

func viewGroup(g store.Group) wire.GroupView {
	return wire.GroupView{Name: g.Name, Models: nonNilStrs(g.Models), PriceMultiplier: g.PriceMultiplier, RPM: g.RPM, TPM: g.TPM,
		Concurrency: g.Concurrency, ManagedBy: g.ManagedBy, UpdatedAt: g.UpdatedAt}
}

// groupRequest is the body of POST and PATCH /admin/v1/groups.
type groupRequest struct {
	Name            string    `json:"name"`
	Models          *[]string `json:"models"`
	PriceMultiplier *float64  `json:"price_multiplier"`
	RPM             *int      `json:"rpm"`
	TPM             *int      `json:"tpm"`
	Concurrency     *int      `json:"concurrency"`
}

func (s *Server) findGroup(r *http.Request, name string) (store.Group, error) {
	gs, err := s.Store.ListGroups(r.Context())
	if err != nil {
		return store.Group{}, err
	}
	if i := slices.IndexFunc(gs, func(g store.Group) bool { return g.Name == name }); i >= 0 {
		return gs[i], nil
	}
	return store.Group{}, apierr.T(apierr.NotFound, i18n.M("admin.group_does_not_exist3", i18n.Q("name", fmt.Sprint(name))), i18n.M("admin.get_admin_v1_groups_lists.hint2"))
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) error {
	gs, err := s.Store.ListGroups(r.Context())
	if err != nil {
		return err
	}
	out := make([]wire.GroupView, 0, len(gs))
	for _, g := range gs {
		out = append(out, viewGroup(g))
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.findGroup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewGroup(g))
	return nil
}

func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) error {
	var req groupRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := validName("group", req.Name); err != nil {
		return err
	}
	if _, err := s.findGroup(r, req.Name); err == nil {
		return conflict(i18n.M("admin.group_already_exists", i18n.Q("name", fmt.Sprint(req.Name))), i18n.M("admin.change_it_with_patch_admin.hint4", i18n.S("name2", req.Name)))
	} else if apierr.From(err).Code != apierr.NotFound {
		return err
	}
	g := store.Group{Name: req.Name, PriceMultiplier: 1, ManagedBy: ManagedByAPI}
	if err := applyGroup(&g, req); err != nil {
		return err
	}
	return s.saveGroup(w, r, g, "group.create", http.StatusCreated)
}

func (s *Server) patchGroup(w http.ResponseWriter, r *http.Request) error {
	var req groupRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	g, err := s.findGroup(r, r.PathValue("name"))
	if err != nil {
		return err
	}
	if err := refuseConfigManaged("Group", g.Name, g.ManagedBy); err != nil {
		return err
	}
	if req.Name != "" && req.Name != g.Name {
		return invalid("name", i18n.M("admin.a_group_cannot_be_renamed"), i18n.M("admin.create_a_new_group_and.hint"))
	}
	if err := applyGroup(&g, req); err != nil {
		return err
	}
	return s.saveGroup(w, r, g, "group.update", http.StatusOK)
}

func applyGroup(g *store.Group, req groupRequest) error {
	if req.Models != nil {
		g.Models = *req.Models
	}
	if req.PriceMultiplier != nil {
		if *req.PriceMultiplier <= 0 {
			return invalid("price_multiplier", i18n.M("admin.price_multiplier_must_be_greater"), i18n.M("admin.1_charges_catalogue_prices_1.hint"))
		}
		g.PriceMultiplier = *req.PriceMultiplier
	}
	if req.RPM != nil {
		g.RPM = *req.RPM
	}
	if req.TPM != nil {
		g.TPM = *req.TPM
	}
	if g.RPM < 0 || g.TPM < 0 {
		return invalid("rpm", i18n.M("admin.rpm_and_tpm_must_not2"), i18n.Message{})
	}
	if req.Concurrency != nil {
		if *req.Concurrency < 0 {
			return invalid("concurrency", i18n.M("admin.concurrency_must_not_be_negative"), i18n.M("admin.0_leaves_keys_of_the.hint"))
		}
		g.Concurrency = *req.Concurrency
	}
	if len(g.Models) == 0 {
		return invalid("models", i18n.M("admin.a_group_needs_models_a"), i18n.Message{})
	}
	return nil
}

// saveGroup writes g and reloads the catalogue so keys can use the group at
// once on this instance (others pick it up at their next refresh).
func (s *Server) saveGroup(w http.ResponseWriter, r *http.Request, g store.Group, action string, status int) error {
	detail := map[string]any{"models": nonNilStrs(g.Models), "price_multiplier": g.PriceMultiplier,
		"rpm": g.RPM, "tpm": g.TPM, "concurrency": g.Concurrency}
	if err := s.Svc.Apply(r.Context(), s.who(r), action, "group:"+g.Name, detail, func(tx store.Store) error {
		return tx.UpsertGroup(r.Context(), g)
	}); err != nil {
		return err
	}
	if s.Catalog != nil {
		if err := s.Catalog.Reload(r.Context()); err != nil {
			s.Log.Warn("group saved; catalogue reload failed, it will catch up at the next refresh", "group", g.Name, "err", err)
		}
	}
	g, err := s.findGroup(r, g.Name)
	if err != nil {
		return err
	}
	writeJSON(w, status, viewGroup(g))
	return nil
}
