package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// UpsertGroup creates or replaces a group.
func (s *Store) UpsertGroup(ctx context.Context, g store.Group) error {
	_, err := s.exec(ctx, `INSERT INTO groups (name, models, price_multiplier, rpm, tpm, concurrency, managed_by, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET models = excluded.models, price_multiplier = excluded.price_multiplier,
 rpm = excluded.rpm, tpm = excluded.tpm, concurrency = excluded.concurrency, managed_by = excluded.managed_by, updated_at = excluded.updated_at`,
		g.Name, jsonText(nonNil(g.Models)), g.PriceMultiplier, g.RPM, g.TPM, g.Concurrency, g.ManagedBy, ms(time.Now()))
	if err != nil {
		return fmt.Errorf("upsert group %s: %w", g.Name, err)
	}
	return nil
}

// ListGroups returns all groups by name.
func (s *Store) ListGroups(ctx context.Context) ([]store.Group, error) {
	rows, err := s.query(ctx, `SELECT name, models, price_multiplier, rpm, tpm, concurrency, managed_by, updated_at FROM groups ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	defer rows.Close()
	var out []store.Group
	for rows.Next() {
		var g store.Group
		var models string
		var upd int64
		if err := rows.Scan(&g.Name, &models, &g.PriceMultiplier, &g.RPM, &g.TPM, &g.Concurrency, &g.ManagedBy, &upd); err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		g.Models, g.UpdatedAt = strs(models), fromMS(upd)
		out = append(out, g)
	}
	return out, rows.Err()
}

// UpsertProject creates or updates a project.
func (s *Store) UpsertProject(ctx context.Context, p store.Project) error {
	now := ms(time.Now())
	_, err := s.exec(ctx, `INSERT INTO projects (name, budget_usd, budget_period, test_models, test_budget_usd, test_budget_period,
 managed_by, created_at, updated_at, max_jobs)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET budget_usd = excluded.budget_usd, budget_period = excluded.budget_period,
 test_models = excluded.test_models, test_budget_usd = excluded.test_budget_usd,
 test_budget_period = excluded.test_budget_period, managed_by = excluded.managed_by, updated_at = excluded.updated_at,
 max_jobs = excluded.max_jobs`,
		p.Name, p.BudgetUSD, p.BudgetPeriod, jsonText(nonNil(p.TestModels)), p.TestBudgetUSD, p.TestBudgetPeriod,
		p.ManagedBy, now, now, p.MaxJobs)
	if err != nil {
		return fmt.Errorf("upsert project %s: %w", p.Name, err)
	}
	return nil
}

const projectCols = `name, budget_usd, budget_period, test_models, test_budget_usd, test_budget_period, managed_by,
 created_at, updated_at, max_jobs`

func scanProject(sc interface{ Scan(...any) error }) (store.Project, error) {
	var p store.Project
	var c, u int64
	var testModels string
	err := sc.Scan(&p.Name, &p.BudgetUSD, &p.BudgetPeriod, &testModels, &p.TestBudgetUSD, &p.TestBudgetPeriod, &p.ManagedBy, &c, &u, &p.MaxJobs)
	p.TestModels, p.CreatedAt, p.UpdatedAt = strs(testModels), fromMS(c), fromMS(u)
	return p, err
}

// GetProject returns one project by name.
func (s *Store) GetProject(ctx context.Context, name string) (store.Project, error) {
	p, err := scanProject(s.queryRow(ctx, `SELECT `+projectCols+` FROM projects WHERE name = ?`, name))
	if err != nil {
		return p, notFound(err)
	}
	return p, nil
}

// ListProjects returns all projects by name.
func (s *Store) ListProjects(ctx context.Context) ([]store.Project, error) {
	rows, err := s.query(ctx, `SELECT `+projectCols+` FROM projects ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	defer rows.Close()
	var out []store.Project
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, fmt.Errorf("list projects: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// UpsertChannel creates or replaces a channel. Its last test is kept on a
// replace (KEYGATE_CONFIG is applied at every start); SetChannelLastTest
// writes it.
func (s *Store) UpsertChannel(ctx context.Context, c store.Channel) error {
	mm := c.ModelMap
	if mm == nil {
		mm = map[string]string{}
	}
	_, err := s.exec(ctx, `INSERT INTO channels (name, type, base_url, api_key_sealed, api_key_env, models, model_map, groups_json, priority, weight, enabled, managed_by, updated_at, limits_json, api_version, last_test)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET type = excluded.type, base_url = excluded.base_url, api_key_sealed = excluded.api_key_sealed,
 api_key_env = excluded.api_key_env, models = excluded.models, model_map = excluded.model_map, groups_json = excluded.groups_json,
 priority = excluded.priority, weight = excluded.weight, enabled = excluded.enabled, managed_by = excluded.managed_by, updated_at = excluded.updated_at,
 limits_json = excluded.limits_json, api_version = excluded.api_version`,
		c.Name, c.Type, c.BaseURL, c.APIKeySealed, c.APIKeyEnv, jsonText(nonNil(c.Models)), jsonText(mm), jsonText(nonNil(c.Groups)),
		c.Priority, c.Weight, boolInt(c.Enabled), c.ManagedBy, ms(time.Now()), jsonText(channelLimits{
			ConnectMS: c.ConnectTimeout.Milliseconds(), FirstByteMS: c.FirstByteTimeout.Milliseconds(),
			IdleMS: c.IdleTimeout.Milliseconds(), MaxConcurrency: c.MaxConcurrency, MaxJobs: c.MaxJobs,
			MaxAttempts: c.MaxAttempts, BreakerFails: c.BreakerFailures, BreakerCoolMS: c.BreakerCooldown.Milliseconds(),
			DisabledReason: c.DisabledReason}), c.APIVersion, c.LastTest)
	if err != nil {
		return fmt.Errorf("upsert channel %s: %w", c.Name, err)
	}
	return nil
}

// ListChannels returns all channels by name.
func (s *Store) ListChannels(ctx context.Context) ([]store.Channel, error) {
	rows, err := s.query(ctx, `SELECT `+channelCols+` FROM channels ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list channels: %w", err)
	}
	defer rows.Close()
	var out []store.Channel
	for rows.Next() {
		c, err := scanChannel(rows)
		if err != nil {
			return nil, fmt.Errorf("list channels: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// UpsertModel creates or replaces a catalogue model.
func (s *Store) UpsertModel(ctx context.Context, m store.Model) error {
	_, err := s.exec(ctx, `INSERT INTO models (name, aliases, input_per_mtok, output_per_mtok, per_image, per_video_second, max_output, managed_by, updated_at, media_json,
 cached_input_per_mtok, cache_write_per_mtok)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET aliases = excluded.aliases, input_per_mtok = excluded.input_per_mtok, output_per_mtok = excluded.output_per_mtok,
 per_image = excluded.per_image, per_video_second = excluded.per_video_second, max_output = excluded.max_output,
 managed_by = excluded.managed_by, updated_at = excluded.updated_at, media_json = excluded.media_json,
 cached_input_per_mtok = excluded.cached_input_per_mtok, cache_write_per_mtok = excluded.cache_write_per_mtok`,
		m.Name, jsonText(nonNil(m.Aliases)), m.InputPerMTok, m.OutputPerMTok, m.PerImage, m.PerVideoSecond, m.MaxOutput, m.ManagedBy, ms(time.Now()), m.Media.Text(),
		m.CachedInputPerMTok, m.CacheWritePerMTok)
	if err != nil {
		return fmt.Errorf("upsert model %s: %w", m.Name, err)
	}
	return nil
}

// ListModels returns the catalogue by name.
func (s *Store) ListModels(ctx context.Context) ([]store.Model, error) {
	rows, err := s.query(ctx, `SELECT `+modelCols+` FROM models ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	defer rows.Close()
	var out []store.Model
	for rows.Next() {
		m, err := scanModel(rows)
		if err != nil {
			return nil, fmt.Errorf("list models: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// channelLimits is the stored form of store.ChannelLimits (limits_json).
type channelLimits struct {
	ConnectMS      int64 `json:"connect_timeout_ms,omitempty"`
	FirstByteMS    int64 `json:"first_byte_timeout_ms,omitempty"`
	IdleMS         int64 `json:"idle_timeout_ms,omitempty"`
	MaxConcurrency int   `json:"max_concurrency,omitempty"`
	MaxJobs        int   `json:"max_jobs,omitempty"`
	MaxAttempts    int   `json:"max_attempts,omitempty"`
	BreakerFails   int   `json:"breaker_failures,omitempty"`
	BreakerCoolMS  int64 `json:"breaker_cooldown_ms,omitempty"`
	// DisabledReason is a channel state, not a limit, kept in the same
	// settings document so it needs no column of its own.
	DisabledReason string `json:"disabled_reason,omitempty"`
}
