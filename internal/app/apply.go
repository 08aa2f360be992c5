package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/secretbox"
	"github.com/keygate/keygate/internal/store"
)

// ManagedByConfig marks objects declared in KEYGATE_CONFIG; ManagedByDemo
// those of the built-in demo setup used when no KEYGATE_CONFIG is given.
const (
	ManagedByConfig = "config"
	ManagedByDemo   = "demo"
)

// Apply writes the declared objects into the store. It is idempotent: the
// file is applied at every start, so a deployment can be kept in git.
func Apply(ctx context.Context, st store.Store, box *secretbox.Box, f *config.File, managedBy string) error {
	for _, g := range f.Groups {
		if err := st.UpsertGroup(ctx, store.Group{Name: g.Name, Models: g.Models, PriceMultiplier: g.PriceMultiplier,
			RPM: g.RPM, TPM: g.TPM, Concurrency: g.Concurrency, ManagedBy: managedBy}); err != nil {
			return err
		}
	}
	for _, p := range f.Projects {
		sp := store.Project{Name: p.Name, TestModels: p.TestModels, ManagedBy: managedBy, MaxJobs: p.MaxJobs}
		if p.Budget != nil {
			sp.BudgetUSD, sp.BudgetPeriod = p.Budget.LimitUSD, p.Budget.Period
		}
		if p.TestBudget != nil {
			sp.TestBudgetUSD, sp.TestBudgetPeriod = p.TestBudget.LimitUSD, p.TestBudget.Period
		}
		if err := st.UpsertProject(ctx, sp); err != nil {
			return err
		}
	}
	for _, m := range f.Models {
		if err := st.UpsertModel(ctx, store.Model{Name: m.Name, Aliases: m.Aliases, InputPerMTok: m.InputPerMTok,
			OutputPerMTok: m.OutputPerMTok, CachedInputPerMTok: m.CachedInputPerMTok, CacheWritePerMTok: m.CacheWritePerMTok, PerImage: m.PerImage, PerVideoSecond: m.PerVideoSecond, MaxOutput: m.MaxOutput,
			ManagedBy: managedBy, Media: store.MediaPrices{Images: lowerKeys(m.ImagePrices), VideoSeconds: lowerKeys(m.VideoPrices)}}); err != nil {
			return err
		}
	}
	for _, c := range f.Channels {
		sc := store.Channel{Name: c.Name, Type: c.Type, BaseURL: c.BaseURL, APIKeyEnv: c.APIKeyEnv, Models: c.Models,
			ModelMap: c.ModelMap, Groups: c.Groups, Priority: c.Priority, Weight: max(c.Weight, 1), Enabled: !c.Disabled,
			ManagedBy: managedBy, APIVersion: c.APIVersion, ChannelLimits: store.ChannelLimits{ConnectTimeout: c.Timeouts.Connect,
				FirstByteTimeout: c.Timeouts.FirstByte, IdleTimeout: c.Timeouts.Idle, MaxConcurrency: c.MaxConcurrency, MaxJobs: c.MaxJobs,
				MaxAttempts: c.MaxAttempts, BreakerFailures: c.BreakerFailures, BreakerCooldown: c.BreakerCooldown}}
		if c.APIKey != "" {
			if box == nil {
				return fmt.Errorf("channel %s: api_key cannot be stored without KEYGATE_SECRET_KEY; set it, or use api_key_env", c.Name)
			}
			sealed, err := box.Seal(c.APIKey)
			if err != nil {
				return fmt.Errorf("channel %s: seal api_key: %w", c.Name, err)
			}
			sc.APIKeySealed = sealed
		}
		if err := st.UpsertChannel(ctx, sc); err != nil {
			return err
		}
	}
	if len(f.Groups) == 0 && len(f.Channels) > 0 {
		return errors.New("channels are declared but no groups: add groups: [{name: default, models: [\"*\"]}]")
	}
	return nil
}

// disableDemoChannels turns off the built-in demo channel once a real
// configuration is in use, so it never routes production traffic.
func disableDemoChannels(ctx context.Context, st store.Store) error {
	chs, err := st.ListChannels(ctx)
	if err != nil {
		return err
	}
	for _, c := range chs {
		if c.ManagedBy == ManagedByDemo && c.Enabled {
			c.Enabled = false
			if err := st.UpsertChannel(ctx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// lowerKeys lower-cases price table keys (sizes and qualities are matched
// lower-case).
func lowerKeys(m map[string]float64) map[string]float64 {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[strings.ToLower(k)] = v
	}
	return out
}
