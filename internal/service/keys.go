package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/store"
)

// IdempotencyTTL is how long an Idempotency-Key of a rotation is
// remembered; after it the same key starts a new rotation.
const IdempotencyTTL = 24 * time.Hour

func conflict(msg, hint i18n.Message) error { return apierr.T(apierr.Conflict, msg, hint) }

// getKey reads key id inside tx, mapping a missing key to not_found.
func getKey(ctx context.Context, tx store.Store, id string) (store.Key, error) {
	k, err := tx.GetKey(ctx, id)
	return k, found(err, KeyNotFound(id))
}

// retryConflicts runs fn again (up to 3 times) when it lost a version race
// to another writer: it reads afresh and decides again.
func retryConflicts(fn func() error) error {
	for attempt := 0; ; attempt++ {
		err := fn()
		var ae *apierr.Error
		if attempt < 3 && errors.Is(err, store.ErrConflict) && !errors.As(err, &ae) {
			continue
		}
		return err
	}
}

// KeyChange describes one change of a key: Change edits it (ErrNoChange:
// leave it, answer it as it is), Action and Detail name the audit row.
type KeyChange struct {
	Action string
	Change func(k *store.Key) error
	Detail func(k store.Key) map[string]any
}

// ChangeKey reads key id, applies c and writes it back with its audit row,
// in one transaction. It reports whether anything changed.
func (s *Service) ChangeKey(ctx context.Context, who Who, id string, c KeyChange) (store.Key, bool, error) {
	var out store.Key
	var changed bool
	err := retryConflicts(func() error {
		return s.Store.Tx(ctx, func(tx store.Store) error {
			k, err := getKey(ctx, tx, id)
			if err != nil {
				return err
			}
			out, changed = k, false
			if err := c.Change(&k); errors.Is(err, ErrNoChange) {
				return nil
			} else if err != nil {
				return err
			}
			if err := tx.UpdateKey(ctx, &k); err != nil {
				return err
			}
			var detail map[string]any
			if c.Detail != nil {
				detail = c.Detail(k)
			}
			if err := s.audit(ctx, tx, who, c.Action, k.ID, detail); err != nil {
				return err
			}
			out, changed = k, true
			return nil
		})
	})
	if err != nil {
		return out, false, Err(err)
	}
	if changed {
		s.putKeys(&out)
	}
	return out, changed, nil
}

// CreateKey stores k with its audit row (key.create, detail) in one
// transaction.
func (s *Service) CreateKey(ctx context.Context, who Who, k *store.Key, detail map[string]any) error {
	err := s.tx(ctx, func(tx store.Store) error {
		if err := tx.CreateKey(ctx, k); err != nil {
			return err
		}
		return s.audit(ctx, tx, who, "key.create", k.ID, detail)
	})
	if err != nil {
		return err
	}
	s.putKeys(k)
	return nil
}

// Rotation is the outcome of RotateKey.
type Rotation struct {
	Old, New store.Key
	Plain    string // the new key, shown once; "" on a replay
	Note     string
	Replayed bool // an earlier rotation with the same Idempotency-Key
}

// RotateKey replaces key id by a new key with the same scope and limits,
// in one transaction: the old key's mark (rotated, or kept disabled), the
// new key, both audit rows and the Idempotency-Key's claim are stored
// together or not at all, so a failure at any point leaves the old key as
// it was and the same Idempotency-Key free to succeed. The new key joins
// the old one's lineage, so both share one budget and one rate limit. A
// claim lapses after IdempotencyTTL.
func (s *Service) RotateKey(ctx context.Context, who Who, id string, grace time.Duration, idem string) (Rotation, error) {
	var rot Rotation
	err := retryConflicts(func() error {
		rot = Rotation{}
		return s.Store.Tx(ctx, func(tx store.Store) error { return s.rotate(ctx, tx, who, id, grace, idem, &rot) })
	})
	if err != nil {
		return Rotation{}, Err(err)
	}
	if !rot.Replayed {
		s.putKeys(&rot.Old, &rot.New)
	}
	return rot, nil
}

