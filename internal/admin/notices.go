package admin

import (
	"context"

	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/service"
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
