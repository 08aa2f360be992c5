package service

// Channels and models: every change in one transaction with its audit row.
// A channel is read, changed and written back under its lock, so two
// concurrent changes of one channel (a disable and a patch, a patch and a
// delete) each see the other's outcome instead of writing back a stale copy
// — a patch racing a delete used to bring the deleted channel back.

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/wire"
)

// ChannelNotFound is the error of a name that names no channel.
func ChannelNotFound(name string) error {
	return apierr.T(apierr.NotFound, i18n.M("admin.no_channel_is_named", i18n.Q("name", name)), i18n.M("admin.get_admin_v1_channels_lists.hint"))
}

// ModelNotFound is the error of a name that names no declared model.
func ModelNotFound(name string) error {
	return apierr.T(apierr.NotFound, i18n.M("admin.no_model_is_declared_as", i18n.Q("name", name)), i18n.M("admin.get_admin_v1_models_lists.hint"))
}

func channelLock(name string) string { return "channel:" + name }
func modelLock(name string) string   { return "model:" + name }

func getChannel(ctx context.Context, st store.Store, name string) (store.Channel, error) {
	c, err := st.GetChannel(ctx, name)
	if missing(err) {
		return c, ChannelNotFound(name)
	}
	return c, err
}

// lockedChannel takes channel name's lock in tx and reads it.
func lockedChannel(ctx context.Context, tx store.Store, name string) (store.Channel, error) {
	if err := tx.Lock(ctx, channelLock(name)); err != nil {
		return store.Channel{}, err
	}
	return getChannel(ctx, tx, name)
}

// ListChannels returns every channel.
func (s *Service) ListChannels(ctx context.Context) ([]store.Channel, error) {
	cs, err := s.Store.ListChannels(ctx)
	return cs, Err(err)
}

// GetChannel returns channel name.
func (s *Service) GetChannel(ctx context.Context, name string) (store.Channel, error) {
	c, err := getChannel(ctx, s.Store, name)
	return c, Err(err)
}

// ChannelEdit writes a request's fields into a channel (the transport's
// decoding, credential sealing included) and returns what it set, for the
// audit row (never a credential). The service validates the result.
type ChannelEdit func(c *store.Channel) (map[string]any, error)

// validateChannel applies the rules KEYGATE_CONFIG's channels follow; the
// groups are read in tx.
func validateChannel(ctx context.Context, tx store.Store, c *store.Channel) error {
	if c.Type == "" {
		c.Type = "openai"
	}
	if !slices.Contains(config.ChannelTypes, c.Type) {
		return invalid("type", i18n.M("admin.channel_type_is_not_supported", i18n.Q("type", c.Type)), i18n.M("admin.use_one_of.hint", i18n.S("channel_types", strings.Join(config.ChannelTypes, ", "))))
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("base_url", i18n.M("admin.base_url_is_not_an", i18n.Q("base_url", c.BaseURL)), i18n.M("admin.give_the_upstream_s_api.hint"))
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
			return invalid("models", i18n.M("admin.is_not_a_model_name", i18n.Q("value", m)), i18n.M("admin.list_the_models_by_name.hint"))
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
		gs, err := tx.ListGroups(ctx)
		if err != nil {
			return err
		}
		for _, g := range c.Groups {
			if !slices.ContainsFunc(gs, func(x store.Group) bool { return x.Name == g }) {
				return invalid("groups", i18n.M("admin.group_does_not_exist2", i18n.Q("value", g)), i18n.M("admin.get_admin_v1_groups_lists.hint"))
			}
		}
	}
	return nil
}

// saveChannel writes c with its audit row and reads it back, in tx.
func (s *Service) saveChannel(ctx context.Context, tx store.Store, who Who, c store.Channel, action string, detail map[string]any) (store.Channel, error) {
	if err := tx.UpsertChannel(ctx, c); err != nil {
		return c, err
	}
	if err := s.audit(ctx, tx, who, action, "channel:"+c.Name, detail); err != nil {
		return c, err
	}
	return getChannel(ctx, tx, c.Name)
}

