// Package config holds keygate's typed configuration: the process settings
// from environment variables and flags (DESIGN.md §7), and the declarative
// YAML file of groups, projects, channels and models applied at start.
package config

import (
	"errors"
	"fmt"
	"github.com/keygate/keygate/internal/provider/registry"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/ledger"
	"go.yaml.in/yaml/v3"
)

// Config is the process configuration.
type Config struct {
	Listen         string // KEYGATE_LISTEN
	Database       string // KEYGATE_DATABASE
	Redis          string // KEYGATE_REDIS
	AdminToken     string // KEYGATE_ADMIN_TOKEN
	SecretKey      string // KEYGATE_SECRET_KEY
	ConfigFile     string // KEYGATE_CONFIG
	WebhookURL     string // KEYGATE_WEBHOOK_URL: security notifications
	WebhookSecret  string // KEYGATE_WEBHOOK_SECRET: HMAC-SHA256 key of webhook bodies
	ScanningKeys   string // KEYGATE_SECRET_SCANNING_KEYS: file of trusted leak-report signers
	TrustedProxies []netip.Prefix
	CORSOrigins    string // KEYGATE_CORS_ORIGINS: browser origins allowed on the client routes
	MaxBodyBytes   int64
	// KeyCacheMaxStale bounds how long cached keys keep authenticating while
	// the database is unreachable (KEYGATE_KEY_CACHE_MAX_STALE).
	KeyCacheMaxStale time.Duration
	LogRetention     time.Duration
	ShutdownTimeout  time.Duration
	RefreshInterval  time.Duration
	LogQueueSize     int
	UpstreamTimeout  time.Duration
	// KeyConcurrency bounds concurrent calls per key on each instance
	// for keys whose own and group's concurrency are unset
	// (KEYGATE_KEY_CONCURRENCY; 0 = unlimited).
	KeyConcurrency int
	// Pprof, when set, serves /debug/pprof/ on this loopback address, on a
	// listener of its own (KEYGATE_PPROF; off by default: profiles reveal
	// request data and must never be reachable from the network).
	Pprof string
	// RequirePrices refuses to start when a served model has no price from
	// the operator or the built-in catalogue (KEYGATE_REQUIRE_PRICES=true),
	// so nobody runs unbilled by accident.
	RequirePrices bool
	// LogSpool is where request log rows wait on local disk until stored,
	// so a killed process loses none (KEYGATE_LOG_SPOOL; "off" disables;
	// default: beside an SQLite database, else in the temp directory named
	// by the listen port). See LogSpoolPath.
	LogSpool string
}

// LogSpoolPath is the request log spool's path prefix, "" for none.
func (c Config) LogSpoolPath() string {
	switch {
	case c.LogSpool == "off":
		return ""
	case c.LogSpool != "":
		return c.LogSpool
	case strings.HasPrefix(c.Database, "sqlite:"):
		return strings.TrimPrefix(strings.TrimPrefix(c.Database, "sqlite:"), "//") + ".logspool"
	case !strings.Contains(c.Database, "://"):
		return c.Database + ".logspool"
	}
	_, port, err := net.SplitHostPort(c.Listen)
	if err != nil || port == "0" || port == "" {
		return "" // no stable name to find it again at the next start
	}
	return filepath.Join(os.TempDir(), "keygate-"+port+".logspool")
}

// Defaults returns the embedded defaults: SQLite next to the working
// directory, loopback listener.
func Defaults() Config {
	return Config{
		Listen:           "127.0.0.1:8080",
		Database:         "sqlite:keygate.db",
		LogRetention:     90 * 24 * time.Hour,
		MaxBodyBytes:     32 << 20,
		KeyCacheMaxStale: 15 * time.Minute,
		ShutdownTimeout:  30 * time.Second,
		RefreshInterval:  5 * time.Second,
		LogQueueSize:     65536,
		UpstreamTimeout:  5 * time.Minute, // how long an upstream may take to start answering (response headers)
	}
}

