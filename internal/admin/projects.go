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
			return nil, invalid("test_models", fmt.Sprintf("test_models names models the catalogue does not have: %s.", quoteList(unknown)),
				"Use catalogue names or aliases (GET /admin/v1/models lists them), or [] to let test keys use what their group allows.")
		}
		p.TestModels = slices.Clone(*req.TestModels)
		audit["test_models"] = nonNilStrs(p.TestModels)
	}
	return audit, nil
}

func validName(kind, name string) error {
	if !objectName.MatchString(name) {
		return invalid("name", fmt.Sprintf("%s name %q is not valid.", kind, truncate(name, 80)),
			"Use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit.")
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
		return conflict(fmt.Sprintf("Project %q already exists.", req.Name), "Change it with PATCH /admin/v1/projects/"+req.Name+".")
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
	return conflict(fmt.Sprintf("%s %q is declared in KEYGATE_CONFIG, which is applied again at every start.", kind, name),
		"Change it in the configuration file and restart (or redeploy), so the file and the gateway agree.")
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
		return invalid("name", "A project cannot be renamed: keys, logs and budgets refer to it by name.", "Create a new project instead.")
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
	return store.Group{}, apierr.New(apierr.NotFound, fmt.Sprintf("Group %q does not exist.", name),
		"GET /admin/v1/groups lists groups; create one with POST /admin/v1/groups or under groups: in KEYGATE_CONFIG.")
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
		return conflict(fmt.Sprintf("Group %q already exists.", req.Name), "Change it with PATCH /admin/v1/groups/"+req.Name+".")
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
		return invalid("name", "A group cannot be renamed: keys refer to it by name.", "Create a new group and move keys to it with PATCH /admin/v1/keys/{id}.")
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
			return invalid("price_multiplier", "price_multiplier must be greater than 0.", "1 charges catalogue prices; 1.2 adds 20%.")
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
		return invalid("rpm", "rpm and tpm must not be negative (0 = no group default).", "")
	}
	if req.Concurrency != nil {
		if *req.Concurrency < 0 {
			return invalid("concurrency", "concurrency must not be negative.", "0 leaves keys of the group at KEYGATE_KEY_CONCURRENCY; a positive number caps each key's calls in flight.")
		}
		g.Concurrency = *req.Concurrency
	}
	if len(g.Models) == 0 {
		return invalid("models", "A group needs models: a list of catalogue names, or [\"*\"] for all.", "")
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