// CreateChannel creates channel name (managed by the API, enabled) with
// its audit row (channel.create); a name taken is a conflict.
func (s *Service) CreateChannel(ctx context.Context, who Who, name string, edit ChannelEdit) (store.Channel, error) {
	if !objectName.MatchString(name) {
		return store.Channel{}, invalid("name", i18n.M("admin.channel_name_is_not_valid", i18n.Q("name", name)), i18n.M("admin.use_1_64_letters_digits.hint"))
	}
	c := store.Channel{Name: name, Enabled: true, ManagedBy: ManagedByAPI}
	detail, err := edit(&c)
	if err != nil {
		return store.Channel{}, err
	}
	var out store.Channel
	err = s.tx(ctx, func(tx store.Store) error {
		if err := validateChannel(ctx, tx, &c); err != nil {
			return err
		}
		if err := tx.Lock(ctx, channelLock(name)); err != nil {
			return err
		}
		if _, err := tx.GetChannel(ctx, name); err == nil {
			return conflict(i18n.M("admin.a_channel_named_already_exists", i18n.Q("name", name)), i18n.M("admin.change_it_with_patch_admin.hint", i18n.S("name2", name)))
		} else if !missing(err) {
			return err
		}
		out, err = s.saveChannel(ctx, tx, who, c, "channel.create", detail)
		return err
	})
	if err != nil {
		return store.Channel{}, err
	}
	s.reload(ctx, "channel", name)
	return out, nil
}

// UpdateChannel changes channel name by edit with its audit row
// (channel.update); a channel declared in KEYGATE_CONFIG is refused, and
// rename (the body's name) must be empty or name.
func (s *Service) UpdateChannel(ctx context.Context, who Who, name, rename string, edit ChannelEdit) (store.Channel, error) {
	var out store.Channel
	err := s.tx(ctx, func(tx store.Store) error {
		c, err := lockedChannel(ctx, tx, name)
		if err != nil {
			return err
		}
		if err := refuseConfigManaged("Channel", c.Name, c.ManagedBy); err != nil {
			return err
		}
		if rename != "" && rename != c.Name {
			return invalid("name", i18n.M("admin.a_channel_cannot_be_renamed"), i18n.M("admin.create_a_new_channel_and.hint"))
		}
		detail, err := edit(&c)
		if err != nil {
			return err
		}
		if err := validateChannel(ctx, tx, &c); err != nil {
			return err
		}
		out, err = s.saveChannel(ctx, tx, who, c, "channel.update", detail)
		return err
	})
	if err != nil {
		return store.Channel{}, err
	}
	s.reload(ctx, "channel", name)
	return out, nil
}

// DeleteChannel removes channel name with its audit row (channel.delete);
// a channel declared in KEYGATE_CONFIG is refused.
func (s *Service) DeleteChannel(ctx context.Context, who Who, name string) error {
	err := s.tx(ctx, func(tx store.Store) error {
		c, err := lockedChannel(ctx, tx, name)
		if err != nil {
			return err
		}
		if err := refuseConfigManaged("Channel", c.Name, c.ManagedBy); err != nil {
			return err
		}
		if err := tx.DeleteChannel(ctx, c.Name); missing(err) {
			return ChannelNotFound(c.Name)
		} else if err != nil {
			return err
		}
		return s.audit(ctx, tx, who, "channel.delete", "channel:"+c.Name, map[string]any{"base_url": c.BaseURL, "models": c.Models})
	})
	if err != nil {
		return err
	}
	s.reload(ctx, "channel", name)
	return nil
}