// FromEnv overlays KEYGATE_* environment variables on c.
func (c Config) FromEnv(getenv func(string) string) (Config, error) {
	set := func(dst *string, name string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	set(&c.Listen, "KEYGATE_LISTEN")
	set(&c.Database, "KEYGATE_DATABASE")
	set(&c.Redis, "KEYGATE_REDIS")
	set(&c.AdminToken, "KEYGATE_ADMIN_TOKEN")
	set(&c.SecretKey, "KEYGATE_SECRET_KEY")
	set(&c.ConfigFile, "KEYGATE_CONFIG")
	if v := getenv("KEYGATE_LOG_RETENTION"); v != "" {
		d, err := ParseRetention(v)
		if err != nil {
			return c, err
		}
		c.LogRetention = d
	}
	set(&c.WebhookURL, "KEYGATE_WEBHOOK_URL")
	set(&c.WebhookSecret, "KEYGATE_WEBHOOK_SECRET")
	set(&c.ScanningKeys, "KEYGATE_SECRET_SCANNING_KEYS")
	set(&c.Pprof, "KEYGATE_PPROF")
	set(&c.LogSpool, "KEYGATE_LOG_SPOOL")
	if v := getenv("KEYGATE_KEY_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return c, fmt.Errorf("KEYGATE_KEY_CONCURRENCY=%q: want a whole number ≥ 0 (0 = unlimited)", v)
		}
		c.KeyConcurrency = n
	}
	if v := getenv("KEYGATE_REQUIRE_PRICES"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("KEYGATE_REQUIRE_PRICES=%q: want true or false", v)
		}
		c.RequirePrices = b
	}
	if v := getenv("KEYGATE_KEY_CACHE_MAX_STALE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return c, fmt.Errorf("KEYGATE_KEY_CACHE_MAX_STALE=%q: want a duration such as 15m (0 = trust cached keys forever)", v)
		}
		c.KeyCacheMaxStale = d
	}
	c.CORSOrigins = getenv("KEYGATE_CORS_ORIGINS")
	if v := getenv("KEYGATE_TRUSTED_PROXIES"); v != "" {
		p, err := ParsePrefixes(strings.Split(v, ","))
		if err != nil {
			return c, fmt.Errorf("KEYGATE_TRUSTED_PROXIES: %w", err)
		}
		c.TrustedProxies = p
	}
	return c, nil
}

// Validate reports settings that cannot work, naming the variable to fix.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("KEYGATE_LISTEN %q: want HOST:PORT, e.g. 127.0.0.1:8080", c.Listen))
	}
	if c.Database == "" {
		errs = append(errs, errors.New("KEYGATE_DATABASE is empty: use sqlite:keygate.db or postgres://USER@HOST/DB"))
	}
	if c.Pprof != "" && !isLoopback(c.Pprof) {
		errs = append(errs, fmt.Errorf("KEYGATE_PPROF %q: want a loopback HOST:PORT such as 127.0.0.1:6060 (profiles must not be reachable from the network)", c.Pprof))
	}
	if c.AdminToken != "" && len(c.AdminToken) < 32 {
		errs = append(errs, fmt.Errorf("KEYGATE_ADMIN_TOKEN is %d characters; it must be at least 32 (run `keygate token generate` for one)", len(c.AdminToken)))
	}
	if c.AdminToken != "" && strings.TrimSpace(c.AdminToken) != c.AdminToken {
		errs = append(errs, errors.New("KEYGATE_ADMIN_TOKEN has leading or trailing whitespace; remove it"))
	}
	if c.WebhookURL != "" && !strings.HasPrefix(c.WebhookURL, "https://") && !strings.HasPrefix(c.WebhookURL, "http://") {
		errs = append(errs, fmt.Errorf("KEYGATE_WEBHOOK_URL must start with https:// (or http://)"))
	}
	if c.WebhookURL != "" && len(c.WebhookSecret) < 16 {
		errs = append(errs, errors.New("KEYGATE_WEBHOOK_URL is set but KEYGATE_WEBHOOK_SECRET is missing or shorter than 16 characters; set a long random secret so receivers can verify the signature"))
	}
	return errors.Join(errs...)
}

