// Package service owns keygate's state changes. Each method runs in one
// store transaction (store.Store.Tx) with its audit row inside it, so a
// change that cannot be audited is not applied, and a check and the write
// it guards (the last owner, a key's successor) cannot be raced. Errors
// carry their catalogue code (apierr) and are mapped to HTTP once, by the
// transport's renderer. Caches (the key cache) are updated only after a
// commit; webhooks are the caller's, after the method returned.
//
// Transports (internal/admin) call services; services call the store and
// never a transport.
package service

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/store"
)

// Service holds what every state change needs.
type Service struct {
	Store   store.Store
	Catalog *catalog.Catalog // its key cache is updated after each commit; nil: none
	Now     func() time.Time
	// Webhooks receives the notices (notices.go); nil sends none and the
	// notice loops do nothing.
	Webhooks Notifier
	Log      *slog.Logger
}

// Who is the author of a change, as the audit log names it.
type Who struct {
	Actor    string // member email or id, "bootstrap", "secret-scanning", "gateway"
	SourceIP string
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now().UTC()
	}
	return s.Now().UTC()
}

// tx runs fn in one transaction and maps its error with Err.
func (s *Service) tx(ctx context.Context, fn func(tx store.Store) error) error {
	return Err(s.Store.Tx(ctx, fn))
}

// audit writes the audit row of a change inside its transaction; its
// failure fails the change.
func (s *Service) audit(ctx context.Context, tx store.Store, who Who, action, object string, detail map[string]any) error {
	b, _ := json.Marshal(detail)
	ev := store.AuditEvent{ID: ids.New("aud"), Time: s.now(), Actor: who.Actor, Action: action, Object: object,
		SourceIP: who.SourceIP, Detail: string(b)}
	if err := tx.InsertAudit(ctx, ev); err != nil {
		return apierr.T(apierr.ServiceUnavailable, i18n.M("svc.the_change_could_not_be"), i18n.M("svc.retry_shortly_retry_after_a.hint")).WithCause(err).WithHeader("Retry-After", RetryAfter)
	}
	return nil
}

// Apply runs change and its audit row (action, object, detail) in one
// transaction. It is the generic form for changes with no rule of their
// own beyond what change checks. change returns ErrNoChange when it found
// nothing to do: nothing is audited and Apply returns nil.
func (s *Service) Apply(ctx context.Context, who Who, action, object string, detail map[string]any, change func(tx store.Store) error) error {
	return s.tx(ctx, func(tx store.Store) error {
		if err := change(tx); errors.Is(err, ErrNoChange) {
			return nil
		} else if err != nil {
			return err
		}
		return s.audit(ctx, tx, who, action, object, detail)
	})
}

// Audit records an event that changes nothing else (a refused report, a
// failed webhook), as its own transaction.
func (s *Service) Audit(ctx context.Context, who Who, action, object string, detail map[string]any) error {
	return s.tx(ctx, func(tx store.Store) error { return s.audit(ctx, tx, who, action, object, detail) })
}

func (s *Service) putKeys(ks ...*store.Key) {
	if s.Catalog == nil {
		return
	}
	for _, k := range ks {
		s.Catalog.Keys().Put(k)
	}
}

// AuditRow is the audit row a change asks for; an empty Action writes none
// (nothing worth auditing changed).
type AuditRow struct {
	Action, Object string
	Detail         map[string]any
}

// Change runs fn in one transaction with the audit row it returns, retrying
// it afresh when it lost a version race (store.ErrConflict). It is the
// form for changes whose audit depends on what they found.
func (s *Service) Change(ctx context.Context, who Who, fn func(tx store.Store) (AuditRow, error)) error {
	return Err(retryConflicts(func() error {
		return s.Store.Tx(ctx, func(tx store.Store) error {
			row, err := fn(tx)
			if err != nil || row.Action == "" {
				return err
			}
			return s.audit(ctx, tx, who, row.Action, row.Object, row.Detail)
		})
	}))
}