// DisableChannel takes channel name out of rotation on every instance (a
// stored state, also for a channel KEYGATE_CONFIG declares) with its audit
// row (channel.disable).
func (s *Service) DisableChannel(ctx context.Context, who Who, name, reason string) (store.Channel, error) {
	var out store.Channel
	err := s.tx(ctx, func(tx store.Store) error {
		c, err := lockedChannel(ctx, tx, name)
		if err != nil {
			return err
		}
		c.Enabled = false
		c.DisabledReason = "disabled by " + who.Actor
		if reason != "" {
			c.DisabledReason += ": " + reason
		}
		out, err = s.saveChannel(ctx, tx, who, c, "channel.disable", map[string]any{"reason": reason})
		return err
	})
	if err != nil {
		return store.Channel{}, err
	}
	s.reload(ctx, "channel", name)
	return out, nil
}

// EnableChannel puts channel name back into rotation on every instance,
// with a fresh breaker on this one, with its audit row (channel.enable).
func (s *Service) EnableChannel(ctx context.Context, who Who, name string) (store.Channel, error) {
	var live *catalog.Channel
	if s.Catalog != nil {
		for _, c := range s.Catalog.Snapshot().Channels {
			if c.Name == name {
				live = c
			}
		}
	}
	var out store.Channel
	err := s.tx(ctx, func(tx store.Store) error {
		c, err := lockedChannel(ctx, tx, name)
		if err != nil {
			return err
		}
		wasDisabled := !c.Enabled
		if live != nil {
			_, off := live.Disabled()
			wasDisabled = wasDisabled || off
		}
		c.Enabled, c.DisabledReason = true, ""
		out, err = s.saveChannel(ctx, tx, who, c, "channel.enable", map[string]any{"was_disabled": wasDisabled})
		return err
	})
	if err != nil {
		return store.Channel{}, err
	}
	if live != nil {
		live.Enable()
	}
	s.reload(ctx, "channel", name)
	return out, nil
}

// RecordChannelTest keeps a channel test's report as the channel's last
// test, with its audit row (channel.test), together or not at all.
func (s *Service) RecordChannelTest(ctx context.Context, who Who, name, report string, detail map[string]any) error {
	return s.tx(ctx, func(tx store.Store) error {
		if err := tx.SetChannelLastTest(ctx, name, report); missing(err) {
			return ChannelNotFound(name)
		} else if err != nil {
			return err
		}
		return s.audit(ctx, tx, who, "channel.test", "channel:"+name, detail)
	})
}

// DisabledByUpstream stores that an upstream refused channel's credential:
// the channel is disabled (every instance stops calling it) with its audit
// row, unless its definition changed since the relay judged it (seen, its
// UpdatedAt then: an operator's fix is left alone, and only the refusal is
// audited).
func (s *Service) DisabledByUpstream(ctx context.Context, channel string, seen time.Time, status int, reason string) error {
	detail := map[string]any{"upstream_status": status, "reason": reason,
		"fix": "correct the channel's api_key, then POST /admin/v1/channels/" + channel + "/enable"}
	err := s.tx(ctx, func(tx store.Store) error {
		if err := tx.Lock(ctx, channelLock(channel)); err != nil {
			return err
		}
		c, err := tx.GetChannel(ctx, channel)
		if err == nil && c.Enabled && c.UpdatedAt.Equal(seen) {
			c.Enabled = false
			c.DisabledReason = catalog.DisabledByGateway + fmt.Sprintf("the upstream answered %d to the channel credential: %s", status, reason)
			if err := tx.UpsertChannel(ctx, c); err != nil {
				return err
			}
		} else if err != nil && !missing(err) {
			return err
		}
		return s.audit(ctx, tx, Who{Actor: "gateway"}, "channel.disable", "channel:"+channel, detail)
	})
	if err != nil {
		return err
	}
	s.reload(ctx, "channel", channel)
	return nil
}

// ---- models ----

func getModel(ctx context.Context, st store.Store, name string) (store.Model, error) {
	m, err := st.GetModel(ctx, name)
	if missing(err) {
		return m, ModelNotFound(name)
	}
	return m, err
}

// ListModels returns the declared models.
func (s *Service) ListModels(ctx context.Context) ([]store.Model, error) {
	ms, err := s.Store.ListModels(ctx)
	return ms, Err(err)
}

