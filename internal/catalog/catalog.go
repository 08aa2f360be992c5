// Package catalog keeps what the hot path reads — keys, groups, models,
// channels — in memory, so a steady-state request never waits on the
// database. Snapshots are replaced whole (readers never lock for the small
// tables); keys live in a map by digest, updated in place by version.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"github.com/keygate/keygate/internal/provider/registry"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keygate/keygate/internal/pricing"
	"github.com/keygate/keygate/internal/secretbox"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/usage"
)

// Model is a catalogue model. Its prices are the operator's own when it
// declares any, else the built-in price catalogue's (internal/pricing);
// PriceSource says which, and Priced is false when neither has one — the
// model is served but costs nothing, which start-up and the admin API say.
type Model struct {
	store.Model
	Priced      bool
	PriceSource string // "operator", "catalogue YYYY-MM-DD", or "" when unpriced
}

// Prices are the model's token prices, for billing.
func (m *Model) Prices() usage.Prices {
	return usage.Prices{InputPerMTok: m.InputPerMTok, OutputPerMTok: m.OutputPerMTok,
		CachedInputPerMTok: m.CachedInputPerMTok, CacheWritePerMTok: m.CacheWritePerMTok}
}

// DisabledByGateway starts the DisabledReason of a channel the gateway
// disabled (an upstream refused its credential). Such a channel stays in
// the catalogue, disabled on every instance, until an operator enables it.
const DisabledByGateway = "disabled by the gateway: "

// Price sources of a catalogue model.
const PriceOperator = "operator"

// hasOwnPrice reports whether the operator declared any price for m. An
// operator's prices are taken whole: a cached-input price the operator did
// not declare is the input price, never the built-in catalogue's.
func hasOwnPrice(m *store.Model) bool {
	return m.InputPerMTok > 0 || m.OutputPerMTok > 0 || m.CachedInputPerMTok > 0 || m.CacheWritePerMTok > 0 ||
		m.PerImage > 0 || m.PerVideoSecond > 0
}

// price fills an unpriced model from the built-in catalogue, by its name
// or one of its aliases.
func (c *Catalog) price(m *Model) {
	if hasOwnPrice(&m.Model) {
		m.Priced, m.PriceSource = true, PriceOperator
		return
	}
	for _, n := range append([]string{m.Name}, m.Aliases...) {
		if e, ok := c.prices.Lookup(n); ok {
			m.InputPerMTok, m.OutputPerMTok = e.InputPerMTok, e.OutputPerMTok
			m.CachedInputPerMTok, m.CacheWritePerMTok = e.CachedInputPerMTok, e.CacheWritePerMTok
			m.PerImage, m.PerVideoSecond = e.PerImage, e.PerVideoSecond
			m.Priced, m.PriceSource = true, "catalogue "+c.prices.Date
			return
		}
	}
}

// Unpriced returns the canonical names of the models with no price from
// the operator or the built-in catalogue, sorted.
func (s *Snapshot) Unpriced() []string {
	var out []string
	for _, n := range s.Names {
		if m := s.Models[n]; m != nil && !m.Priced {
			out = append(out, n)
		}
	}
	return out
}

// Group is a group with its model set ready for lookups.
type Group struct {
	store.Group
	all    bool
	models map[string]bool
}

// Allows reports whether the group gives access to model name.
func (g *Group) Allows(name string) bool { return g.all || g.models[name] }

// Channel is an upstream channel ready to call.
type Channel struct {
	store.Channel
	APIKey string   // opened credential; never logged
	URL    *url.URL // parsed base URL
	groups map[string]bool
	// opened, when set, is told (asynchronously) that this channel's
	// breaker just opened, so other instances can open theirs.
	opened func(name string, until time.Time)
	// hp is the breaker and statistics (health.go), kept across reloads
	// while the channel's definition is unchanged; created on first use.
	hp atomic.Pointer[health]
}

// Serves reports whether the channel serves model for group.
func (c *Channel) Serves(group string) bool { return len(c.groups) == 0 || c.groups[group] }

