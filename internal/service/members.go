package service

import (
	"context"
	"errors"
	"fmt"

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

// ChangeMember reads member id inside one transaction, lets change edit
// it and name what changed (the detail of the member.update audit row;
// empty: nothing changed and nothing is written), refuses a change that
// would leave no enabled owner, and writes the member with its audit row.
// The change is decided on the member as it is at that moment, so two
// concurrent changes of different fields both stay.
func (s *Service) ChangeMember(ctx context.Context, who Who, id string, change func(m *store.Member) (map[string]any, error)) (store.Member, map[string]any, error) {
	var after store.Member
	var detail map[string]any
	err := s.tx(ctx, func(tx store.Store) error {
		before, err := tx.GetMember(ctx, id)
		if err != nil {
			return found(err, MemberNotFound(id))
		}
		after = before
		if detail, err = change(&after); err != nil || len(detail) == 0 {
			return err
		}
		if removesOwner(before, after) {
			if err := keepAnOwner(ctx, tx, after.ID); err != nil {
				return err
			}
		}
		if err := tx.UpdateMember(ctx, after); err != nil {
			return found(err, MemberNotFound(id))
		}
		after.UpdatedAt = s.now()
		return s.audit(ctx, tx, who, "member.update", after.ID, detail)
	})
	if err != nil {
		return store.Member{}, nil, err
	}
	return after, detail, nil
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

// CreateMember stores m with its audit row (member.create, detail) in one
// transaction; an email another member has is a conflict.
func (s *Service) CreateMember(ctx context.Context, who Who, m store.Member, detail map[string]any) error {
	return s.tx(ctx, func(tx store.Store) error {
		if err := tx.CreateMember(ctx, m); errors.Is(err, store.ErrConflict) {
			return conflict(i18n.M("admin.a_member_with_email_already", i18n.Q("email", fmt.Sprint(m.Email))), i18n.M("admin.get_admin_v1_members_lists.hint2"))
		} else if err != nil {
			return err
		}
		return s.audit(ctx, tx, who, "member.create", m.ID, detail)
	})
}

// SetMemberToken gives member id the personal access token whose hex
// SHA-256 is tokenHash (audited as member.token): the old token stops
// working at once. Only the token changes, whatever else changed since the
// caller read the member.
func (s *Service) SetMemberToken(ctx context.Context, who Who, id, tokenHash string) (store.Member, error) {
	var m store.Member
	err := s.tx(ctx, func(tx store.Store) error {
		var err error
		if m, err = tx.GetMember(ctx, id); err != nil {
			return found(err, MemberNotFound(id))
		}
		m.TokenHash = tokenHash
		if err := tx.UpdateMember(ctx, m); err != nil {
			return found(err, MemberNotFound(id))
		}
		return s.audit(ctx, tx, who, "member.token", m.ID, map[string]any{"email": m.Email})
	})
	return m, err
}

// RevokeLeakedToken disables the personal access token whose hex SHA-256
// is digest, found in public: its hash becomes RevokedTokenMark(digest),
// audited as token.leaked (detail plus the member's email), in one
// transaction. revoked is false when no member has the token any more (it
// was deleted, re-tokened or revoked meanwhile): nothing is changed then.
func (s *Service) RevokeLeakedToken(ctx context.Context, who Who, digest string, detail map[string]any) (m store.Member, revoked bool, err error) {
	err = s.tx(ctx, func(tx store.Store) error {
		revoked = false
		var err error
		if m, err = tx.GetMemberByTokenHash(ctx, digest); missing(err) {
			return nil
		} else if err != nil {
			return err
		}
		m.TokenHash = RevokedTokenMark(digest)
		if err := tx.UpdateMember(ctx, m); missing(err) {
			return nil // deleted meanwhile: the token is gone with it
		} else if err != nil {
			return err
		}
		d := map[string]any{"member": m.Email}
		for n, v := range detail {
			d[n] = v
		}
		revoked = true
		return s.audit(ctx, tx, who, "token.leaked", m.ID, d)
	})
	if err != nil {
		return store.Member{}, false, err
	}
	return m, revoked, nil
}
