package admin

// Channels and models as managed objects: /admin/v1/channels and
// /admin/v1/models. Channels declared in KEYGATE_CONFIG are managed_by
// "config": their definition is the file's (PATCH and DELETE are refused),
// but an operator may still disable, enable and test them. Credentials are
// write-only: sealed with KEYGATE_SECRET_KEY, shown as a fingerprint.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/channelcheck"
	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/pricing"
	"github.com/keygate/keygate/internal/service"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/webhook"
	"github.com/keygate/keygate/internal/wire"
)

// channelRoutes registers the channel and model endpoints.
func (s *Server) channelRoutes(mux router) {
	mux.Handle("GET /admin/v1/channels", s.admin(s.listChannels))
	mux.Handle("POST /admin/v1/channels", s.admin(s.createChannel))
	mux.Handle("GET /admin/v1/channels/{name}", s.admin(s.getChannel))
	mux.Handle("PATCH /admin/v1/channels/{name}", s.admin(s.patchChannel))
	mux.Handle("DELETE /admin/v1/channels/{name}", s.admin(s.deleteChannel))
	mux.Handle("POST /admin/v1/channels/{name}/disable", s.admin(s.disableChannel))
	mux.Handle("POST /admin/v1/channels/{name}/enable", s.admin(s.enableChannel))
	mux.Handle("POST /admin/v1/channels/{name}/test", s.admin(s.testChannel))
	mux.Handle("GET /admin/v1/channels/{name}/models", s.admin(s.channelModels))
	mux.Handle("GET /admin/v1/models", s.admin(s.listModels))
	mux.Handle("POST /admin/v1/models", s.admin(s.createModel))
	mux.Handle("GET /admin/v1/models/{name}", s.admin(s.getModel))
	mux.Handle("PATCH /admin/v1/models/{name}", s.admin(s.patchModel))
	mux.Handle("DELETE /admin/v1/models/{name}", s.admin(s.deleteModel))
}

// change applies one change and its audit row in one transaction (the
// service layer), then reloads this instance's catalogue (the change event
// reloads the others).
func (s *Server) change(r *http.Request, action, object string, detail map[string]any, fn func(tx store.Store) error) error {
	if err := s.Svc.Apply(r.Context(), s.who(r), action, object, detail, fn); err != nil {
		return err
	}
	if s.Catalog != nil {
		if err := s.Catalog.Reload(context.WithoutCancel(r.Context())); err != nil {
			s.Log.Warn("catalogue reload after a change failed; the periodic refresh will catch up", "object", object, "err", err)
		}
	}
	return nil
}

func channelNotFound(name string) error {
	return apierr.T(apierr.NotFound, i18n.M("admin.no_channel_is_named", i18n.Q("name", fmt.Sprint(name))), i18n.M("admin.get_admin_v1_channels_lists.hint"))
}

func modelNotFound(name string) error {
	return apierr.T(apierr.NotFound, i18n.M("admin.no_model_is_declared_as", i18n.Q("name", fmt.Sprint(name))), i18n.M("admin.get_admin_v1_models_lists.hint"))
}

func (s *Server) loadChannel(r *http.Request) (store.Channel, error) {
	name := r.PathValue("name")
	c, err := s.Store.GetChannel(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return c, channelNotFound(name)
	}
	if err != nil {
		return c, apierr.T(apierr.ServiceUnavailable, i18n.M("admin.the_channel_could_not_be"), i18n.M("admin.retry_shortly.hint")).WithCause(err)
	}
	return c, nil
}

// credentialKind names a credential's family by its well-known prefix.
func credentialKind(k string) string {
	switch {
	case strings.HasPrefix(k, "sk-ant-"):
		return "anthropic"
	case strings.HasPrefix(k, "sk-"):
		return "openai-style"
	case strings.HasPrefix(k, "AIza"):
		return "google"
	}
	return "opaque"
}

func (s *Server) fingerprint(c store.Channel) *wire.CredentialView {
	v := &wire.CredentialView{Source: "none"}
	switch {
	case c.APIKeyEnv != "":
		v.Source, v.Env = "env", c.APIKeyEnv
	case c.APIKeySealed != "":
		v.Source = "sealed"
	default:
		return v
	}
	if s.Catalog == nil {
		return v
	}
	k, err := s.Catalog.OpenCredential(c)
	if err != nil || k == "" {
		return v
	}
	v.Set, v.Kind, v.Length = true, credentialKind(k), len(k)
	if r := []rune(k); len(r) >= 12 {
		v.Last4 = string(r[len(r)-4:]) // short secrets show no part of themselves
	}
	return v
}