// isLoopback reports whether addr is HOST:PORT with a loopback host.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// Redacted returns a copy safe to log: secrets replaced by a marker.
func (c Config) Redacted() Config {
	r := c
	if r.AdminToken != "" {
		r.AdminToken = "(set)"
	}
	if r.SecretKey != "" {
		r.SecretKey = "(set)"
	}
	if r.WebhookSecret != "" {
		r.WebhookSecret = "(set)"
	}
	return r
}

// ParsePrefixes parses CIDRs or single addresses.
func ParsePrefixes(items []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range items {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not a CIDR (e.g. 10.0.0.0/8 or 2001:db8::/32)", s)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an IP address or CIDR", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// File is the declarative YAML configuration (KEYGATE_CONFIG).
type File struct {
	Groups   []GroupSpec   `yaml:"groups"`
	Projects []ProjectSpec `yaml:"projects"`
	Channels []ChannelSpec `yaml:"channels"`
	Models   []ModelSpec   `yaml:"models"`
}

// GroupSpec declares a group.
type GroupSpec struct {
	Name            string   `yaml:"name"`
	Models          []string `yaml:"models"`
	PriceMultiplier float64  `yaml:"price_multiplier"`
	RPM             int      `yaml:"rpm"`
	TPM             int      `yaml:"tpm"`
	// Concurrency is the default cap on each key's calls in flight per
	// instance (0 = KEYGATE_KEY_CONCURRENCY); a key's own value wins.
	Concurrency int `yaml:"concurrency"`
	// BudgetClamp: a call of this group's keys that a budget cannot
	// cover at its max_tokens is sent with max_tokens lowered to what the
	// budget affords (response header x-keygate-budget-clamped) instead of
	// being refused. Read from this file only; it is not stored with the
	// group, so the admin API neither shows nor sets it.
	BudgetClamp bool `yaml:"budget_clamp"`
}

// BudgetClampGroups returns the names of the groups with budget_clamp.
func (f *File) BudgetClampGroups() map[string]bool {
	var out map[string]bool
	for _, g := range f.Groups {
		if g.BudgetClamp {
			if out == nil {
				out = map[string]bool{}
			}
			out[g.Name] = true
		}
	}
	return out
}

// ProjectSpec declares a project.
type ProjectSpec struct {
	Name   string      `yaml:"name"`
	Budget *BudgetSpec `yaml:"budget"`
	// TestModels restricts the project's test keys (kg_test_) to these
	// models; empty = no restriction beyond group and key scope.
	TestModels []string `yaml:"test_models"`
	// TestBudget is one budget shared by all the project's test keys.
	TestBudget *BudgetSpec `yaml:"test_budget"`
	// MaxJobs caps the project's generation jobs in flight (0: no cap).
	MaxJobs int `yaml:"max_jobs"`
}

// BudgetSpec is a spending limit per period.
type BudgetSpec struct {
	LimitUSD float64 `yaml:"limit_usd"`
	Period   string  `yaml:"period"`
}

// ChannelSpec declares an upstream channel.
type ChannelSpec struct {
	Name      string            `yaml:"name"`
	Type      string            `yaml:"type"`
	BaseURL   string            `yaml:"base_url"`
	APIKey    string            `yaml:"api_key"`
	APIKeyEnv string            `yaml:"api_key_env"`
	Models    []string          `yaml:"models"`
	ModelMap  map[string]string `yaml:"model_map"`
	Groups    []string          `yaml:"groups"`
	Priority  int               `yaml:"priority"`
	Weight    int               `yaml:"weight"`
	Disabled  bool              `yaml:"disabled"`
	// Timeouts bound each call ("10s", "2m"); unset means no bound beyond
	// the gateway's upstream timeout.
	Timeouts struct {
		Connect   time.Duration `yaml:"connect"`
		FirstByte time.Duration `yaml:"first_byte"`
		Idle      time.Duration `yaml:"idle"`
	} `yaml:"timeouts"`
	// MaxConcurrency caps concurrent calls to this channel per instance;
	// a call over the cap moves on to the next channel (0: no cap).
	MaxConcurrency int `yaml:"max_concurrency"`
	// MaxJobs caps this channel's generation jobs in flight, all instances
	// together (0: no cap).
	MaxJobs int `yaml:"max_jobs"`
	// APIVersion is an azure channel's api-version (e.g. 2024-10-21; unset:
	// the adapter's default). Its model_map maps models to deployments.
	APIVersion string `yaml:"api_version"`
	// AllowPrivate lets base_url be a link-local address or a cloud
	// metadata service (refused by default: CheckChannelHost). Loopback
	// and private ranges need no such flag.
	AllowPrivate bool `yaml:"allow_private"`
	// MaxAttempts bounds the channels one call tries when this one is
	// first; BreakerFailures and BreakerCooldown tune its breaker (0: the
	// gateway's defaults: 3 attempts, 3 consecutive failures, 30s).
	MaxAttempts     int           `yaml:"max_attempts"`
	BreakerFailures int           `yaml:"breaker_failures"`
	BreakerCooldown time.Duration `yaml:"breaker_cooldown"`
}

// ModelSpec declares a catalogue model and its prices (USD).
type ModelSpec struct {
	Name           string   `yaml:"name"`
	Aliases        []string `yaml:"aliases"`
	InputPerMTok   float64  `yaml:"input_per_mtok"`
	OutputPerMTok  float64  `yaml:"output_per_mtok"`
	PerImage       float64  `yaml:"per_image"`
	PerVideoSecond float64  `yaml:"per_video_second"`
	// ImagePrices refine per_image by "SIZE/QUALITY", "SIZE" or "QUALITY";
	// VideoPrices refine per_video_second by size.
	ImagePrices map[string]float64 `yaml:"image_prices"`
	VideoPrices map[string]float64 `yaml:"video_second_prices"`
	MaxOutput   int                `yaml:"max_output_tokens"`
	// CachedInputPerMTok prices prompt tokens the provider reads from its
	// cache, CacheWritePerMTok those it writes to it (Anthropic's cache
	// creation); unset, both cost input_per_mtok.
	CachedInputPerMTok float64 `yaml:"cached_input_per_mtok"`
	CacheWritePerMTok  float64 `yaml:"cache_write_per_mtok"`
}

// ChannelTypes are the provider types a channel may have (the provider
// registry's).
var ChannelTypes = registry.Names()

// LoadFile reads and validates a YAML configuration file.
func LoadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read KEYGATE_CONFIG: %w", err)
	}
	return ParseFile(b, path)
}

