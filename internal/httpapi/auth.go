package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/credential"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/store"
)

// authenticate finds the caller's key. Format problems are decided from the
// presented string alone; a state (disabled, rotated…) is revealed only after
// the presented key matched a stored digest, and known and unknown keys cost
// the same: one hash and one map lookup.
func (s *Server) authenticate(r *http.Request, sc *Scope, kind credential.Kind) error {
	var q url.Values
	if r.URL.RawQuery != "" {
		q = r.URL.Query()
	}
	key, p := credential.Extract(r.Header, q, kind)
	if p != nil {
		sc.Log.KeyDisplay = p.Presented
		return &apierr.Error{Code: apierr.Code(p.Code), Message: p.Message, Hint: p.Hint}
	}
	e, ok := s.Catalog.Keys().Get(keys.Hash(key))
	if !ok {
		sc.Log.KeyDisplay = keys.Display(key)
		return apierr.New(apierr.InvalidAPIKey,
			fmt.Sprintf("The key %s is well-formed but this gateway did not issue it.", keys.Display(key)),
			"Check that you are calling the right gateway (base URL) with a key it issued; ask its owner for a key if needed.")
	}
	sc.Key = e
	sc.Log.KeyID, sc.Log.KeyDisplay, sc.Log.KeyEnv = e.ID, e.Display, e.Env
	sc.Log.Project, sc.Log.Group, sc.Log.Member = e.Project, e.Group, e.Member
	if err := s.checkKeyState(e); err != nil {
		return err
	}
	if s.MaxKeyStaleness > 0 {
		if stale := s.Catalog.StaleFor(); stale > s.MaxKeyStaleness {
			return apierr.New(apierr.ServiceUnavailable,
				fmt.Sprintf("The gateway has not been able to confirm keys with its database for %s (the limit is %s), so it no longer trusts its cached copy.",
					stale.Round(time.Second), s.MaxKeyStaleness),
				"Retry later. Operators: the database is unreachable; check GET /readyz and the database itself.")
		}
	}
	if len(e.IPs) > 0 {
		addr := s.clientAddr(r)
		if !e.AllowsIP(addr) {
			return apierr.New(apierr.IPNotAllowed,
				fmt.Sprintf("Key %s may not be used from %s: the address is outside its allowed networks.", e.Display, addr),
				"Call from an allowed network, or ask the key's owner to add this address to allowed_ips.")
		}
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Server) checkKeyState(e *catalog.KeyEntry) error {
	now := s.Now()
	switch e.State {
	case store.KeyActive:
	case store.KeyDisabled:
		msg := fmt.Sprintf("Key %s was disabled at %s", e.Display, stamp(e.StateAt))
		if e.StateReason != "" {
			msg += " (reason: " + e.StateReason + ")"
		}
		if e.ReplacedBy != "" {
			// Rotated after it was disabled (the leak path): name the
			// replacement's display form so the client knows what to ask for.
			repl := e.ReplacedBy
			if r, ok := s.Catalog.Keys().ByID(e.ReplacedBy); ok {
				repl = r.Display + " (" + r.ID + ")"
			}
			msg += ". It was replaced by " + repl
		}
		return apierr.New(apierr.KeyDisabled, msg+".",
			"Ask the key's owner whether it should be re-enabled or replaced; if it leaked, use the replacement key.")
	case store.KeyRotated:
		if now.Before(e.GraceUntil) {
			break // still inside its grace window
		}
		repl := e.ReplacedBy
		if r, ok := s.Catalog.Keys().ByID(e.ReplacedBy); ok {
			repl = r.Display + " (" + r.ID + ")"
		}
		return apierr.New(apierr.KeyRotated,
			fmt.Sprintf("Key %s was rotated; its grace period ended at %s. The replacement is %s.", e.Display, stamp(e.GraceUntil), repl),
			"Update this client's configuration to the replacement key (its owner has it).")
	case store.KeyExpired:
		return apierr.New(apierr.KeyExpired, fmt.Sprintf("Key %s expired at %s.", e.Display, stamp(e.ExpiresAt)),
			"Ask the key's owner for a new key or a later expiry.")
	case store.KeyDeleted:
		return apierr.New(apierr.InvalidAPIKey, fmt.Sprintf("Key %s was deleted at %s.", e.Display, stamp(e.StateAt)),
			"Ask the project's owner for a current key.")
	default:
		return apierr.New(apierr.InvalidAPIKey, fmt.Sprintf("Key %s is in state %q and cannot be used.", e.Display, e.State), "")
	}
	if !e.ExpiresAt.IsZero() && !now.Before(e.ExpiresAt) {
		return apierr.New(apierr.KeyExpired, fmt.Sprintf("Key %s expired at %s.", e.Display, stamp(e.ExpiresAt)),
			"Ask the key's owner for a new key or a later expiry.")
	}
	return nil
}

// authorizeModel resolves a model name for the key and returns the channels
// that may serve it.
func (s *Server) authorizeModel(sc *Scope, name string) (*catalog.Model, *catalog.Group, []*catalog.Channel, error) {
	snap := s.Catalog.Snapshot()
	m, ok := snap.Model(name)
	if !ok {
		return nil, nil, nil, modelNotFound(snap, name)
	}
	e := sc.Key
	g := snap.Groups[e.Group]
	if g == nil || !g.Allows(m.Name) {
		return nil, nil, nil, apierr.New(apierr.ModelNotAllowed,
			fmt.Sprintf("Model %q is not available to key %s: its group %q does not include the model (the key's own scope is not the cause).%s",
				m.Name, e.Display, e.Group, mayUse(snap, e)),
			fmt.Sprintf("GET /v1/models lists the models this key may use; to use %q, ask the gateway operator to add it to group %q or to give you a key in a group that has it.", m.Name, e.Group))
	}
	if !e.AllowsModel(m.Name) && !e.AllowsModel(name) {
		return nil, nil, nil, apierr.New(apierr.ModelNotAllowed,
			fmt.Sprintf("Model %q is outside the model scope of key %s: its group %q allows the model, but the key's own allow-list does not.%s",
				m.Name, e.Display, e.Group, mayUse(snap, e)),
			fmt.Sprintf("GET /v1/models lists the models this key may use; to use %q, ask the key's owner to add it to the key's models scope.", m.Name))
	}
	if !testKeyAllows(snap, e, m.Name) && !testKeyAllows(snap, e, name) {
		return nil, nil, nil, apierr.New(apierr.ModelNotAllowed,
			fmt.Sprintf("Model %q is not available to test key %s: project %q restricts its test keys (kg_test_) to the models %s; the key's group and own scope allow the model.%s",
				m.Name, e.Display, e.Project, strings.Join(snap.Projects[e.Project].TestModels, ", "), mayUse(snap, e)),
			fmt.Sprintf("GET /v1/models lists the models this key may use; to use %q, use a live key, or ask an owner or admin to add it to project %q's test_models.", m.Name, e.Project))
	}
	chs := snap.ChannelsFor(m.Name, e.Group)
	if len(chs) == 0 {
		return nil, nil, nil, apierr.New(apierr.UpstreamUnavailable,
			fmt.Sprintf("No channel serves model %q for group %q.", m.Name, e.Group),
			"Ask the gateway operator to add a channel for this model to your group.")
	}
	return m, g, chs, nil
}

func modelNotFound(snap *catalog.Snapshot, name string) error {
	msg := fmt.Sprintf("Model %q is not in this gateway's catalogue.", name)
	if base, date := splitDated(name); date != "" {
		if m, ok := snap.Model(base); ok {
			msg += fmt.Sprintf(" It serves %q, but not the dated version %s", m.Name, date)
			if d := datedAliases(m); len(d) > 0 {
				msg += "; dated names it knows: " + quoteList(d)
			}
			msg += "."
			e := apierr.New(apierr.ModelNotFound, msg, fmt.Sprintf("Use \"model\": %q; GET /v1/models lists the models your key may use.", m.Name))
			e.Param = "model"
			return e
		}
	}
	// Suggest from canonical names and aliases, shown as canonical names.
	cands := make([]string, 0, len(snap.Models))
	for n := range snap.Models {
		cands = append(cands, n)
	}
	sort.Strings(cands)
	var out []string
	seen := map[string]bool{}
	for _, c := range suggest(name, cands, 6) {
		m, _ := snap.Model(c)
		if m == nil || seen[m.Name] {
			continue
		}
		seen[m.Name] = true
		s := strconv.Quote(m.Name)
		if d := datedAliases(m); len(d) > 0 {
			s += " (dated alias " + strings.Join(d, ", ") + ")"
		}
		out = append(out, s)
		if len(out) == 3 {
			break
		}
	}
	if len(out) > 0 {
		msg += " Did you mean " + strings.Join(out, " or ") + "?"
	}
	e := apierr.New(apierr.ModelNotFound, msg, "GET /v1/models lists the models your key may use; model names are case-sensitive.")
	e.Param = "model"
	return e
}

// splitDated splits a dated model name into its base and date:
// "gpt-4o-2024-08-06", "claude-3-5-sonnet-20241022" and "gpt-4-0613".
func splitDated(name string) (base, date string) {
	isDigits := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		}
		return s != ""
	}
	if n := len(name); n > 11 && name[n-11] == '-' && name[n-6] == '-' && name[n-3] == '-' &&
		isDigits(name[n-10:n-6]) && isDigits(name[n-5:n-3]) && isDigits(name[n-2:]) {
		return name[:n-11], name[n-10:]
	}
	if i := strings.LastIndexByte(name, '-'); i > 0 && isDigits(name[i+1:]) && (len(name)-i-1 == 8 || len(name)-i-1 == 4) {
		return name[:i], name[i+1:]
	}
	return "", ""
}