// UpstreamModel maps a catalogue name to the channel's own name.
func (c *Channel) UpstreamModel(name string) string {
	if m, ok := c.ModelMap[name]; ok && m != "" {
		return m
	}
	return name
}

// Snapshot is an immutable view of groups, models, channels, projects and
// members with budgets.
type Snapshot struct {
	Groups   map[string]*Group
	Models   map[string]*Model // by name and alias
	Names    []string          // canonical model names, sorted
	Channels []*Channel
	Projects map[string]*store.Project // by name, for project budgets
	// Members holds the members with a budget, by id; a key's owner is
	// looked up here at admission.
	Members map[string]*Member
	byModel map[string][]*Channel
	// testModels holds, per project that restricts its test keys, the
	// models they may use.
	testModels map[string]map[string]bool
}

// TestKeysAllow reports whether the test keys of project may use model
// (a canonical name or alias): true when the project does not restrict
// them.
func (s *Snapshot) TestKeysAllow(project, model string) bool {
	set, restricted := s.testModels[project]
	return !restricted || set[model]
}

// Member is what admission needs of a member with a budget.
type Member struct {
	ID           string
	Email        string
	BudgetUSD    float64
	BudgetPeriod string
}

// Model resolves a name or alias.
func (s *Snapshot) Model(name string) (*Model, bool) {
	m, ok := s.Models[name]
	return m, ok
}

// ChannelsFor returns the channels that serve model (canonical name) for a
// group, healthy first, by priority (higher first).
func (s *Snapshot) ChannelsFor(model, group string) []*Channel {
	all := s.byModel[model]
	n := 0
	for _, c := range all {
		if c.Serves(group) {
			n++
		}
	}
	if n == len(all) {
		return all // the common case, with no allocation; callers must not modify it
	}
	out := make([]*Channel, 0, n)
	for _, c := range all {
		if c.Serves(group) {
			out = append(out, c)
		}
	}
	return out
}

// Catalog is the in-memory view, refreshed from the store.
type Catalog struct {
	st      store.Store
	box     *secretbox.Box
	prices  *pricing.Catalogue
	log     *slog.Logger
	getenv  func(string) string
	snap    atomic.Pointer[Snapshot]
	keys    *KeyCache
	refresh time.Duration
	lastKey time.Time
	// staleSince (unix ns) is when key refreshes started failing; 0 = fresh.
	staleSince atomic.Int64
	refreshMu  sync.Mutex // guards lastKey
	reloadMu   sync.Mutex
	// breakerOpened, when set, hears of each breaker that opens on this
	// instance (app publishes it as a change event). Set before serving.
	breakerOpened atomic.Pointer[func(name string, until time.Time)]
}

// OnBreakerOpen sets the function told of each breaker that opens here.
func (c *Catalog) OnBreakerOpen(fn func(name string, until time.Time)) {
	c.breakerOpened.Store(&fn)
}

func (c *Catalog) tellBreakerOpened(name string, until time.Time) {
	if fn := c.breakerOpened.Load(); fn != nil {
		go (*fn)(name, until)
	}
}

// OpenBreaker opens the breaker of a channel here because it opened on
// another instance, until the same time; an open breaker that ends later
// is left as it is.
func (c *Catalog) OpenBreaker(name string, until time.Time) {
	for _, ch := range c.Snapshot().Channels {
		if ch.Name == name {
			ch.openUntil(until)
		}
	}
}

// New builds a catalog and loads everything once.
func New(ctx context.Context, st store.Store, box *secretbox.Box, log *slog.Logger, refresh time.Duration) (*Catalog, error) {
	c := &Catalog{st: st, box: box, prices: pricing.Builtin(), log: log, getenv: os.Getenv, keys: NewKeyCache(), refresh: refresh}
	if err := c.Reload(ctx); err != nil {
		return nil, err
	}
	start := time.Now()
	keys, err := st.KeysChangedSince(ctx, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("load keys: %w", err)
	}
	for i := range keys {
		c.keys.Put(&keys[i])
	}
	c.lastKey = start
	log.Debug("catalog loaded", "keys", len(keys), "took", time.Since(start))
	return c, nil
}