func (s *Server) viewChannel(c store.Channel, live map[string]*catalog.Channel) wire.ChannelView {
	v := wire.ChannelView{Name: c.Name, Type: c.Type, BaseURL: catalog.DisplayBaseURL(c.BaseURL), Models: nonNilStrs(c.Models), ModelMap: c.ModelMap,
		Groups: nonNilStrs(c.Groups), Priority: c.Priority, Weight: c.Weight, Enabled: c.Enabled, DisabledReason: c.DisabledReason,
		ManagedBy: c.ManagedBy, APIVersion: c.APIVersion, UpdatedAt: c.UpdatedAt,
		ConnectTimeoutMS: c.ConnectTimeout.Milliseconds(), FirstByteMS: c.FirstByteTimeout.Milliseconds(),
		IdleTimeoutMS: c.IdleTimeout.Milliseconds(), MaxConcurrency: c.MaxConcurrency, MaxAttempts: c.MaxAttempts,
		BreakerFailures: c.BreakerFailures, BreakerCooldownMS: c.BreakerCooldown.Milliseconds(),
		CredentialFingerprint: s.fingerprint(c), LastTest: json.RawMessage("null")}
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
	if c.LastTest != "" && json.Valid([]byte(c.LastTest)) {
		v.LastTest = json.RawMessage(c.LastTest)
	}
	if lc, ok := live[c.Name]; ok {
		h := lc.Report()
		v.ChannelHealth = wire.ChannelHealth{State: h.State, OpenUntil: h.OpenUntil, LastError: h.LastError, LastErrorAt: h.LastErrorAt,
			Calls: h.Calls, Failures: h.Failures, SuccessRate: h.SuccessRate, LatencyP50MS: h.LatencyP50MS, LatencyP95MS: h.LatencyP95MS,
			InFlight: h.InFlight}
	} else {
		v.State = "not_loaded"
		switch {
		case !c.Enabled && c.DisabledReason != "":
			v.State, v.LastError = catalog.StateDisabled, c.DisabledReason
		case !c.Enabled:
			v.State = "disabled_by_config"
		}
	}
	return v
}

func (s *Server) liveChannels() map[string]*catalog.Channel {
	live := map[string]*catalog.Channel{}
	if s.Catalog != nil {
		for _, c := range s.Catalog.Snapshot().Channels {
			live[c.Name] = c
		}
	}
	return live
}

