package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
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
	sc.Log.Project, sc.Log.Group = e.Project, e.Group
	if err := s.checkKeyState(e); err != nil {
		return err
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
			fmt.Sprintf("Model %q is not available to group %q of key %s: the group does not include it.", m.Name, e.Group, e.Display),
			"GET /v1/models lists the models this key may use; ask the gateway operator to add the model to the group.")
	}
	if !e.AllowsModel(m.Name) && !e.AllowsModel(name) {
		return nil, nil, nil, apierr.New(apierr.ModelNotAllowed,
			fmt.Sprintf("Model %q is outside the model scope of key %s (group %q allows it, the key's own allow-list does not).", m.Name, e.Display, e.Group),
			"GET /v1/models lists the models this key may use; ask the key's owner to widen its models scope.")
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
	if s := suggest(name, snap.Names, 3); len(s) > 0 {
		msg += " Did you mean " + quoteList(s) + "?"
	}
	e := apierr.New(apierr.ModelNotFound, msg, "GET /v1/models lists the models your key may use.")
	e.Param = "model"
	return e
}