// ParseFile parses and validates YAML; unknown fields are errors so a typo
// is reported rather than silently ignored.
func ParseFile(b []byte, name string) (*File, error) {
	var f File
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	if err := f.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &f, nil
}

// Validate checks references and required fields, naming each problem.
func (f *File) Validate() error {
	var errs []error
	groups := map[string]bool{}
	for i, g := range f.Groups {
		if g.Name == "" {
			errs = append(errs, fmt.Errorf("groups[%d]: name is required", i))
		}
		if groups[g.Name] {
			errs = append(errs, fmt.Errorf("groups[%d]: duplicate group %q", i, g.Name))
		}
		groups[g.Name] = true
		if g.RPM < 0 || g.TPM < 0 || g.Concurrency < 0 {
			errs = append(errs, fmt.Errorf("groups[%d] %s: rpm, tpm and concurrency must not be negative (0 = no limit)", i, g.Name))
		}
	}
	for i, p := range f.Projects {
		if p.Name == "" {
			errs = append(errs, fmt.Errorf("projects[%d]: name is required", i))
		}
		if p.Budget != nil && !ledger.ValidPeriod(p.Budget.Period) {
			errs = append(errs, fmt.Errorf("projects[%d] %s: budget.period %q must be daily, monthly or total", i, p.Name, p.Budget.Period))
		}
		if p.TestBudget != nil && !ledger.ValidPeriod(p.TestBudget.Period) {
			errs = append(errs, fmt.Errorf("projects[%d] %s: test_budget.period %q must be daily, monthly or total", i, p.Name, p.TestBudget.Period))
		}
		if (p.Budget != nil && p.Budget.LimitUSD < 0) || (p.TestBudget != nil && p.TestBudget.LimitUSD < 0) {
			errs = append(errs, fmt.Errorf("projects[%d] %s: budget limit_usd must not be negative", i, p.Name))
		}
		for j, m := range p.TestModels {
			if strings.TrimSpace(m) == "" {
				errs = append(errs, fmt.Errorf("projects[%d] %s: test_models[%d] is empty; list catalogue model names", i, p.Name, j))
			}
		}
	}
	models := map[string]bool{}
	for i, m := range f.Models {
		if m.Name == "" {
			errs = append(errs, fmt.Errorf("models[%d]: name is required", i))
		}
		if m.InputPerMTok < 0 || m.OutputPerMTok < 0 || m.CachedInputPerMTok < 0 || m.CacheWritePerMTok < 0 || m.PerImage < 0 || m.PerVideoSecond < 0 {
			errs = append(errs, fmt.Errorf("models[%d] %s: prices must not be negative", i, m.Name))
		}
		for k, v := range m.ImagePrices {
			if v < 0 || k == "" {
				errs = append(errs, fmt.Errorf("models[%d] %s: image_prices[%q] must be a non-negative price under a size, a quality or size/quality", i, m.Name, k))
			}
		}
		for k, v := range m.VideoPrices {
			if v < 0 || k == "" {
				errs = append(errs, fmt.Errorf("models[%d] %s: video_second_prices[%q] must be a non-negative price under a size", i, m.Name, k))
			}
		}
		models[m.Name] = true
	}
	chans := map[string]bool{}
	for i, c := range f.Channels {
		where := fmt.Sprintf("channels[%d] %s", i, c.Name)
		if c.Name == "" {
			errs = append(errs, fmt.Errorf("channels[%d]: name is required", i))
		}
		if chans[c.Name] {
			errs = append(errs, fmt.Errorf("%s: duplicate channel name", where))
		}
		chans[c.Name] = true
		if t, ok := registry.Lookup(c.Type); !ok || c.Type == "" {
			errs = append(errs, fmt.Errorf("%s: type %q is not supported (supported: %s)", where, c.Type, strings.Join(ChannelTypes, ", ")))
		} else if _, err := t.BaseURL(c.BaseURL); err != nil {
			dflt := ""
			if t.DefaultBaseURL != "" {
				dflt = " (omit base_url for " + t.DefaultBaseURL + ")"
			}
			errs = append(errs, fmt.Errorf("%s: %v; a %s channel takes %s%s", where, err, t.Name, t.Expects, dflt))
		} else if err := CheckChannelHost(c.BaseURL, c.AllowPrivate); err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", where, err))
		}
		if c.APIKey != "" && c.APIKeyEnv != "" {
			errs = append(errs, fmt.Errorf("%s: set api_key or api_key_env, not both", where))
		}
		if c.MaxAttempts < 0 || c.BreakerFailures < 0 || c.BreakerCooldown < 0 {
			errs = append(errs, fmt.Errorf("%s: max_attempts, breaker_failures and breaker_cooldown must not be negative", where))
		}
		if c.APIVersion != "" && c.Type != "azure" {
			errs = append(errs, fmt.Errorf("%s: api_version is for azure channels only", where))
		}
		if len(c.Models) == 0 {
			errs = append(errs, fmt.Errorf("%s: models is empty; list the models this channel serves", where))
		}
		if c.Timeouts.Connect < 0 || c.Timeouts.FirstByte < 0 || c.Timeouts.Idle < 0 || c.MaxConcurrency < 0 {
			errs = append(errs, fmt.Errorf("%s: timeouts and max_concurrency must not be negative", where))
		}
		for _, g := range c.Groups {
			if len(f.Groups) > 0 && !groups[g] {
				errs = append(errs, fmt.Errorf("%s: group %q is not declared under groups", where, g))
			}
		}
	}
	return errors.Join(errs...)
}