func (s *Service) rotate(ctx context.Context, tx store.Store, who Who, id string, grace time.Duration, idem string, rot *Rotation) error {
	newID := ids.New("key")
	scope := "rotate:" + id
	if idem != "" {
		got, claimed, err := tx.ClaimFor(ctx, scope, idem, newID, IdempotencyTTL)
		if err != nil {
			return err
		}
		if !claimed {
			nk, err := tx.GetKey(ctx, got)
			switch {
			case err == nil:
				old, err := getKey(ctx, tx, id)
				if err != nil {
					return err
				}
				rot.Old, rot.New, rot.Replayed = old, nk, true
				return nil
			case !missing(err):
				return err
			}
			// The claim's work never finished (a claim stored outside a
			// transaction by an older version): take it over.
			if err := tx.ReleaseOnce(ctx, scope, idem); err != nil {
				return err
			}
			if _, _, err := tx.ClaimFor(ctx, scope, idem, newID, IdempotencyTTL); err != nil {
				return err
			}
		}
	}
	old, err := getKey(ctx, tx, id)
	if err != nil {
		return err
	}
	prefix := keys.PrefixLive
	if old.Env == "test" {
		prefix = keys.PrefixTest
	}
	plain, err := keys.Generate(prefix)
	if err != nil {
		return apierr.T(apierr.Internal, i18n.M("svc.a_new_key_could_not"), i18n.M("svc.retry_nothing_was_changed.hint")).WithCause(err)
	}
	now := s.now()
	marked := old
	switch marked.State {
	case store.KeyActive, store.KeyExpired:
		// An expired key gets no grace: it was not working anyway.
		marked.GraceUntil = now.Add(grace)
		if marked.State == store.KeyExpired {
			marked.GraceUntil = now
		}
		marked.State = store.KeyRotated
		marked.StateAt, marked.StateBy, marked.StateReason = now, who.Actor, "rotated"
	case store.KeyDisabled:
		// A disabled key stays refused: a leaked key must not come back to
		// life for a grace window.
		rot.Note = "The old key was disabled and stays disabled; grace_seconds does not apply."
		marked.GraceUntil = time.Time{}
	case store.KeyRotated:
		return conflict(i18n.M("svc.key_was_already_rotated_its", i18n.S("id", fmt.Sprint(old.ID)), i18n.S("display", fmt.Sprint(old.Display)), i18n.S("replaced_by", fmt.Sprint(old.ReplacedBy))), i18n.M("svc.rotate_the_replacement_instead_or.hint"))
	default:
		return conflict(i18n.M("svc.key_is_and_cannot_be", i18n.S("id", fmt.Sprint(old.ID)), i18n.S("display", fmt.Sprint(old.Display)), i18n.S("state", fmt.Sprint(old.State))), i18n.M("admin.create_a_new_key_instead.hint"))
	}
	marked.ReplacedBy = newID
	// Under the version check: of two racing rotations one wins, so no key
	// ever has two successors.
	if err := tx.UpdateKey(ctx, &marked); err != nil {
		return err
	}
	nk := store.Key{ID: newID, Hash: keys.HashHex(plain), Display: keys.Display(plain), Env: old.Env, Name: old.Name,
		Project: old.Project, Group: old.Group, Models: old.Models, AllowedIPs: old.AllowedIPs, State: store.KeyActive,
		BudgetUSD: old.BudgetUSD, BudgetPeriod: old.BudgetPeriod, RPM: old.RPM, TPM: old.TPM, Concurrency: old.Concurrency,
		RequestTypes: old.RequestTypes, CreatedAt: now, CreatedBy: who.Actor, RotatedFrom: old.ID, Member: old.Member,
		Lineage: old.LineageID()}
	if old.ExpiresAt.After(now) {
		nk.ExpiresAt = old.ExpiresAt
	}
	if err := tx.CreateKey(ctx, &nk); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, who, "key.rotate", old.ID, map[string]any{"display": old.Display, "replacement": nk.ID,
		"replacement_display": nk.Display, "grace_until": marked.GraceUntil, "old_state": marked.State}); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, who, "key.create", nk.ID, map[string]any{"display": nk.Display, "project": nk.Project,
		"group": nk.Group, "env": nk.Env, "rotated_from": old.ID}); err != nil {
		return err
	}
	rot.Old, rot.New, rot.Plain = marked, nk, plain
	return nil
}

