package service

// Groups: create and update, each in one transaction with its audit row,
// the rules checked inside it under the group's lock.

import (
	"context"
	"slices"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/store"
)

// groupMissing is the error of a group route's name that names no group
// (GroupNotFound is a key's group).
func groupMissing(name string) error {
	return apierr.T(apierr.NotFound, i18n.M("admin.group_does_not_exist3", i18n.Q("name", name)), i18n.M("admin.get_admin_v1_groups_lists.hint2"))
}

func groupLock(name string) string { return "group:" + name }

// GroupPatch is what a create or an update of a group sets; nil fields are
// left as they are.
type GroupPatch struct {
	Rename          string // the body's name on an update; a different one is refused
	Models          *[]string
	PriceMultiplier *float64
	RPM, TPM        *int
	Concurrency     *int
}

func applyGroup(g *store.Group, p GroupPatch) error {
	if p.Models != nil {
		g.Models = *p.Models
	}
	if p.PriceMultiplier != nil {
		if *p.PriceMultiplier <= 0 {
			return invalid("price_multiplier", i18n.M("admin.price_multiplier_must_be_greater"), i18n.M("admin.1_charges_catalogue_prices_1.hint"))
		}
		g.PriceMultiplier = *p.PriceMultiplier
	}
	if p.RPM != nil {
		g.RPM = *p.RPM
	}
	if p.TPM != nil {
		g.TPM = *p.TPM
	}
	if g.RPM < 0 || g.TPM < 0 {
		return invalid("rpm", i18n.M("admin.rpm_and_tpm_must_not2"), i18n.Message{})
	}
	if p.Concurrency != nil {
		if *p.Concurrency < 0 {
			return invalid("concurrency", i18n.M("admin.concurrency_must_not_be_negative"), i18n.M("admin.0_leaves_keys_of_the.hint"))
		}
		g.Concurrency = *p.Concurrency
	}
	if len(g.Models) == 0 {
		return invalid("models", i18n.M("admin.a_group_needs_models_a"), i18n.Message{})
	}
	return nil
}

// ListGroups returns every group.
func (s *Service) ListGroups(ctx context.Context) ([]store.Group, error) {
	gs, err := s.Store.ListGroups(ctx)
	return gs, Err(err)
}

// GetGroup returns group name.
func (s *Service) GetGroup(ctx context.Context, name string) (store.Group, error) {
	g, err := findGroup(ctx, s.Store, name)
	return g, Err(err)
}

func findGroup(ctx context.Context, st store.Store, name string) (store.Group, error) {
	gs, err := st.ListGroups(ctx)
	if err != nil {
		return store.Group{}, err
	}
	if i := slices.IndexFunc(gs, func(g store.Group) bool { return g.Name == name }); i >= 0 {
		return gs[i], nil
	}
	return store.Group{}, groupMissing(name)
}

// CreateGroup creates group name (managed by the API) with its audit row
// (group.create) in one transaction; a name taken is a conflict.
func (s *Service) CreateGroup(ctx context.Context, who Who, name string, p GroupPatch) (store.Group, error) {
	if err := validName("group", name); err != nil {
		return store.Group{}, err
	}
	var out store.Group
	err := s.tx(ctx, func(tx store.Store) error {
		if err := tx.Lock(ctx, groupLock(name)); err != nil {
			return err
		}
		if _, err := findGroup(ctx, tx, name); err == nil {
			return conflict(i18n.M("admin.group_already_exists", i18n.Q("name", name)), i18n.M("admin.change_it_with_patch_admin.hint4", i18n.S("name2", name)))
		} else if apierr.From(err).Code != apierr.NotFound {
			return err
		}
		g := store.Group{Name: name, PriceMultiplier: 1, ManagedBy: ManagedByAPI}
		if err := applyGroup(&g, p); err != nil {
			return err
		}
		return s.saveGroup(ctx, tx, who, g, "group.create", &out)
	})
	if err != nil {
		return store.Group{}, err
	}
	s.reload(ctx, "group", name)
	return out, nil
}

// UpdateGroup changes group name as p says, with its audit row
// (group.update), in one transaction under the group's lock.
func (s *Service) UpdateGroup(ctx context.Context, who Who, name string, p GroupPatch) (store.Group, error) {
	var out store.Group
	err := s.tx(ctx, func(tx store.Store) error {
		if err := tx.Lock(ctx, groupLock(name)); err != nil {
			return err
		}
		g, err := findGroup(ctx, tx, name)
		if err != nil {
			return err
		}
		if err := refuseConfigManaged("Group", g.Name, g.ManagedBy); err != nil {
			return err
		}
		if p.Rename != "" && p.Rename != g.Name {
			return invalid("name", i18n.M("admin.a_group_cannot_be_renamed"), i18n.M("admin.create_a_new_group_and.hint"))
		}
		if err := applyGroup(&g, p); err != nil {
			return err
		}
		return s.saveGroup(ctx, tx, who, g, "group.update", &out)
	})
	if err != nil {
		return store.Group{}, err
	}
	s.reload(ctx, "group", name)
	return out, nil
}

func (s *Service) saveGroup(ctx context.Context, tx store.Store, who Who, g store.Group, action string, out *store.Group) error {
	if err := tx.UpsertGroup(ctx, g); err != nil {
		return err
	}
	detail := map[string]any{"models": nonNil(g.Models), "price_multiplier": g.PriceMultiplier,
		"rpm": g.RPM, "tpm": g.TPM, "concurrency": g.Concurrency}
	if err := s.audit(ctx, tx, who, action, "group:"+g.Name, detail); err != nil {
		return err
	}
	got, err := findGroup(ctx, tx, g.Name)
	if err != nil {
		return err
	}
	*out = got
	return nil
}
