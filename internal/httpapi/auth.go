package httpapi

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/credential"
	"github.com/keygate/keygate/internal/i18n"
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
		return problemError(p)
	}
	e, ok := s.Catalog.Keys().Get(keys.Hash(key))
	if !ok {
		sc.Log.KeyDisplay = keys.Display(key)
		return apierr.T(apierr.InvalidAPIKey, i18n.M("auth.unknown_key", i18n.S("key", keys.Display(key))),
			i18n.M("auth.unknown_key.hint"))
	}
	sc.Key = e
	sc.Log.KeyID, sc.Log.KeyDisplay, sc.Log.KeyEnv = e.ID, e.Display, e.Env
	sc.Log.Project, sc.Log.Group, sc.Log.Member = e.Project, e.Group, e.Member
	if err := s.checkKeyState(e); err != nil {
		return err
	}
	if s.MaxKeyStaleness > 0 {
		if stale := s.Catalog.StaleFor(); stale > s.MaxKeyStaleness {
			return apierr.T(apierr.ServiceUnavailable,
				i18n.M("auth.stale", i18n.S("stale", stale.Round(time.Second).String()), i18n.S("limit", s.MaxKeyStaleness.String())),
				i18n.M("auth.stale.hint"))
		}
	}
	if len(e.IPs) > 0 {
		addr := s.clientAddr(r)
		if !e.AllowsIP(addr) {
			return apierr.T(apierr.IPNotAllowed,
				i18n.M("auth.ip_not_allowed", i18n.S("key", e.Display), i18n.S("addr", addr.String())),
				i18n.M("auth.ip_not_allowed.hint"))
		}
	}
	return nil
}