// listChannels shows every channel with its breaker state (closed, open,
// half_open, disabled), last error, success rate, latency p50/p95 and last
// test.
func (s *Server) listChannels(w http.ResponseWriter, r *http.Request) error {
	chs, err := s.Store.ListChannels(r.Context())
	if err != nil {
		return apierr.T(apierr.ServiceUnavailable, i18n.M("admin.the_channel_list_could_not"), i18n.M("admin.retry_shortly.hint")).WithCause(err)
	}
	live := s.liveChannels()
	out := make([]wire.ChannelView, 0, len(chs))
	for _, c := range chs {
		out = append(out, s.viewChannel(c, live))
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": out})
	return nil
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request) error {
	c, err := s.loadChannel(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewChannel(c, s.liveChannels()))
	return nil
}

// applyChannel writes the fields req sets into c and validates the result;
// it returns what changed, for the audit row (never a credential).
func (s *Server) applyChannel(ctx context.Context, c *store.Channel, req wire.ChannelRequest) (map[string]any, error) {
	audit := map[string]any{}
	set := func(name string, v any) { audit[name] = v }
	if req.Type != nil {
		c.Type = *req.Type
		set("type", c.Type)
	}
	if req.BaseURL != nil {
		c.BaseURL = strings.TrimSpace(*req.BaseURL)
		set("base_url", c.BaseURL)
	}
	if req.APIKey != nil && req.APIKeyEnv != nil && *req.APIKey != "" && *req.APIKeyEnv != "" {
		return nil, invalid("api_key", i18n.M("admin.set_api_key_or_api"), i18n.M("admin.api_key_is_sealed_in.hint"))
	}
	if req.APIKey != nil {
		k := strings.TrimSpace(*req.APIKey)
		c.APIKeySealed, c.APIKeyEnv = "", ""
		if k != "" {
			if s.Box == nil {
				return nil, invalid("api_key", i18n.M("admin.this_gateway_has_no_keygate"), i18n.M("admin.set_keygate_secret_key_or.hint"))
			}
			sealed, err := s.Box.Seal(k)
			if err != nil {
				return nil, apierr.T(apierr.Internal, i18n.M("admin.the_credential_could_not_be"), i18n.Message{}).WithCause(err)
			}
			c.APIKeySealed = sealed
		}
		set("credential", map[string]any{"source": "sealed", "kind": credentialKind(k), "length": len(k)})
	}
	if req.APIKeyEnv != nil {
		c.APIKeyEnv = strings.TrimSpace(*req.APIKeyEnv)
		if c.APIKeyEnv != "" {
			c.APIKeySealed = ""
		}
		set("credential", map[string]any{"source": "env", "env": c.APIKeyEnv})
	}
	if req.Models != nil {
		c.Models = *req.Models
		set("models", c.Models)
	}
	if req.ModelMap != nil {
		c.ModelMap = *req.ModelMap
		set("model_map", c.ModelMap)
	}
	if req.Groups != nil {
		c.Groups = *req.Groups
		set("groups", c.Groups)
	}
	if req.Priority != nil {
		c.Priority = *req.Priority
		set("priority", c.Priority)
	}
	if req.Weight != nil {
		c.Weight = *req.Weight
		set("weight", c.Weight)
	}
	if req.Enabled != nil {
		c.Enabled = *req.Enabled
		if c.Enabled {
			c.DisabledReason = ""
		}
		set("enabled", c.Enabled)
	}
	if req.APIVersion != nil {
		c.APIVersion = strings.TrimSpace(*req.APIVersion)
		set("api_version", c.APIVersion)
	}
	ms := func(name string, p *int64, d *time.Duration) {
		if p != nil {
			*d = time.Duration(*p) * time.Millisecond
			set(name, *p)
		}
	}
	ms("connect_timeout_ms", req.ConnectTimeoutMS, &c.ConnectTimeout)
	ms("first_byte_timeout_ms", req.FirstByteMS, &c.FirstByteTimeout)
	ms("idle_timeout_ms", req.IdleTimeoutMS, &c.IdleTimeout)
	ms("breaker_cooldown_ms", req.BreakerCooldownMS, &c.BreakerCooldown)
	for _, f := range []struct {
		name string
		p    *int
		dst  *int
	}{{"max_concurrency", req.MaxConcurrency, &c.MaxConcurrency}, {"max_attempts", req.MaxAttempts, &c.MaxAttempts},
		{"breaker_failures", req.BreakerFailures, &c.BreakerFailures}} {
		if f.p != nil {
			*f.dst = *f.p
			set(f.name, *f.p)
		}
	}
	return audit, s.validateChannel(ctx, c)
}

// validateChannel applies the rules KEYGATE_CONFIG's channels follow.
func (s *Server) validateChannel(ctx context.Context, c *store.Channel) error {
	if c.Type == "" {
		c.Type = "openai"
	}
	if !slices.Contains(config.ChannelTypes, c.Type) {
		return invalid("type", i18n.M("admin.channel_type_is_not_supported", i18n.Q("type", fmt.Sprint(c.Type))), i18n.M("admin.use_one_of.hint", i18n.S("channel_types", strings.Join(config.ChannelTypes, ", "))))
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("base_url", i18n.M("admin.base_url_is_not_an", i18n.Q("base_url", fmt.Sprint(c.BaseURL))), i18n.M("admin.give_the_upstream_s_api.hint"))
	}
	if err := config.CheckChannelHost(c.BaseURL, false); err != nil { // allow_private exists only in KEYGATE_CONFIG
		return invalid("base_url", i18n.M("admin.in_keygate_config", i18n.S("value", err.Error())), i18n.M("admin.give_the_upstream_s_api.hint2"))
	}
	if u.User != nil || u.RawQuery != "" {
		return invalid("base_url", i18n.M("admin.base_url_must_not_carry"), i18n.M("admin.give_the_credential_as_api.hint"))
	}
	if len(c.Models) == 0 {
		return invalid("models", i18n.M("admin.models_is_empty"), i18n.M("admin.list_the_models_this_channel.hint"))
	}
	for _, m := range c.Models {
		if strings.TrimSpace(m) == "" || m == "*" {
			return invalid("models", i18n.M("admin.is_not_a_model_name", i18n.Q("value", fmt.Sprint(m))), i18n.M("admin.list_the_models_by_name.hint"))
		}
	}
	if c.APIVersion != "" && c.Type != "azure" {
		return invalid("api_version", i18n.M("admin.api_version_is_for_azure"), i18n.M("admin.remove_it_or_set_type.hint"))
	}
	if c.Weight == 0 {
		c.Weight = 1
	}
	if c.Weight < 0 || c.ConnectTimeout < 0 || c.FirstByteTimeout < 0 || c.IdleTimeout < 0 || c.MaxConcurrency < 0 ||
		c.MaxAttempts < 0 || c.BreakerFailures < 0 || c.BreakerCooldown < 0 {
		return invalid("", i18n.M("admin.weights_timeouts_and_limits_must"), i18n.M("admin.use_0_for_the_gateway.hint"))
	}
	if len(c.Groups) > 0 {
		gs, err := s.Store.ListGroups(ctx)
		if err != nil {
			return apierr.T(apierr.ServiceUnavailable, i18n.M("admin.the_groups_could_not_be"), i18n.M("admin.retry_shortly.hint")).WithCause(err)
		}
		for _, g := range c.Groups {
			if !slices.ContainsFunc(gs, func(x store.Group) bool { return x.Name == g }) {
				return invalid("groups", i18n.M("admin.group_does_not_exist2", i18n.Q("value", fmt.Sprint(g))), i18n.M("admin.get_admin_v1_groups_lists.hint"))
			}
		}
	}
	return nil
}

func (s *Server) createChannel(w http.ResponseWriter, r *http.Request) error {
	var req wire.ChannelRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if !objectName.MatchString(req.Name) {
		return invalid("name", i18n.M("admin.channel_name_is_not_valid", i18n.Q("name", fmt.Sprint(req.Name))), i18n.M("admin.use_1_64_letters_digits.hint"))
	}
	c := store.Channel{Name: req.Name, Enabled: true, ManagedBy: ManagedByAPI}
	audit, err := s.applyChannel(r.Context(), &c, req)
	if err != nil {
		return err
	}
	if err := s.change(r, "channel.create", "channel:"+c.Name, audit, func(tx store.Store) error {
		if _, err := tx.GetChannel(r.Context(), c.Name); err == nil {
			return conflict(i18n.M("admin.a_channel_named_already_exists", i18n.Q("name", fmt.Sprint(c.Name))), i18n.M("admin.change_it_with_patch_admin.hint", i18n.S("name2", c.Name)))
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.UpsertChannel(r.Context(), c)
	}); err != nil {
		return err
	}
	got, err := s.Store.GetChannel(r.Context(), c.Name)
	if err != nil {
		got = c
	}
	writeJSON(w, http.StatusCreated, s.viewChannel(got, s.liveChannels()))
	return nil
}

func (s *Server) patchChannel(w http.ResponseWriter, r *http.Request) error {
	var req wire.ChannelRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	c, err := s.loadChannel(r)
	if err != nil {
		return err
	}
	if err := refuseConfigManaged("Channel", c.Name, c.ManagedBy); err != nil {
		return err
	}
	if req.Name != "" && req.Name != c.Name {
		return invalid("name", i18n.M("admin.a_channel_cannot_be_renamed"), i18n.M("admin.create_a_new_channel_and.hint"))
	}
	audit, err := s.applyChannel(r.Context(), &c, req)
	if err != nil {
		return err
	}
	if err := s.change(r, "channel.update", "channel:"+c.Name, audit, func(tx store.Store) error { return tx.UpsertChannel(r.Context(), c) }); err != nil {
		return err
	}
	if got, err := s.Store.GetChannel(r.Context(), c.Name); err == nil {
		c = got
	}
	writeJSON(w, http.StatusOK, s.viewChannel(c, s.liveChannels()))
	return nil
}

func (s *Server) deleteChannel(w http.ResponseWriter, r *http.Request) error {
	c, err := s.loadChannel(r)
	if err != nil {
		return err
	}
	if err := refuseConfigManaged("Channel", c.Name, c.ManagedBy); err != nil {
		return err
	}
	err = s.change(r, "channel.delete", "channel:"+c.Name, map[string]any{"type": c.Type, "base_url": c.BaseURL, "models": c.Models},
		func(tx store.Store) error {
			if err := tx.DeleteChannel(r.Context(), c.Name); errors.Is(err, store.ErrNotFound) {
				return channelNotFound(c.Name)
			} else {
				return err
			}
		})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// disableChannel takes a channel out of rotation on every instance (a
// stored state), also one declared in KEYGATE_CONFIG, until it is enabled
// again or the file is applied at the next start.
func (s *Server) disableChannel(w http.ResponseWriter, r *http.Request) error {
	var body reasonBody
	if err := decodeOptional(r, &body); err != nil {
		return err
	}
	c, err := s.loadChannel(r)
	if err != nil {
		return err
	}
	reason := cleanText(body.Reason, 500)
	c.Enabled = false
	c.DisabledReason = "disabled by " + actorFrom(r.Context()).String()
	if reason != "" {
		c.DisabledReason += ": " + reason
	}
	if err := s.change(r, "channel.disable", "channel:"+c.Name, map[string]any{"reason": reason},
		func(tx store.Store) error { return tx.UpsertChannel(r.Context(), c) }); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewChannel(c, s.liveChannels()))
	return nil
}

// enableChannel puts a channel back into rotation on every instance, with
// a fresh breaker: after the operator fixed its credential or upstream.
func (s *Server) enableChannel(w http.ResponseWriter, r *http.Request) error {
	c, err := s.loadChannel(r)
	if err != nil {
		return err
	}
	wasDisabled := !c.Enabled
	if lc, ok := s.liveChannels()[c.Name]; ok {
		_, off := lc.Disabled()
		wasDisabled = wasDisabled || off
		lc.Enable()
	}
	c.Enabled, c.DisabledReason = true, ""
	if err := s.change(r, "channel.enable", "channel:"+c.Name, map[string]any{"was_disabled": wasDisabled},
		func(tx store.Store) error { return tx.UpsertChannel(r.Context(), c) }); err != nil {
		return err
	}
	if got, err := s.Store.GetChannel(r.Context(), c.Name); err == nil {
		c = got
	}
	writeJSON(w, http.StatusOK, s.viewChannel(c, s.liveChannels()))
	return nil
}

func (s *Server) checker() *channelcheck.Checker {
	return &channelcheck.Checker{HTTP: s.UpstreamHTTP, Now: s.Now}
}

func (s *Server) checkChannel(c store.Channel) (channelcheck.Channel, error) {
	var k string
	if s.Catalog != nil {
		var err error
		if k, err = s.Catalog.OpenCredential(c); err != nil {
			return channelcheck.Channel{}, apierr.T(apierr.ServiceUnavailable, i18n.M("admin.the_credential_of_channel_cannot", i18n.S("name", fmt.Sprint(c.Name))), i18n.M("admin.check_keygate_secret_key_it.hint")).WithCause(err)
		}
	}
	from := "the channel's api_key (PATCH /admin/v1/channels/" + c.Name + " {\"api_key\": …})"
	if c.APIKeyEnv != "" {
		from = "the variable " + c.APIKeyEnv + " (api_key_env) of every gateway instance"
	}
	if c.ManagedBy == managedByConfig {
		from += ", declared in KEYGATE_CONFIG"
	}
	return channelcheck.Channel{Name: c.Name, Type: c.Type, BaseURL: c.BaseURL, APIKey: k, Models: c.Models, ModelMap: c.ModelMap,
		APIVersion: c.APIVersion, CredentialFrom: from}, nil
}

// testChannel runs the channel doctor (internal/channelcheck) and keeps
// its report as the channel's last test.
func (s *Server) testChannel(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Model string `json:"model"`
	}
	if err := decodeOptional(r, &body); err != nil {
		return err
	}
	c, err := s.loadChannel(r)
	if err != nil {
		return err
	}
	if body.Model != "" && !slices.Contains(c.Models, body.Model) {
		return invalid("model", i18n.M("admin.channel_does_not_serve", i18n.S("name", fmt.Sprint(c.Name)), i18n.Q("model", fmt.Sprint(body.Model))), i18n.M("admin.name_one_of_its_models.hint", i18n.S("models", strings.Join(c.Models, ", "))))
	}
	cc, err := s.checkChannel(c)
	if err != nil {
		return err
	}
	rep := s.checker().Run(r.Context(), cc, channelcheck.Options{Model: body.Model})
	b, _ := json.Marshal(rep)
	// The report is answered even when it cannot be kept; the audit row and
	// the last test are written together or not at all.
	if err := s.Svc.Apply(context.WithoutCancel(r.Context()), s.who(r), "channel.test", "channel:"+c.Name,
		map[string]any{"ok": rep.OK, "model": body.Model, "calls": len(rep.Calls)},
		func(tx store.Store) error { return tx.SetChannelLastTest(r.Context(), c.Name, string(b)) }); err != nil {
		s.Log.Warn("channel test could not be kept as the last test", "channel", c.Name, "err", err)
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}

// channelModels reads the upstream's model list against the channel's
// claimed models (keygate channels models NAME --diff).
func (s *Server) channelModels(w http.ResponseWriter, r *http.Request) error {
	c, err := s.loadChannel(r)
	if err != nil {
		return err
	}
	cc, err := s.checkChannel(c)
	if err != nil {
		return err
	}
	listed, err := s.checker().ListModels(r.Context(), cc, 20*time.Second)
	if err != nil {
		return apierr.T(apierr.UpstreamError, i18n.M("admin.the_model_list_of_channel", i18n.S("name", fmt.Sprint(c.Name)), i18n.S("value", fmt.Sprint(err))), i18n.M("admin.post_admin_v1_channels_test.hint", i18n.S("name2", c.Name))).WithCause(err)
	}
	claimed := make([]string, 0, len(c.Models))
	for _, m := range c.Models {
		claimed = append(claimed, cc.Upstream(m))
	}
	d := channelcheck.DiffModels(claimed, listed)
	writeJSON(w, http.StatusOK, wire.ModelsDiff{Channel: c.Name, Listed: d.Listed, New: d.New, Missing: d.Missing})
	return nil
}

// ChannelDisabled records that an upstream refused a channel's credential
// and the relay disabled the channel: the channel is disabled in the store
// (so every instance stops calling it, within a second through the change
// event), an audit event and a webhook tell the operator. It is the
// relay's OnChannelDisabled and never blocks the call that found it.
func (s *Server) ChannelDisabled(channel string, status int, reason string) {
	var seen time.Time // the definition the relay judged; a newer one (an operator's fix) is left alone
	if s.Catalog != nil {
		for _, c := range s.Catalog.Snapshot().Channels {
			if c.Name == channel {
				seen = c.UpdatedAt
			}
		}
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		detail := map[string]any{"upstream_status": status, "reason": reason,
			"fix": "correct the channel's api_key, then POST /admin/v1/channels/" + channel + "/enable"}
		// The stored disable (seen by every instance) and its audit row go
		// together; a definition changed since the relay judged it (an
		// operator's fix) is left alone, and only the refusal is audited.
		err := s.Svc.Apply(ctx, service.Who{Actor: "gateway"}, "channel.disable", "channel:"+channel, detail, func(tx store.Store) error {
			c, err := tx.GetChannel(ctx, channel)
			if err != nil || !c.Enabled || !c.UpdatedAt.Equal(seen) {
				return nil
			}
			c.Enabled = false
			c.DisabledReason = catalog.DisabledByGateway + fmt.Sprintf("the upstream answered %d to the channel credential: %s", status, reason)
			return tx.UpsertChannel(ctx, c)
		})
		if err != nil {
			s.Log.Error("the disabled channel could not be stored with its audit row; other instances disable it when their own calls fail",
				"channel", channel, "err", err)
		}
		if s.Webhooks != nil {
			s.Webhooks.Notify(webhook.Event{ID: ids.New("evt"), Type: "channel.disabled", Time: s.Now().UTC(),
				Data: map[string]any{"channel": channel, "upstream_status": status, "reason": reason,
					"hint": "The upstream refused this channel's credential; calls to its models fail with upstream_auth_failed until it is fixed and re-enabled."}})
		}
	}()
}

// ---- models ----

func (s *Server) viewModels(ctx context.Context) ([]wire.ModelView, error) {
	declared, err := s.Store.ListModels(ctx)
	if err != nil {
		return nil, apierr.T(apierr.ServiceUnavailable, i18n.M("admin.the_model_list_could_not"), i18n.M("admin.retry_shortly.hint")).WithCause(err)
	}
	byName := map[string]store.Model{}
	for _, m := range declared {
		byName[m.Name] = m
	}
	served := map[string][]string{}
	var names []string
	var snap *catalog.Snapshot
	if s.Catalog != nil {
		snap = s.Catalog.Snapshot()
		for _, c := range snap.Channels {
			for _, m := range c.Models {
				served[m] = append(served[m], c.Name)
			}
		}
		names = append(names, snap.Names...)
	}
	for _, m := range declared {
		if !slices.Contains(names, m.Name) {
			names = append(names, m.Name)
		}
	}
	sort.Strings(names)
	out := make([]wire.ModelView, 0, len(names))
	for _, n := range names {
		d, isDeclared := byName[n]
		v := wire.ModelView{Name: n, Aliases: nonNilStrs(d.Aliases), MaxOutput: d.MaxOutput, Declared: isDeclared, ManagedBy: d.ManagedBy,
			Channels: nonNilStrs(served[n]), InputPerMTok: d.InputPerMTok, OutputPerMTok: d.OutputPerMTok, PerImage: d.PerImage,
			PerVideoSecond: d.PerVideoSecond, CachedInputPerMTok: d.CachedInputPerMTok, CacheWritePerMTok: d.CacheWritePerMTok}
		if snap != nil {
			if m, ok := snap.Model(n); ok && m.Name == n {
				v.InputPerMTok, v.OutputPerMTok, v.PerImage, v.PerVideoSecond = m.InputPerMTok, m.OutputPerMTok, m.PerImage, m.PerVideoSecond
				v.CachedInputPerMTok, v.CacheWritePerMTok = m.CachedInputPerMTok, m.CacheWritePerMTok
				v.Priced, v.PriceSource = m.Priced, m.PriceSource
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// listModels shows every model in the catalogue — declared, or only named
// by a channel — with the prices in force and where they come from;
// priced is false for a model served at cost 0.
func (s *Server) listModels(w http.ResponseWriter, r *http.Request) error {
	out, err := s.viewModels(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": out, "price_catalogue": priceCatalogueDate()})
	return nil
}

func (s *Server) getModel(w http.ResponseWriter, r *http.Request) error {
	out, err := s.viewModels(r.Context())
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	for _, v := range out {
		if v.Name == name || slices.Contains(v.Aliases, name) {
			writeJSON(w, http.StatusOK, v)
			return nil
		}
	}
	return apierr.T(apierr.NotFound, i18n.M("admin.no_model_is_declared_or", i18n.Q("name", fmt.Sprint(name))), i18n.M("admin.get_admin_v1_models_lists.hint2"))
}

func applyModel(m *store.Model, req wire.ModelRequest) (map[string]any, error) {
	audit := map[string]any{}
	if req.Aliases != nil {
		m.Aliases = *req.Aliases
		audit["aliases"] = m.Aliases
	}
	if req.MaxOutput != nil {
		m.MaxOutput = *req.MaxOutput
		audit["max_output"] = m.MaxOutput
	}
	for _, f := range []struct {
		name string
		p    *float64
		dst  *float64
	}{{"input_per_mtok", req.InputPerMTok, &m.InputPerMTok}, {"output_per_mtok", req.OutputPerMTok, &m.OutputPerMTok},
		{"cached_input_per_mtok", req.CachedInputPerMTok, &m.CachedInputPerMTok}, {"cache_write_per_mtok", req.CacheWritePerMTok, &m.CacheWritePerMTok},
		{"per_image", req.PerImage, &m.PerImage}, {"per_video_second", req.PerVideoSecond, &m.PerVideoSecond}} {
		if f.p != nil {
			if *f.p < 0 {
				return nil, invalid(f.name, i18n.M("admin.must_not_be_negative", i18n.S("name", f.name)), i18n.M("admin.prices_are_usd_0_means.hint"))
			}
			*f.dst = *f.p
			audit[f.name] = *f.p
		}
	}
	if m.MaxOutput < 0 {
		return nil, invalid("max_output", i18n.M("admin.max_output_must_not_be"), i18n.M("admin.use_0_for_no_cap.hint"))
	}
	for _, a := range m.Aliases {
		if strings.TrimSpace(a) == "" || a == m.Name {
			return nil, invalid("aliases", i18n.M("admin.alias_is_not_valid", i18n.Q("alias", a)), i18n.M("admin.aliases_are_other_names_of.hint"))
		}
	}
	return audit, nil
}

func (s *Server) createModel(w http.ResponseWriter, r *http.Request) error {
	var req wire.ModelRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Name) == "" || strings.ContainsAny(req.Name, " \t\r\n") || len(req.Name) > 128 {
		return invalid("name", i18n.M("admin.model_name_is_not_valid", i18n.Q("name", fmt.Sprint(req.Name))), i18n.M("admin.use_the_name_clients_send.hint"))
	}
	m := store.Model{Name: req.Name, ManagedBy: ManagedByAPI}
	audit, err := applyModel(&m, req)
	if err != nil {
		return err
	}
	if err := s.change(r, "model.create", "model:"+m.Name, audit, func(tx store.Store) error {
		if _, err := tx.GetModel(r.Context(), m.Name); err == nil {
			return conflict(i18n.M("admin.model_is_already_declared", i18n.Q("name", fmt.Sprint(m.Name))), i18n.M("admin.change_it_with_patch_admin.hint2", i18n.S("name2", m.Name)))
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.UpsertModel(r.Context(), m)
	}); err != nil {
		return err
	}
	v, err := s.modelView(r.Context(), m.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) modelView(ctx context.Context, name string) (wire.ModelView, error) {
	out, err := s.viewModels(ctx)
	if err != nil {
		return wire.ModelView{}, err
	}
	for _, v := range out {
		if v.Name == name {
			return v, nil
		}
	}
	return wire.ModelView{Name: name, Aliases: []string{}, Channels: []string{}}, nil
}

func priceCatalogueDate() string { return pricing.Builtin().Date }

func (s *Server) loadModel(r *http.Request) (store.Model, error) {
	name := r.PathValue("name")
	m, err := s.Store.GetModel(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return m, modelNotFound(name)
	}
	if err != nil {
		return m, apierr.T(apierr.ServiceUnavailable, i18n.M("admin.the_model_could_not_be"), i18n.M("admin.retry_shortly.hint")).WithCause(err)
	}
	return m, nil
}

func (s *Server) patchModel(w http.ResponseWriter, r *http.Request) error {
	var req wire.ModelRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	m, err := s.loadModel(r)
	if err != nil {
		return err
	}
	if err := refuseConfigManaged("Model", m.Name, m.ManagedBy); err != nil {
		return err
	}
	if req.Name != "" && req.Name != m.Name {
		return invalid("name", i18n.M("admin.a_model_cannot_be_renamed"), i18n.M("admin.add_the_new_name_as.hint"))
	}
	audit, err := applyModel(&m, req)
	if err != nil {
		return err
	}
	if err := s.change(r, "model.update", "model:"+m.Name, audit, func(tx store.Store) error { return tx.UpsertModel(r.Context(), m) }); err != nil {
		return err
	}
	v, err := s.modelView(r.Context(), m.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) deleteModel(w http.ResponseWriter, r *http.Request) error {
	m, err := s.loadModel(r)
	if err != nil {
		return err
	}
	if err := refuseConfigManaged("Model", m.Name, m.ManagedBy); err != nil {
		return err
	}
	err = s.change(r, "model.delete", "model:"+m.Name, map[string]any{"input_per_mtok": m.InputPerMTok, "output_per_mtok": m.OutputPerMTok},
		func(tx store.Store) error {
			if err := tx.DeleteModel(r.Context(), m.Name); errors.Is(err, store.ErrNotFound) {
				return modelNotFound(m.Name)
			} else {
				return err
			}
		})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