// datedAliases returns the aliases of m that are dated versions.
func datedAliases(m *catalog.Model) []string {
	var out []string
	for _, a := range m.Aliases {
		if _, d := splitDated(a); d != "" {
			out = append(out, a)
		}
	}
	return out
}

// envTest is the environment of kg_test_ keys.
const envTest = "test"

// testKeyAllows reports whether key e may use model name as far as its
// project's restriction of test keys goes (live keys are not restricted).
func testKeyAllows(snap *catalog.Snapshot, e *catalog.KeyEntry, name string) bool {
	return e.Env != envTest || snap.TestKeysAllow(e.Project, name)
}

// mayUse lists (some of) the models key e may use, for model_not_allowed.
func mayUse(snap *catalog.Snapshot, e *catalog.KeyEntry) string {
	g := snap.Groups[e.Group]
	var ok []string
	for _, n := range snap.Names {
		if g != nil && g.Allows(n) && e.AllowsModel(n) && testKeyAllows(snap, e, n) && len(snap.ChannelsFor(n, e.Group)) > 0 {
			ok = append(ok, n)
		}
	}
	switch {
	case len(ok) == 0:
		return " This key may use no model at all."
	case len(ok) > 8:
		return fmt.Sprintf(" It may use %s and %d more.", strings.Join(ok[:8], ", "), len(ok)-8)
	}
	return " It may use " + strings.Join(ok, ", ") + "."
}