// Snapshot returns the current view.
func (c *Catalog) Snapshot() *Snapshot { return c.snap.Load() }

// Keys returns the key cache.
func (c *Catalog) Keys() *KeyCache { return c.keys }

// Reload rebuilds the groups/models/channels/projects/members snapshot
// from the store.
// Channel health carries over for channels whose definition did not change.
func (c *Catalog) Reload(ctx context.Context) error {
	// Reloads run from the refresh loop and from change events: one at a
	// time, so an older snapshot can never replace a newer one.
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	groups, err := c.st.ListGroups(ctx)
	if err != nil {
		return err
	}
	models, err := c.st.ListModels(ctx)
	if err != nil {
		return err
	}
	chans, err := c.st.ListChannels(ctx)
	if err != nil {
		return err
	}
	projects, err := c.st.ListProjects(ctx)
	if err != nil {
		return err
	}
	members, err := c.st.ListMembers(ctx)
	if err != nil {
		return err
	}
	old := c.snap.Load()
	s := &Snapshot{Groups: map[string]*Group{}, Models: map[string]*Model{}, byModel: map[string][]*Channel{},
		Projects: make(map[string]*store.Project, len(projects))}
	for i := range projects {
		p := &projects[i]
		s.Projects[p.Name] = p
		if len(p.TestModels) > 0 {
			if s.testModels == nil {
				s.testModels = map[string]map[string]bool{}
			}
			set := make(map[string]bool, len(p.TestModels))
			for _, m := range p.TestModels {
				set[m] = true
			}
			s.testModels[p.Name] = set
		}
	}
	for _, m := range members {
		if m.BudgetUSD > 0 {
			if s.Members == nil {
				s.Members = map[string]*Member{}
			}
			s.Members[m.ID] = &Member{ID: m.ID, Email: m.Email, BudgetUSD: m.BudgetUSD, BudgetPeriod: m.BudgetPeriod}
		}
	}
	for _, g := range groups {
		gg := &Group{Group: g, models: map[string]bool{}}
		for _, m := range g.Models {
			if m == "*" {
				gg.all = true
			}
			gg.models[m] = true
		}
		s.Groups[g.Name] = gg
	}
	for _, m := range models {
		mm := &Model{Model: m}
		c.price(mm)
		s.Models[m.Name] = mm
		s.Names = append(s.Names, m.Name)
	}
	for _, m := range models { // aliases never shadow a canonical name
		for _, a := range m.Aliases {
			if _, taken := s.Models[a]; !taken {
				s.Models[a] = s.Models[m.Name]
			}
		}
	}
	for _, set := range s.testModels { // an alias listed allows its model
		for n := range set {
			if m := s.Models[n]; m != nil {
				set[m.Name] = true
			}
		}
	}
	var idle []string // models of channels out of rotation: still known, so a call learns why it fails
	for _, ch := range chans {
		byGateway := !ch.Enabled && strings.HasPrefix(ch.DisabledReason, DisabledByGateway)
		if !ch.Enabled && !byGateway {
			idle = append(idle, ch.Models...)
			continue
		}
		cc := &Channel{Channel: ch, groups: map[string]bool{}, opened: c.tellBreakerOpened}
		u, err := channelURL(ch.Type, ch.BaseURL)
		if err != nil {
			c.log.Error("channel has an invalid base_url; skipped", "channel", ch.Name, "err", err)
			continue
		}
		if ch.Type == "azure" && ch.APIVersion != "" {
			// The azure adapter reads its api-version from the base URL.
			q := u.Query()
			q.Set("api-version", ch.APIVersion)
			u.RawQuery = q.Encode()
		}
		cc.URL = u
		k, err := c.OpenCredential(ch)
		if err != nil {
			c.log.Error("cannot open channel credential; skipped", "channel", ch.Name, "err", err)
			continue
		}
		if k == "" && ch.APIKeyEnv != "" {
			c.log.Warn("channel credential variable is not set; upstream calls will go without a credential", "channel", ch.Name, "env", ch.APIKeyEnv)
		}
		cc.APIKey = k
		for _, g := range ch.Groups {
			cc.groups[g] = true
		}
		if byGateway {
			// Disabled on some instance because the upstream refused the
			// credential: every instance holds it disabled, saying why.
			cc.hp.Store(&health{disabled: true, lastErr: strings.TrimPrefix(ch.DisabledReason, DisabledByGateway), lastErrAt: ch.UpdatedAt})
		} else if old != nil {
			for _, prev := range old.Channels {
				if prev.Name == ch.Name && prev.UpdatedAt.Equal(ch.UpdatedAt) {
					cc.hp.Store(prev.h())
				}
			}
		}
		s.Channels = append(s.Channels, cc)
		for _, m := range ch.Models {
			s.byModel[m] = append(s.byModel[m], cc)
			if _, known := s.Models[m]; !known {
				// A channel may serve a model nobody declared: it is routable,
				// priced from the built-in catalogue when it is listed there,
				// and costs 0 (said at start-up and in /admin/v1/models) when not.
				mm := &Model{Model: store.Model{Name: m}}
				c.price(mm)
				s.Models[m] = mm
				s.Names = append(s.Names, m)
			}
		}
	}
	for _, m := range idle {
		if _, known := s.Models[m]; !known {
			mm := &Model{Model: store.Model{Name: m}}
			c.price(mm)
			s.Models[m] = mm
			s.Names = append(s.Names, m)
		}
	}
	for _, list := range s.byModel {
		sort.SliceStable(list, func(i, j int) bool { return list[i].Priority > list[j].Priority })
	}
	sort.Strings(s.Names)
	s.Names = compact(s.Names)
	c.snap.Store(s)
	return nil
}