// problemError is the client error of an unusable credential.
func problemError(p *credential.Problem) *apierr.Error {
	return &apierr.Error{Code: apierr.Code(p.Code), Message: p.Message, Hint: p.Hint, Msg: p.Msg, HintMsg: p.HintMsg}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (s *Server) checkKeyState(e *catalog.KeyEntry) error {
	switch e.State {
	case store.KeyActive:
	case store.KeyDisabled:
		var reason, replaced i18n.Message
		if e.StateReason != "" {
			reason = i18n.M("auth.key_disabled.reason", i18n.S("reason", e.StateReason))
		}
		if e.ReplacedBy != "" {
			// Rotated after it was disabled (the leak path): name the
			// replacement's display form so the client knows what to ask for.
			repl := e.ReplacedBy
			if r, ok := s.Catalog.Keys().ByID(e.ReplacedBy); ok {
				repl = r.Display + " (" + r.ID + ")"
			}
			replaced = i18n.M("auth.key_disabled.replaced", i18n.S("replacement", repl))
		}
		return apierr.T(apierr.KeyDisabled,
			i18n.M("auth.key_disabled", i18n.S("key", e.Display), i18n.S("at", stamp(e.StateAt)),
				i18n.Sub("reason", reason), i18n.Sub("replaced", replaced)),
			i18n.M("auth.key_disabled.hint"))
	case store.KeyRotated:
		if s.Now().Before(e.GraceUntil) {
			break // still inside its grace window
		}
		repl := e.ReplacedBy
		if r, ok := s.Catalog.Keys().ByID(e.ReplacedBy); ok {
			repl = r.Display + " (" + r.ID + ")"
		}
		return apierr.T(apierr.KeyRotated,
			i18n.M("auth.key_rotated", i18n.S("key", e.Display), i18n.S("at", stamp(e.GraceUntil)), i18n.S("replacement", repl)),
			i18n.M("auth.key_rotated.hint"))
	case store.KeyExpired:
		return keyExpired(e)
	case store.KeyDeleted:
		return apierr.T(apierr.InvalidAPIKey, i18n.M("auth.key_deleted", i18n.S("key", e.Display), i18n.S("at", stamp(e.StateAt))),
			i18n.M("auth.key_deleted.hint"))
	default:
		return apierr.T(apierr.InvalidAPIKey, i18n.M("auth.key_state", i18n.S("key", e.Display), i18n.Q("state", string(e.State))), i18n.Message{})
	}
	if !e.ExpiresAt.IsZero() && !s.Now().Before(e.ExpiresAt) { // the clock is read only for a key that expires
		return keyExpired(e)
	}
	return nil
}

func keyExpired(e *catalog.KeyEntry) error {
	return apierr.T(apierr.KeyExpired, i18n.M("auth.key_expired", i18n.S("key", e.Display), i18n.S("at", stamp(e.ExpiresAt))),
		i18n.M("auth.key_expired.hint"))
}

// authorizeModel resolves a model name for the key and returns the channels
// that may serve it.
func (s *Server) authorizeModel(sc *Scope, name string) (*catalog.Model, *catalog.Group, []*catalog.Channel, error) {
	snap := s.Catalog.Snapshot()
	m, ok := snap.Model(name)
	if !ok {
		return nil, nil, nil, modelNotFound(snap, name)
	}
	sc.Log.Unpriced = !m.Priced // the row says its cost 0 is no price, not a free call
	e := sc.Key
	if len(e.RequestTypes) > 0 { // a key scoped by request type (images.go)
		if err := s.allowRequestType(sc, requestTypeOf(sc.Log.RequestType)); err != nil {
			return nil, nil, nil, err
		}
	}
	g := snap.Groups[e.Group]
	if g == nil || !g.Allows(m.Name) {
		return nil, nil, nil, apierr.T(apierr.ModelNotAllowed,
			i18n.M("auth.group_lacks_model", i18n.Q("model", m.Name), i18n.S("key", e.Display), i18n.Q("group", e.Group), i18n.Sub("may_use", mayUse(snap, e))),
			i18n.M("auth.group_lacks_model.hint", i18n.Q("model", m.Name), i18n.Q("group", e.Group)))
	}
	if !e.AllowsModel(m.Name) && !e.AllowsModel(name) {
		return nil, nil, nil, apierr.T(apierr.ModelNotAllowed,
			i18n.M("auth.scope_lacks_model", i18n.Q("model", m.Name), i18n.S("key", e.Display), i18n.Q("group", e.Group), i18n.Sub("may_use", mayUse(snap, e))),
			i18n.M("auth.scope_lacks_model.hint", i18n.Q("model", m.Name)))
	}
	if !testKeyAllows(snap, e, m.Name) && !testKeyAllows(snap, e, name) {
		return nil, nil, nil, apierr.T(apierr.ModelNotAllowed,
			i18n.M("auth.test_key_lacks_model", i18n.Q("model", m.Name), i18n.S("key", e.Display), i18n.Q("project", e.Project),
				i18n.S("models", strings.Join(snap.Projects[e.Project].TestModels, ", ")), i18n.Sub("may_use", mayUse(snap, e))),
			i18n.M("auth.test_key_lacks_model.hint", i18n.Q("model", m.Name), i18n.Q("project", e.Project)))
	}
	chs := snap.ChannelsFor(m.Name, e.Group)
	if len(chs) == 0 {
		return nil, nil, nil, apierr.T(apierr.UpstreamUnavailable,
			i18n.M("auth.no_channel", i18n.Q("model", m.Name), i18n.Q("group", e.Group)),
			i18n.M("auth.no_channel.hint"))
	}
	return m, g, chs, nil
}

func modelNotFound(snap *catalog.Snapshot, name string) error {
	if base, date := splitDated(name); date != "" {
		if m, ok := snap.Model(base); ok {
			var known i18n.Message
			if d := datedAliases(m); len(d) > 0 {
				known = i18n.M("model.not_found.dated_known", i18n.S("names", quoteList(d)))
			}
			return apierr.T(apierr.ModelNotFound,
				i18n.M("model.not_found", i18n.Q("model", name),
					i18n.Sub("detail", i18n.M("model.not_found.dated", i18n.Q("base", m.Name), i18n.S("date", date), i18n.Sub("known", known)))),
				i18n.M("model.not_found.dated.hint", i18n.Q("base", m.Name))).WithParam("model")
		}
	}
	// Suggest from canonical names and aliases, shown as canonical names.
	cands := make([]string, 0, len(snap.Models))
	for n := range snap.Models {
		cands = append(cands, n)
	}
	sort.Strings(cands)
	var out []i18n.Arg
	seen := map[string]bool{}
	for _, c := range suggest(name, cands, 6) {
		m, _ := snap.Model(c)
		if m == nil || seen[m.Name] {
			continue
		}
		seen[m.Name] = true
		s := i18n.Q("", m.Name)
		if d := datedAliases(m); len(d) > 0 {
			s = i18n.Sub("", i18n.M("model.not_found.dated_alias", i18n.Q("name", m.Name), i18n.S("aliases", strings.Join(d, ", "))))
		}
		out = append(out, s)
		if len(out) == 3 {
			break
		}
	}
	var mean i18n.Message
	if len(out) > 0 {
		mean = i18n.M("model.not_found.did_you_mean", i18n.Or("names", out...))
	}
	return apierr.T(apierr.ModelNotFound, i18n.M("model.not_found", i18n.Q("model", name), i18n.Sub("detail", mean)),
		i18n.M("model.not_found.hint")).WithParam("model")
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
func mayUse(snap *catalog.Snapshot, e *catalog.KeyEntry) i18n.Message {
	g := snap.Groups[e.Group]
	var ok []string
	for _, n := range snap.Names {
		if g != nil && g.Allows(n) && e.AllowsModel(n) && testKeyAllows(snap, e, n) && len(snap.ChannelsFor(n, e.Group)) > 0 {
			ok = append(ok, n)
		}
	}
	switch {
	case len(ok) == 0:
		return i18n.M("auth.may_use.none")
	case len(ok) > 8:
		return i18n.M("auth.may_use.more", i18n.S("models", strings.Join(ok[:8], ", ")), i18n.N("more", len(ok)-8))
	}
	return i18n.M("auth.may_use.some", i18n.S("models", strings.Join(ok, ", ")))
}
