package admin

// Projects and groups through the admin API. The same objects can be
// declared in KEYGATE_CONFIG; those are marked managed_by "config" and the
// file stays their source of truth (it is applied again at every start), so
// the API refuses to change them and says where to. Objects created here are
// managed_by "api". The rules and the writes are the service's
// (internal/service/projects.go, groups.go): each change is one transaction
// with its audit row.

import (
	"encoding/json"
	"net/http"

	"github.com/keygate/keygate/internal/service"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/wire"
)

// ManagedByAPI marks projects and groups created through the admin API.
const ManagedByAPI = service.ManagedByAPI

// managedByConfig matches app.ManagedByConfig (admin cannot import app).
const managedByConfig = service.ManagedByConfig

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
	ps, err := s.Svc.ListProjects(r.Context())
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
	p, err := s.Svc.GetProject(r.Context(), r.PathValue("name"))
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

// patch decodes the budgets of req into the service's form.
func (req projectRequest) patch() (service.ProjectPatch, error) {
	p := service.ProjectPatch{TestModels: req.TestModels}
	for _, b := range []struct {
		param string
		raw   json.RawMessage
		dst   **service.BudgetPatch
	}{{"budget", req.Budget, &p.Budget}, {"test_budget", req.TestBudget, &p.TestBudget}} {
		v, set, err := parseBudget(b.param, b.raw)
		if err != nil {
			return p, err
		}
		if set {
			*b.dst = &service.BudgetPatch{Limit: v}
		}
	}
	return p, nil
}

func (s *Server) createProject(w http.ResponseWriter, r *http.Request) error {
	var req projectRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	pt, err := req.patch()
	if err != nil {
		return err
	}
	p, err := s.Svc.CreateProject(r.Context(), s.who(r), req.Name, pt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewProject(p))
	return nil
}

func (s *Server) patchProject(w http.ResponseWriter, r *http.Request) error {
	var req projectRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	pt, err := req.patch()
	if err != nil {
		return err
	}
	pt.Rename = req.Name
	p, err := s.Svc.UpdateProject(r.Context(), s.who(r), r.PathValue("name"), pt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewProject(p))
	return nil
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

func (req groupRequest) patch() service.GroupPatch {
	return service.GroupPatch{Models: req.Models, PriceMultiplier: req.PriceMultiplier, RPM: req.RPM, TPM: req.TPM, Concurrency: req.Concurrency}
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) error {
	gs, err := s.Svc.ListGroups(r.Context())
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
	g, err := s.Svc.GetGroup(r.Context(), r.PathValue("name"))
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
	g, err := s.Svc.CreateGroup(r.Context(), s.who(r), req.Name, req.patch())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, viewGroup(g))
	return nil
}

func (s *Server) patchGroup(w http.ResponseWriter, r *http.Request) error {
	var req groupRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	pt := req.patch()
	pt.Rename = req.Name
	g, err := s.Svc.UpdateGroup(r.Context(), s.who(r), r.PathValue("name"), pt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewGroup(g))
	return nil
}
