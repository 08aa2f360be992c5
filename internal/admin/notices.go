package admin

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/service"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/webhook"
)

func newEventID() string { return ids.New("evt") }

// auditEvent records an event made by the gateway itself (a leak report,
// a webhook failure) rather than by an admin API caller.
func (s *Server) auditEvent(ctx context.Context, actor, action, object, sourceIP string, detail map[string]any) {
	if err := s.Svc.Audit(context.WithoutCancel(ctx), service.Who{Actor: actor, SourceIP: sourceIP}, action, object, detail); err != nil {
		s.Log.Error("audit event could not be stored", "action", action, "object", object, "err", err)
	}
}

// WebhookFailed records an undelivered webhook in the audit log, so a
// silent receiver is visible where operators look for security events.
func (s *Server) WebhookFailed(ev webhook.Event, attempts int, err error) {
	obj, _ := ev.Data["key_id"].(string)
	if obj == "" {
		obj = ev.ID
	}
	s.auditEvent(context.Background(), "gateway", "webhook.failed", obj, "", map[string]any{"event": ev.Type,
		"delivery": ev.ID, "attempts": attempts, "error": cleanText(err.Error(), 500)})
}

// expiryNotices are the thresholds of key.expiring webhooks, in days.
var expiryNotices = []int{1, 3, 7}

// NotifyExpiring sends one key.expiring webhook per key and threshold (7, 3
// and 1 days before expires_at); a threshold already notified, on this or
// any other instance, is not notified again. It returns how many were sent.
func (s *Server) NotifyExpiring(ctx context.Context) (int, error) {
	if s.Webhooks == nil {
		return 0, nil
	}
	list, err := s.Store.ListKeys(ctx, store.KeyFilter{State: store.KeyActive})
	if err != nil {
		return 0, fmt.Errorf("expiry notices: %w", err)
	}
	now := s.Now().UTC()
	sent := 0
	for _, k := range list {
		if k.ExpiresAt.IsZero() || !k.ExpiresAt.After(now) {
			continue
		}
		left := k.ExpiresAt.Sub(now)
		days := 0
		for _, d := range expiryNotices {
			if left <= time.Duration(d)*24*time.Hour {
				days = d
				break
			}
		}
		if days == 0 {
			continue
		}
		// The expiry is part of the mark: extending a key re-arms its notices.
		id := k.ID + ":" + strconv.Itoa(days) + ":" + strconv.FormatInt(k.ExpiresAt.UnixMilli(), 10)
		_, first, err := s.Store.ClaimOnce(ctx, "expiry-notice", id, now.Format(time.RFC3339))
		if err != nil {
			return sent, fmt.Errorf("expiry notices: %w", err)
		}
		if first {
			s.notify(webhook.KeyExpiring, k, map[string]any{"expires_at": k.ExpiresAt, "days_left": days})
			sent++
		}
	}
	return sent, nil
}

// RunNotices checks for expiring keys a minute after start (not at once:
// start-up stays quick, and a check run by hand or by a test right after
// start is not raced), then every interval until ctx ends.
func (s *Server) RunNotices(ctx context.Context, every time.Duration) {
	t := time.NewTimer(min(time.Minute, every))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.NotifyExpiring(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("key expiry notices failed; will retry", "err", err)
		}
		t.Reset(every)
	}
}