// LeakReport is one reported sighting of a key in public.
type LeakReport struct {
	Mark   string // identity of the report: token digest and place (acted on once)
	Reason string // the state reason the key gets
	Detail map[string]any
}

// ReportLeak acts on a leak report of key id once, by the report's
// identity: the first time, the key is disabled (unless it is disabled or
// deleted already) and the report audited, in one transaction with the
// report's claim; a replay changes nothing, whatever the key's state is
// now (an owner may have re-enabled it on purpose). first says whether
// this was the first time; changed whether the key was disabled now.
func (s *Service) ReportLeak(ctx context.Context, who Who, id string, r LeakReport) (k store.Key, first, changed bool, err error) {
	err = retryConflicts(func() error {
		first, changed = false, false
		return s.Store.Tx(ctx, func(tx store.Store) error {
			var e error
			if k, e = getKey(ctx, tx, id); e != nil {
				return e
			}
			_, claimed, e := tx.ClaimOnce(ctx, "leak-report", r.Mark, s.now().Format(time.RFC3339))
			if e != nil || !claimed {
				return e
			}
			first = true
			switch k.State {
			case store.KeyDisabled, store.KeyDeleted:
			default:
				k.State, k.StateAt, k.StateBy, k.StateReason = store.KeyDisabled, s.now(), who.Actor, r.Reason
				k.GraceUntil = time.Time{}
				if e := tx.UpdateKey(ctx, &k); e != nil {
					return e
				}
				changed = true
			}
			d := map[string]any{"disabled": changed, "state": k.State}
			for n, v := range r.Detail {
				d[n] = v
			}
			return s.audit(ctx, tx, who, "key.leaked", k.ID, d)
		})
	})
	if err != nil {
		return k, false, false, Err(err)
	}
	if changed {
		s.putKeys(&k)
	}
	return k, first, changed, nil
}

// KeyPatch is a validated change of a key's settings; nil (or Set… false)
// leaves a setting as it is.
type KeyPatch struct {
	Name, Group                      *string
	Models, AllowedIPs, RequestTypes *[]string
	SetExpiry                        bool
	ExpiresAt                        time.Time // zero: no expiry
	SetBudget                        bool
	BudgetUSD                        float64 // 0: no budget
	BudgetPeriod                     string
	RPM, TPM, Concurrency            *int
}

// PatchKey applies p to key id (audited as key.update with the changed
// fields). A deleted key cannot be changed.
func (s *Service) PatchKey(ctx context.Context, who Who, id string, p KeyPatch) (store.Key, error) {
	var changed []string
	k, _, err := s.ChangeKey(ctx, who, id, KeyChange{Action: "key.update", Change: func(k *store.Key) error {
		changed = changed[:0]
		if k.State == store.KeyDeleted {
			return conflict(i18n.M("admin.key_is_deleted_and_cannot", i18n.S("id", fmt.Sprint(k.ID)), i18n.S("display", fmt.Sprint(k.Display))), i18n.M("admin.create_a_new_key_instead.hint"))
		}
		set := func(name string) { changed = append(changed, name) }
		if p.Name != nil {
			k.Name = keys.CleanText(*p.Name, 200)
			set("name")
		}
		if p.Group != nil {
			k.Group = *p.Group
			set("group")
		}
		if p.Models != nil {
			k.Models = *p.Models
			set("models")
		}
		if p.AllowedIPs != nil {
			k.AllowedIPs = *p.AllowedIPs
			set("allowed_ips")
		}
		if p.SetExpiry {
			k.ExpiresAt = p.ExpiresAt
			set("expires_at")
		}
		if p.SetBudget {
			k.BudgetUSD, k.BudgetPeriod = p.BudgetUSD, p.BudgetPeriod
			set("budget")
		}
		if p.RPM != nil {
			k.RPM = *p.RPM
			set("rpm")
		}
		if p.TPM != nil {
			k.TPM = *p.TPM
			set("tpm")
		}
		if p.Concurrency != nil {
			k.Concurrency = *p.Concurrency
			set("concurrency")
		}
		if p.RequestTypes != nil {
			k.RequestTypes = *p.RequestTypes
			set("request_types")
		}
		if len(changed) == 0 {
			return ErrNoChange
		}
		return nil
	}, Detail: func(k store.Key) map[string]any { return map[string]any{"display": k.Display, "fields": changed} }})
	return k, err
}