// OpenCredential returns a channel's credential: read from its variable,
// or opened with the secret key ("" when it has none).
func (c *Catalog) OpenCredential(ch store.Channel) (string, error) {
	switch {
	case ch.APIKeyEnv != "":
		return c.getenv(ch.APIKeyEnv), nil
	case ch.APIKeySealed != "":
		if c.box == nil {
			return "", errors.New("the credential is sealed but no secret key (KEYGATE_SECRET_KEY) is configured")
		}
		k, err := c.box.Open(ch.APIKeySealed)
		if err != nil {
			return "", fmt.Errorf("open the sealed credential: %w", err)
		}
		return k, nil
	}
	return "", nil
}

func compact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// RefreshKeys re-reads keys changed since the last refresh (with overlap, so
// a write committed during the previous read is not missed).
func (c *Catalog) RefreshKeys(ctx context.Context) error {
	c.refreshMu.Lock() // the refresh loop and change events both call this
	defer c.refreshMu.Unlock()
	start := time.Now()
	keys, err := c.st.KeysChangedSince(ctx, c.lastKey.Add(-2*time.Second))
	if err != nil {
		return err
	}
	for i := range keys {
		c.keys.Put(&keys[i])
	}
	c.lastKey = start
	return nil
}

// ApplyKey re-reads one key from the store, after a change event from
// another instance. The cache's version check keeps a slower concurrent
// read from bringing an older state back.
func (c *Catalog) ApplyKey(ctx context.Context, id string) error {
	k, err := c.st.GetKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("re-read key %s: %w", id, err)
	}
	c.keys.Put(&k)
	return nil
}

// Run refreshes the catalog on an interval until ctx ends: the safety net
// behind direct invalidation.
func (c *Catalog) Run(ctx context.Context) {
	t := time.NewTicker(c.refresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.RefreshKeys(ctx); err != nil && ctx.Err() == nil {
				c.staleSince.CompareAndSwap(0, time.Now().UnixNano())
				c.log.Warn("refresh keys from the store failed; serving cached keys", "err", err,
					"stale_for", c.StaleFor().Round(time.Second))
			} else if err == nil && c.staleSince.Swap(0) != 0 {
				c.log.Info("key refresh from the store works again")
			}
			if err := c.Reload(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("refresh catalog from the store failed; serving cached catalog", "err", err)
			}
		}
	}
}

