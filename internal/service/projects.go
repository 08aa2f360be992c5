package service

// Projects: create and update, each in one transaction with its audit row.
// The rules — a name is taken once, a project declared in KEYGATE_CONFIG is
// the file's, a project is not renamed, test_models name catalogue models —
// are checked inside that transaction, under the project's lock, so two
// concurrent creates of one name cannot both succeed.

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/wire"
)

// ManagedByAPI marks projects, groups, channels and models created through
// the admin API.
const ManagedByAPI = "api"

// ManagedByConfig marks the objects KEYGATE_CONFIG declares (app.ManagedByConfig).
const ManagedByConfig = "config"

var objectName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidObjectName reports whether name can name a project, group or channel.
func ValidObjectName(name string) bool { return objectName.MatchString(name) }

func invalid(param string, msg, hint i18n.Message) error {
	return apierr.T(apierr.InvalidRequest, msg, hint).WithParam(param)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func quoteList(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, " or ")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func validName(kind, name string) error {
	if !objectName.MatchString(name) {
		return invalid("name", i18n.M("admin.name_is_not_valid", i18n.S("kind", kind), i18n.Q("name", truncate(name, 80))), i18n.M("admin.use_1_to_64_letters.hint"))
	}
	return nil
}

// refuseConfigManaged refuses a change of an object KEYGATE_CONFIG declares.
func refuseConfigManaged(kind, name, managedBy string) error {
	if managedBy != ManagedByConfig {
		return nil
	}
	return conflict(i18n.M("admin.is_declared_in_keygate_config", i18n.S("kind", kind), i18n.Q("name", name)), i18n.M("admin.change_it_in_the_configuration.hint"))
}

func projectLock(name string) string { return "project:" + name }

// ProjectPatch is what a create or an update of a project sets; nil fields
// are left as they are.
type ProjectPatch struct {
	// Rename is the name the body gave on an update; a different one is refused.
	Rename string
	// Budget and TestBudget, when set, replace the budget; a nil Limit removes it.
	Budget, TestBudget *BudgetPatch
	// TestModels replaces the models kg_test_ keys may call ([] lifts it).
	TestModels *[]string
}

// BudgetPatch sets a budget (Limit) or removes it (nil).
type BudgetPatch struct{ Limit *wire.BudgetView }

// apply writes pt into p and returns what changed, for the audit row.
func (s *Service) applyProject(p *store.Project, pt ProjectPatch) (map[string]any, error) {
	detail := map[string]any{}
	for _, b := range []struct {
		param string
		patch *BudgetPatch
		usd   *float64
		per   *string
	}{{"budget", pt.Budget, &p.BudgetUSD, &p.BudgetPeriod}, {"test_budget", pt.TestBudget, &p.TestBudgetUSD, &p.TestBudgetPeriod}} {
		if b.patch == nil {
			continue
		}
		*b.usd, *b.per = 0, ""
		if v := b.patch.Limit; v != nil {
			*b.usd, *b.per = v.LimitUSD, v.Period
		}
		detail[b.param] = b.patch.Limit
	}
	if pt.TestModels != nil {
		var unknown []string
		for _, m := range *pt.TestModels {
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
		p.TestModels = slices.Clone(*pt.TestModels)
		detail["test_models"] = nonNil(p.TestModels)
	}
	return detail, nil
}

// ListProjects returns every project.
func (s *Service) ListProjects(ctx context.Context) ([]store.Project, error) {
	ps, err := s.Store.ListProjects(ctx)
	return ps, Err(err)
}

// GetProject returns project name.
func (s *Service) GetProject(ctx context.Context, name string) (store.Project, error) {
	p, err := getProject(ctx, s.Store, name)
	return p, Err(err)
}

func getProject(ctx context.Context, st store.Store, name string) (store.Project, error) {
	p, err := st.GetProject(ctx, name)
	return p, found(err, ProjectNotFound(name))
}

// CreateProject creates project name (managed by the API) with its audit
// row (project.create) in one transaction; a name taken is a conflict.
func (s *Service) CreateProject(ctx context.Context, who Who, name string, pt ProjectPatch) (store.Project, error) {
	if err := validName("project", name); err != nil {
		return store.Project{}, err
	}
	p := store.Project{Name: name, ManagedBy: ManagedByAPI}
	detail, err := s.applyProject(&p, pt)
	if err != nil {
		return store.Project{}, err
	}
	var out store.Project
	err = s.tx(ctx, func(tx store.Store) error {
		if err := tx.Lock(ctx, projectLock(name)); err != nil {
			return err
		}
		if _, err := tx.GetProject(ctx, name); err == nil {
			return conflict(i18n.M("admin.project_already_exists", i18n.Q("name", name)), i18n.M("admin.change_it_with_patch_admin.hint3", i18n.S("name2", name)))
		} else if !missing(err) {
			return err
		}
		return s.saveProject(ctx, tx, who, p, "project.create", detail, &out)
	})
	if err != nil {
		return store.Project{}, err
	}
	s.reload(ctx, "project", name)
	return out, nil
}

// UpdateProject changes project name as pt says, with its audit row
// (project.update), in one transaction: the project is read under its
// lock, so a concurrent change is not overwritten with stale fields.
func (s *Service) UpdateProject(ctx context.Context, who Who, name string, pt ProjectPatch) (store.Project, error) {
	var out store.Project
	err := s.tx(ctx, func(tx store.Store) error {
		if err := tx.Lock(ctx, projectLock(name)); err != nil {
			return err
		}
		p, err := getProject(ctx, tx, name)
		if err != nil {
			return err
		}
		if err := refuseConfigManaged("Project", p.Name, p.ManagedBy); err != nil {
			return err
		}
		if pt.Rename != "" && pt.Rename != p.Name {
			return invalid("name", i18n.M("admin.a_project_cannot_be_renamed"), i18n.M("admin.create_a_new_project_instead.hint"))
		}
		detail, err := s.applyProject(&p, pt)
		if err != nil {
			return err
		}
		return s.saveProject(ctx, tx, who, p, "project.update", detail, &out)
	})
	if err != nil {
		return store.Project{}, err
	}
	s.reload(ctx, "project", name)
	return out, nil
}

func (s *Service) saveProject(ctx context.Context, tx store.Store, who Who, p store.Project, action string, detail map[string]any, out *store.Project) error {
	if err := tx.UpsertProject(ctx, p); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, who, action, "project:"+p.Name, detail); err != nil {
		return err
	}
	got, err := getProject(ctx, tx, p.Name)
	if err != nil {
		return err
	}
	*out = got
	return nil
}

// reload makes a committed catalogue change apply on this instance at once
// (the others reload on the change event or at their next refresh).
func (s *Service) reload(ctx context.Context, kind, name string) {
	if s.Catalog == nil {
		return
	}
	if err := s.Catalog.Reload(context.WithoutCancel(ctx)); err != nil && s.Log != nil {
		s.Log.Warn(kind+" saved; catalogue reload failed, it will catch up at the next refresh", kind, name, "err", err)
	}
}
