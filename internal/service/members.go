package service

import (
	"context"

	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/store"
)

// ownersLock serializes the changes that could remove the last enabled
// owner, across instances.
const ownersLock = "members:owners"

// keepAnOwner refuses a change that would leave no enabled owner besides
// id. It runs inside the change's transaction, under ownersLock, so two
// concurrent removals of the last two owners cannot both pass it.
func keepAnOwner(ctx context.Context, tx store.Store, id string) error {
	if err := tx.Lock(ctx, ownersLock); err != nil {
		return err
	}
	all, err := tx.ListMembers(ctx)
	if err != nil {
		return err
	}
	for _, o := range all {
		if o.ID != id && o.Role == store.RoleOwner && !o.Disabled {
			return nil
		}
	}
	return conflict(i18n.M("svc.this_is_the_last_enabled"), i18n.M("svc.make_another_member_an_owner.hint"))
}

func removesOwner(before, after store.Member) bool {
	return before.Role == store.RoleOwner && !before.Disabled && (after.Role != store.RoleOwner || after.Disabled)
}

// UpdateMember writes m (changed from before, as the caller checked) with
// its audit row (member.update, detail) in one transaction; a change that
// would leave no enabled owner is refused.
func (s *Service) UpdateMember(ctx context.Context, who Who, before, m store.Member, detail map[string]any) error {
	return s.tx(ctx, func(tx store.Store) error {
		if removesOwner(before, m) {
			if err := keepAnOwner(ctx, tx, m.ID); err != nil {
				return err
			}
		}
		if err := tx.UpdateMember(ctx, m); err != nil {
			return found(err, MemberNotFound(m.ID))
		}
		return s.audit(ctx, tx, who, "member.update", m.ID, detail)
	})
}

// DeleteMember removes member id with its audit row in one transaction; the
// last enabled owner is refused. It returns the member as it was.
func (s *Service) DeleteMember(ctx context.Context, who Who, id string) (store.Member, error) {
	var m store.Member
	err := s.tx(ctx, func(tx store.Store) error {
		var err error
		if err = tx.Lock(ctx, ownersLock); err != nil {
			return err
		}
		if m, err = tx.GetMember(ctx, id); err != nil {
			return found(err, MemberNotFound(id))
		}
		if m.Role == store.RoleOwner && !m.Disabled {
			if err := keepAnOwner(ctx, tx, m.ID); err != nil {
				return err
			}
		}
		if err := tx.DeleteMember(ctx, m.ID); err != nil {
			return found(err, MemberNotFound(m.ID))
		}
		return s.audit(ctx, tx, who, "member.delete", m.ID, map[string]any{"email": m.Email, "role": m.Role})
	})
	return m, err
}