// StaleFor is how long key refreshes have been failing (0 when the last one
// worked). Authentication uses it to bound how long cached keys are trusted
// while the store is unreachable.
func (c *Catalog) StaleFor() time.Duration {
	ss := c.staleSince.Load()
	if ss == 0 {
		return 0
	}
	return time.Duration(time.Now().UnixNano() - ss)
}

// KeyEntry is an immutable cached key with its scopes parsed.
type KeyEntry struct {
	store.Key
	IPs    []netip.Prefix
	models map[string]bool
}

// AllowsModel reports whether the key's own scope includes model (an empty
// scope allows everything its group allows).
func (k *KeyEntry) AllowsModel(name string) bool { return len(k.models) == 0 || k.models[name] }

// AllowsIP reports whether addr is inside the key's allowed networks.
func (k *KeyEntry) AllowsIP(addr netip.Addr) bool {
	if len(k.IPs) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, p := range k.IPs {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// KeyCache maps key digests to entries.
type KeyCache struct {
	mu     sync.RWMutex
	byHash map[[32]byte]*KeyEntry
	byID   map[string][32]byte
}

// NewKeyCache returns an empty cache.
func NewKeyCache() *KeyCache {
	return &KeyCache{byHash: map[[32]byte]*KeyEntry{}, byID: map[string][32]byte{}}
}

// Get returns the entry for a digest.
func (kc *KeyCache) Get(h [32]byte) (*KeyEntry, bool) {
	kc.mu.RLock()
	e, ok := kc.byHash[h]
	kc.mu.RUnlock()
	return e, ok
}

// Put stores k unless the cache already holds a newer version, so a slow
// read can never resurrect a state that an invalidation replaced.
func (kc *KeyCache) Put(k *store.Key) {
	h, ok := decodeHash(k.Hash)
	if !ok {
		return
	}
	e := &KeyEntry{Key: *k}
	if len(k.Models) > 0 {
		e.models = make(map[string]bool, len(k.Models))
		for _, m := range k.Models {
			e.models[m] = true
		}
	}
	for _, s := range k.AllowedIPs {
		if p, err := netip.ParsePrefix(s); err == nil {
			e.IPs = append(e.IPs, p)
		} else if a, err := netip.ParseAddr(s); err == nil {
			e.IPs = append(e.IPs, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	kc.mu.Lock()
	if cur, ok := kc.byHash[h]; !ok || cur.Version <= k.Version {
		kc.byHash[h] = e
		kc.byID[k.ID] = h
	}
	kc.mu.Unlock()
}

// ByID returns the cached entry of a key id.
func (kc *KeyCache) ByID(id string) (*KeyEntry, bool) {
	kc.mu.RLock()
	defer kc.mu.RUnlock()
	h, ok := kc.byID[id]
	if !ok {
		return nil, false
	}
	e, ok := kc.byHash[h]
	return e, ok
}

// Len returns how many keys are cached.
func (kc *KeyCache) Len() int {
	kc.mu.RLock()
	defer kc.mu.RUnlock()
	return len(kc.byHash)
}

func decodeHash(s string) ([32]byte, bool) {
	var h [32]byte
	if len(s) != 64 {
		return h, false
	}
	for i := 0; i < 32; i++ {
		hi, ok1 := unhex(s[2*i])
		lo, ok2 := unhex(s[2*i+1])
		if !ok1 || !ok2 {
			return h, false
		}
		h[i] = hi<<4 | lo
	}
	return h, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// channelURL is a channel's base URL completed as its type's vendor
// documents it (the registry's default when empty, the version path on a
// host-only URL).
func channelURL(typ, base string) (*url.URL, error) {
	t, ok := registry.Lookup(typ)
	if !ok {
		return url.Parse(strings.TrimRight(base, "/"))
	}
	return t.BaseURL(base)
}