// DisableKey refuses key id from now on (audited as key.disable with the
// reason); disabling a disabled key changes nothing. changed says whether
// it was disabled now.
func (s *Service) DisableKey(ctx context.Context, who Who, id, reason string) (k store.Key, changed bool, err error) {
	now := s.now()
	return s.ChangeKey(ctx, who, id, KeyChange{Action: "key.disable", Change: func(k *store.Key) error {
		switch k.State {
		case store.KeyDisabled:
			return ErrNoChange
		case store.KeyDeleted:
			return conflict(i18n.M("admin.key_is_deleted_it_is", i18n.S("id", fmt.Sprint(k.ID)), i18n.S("display", fmt.Sprint(k.Display))), i18n.Message{})
		}
		k.State, k.StateAt, k.StateBy, k.StateReason = store.KeyDisabled, now, who.Actor, reason
		k.GraceUntil = time.Time{}
		return nil
	}, Detail: func(k store.Key) map[string]any { return map[string]any{"display": k.Display, "reason": reason} }})
}

// EnableKey lets a disabled key work again (audited as key.enable); a key
// replaced by a rotation stays disabled.
func (s *Service) EnableKey(ctx context.Context, who Who, id string) (store.Key, error) {
	now := s.now()
	k, _, err := s.ChangeKey(ctx, who, id, KeyChange{Action: "key.enable", Change: func(k *store.Key) error {
		switch k.State {
		case store.KeyActive:
			return ErrNoChange
		case store.KeyDisabled:
			if k.ReplacedBy != "" {
				return conflict(i18n.M("admin.key_was_replaced_by_and", i18n.S("id", fmt.Sprint(k.ID)), i18n.S("display", fmt.Sprint(k.Display)), i18n.S("replaced_by", fmt.Sprint(k.ReplacedBy))), i18n.M("admin.use_the_replacement_key.hint"))
			}
		default:
			return conflict(i18n.M("admin.key_is_only_a_disabled", i18n.S("id", fmt.Sprint(k.ID)), i18n.S("display", fmt.Sprint(k.Display)), i18n.S("state", fmt.Sprint(k.State))), i18n.M("admin.create_a_new_key_or.hint"))
		}
		k.State, k.StateAt, k.StateBy, k.StateReason = store.KeyActive, now, who.Actor, ""
		return nil
	}, Detail: func(k store.Key) map[string]any { return map[string]any{"display": k.Display} }})
	return k, err
}

// DeleteKey marks key id deleted (audited as key.delete). The row stays as
// a tombstone: the digest keeps a deleted key recognised, so its owner is
// told "deleted", never "unknown".
func (s *Service) DeleteKey(ctx context.Context, who Who, id string) (store.Key, error) {
	now := s.now()
	k, _, err := s.ChangeKey(ctx, who, id, KeyChange{Action: "key.delete", Change: func(k *store.Key) error {
		if k.State == store.KeyDeleted {
			return ErrNoChange
		}
		k.State, k.StateAt, k.StateBy, k.StateReason = store.KeyDeleted, now, who.Actor, ""
		k.GraceUntil = time.Time{}
		return nil
	}, Detail: func(k store.Key) map[string]any { return map[string]any{"display": k.Display} }})
	return k, err
}

// ReportTokenLeak records, once per report (mark), that a credential the
// gateway cannot change itself (KEYGATE_ADMIN_TOKEN, from the environment)
// was found in public: the report's claim and its audit row (token.leaked
// on object, detail) are one transaction, so a replay records nothing.
// first says whether this was the first time.
func (s *Service) ReportTokenLeak(ctx context.Context, who Who, mark, object string, detail map[string]any) (first bool, err error) {
	err = s.tx(ctx, func(tx store.Store) error {
		first = false
		_, claimed, err := tx.ClaimOnce(ctx, "leak-report", mark, s.now().Format(time.RFC3339))
		if err != nil || !claimed {
			return err
		}
		first = true
		return s.audit(ctx, tx, who, "token.leaked", object, detail)
	})
	return first && err == nil, err
}
