package admin

// Channels and models as managed objects: /admin/v1/channels and
// /admin/v1/models. Channels declared in KEYGATE_CONFIG are managed_by
// "config": their definition is the file's (PATCH and DELETE are refused),
// but an operator may still disable, enable and test them. Credentials are
// write-only: sealed with KEYGATE_SECRET_KEY, shown as a fingerprint.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/channelcheck"
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

func (s *Server) loadChannel(r *http.Request) (store.Channel, error) {
	return s.Svc.GetChannel(r.Context(), r.PathValue("name"))
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
	chs, err := s.Svc.ListChannels(r.Context())
	if err != nil {
		return err
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

// channelEdit returns the edit that writes the fields req sets into a
// channel (the service validates the result); the edit returns what it
// set, for the audit row (never a credential).
func (s *Server) channelEdit(req wire.ChannelRequest) service.ChannelEdit {
	return func(c *store.Channel) (map[string]any, error) { return s.applyChannel(c, req) }
}

func (s *Server) applyChannel(c *store.Channel, req wire.ChannelRequest) (map[string]any, error) {
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
	return audit, nil
}

func (s *Server) createChannel(w http.ResponseWriter, r *http.Request) error {
	var req wire.ChannelRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	c, err := s.Svc.CreateChannel(r.Context(), s.who(r), req.Name, s.channelEdit(req))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, s.viewChannel(c, s.liveChannels()))
	return nil
}

func (s *Server) patchChannel(w http.ResponseWriter, r *http.Request) error {
	var req wire.ChannelRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	c, err := s.Svc.UpdateChannel(r.Context(), s.who(r), r.PathValue("name"), req.Name, s.channelEdit(req))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewChannel(c, s.liveChannels()))
	return nil
}

func (s *Server) deleteChannel(w http.ResponseWriter, r *http.Request) error {
	if err := s.Svc.DeleteChannel(r.Context(), s.who(r), r.PathValue("name")); err != nil {
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
	c, err := s.Svc.DisableChannel(r.Context(), s.who(r), r.PathValue("name"), cleanText(body.Reason, 500))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.viewChannel(c, s.liveChannels()))
	return nil
}

// enableChannel puts a channel back into rotation on every instance, with
// a fresh breaker: after the operator fixed its credential or upstream.
func (s *Server) enableChannel(w http.ResponseWriter, r *http.Request) error {
	c, err := s.Svc.EnableChannel(r.Context(), s.who(r), r.PathValue("name"))
	if err != nil {
		return err
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
	if err := s.Svc.RecordChannelTest(context.WithoutCancel(r.Context()), s.who(r), c.Name, string(b),
		map[string]any{"ok": rep.OK, "model": body.Model, "calls": len(rep.Calls)}); err != nil {
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
	s.bg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Svc.DisabledByUpstream(ctx, channel, seen, status, reason); err != nil {
			s.Log.Error("the disabled channel could not be stored with its audit row; other instances disable it when their own calls fail",
				"channel", channel, "err", err)
		}
		if s.Webhooks != nil {
			s.Webhooks.Notify(webhook.Event{ID: ids.New("evt"), Type: "channel.disabled", Time: s.Now().UTC(),
				Data: map[string]any{"channel": channel, "upstream_status": status, "reason": reason,
					"hint": "The upstream refused this channel's credential; calls to its models fail with upstream_auth_failed until it is fixed and re-enabled."}})
		}
	})
}

// ---- models ----

func (s *Server) viewModels(ctx context.Context) ([]wire.ModelView, error) {
	declared, err := s.Svc.ListModels(ctx)
	if err != nil {
		return nil, err
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

func (s *Server) createModel(w http.ResponseWriter, r *http.Request) error {
	var req wire.ModelRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := s.Svc.CreateModel(r.Context(), s.who(r), req); err != nil {
		return err
	}
	v, err := s.modelView(r.Context(), req.Name)
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

func (s *Server) patchModel(w http.ResponseWriter, r *http.Request) error {
	var req wire.ModelRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := s.Svc.UpdateModel(r.Context(), s.who(r), name, req); err != nil {
		return err
	}
	v, err := s.modelView(r.Context(), name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) deleteModel(w http.ResponseWriter, r *http.Request) error {
	if err := s.Svc.DeleteModel(r.Context(), s.who(r), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
