package httpapi

// Projects and groups through the admin API. The same objects can be
// declared in KEYGATE_CONFIG; those are marked managed_by "config" and the
// file stays their source of truth (it is applied again at every start), so
// the API refuses to change them and says where to. Objects created here are
// managed_by "api".

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"time"

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

// ProjectView is the admin API's JSON form of a project.
type ProjectView struct {
	Name      string      `json:"name"`
	Budget    *BudgetView `json:"budget"`
	ManagedBy string      `json:"managed_by"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

func viewProject(p store.Project) ProjectView {
	v := ProjectView{Name: p.Name, ManagedBy: p.ManagedBy, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
	if p.BudgetUSD > 0 {
		v.Budget = &BudgetView{LimitUSD: p.BudgetUSD, Period: p.BudgetPeriod}
	}
	return v
}

func (s *Server) listProjects(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.Store.ListProjects(r.Context())
	if err != nil {
		return err
	}
	a := actorFrom(r.Context())
	out := make([]ProjectView, 0, len(ps))
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

// projectRequest is the body of POST /admin/v1/projects; PATCH takes the
// budget only (null removes it).
type projectRequest struct {
	Name   string      `json:"name"`
	Budget *BudgetView `json:"budget"`
}

func validBudget(b *BudgetView) error {
	if b != nil && (b.LimitUSD < 0 || !validPeriod(b.Period)) {
		return invalid("budget", "budget needs limit_usd ≥ 0 and period daily, monthly or total.",
			"For example {\"limit_usd\": 100, \"period\": \"monthly\"}.")
	}
	return nil
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
	if err := validBudget(req.Budget); err != nil {
		return err
	}
	if _, err := s.Store.GetProject(r.Context(), req.Name); err == nil {
		return conflict(fmt.Sprintf("Project %q already exists.", req.Name), "Change it with PATCH /admin/v1/projects/"+req.Name+".")
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	p := store.Project{Name: req.Name, ManagedBy: ManagedByAPI}
	if req.Budget != nil {
		p.BudgetUSD, p.BudgetPeriod = req.Budget.LimitUSD, req.Budget.Period
	}
	if err := s.Store.UpsertProject(r.Context(), p); err != nil {
		return err
	}
	p, err := s.Store.GetProject(r.Context(), req.Name)
	if err != nil {
		return err
	}
	s.audit(r, "project.create", "project:"+p.Name, map[string]any{"budget": req.Budget})
	writeJSON(w, http.StatusCreated, viewProject(p))
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
	var req struct {
		Budget *BudgetView `json:"budget"`
	}
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
	if err := validBudget(req.Budget); err != nil {
		return err
	}
	p.BudgetUSD, p.BudgetPeriod = 0, ""
	if req.Budget != nil {
		p.BudgetUSD, p.BudgetPeriod = req.Budget.LimitUSD, req.Budget.Period
	}
	if err := s.Store.UpsertProject(r.Context(), p); err != nil {
		return err
	}
	if p, err = s.Store.GetProject(r.Context(), p.Name); err != nil {
		return err
	}
	s.audit(r, "project.update", "project:"+p.Name, map[string]any{"budget": req.Budget})
	writeJSON(w, http.StatusOK, viewProject(p))
	return nil
}

// GroupView is the admin API's JSON form of a group.
type GroupView struct {
	Name            string    `json:"name"`
	Models          []string  `json:"models"`
	PriceMultiplier float64   `json:"price_multiplier"`
	RPM             int       `json:"rpm"`
	TPM             int       `json:"tpm"`
	ManagedBy       string    `json:"managed_by"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func viewGroup(g store.Group) GroupView {
	return GroupView{Name: g.Name, Models: nonNilStrs(g.Models), PriceMultiplier: g.PriceMultiplier, RPM: g.RPM, TPM: g.TPM,
		ManagedBy: g.ManagedBy, UpdatedAt: g.UpdatedAt}
}

// groupRequest is the body of POST and PATCH /admin/v1/groups.
type groupRequest struct {
	Name            string    `json:"name"`
	Models          *[]string `json:"models"`
	PriceMultiplier *float64  `json:"price_multiplier"`
	RPM             *int      `json:"rpm"`
	TPM             *int      `json:"tpm"`
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
	out := make([]GroupView, 0, len(gs))
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
	if len(g.Models) == 0 {
		return invalid("models", "A group needs models: a list of catalogue names, or [\"*\"] for all.", "")
	}
	return nil
}

// saveGroup writes g and reloads the catalogue so keys can use the group at
// once on this instance (others pick it up at their next refresh).
func (s *Server) saveGroup(w http.ResponseWriter, r *http.Request, g store.Group, action string, status int) error {
	if err := s.Store.UpsertGroup(r.Context(), g); err != nil {
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
	s.audit(r, action, "group:"+g.Name, map[string]any{"models": nonNilStrs(g.Models), "price_multiplier": g.PriceMultiplier,
		"rpm": g.RPM, "tpm": g.TPM})
	writeJSON(w, status, viewGroup(g))
	return nil
}
