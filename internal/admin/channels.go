package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/webhook"
)

// channelView is one channel as GET /admin/v1/channels shows it: its
// definition (never its credential) and its live health on this instance.
type channelView struct {
	Name             string            `json:"name"`
	Type             string            `json:"type"`
	BaseURL          string            `json:"base_url"`
	Credential       string            `json:"credential"` // where it comes from, never its value
	Models           []string          `json:"models"`
	ModelMap         map[string]string `json:"model_map,omitempty"`
	Groups           []string          `json:"groups"`
	Priority         int               `json:"priority"`
	Weight           int               `json:"weight"`
	Enabled          bool              `json:"enabled"`
	ManagedBy        string            `json:"managed_by,omitempty"`
	ConnectTimeoutMS int64             `json:"connect_timeout_ms,omitempty"`
	FirstByteMS      int64             `json:"first_byte_timeout_ms,omitempty"`
	IdleTimeoutMS    int64             `json:"idle_timeout_ms,omitempty"`
	MaxConcurrency   int               `json:"max_concurrency,omitempty"`
	UpdatedAt        time.Time         `json:"updated_at"`
	catalog.HealthReport
}

// channelRoutes registers the channel endpoints (one line in adminRoutes).
func (s *Server) channelRoutes(mux router) {
	mux.Handle("GET /admin/v1/channels", s.admin(s.listChannels))
	mux.Handle("POST /admin/v1/channels/{name}/enable", s.admin(s.enableChannel))
}

// listChannels shows every channel with its breaker state (closed, open,
// half_open, disabled), last error, success rate and latency p50/p95.
func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) error {
	chs, err := s.Store.ListChannels(r.Context())
	if err != nil {
		return apierr.Wrap(apierr.ServiceUnavailable, err, "The channel list could not be read from the store.", "Retry shortly.")
	}
	live := map[string]*catalog.Channel{}
	for _, c := range s.Catalog.Snapshot().Channels {
		live[c.Name] = c
	}
	out := make([]channelView, 0, len(chs))
	for _, c := range chs {
		v := channelView{Name: c.Name, Type: c.Type, BaseURL: c.BaseURL, Models: c.Models, ModelMap: c.ModelMap, Groups: c.Groups,
			Priority: c.Priority, Weight: c.Weight, Enabled: c.Enabled, ManagedBy: c.ManagedBy, UpdatedAt: c.UpdatedAt,
			ConnectTimeoutMS: c.ConnectTimeout.Milliseconds(), FirstByteMS: c.FirstByteTimeout.Milliseconds(),
			IdleTimeoutMS: c.IdleTimeout.Milliseconds(), MaxConcurrency: c.MaxConcurrency}
		switch {
		case c.APIKeyEnv != "":
			v.Credential = "env:" + c.APIKeyEnv
		case c.APIKeySealed != "":
			v.Credential = "sealed"
		default:
			v.Credential = "none"
		}
		if v.Type == "" {
			v.Type = "openai"
		}
		if lc, ok := live[c.Name]; ok {
			v.HealthReport = lc.Report()
		} else {
			v.State = "not_loaded"
			if !c.Enabled {
				v.State = "disabled_by_config"
			}
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": out})
	return nil
}

// enableChannel puts a channel whose breaker is open back into rotation on
// this instance (after the operator fixed its credential or upstream).
func (s *Server) enableChannel(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	for _, c := range s.Catalog.Snapshot().Channels {
		if c.Name == name {
			_, wasDisabled := c.Disabled()
			c.Enable()
			s.audit(r, "channel.enable", "channel:"+name, map[string]any{"was_disabled": wasDisabled})
			writeJSON(w, http.StatusOK, map[string]any{"name": name, "state": c.Report().State})
			return nil
		}
	}
	return apierr.New(apierr.NotFound, fmt.Sprintf("No enabled channel is named %q.", name), "GET /admin/v1/channels lists the channels.")
}

// ChannelDisabled records that an upstream refused a channel's credential
// and the relay disabled the channel: an audit event and a webhook, so the
// operator learns it without reading logs. It is the relay's
// OnChannelDisabled and never blocks the call that found it.
func (s *Server) ChannelDisabled(channel string, status int, reason string) {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		detail, _ := json.Marshal(map[string]any{"upstream_status": status, "reason": reason,
			"fix": "correct the channel's api_key, then POST /admin/v1/channels/" + channel + "/enable"})
		ev := store.AuditEvent{ID: ids.New("aud"), Time: s.Now().UTC(), Actor: "gateway", Action: "channel.disable",
			Object: "channel:" + channel, Detail: string(detail)}
		if err := s.Store.InsertAudit(ctx, ev); err != nil {
			s.Log.Error("audit event could not be stored", "action", ev.Action, "object", ev.Object, "err", err)
		}
		if s.Webhooks != nil {
			s.Webhooks.Notify(webhook.Event{ID: ids.New("evt"), Type: "channel.disabled", Time: s.Now().UTC(),
				Data: map[string]any{"channel": channel, "upstream_status": status, "reason": reason,
					"hint": "The upstream refused this channel's credential; calls to its models fail with upstream_auth_failed until it is fixed and re-enabled."}})
		}
	}()
}
