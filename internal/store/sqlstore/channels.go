package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/keygate/keygate/internal/store"
)

const channelCols = `name, type, base_url, api_key_sealed, api_key_env, models, model_map, groups_json, priority, weight, enabled,
 managed_by, updated_at, limits_json, api_version, last_test`

func scanChannel(sc interface{ Scan(...any) error }) (store.Channel, error) {
	var c store.Channel
	var models, mm, groups, limits string
	var enabled int
	var upd int64
	if err := sc.Scan(&c.Name, &c.Type, &c.BaseURL, &c.APIKeySealed, &c.APIKeyEnv, &models, &mm, &groups, &c.Priority, &c.Weight,
		&enabled, &c.ManagedBy, &upd, &limits, &c.APIVersion, &c.LastTest); err != nil {
		return c, err
	}
	var cl channelLimits
	_ = json.Unmarshal([]byte(limits), &cl)
	c.ChannelLimits = store.ChannelLimits{ConnectTimeout: time.Duration(cl.ConnectMS) * time.Millisecond,
		FirstByteTimeout: time.Duration(cl.FirstByteMS) * time.Millisecond, IdleTimeout: time.Duration(cl.IdleMS) * time.Millisecond,
		MaxConcurrency: cl.MaxConcurrency, MaxJobs: cl.MaxJobs, MaxAttempts: cl.MaxAttempts, BreakerFailures: cl.BreakerFails,
		BreakerCooldown: time.Duration(cl.BreakerCoolMS) * time.Millisecond}
	c.DisabledReason = cl.DisabledReason
	c.Models, c.Groups, c.Enabled, c.UpdatedAt = strs(models), strs(groups), enabled != 0, fromMS(upd)
	_ = json.Unmarshal([]byte(mm), &c.ModelMap)
	return c, nil
}

const modelCols = `name, aliases, input_per_mtok, output_per_mtok, per_image, per_video_second, max_output, managed_by, updated_at, media_json,
 cached_input_per_mtok, cache_write_per_mtok`

func scanModel(sc interface{ Scan(...any) error }) (store.Model, error) {
	var m store.Model
	var aliases, media string
	var upd int64
	if err := sc.Scan(&m.Name, &aliases, &m.InputPerMTok, &m.OutputPerMTok, &m.PerImage, &m.PerVideoSecond, &m.MaxOutput,
		&m.ManagedBy, &upd, &media, &m.CachedInputPerMTok, &m.CacheWritePerMTok); err != nil {
		return m, err
	}
	m.Media = store.ParseMediaPrices(media)
	m.Aliases, m.UpdatedAt = strs(aliases), fromMS(upd)
	return m, nil
}

// GetChannel returns one channel.
func (s *Store) GetChannel(ctx context.Context, name string) (store.Channel, error) {
	c, err := scanChannel(s.queryRow(ctx, `SELECT `+channelCols+` FROM channels WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("channel %s: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("get channel %s: %w", name, err)
	}
	return c, nil
}

// DeleteChannel removes a channel.
func (s *Store) DeleteChannel(ctx context.Context, name string) error {
	return s.deleteNamed(ctx, "channels", "channel", name)
}

// SetChannelLastTest stores a channel test's report; the channel's
// updated_at stays, so its live health carries over.
func (s *Store) SetChannelLastTest(ctx context.Context, name, report string) error {
	res, err := s.exec(ctx, `UPDATE channels SET last_test = ? WHERE name = ?`, report, name)
	if err != nil {
		return fmt.Errorf("store the test of channel %s: %w", name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("channel %s: %w", name, store.ErrNotFound)
	}
	return nil
}

// GetModel returns one catalogue model by its canonical name.
func (s *Store) GetModel(ctx context.Context, name string) (store.Model, error) {
	m, err := scanModel(s.queryRow(ctx, `SELECT `+modelCols+` FROM models WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return m, fmt.Errorf("model %s: %w", name, store.ErrNotFound)
	}
	if err != nil {
		return m, fmt.Errorf("get model %s: %w", name, err)
	}
	return m, nil
}

// DeleteModel removes a catalogue model.
func (s *Store) DeleteModel(ctx context.Context, name string) error {
	return s.deleteNamed(ctx, "models", "model", name)
}

func (s *Store) deleteNamed(ctx context.Context, table, what, name string) error {
	res, err := s.exec(ctx, `DELETE FROM `+table+` WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", what, name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete %s %s: %w", what, name, err)
	} else if n == 0 {
		return fmt.Errorf("delete %s %s: %w", what, name, store.ErrNotFound)
	}
	return nil
}