func applyModel(m *store.Model, req wire.ModelRequest) (map[string]any, error) {
	detail := map[string]any{}
	if req.Aliases != nil {
		m.Aliases = *req.Aliases
		detail["aliases"] = m.Aliases
	}
	if req.MaxOutput != nil {
		m.MaxOutput = *req.MaxOutput
		detail["max_output"] = m.MaxOutput
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
			detail[f.name] = *f.p
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
	return detail, nil
}

// CreateModel declares model req.Name (managed by the API) with its audit
// row (model.create); a model declared already is a conflict.
func (s *Service) CreateModel(ctx context.Context, who Who, req wire.ModelRequest) error {
	name := req.Name
	if strings.TrimSpace(name) == "" || strings.ContainsAny(name, " \t\r\n") || len(name) > 128 {
		return invalid("name", i18n.M("admin.model_name_is_not_valid", i18n.Q("name", name)), i18n.M("admin.use_the_name_clients_send.hint"))
	}
	m := store.Model{Name: name, ManagedBy: ManagedByAPI}
	detail, err := applyModel(&m, req)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx store.Store) error {
		if err := tx.Lock(ctx, modelLock(name)); err != nil {
			return err
		}
		if _, err := tx.GetModel(ctx, name); err == nil {
			return conflict(i18n.M("admin.model_is_already_declared", i18n.Q("name", name)), i18n.M("admin.change_it_with_patch_admin.hint2", i18n.S("name2", name)))
		} else if !missing(err) {
			return err
		}
		if err := tx.UpsertModel(ctx, m); err != nil {
			return err
		}
		return s.audit(ctx, tx, who, "model.create", "model:"+name, detail)
	})
	if err != nil {
		return err
	}
	s.reload(ctx, "model", name)
	return nil
}

// UpdateModel changes declared model name with its audit row
// (model.update); a model declared in KEYGATE_CONFIG is refused.
func (s *Service) UpdateModel(ctx context.Context, who Who, name string, req wire.ModelRequest) error {
	err := s.tx(ctx, func(tx store.Store) error {
		if err := tx.Lock(ctx, modelLock(name)); err != nil {
			return err
		}
		m, err := getModel(ctx, tx, name)
		if err != nil {
			return err
		}
		if err := refuseConfigManaged("Model", m.Name, m.ManagedBy); err != nil {
			return err
		}
		if req.Name != "" && req.Name != m.Name {
			return invalid("name", i18n.M("admin.a_model_cannot_be_renamed"), i18n.M("admin.add_the_new_name_as.hint"))
		}
		detail, err := applyModel(&m, req)
		if err != nil {
			return err
		}
		if err := tx.UpsertModel(ctx, m); err != nil {
			return err
		}
		return s.audit(ctx, tx, who, "model.update", "model:"+name, detail)
	})
	if err != nil {
		return err
	}
	s.reload(ctx, "model", name)
	return nil
}

// DeleteModel removes declared model name with its audit row
// (model.delete); a model declared in KEYGATE_CONFIG is refused.
func (s *Service) DeleteModel(ctx context.Context, who Who, name string) error {
	err := s.tx(ctx, func(tx store.Store) error {
		if err := tx.Lock(ctx, modelLock(name)); err != nil {
			return err
		}
		m, err := getModel(ctx, tx, name)
		if err != nil {
			return err
		}
		if err := refuseConfigManaged("Model", m.Name, m.ManagedBy); err != nil {
			return err
		}
		if err := tx.DeleteModel(ctx, m.Name); missing(err) {
			return ModelNotFound(m.Name)
		} else if err != nil {
			return err
		}
		return s.audit(ctx, tx, who, "model.delete", "model:"+name, map[string]any{"input_per_mtok": m.InputPerMTok, "output_per_mtok": m.OutputPerMTok})
	})
	if err != nil {
		return err
	}
	s.reload(ctx, "model", name)
	return nil
}
