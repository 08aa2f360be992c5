package admin

// Rotation follow-through: which clients still use the old key of a
// rotation, changing its grace window while watching, and retiring it.
//
// Nothing is tracked on the hot path beyond the request log row every call
// already writes (with the caller's address, user agent and declared name,
// rejected calls included): the report is a GROUP BY over the two keys'
// rows at the time it is asked for.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/wire"

	"github.com/keygate/keygate/internal/service"
	"github.com/keygate/keygate/internal/store"
)

// Webhook event types of rotations and incidents.
const (
	EventRotationMigrated = service.EventRotationMigrated
	EventKeyRetired       = service.EventKeyRetired
	EventIncidentOpened   = service.EventIncidentOpened
	EventIncidentReview   = service.EventIncidentReview
)

const defaultLookback = service.DefaultLookback

func (s *Server) rotationReport(ctx context.Context, old, repl store.Key, lookback time.Duration) (*wire.RotationReport, error) {
	return s.Svc.RotationReport(ctx, old, repl, lookback)
}

func (s *Server) notifyMigrated(ctx context.Context, old store.Key, rep *wire.RotationReport) {
	s.Svc.NotifyMigrated(ctx, old, rep)
}

func (s *Server) rotationRoutes(mux router) {
	mux.Handle("GET /admin/v1/keys/{id}/rotation", s.admin(s.getRotation))
	mux.Handle("PATCH /admin/v1/keys/{id}/rotation", s.admin(s.patchRotation))
	mux.Handle("POST /admin/v1/keys/{id}/retire", s.admin(s.retireKey))
}

// notRotated answers for a key that neither replaced nor was replaced by
// another: it exists, so the answer is a conflict with its state, not 404.
func notRotated(k store.Key) error {
	return conflict(fmt.Sprintf("Key %s (%s) is not part of a rotation.", k.ID, k.Display),
		"Rotate it first: POST /admin/v1/keys/"+k.ID+"/rotate (keygate keys rotate "+k.ID+").")
}

// rotationPair resolves a key id, of either side of a rotation, to the old
// key and its replacement.
func (s *Server) rotationPair(ctx context.Context, id string) (old, repl store.Key, err error) {
	k, err := s.Store.GetKey(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return old, repl, keyNotFound(id)
	}
	if err != nil {
		return old, repl, err
	}
	switch {
	case k.ReplacedBy != "":
		old = k
		repl, err = s.Store.GetKey(ctx, k.ReplacedBy)
	case k.RotatedFrom != "":
		repl = k
		old, err = s.Store.GetKey(ctx, k.RotatedFrom)
	default:
		return old, repl, notRotated(k)
	}
	if errors.Is(err, store.ErrNotFound) {
		return old, repl, notRotated(k)
	}
	return old, repl, err
}

func lookbackParam(r *http.Request) (time.Duration, error) {
	v := r.URL.Query().Get("lookback")
	if v == "" {
		return defaultLookback, nil
	}
	d, err := parseDuration(v)
	if err != nil || d < 0 || d > MaxGrace {
		return 0, invalid("lookback", fmt.Sprintf("lookback=%q is not a duration from 0 to 30d.", v),
			"Use e.g. 72h or 7d: how long before the rotation to look for clients of the old key.")
	}
	return d, nil
}

// parseDuration reads Go durations plus a "d" suffix for days.
func parseDuration(v string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(v, "d"); ok {
		d, err := time.ParseDuration(n + "h")
		return d * 24, err
	}
	return time.ParseDuration(v)
}

func (s *Server) getRotation(w http.ResponseWriter, r *http.Request) error {
	lookback, err := lookbackParam(r)
	if err != nil {
		return err
	}
	old, repl, err := s.rotationPair(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	rep, err := s.rotationReport(r.Context(), old, repl, lookback)
	if err != nil {
		return err
	}
	s.notifyMigrated(r.Context(), old, rep)
	writeJSON(w, 200, rep)
	return nil
}

// graceBody is the body of PATCH /admin/v1/keys/{id}/rotation: the new
// deadline as a time or as seconds from now (0 = now).
type graceBody struct {
	GraceUntil   *time.Time `json:"grace_until"`
	GraceSeconds *int64     `json:"grace_seconds"`
	// Force retires the key (a deadline now or past) although some known
	// clients still use it.
	Force bool `json:"force"`
}

func (s *Server) patchRotation(w http.ResponseWriter, r *http.Request) error {
	var body graceBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	now := s.Now().UTC()
	var deadline time.Time
	switch {
	case body.GraceUntil != nil && body.GraceSeconds != nil:
		return invalid("grace_until", "Send grace_until or grace_seconds, not both.", "")
	case body.GraceUntil != nil:
		deadline = body.GraceUntil.UTC()
	case body.GraceSeconds != nil:
		if *body.GraceSeconds < 0 {
			return invalid("grace_seconds", "grace_seconds must not be negative.", "Use 0 to end the grace window now.")
		}
		deadline = now.Add(time.Duration(*body.GraceSeconds) * time.Second)
	default:
		return invalid("grace_until", "Send the new deadline as grace_until (RFC 3339) or grace_seconds (from now).",
			`For example {"grace_seconds": 86400} for one more day, or {"grace_seconds": 0} to end it now.`)
	}
	if deadline.After(now.Add(MaxGrace)) {
		return invalid("grace_until", fmt.Sprintf("The deadline %s is more than 30 days away.", stamp(deadline)),
			"Pick a deadline within 30 days; the old key should not outlive its replacement for long.")
	}
	if deadline.Before(now) {
		deadline = now
	}
	return s.setGrace(w, r, deadline, body.Force, "key.grace_change")
}

type retireBody struct {
	Force bool `json:"force"`
}

func (s *Server) retireKey(w http.ResponseWriter, r *http.Request) error {
	var body retireBody
	if err := decodeOptional(r, &body); err != nil {
		return err
	}
	return s.setGrace(w, r, s.Now().UTC(), body.Force, "key.retire")
}

// setGrace moves the old key's grace deadline and answers with the report.
// Ending the window while known clients still use the old key needs force.
func (s *Server) setGrace(w http.ResponseWriter, r *http.Request, deadline time.Time, force bool, action string) error {
	ctx := r.Context()
	old, repl, err := s.rotationPair(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	switch old.State {
	case store.KeyRotated:
	case store.KeyDisabled:
		return conflict(fmt.Sprintf("Key %s (%s) is disabled: it is refused already and has no grace window.", old.ID, old.Display),
			"Nothing to do; the report at GET /admin/v1/keys/"+old.ID+"/rotation shows who still tries to use it.")
	default:
		return conflict(fmt.Sprintf("Key %s (%s) is %s; only a rotated key has a grace window.", old.ID, old.Display, old.State), "")
	}
	now := s.Now().UTC()
	if !deadline.After(now) && !force {
		rep, err := s.rotationReport(ctx, old, repl, defaultLookback)
		if err != nil {
			return err
		}
		if rep.Remaining > 0 {
			return conflict(fmt.Sprintf("Not retired: %s", rep.Summary),
				fmt.Sprintf(`Move them to %s first, or send {"force": true}: their calls will then be refused with key_rotated (and listed in the rotation report).`, repl.ID))
		}
	}
	prev := old.GraceUntil
	k, changed, err := s.changeKey(r, old.ID, action, func(k *store.Key) error {
		if k.State != store.KeyRotated {
			return conflict(fmt.Sprintf("Key %s changed state to %s meanwhile.", k.ID, k.State), "Look at it again and retry.")
		}
		if k.GraceUntil.Equal(deadline) || (!deadline.After(now) && !k.GraceUntil.After(now)) {
			return errNoChange
		}
		k.GraceUntil = deadline
		return nil
	}, func(k store.Key) map[string]any {
		return map[string]any{"display": k.Display, "replacement": repl.ID, "grace_until": deadline,
			"previous_grace_until": prev, "forced": force}
	})
	if err != nil {
		return err
	}
	if changed {
		if !deadline.After(now) {
			s.notify(EventKeyRetired, k, map[string]any{"replacement_id": repl.ID, "replacement_display": repl.Display, "forced": force})
		}
	}
	rep, err := s.rotationReport(ctx, k, repl, defaultLookback)
	if err != nil {
		return err
	}
	writeJSON(w, 200, rep)
	return nil
}

// rotationEvidence snapshots a rotation report for an incident.
func (s *Server) rotationEvidence(ctx context.Context, k store.Key) (store.Evidence, bool) {
	if k.ReplacedBy == "" && k.RotatedFrom == "" {
		return store.Evidence{}, false
	}
	old, repl, err := s.rotationPair(ctx, k.ID)
	if err != nil {
		return store.Evidence{}, false
	}
	rep, err := s.rotationReport(ctx, old, repl, defaultLookback)
	if err != nil {
		return store.Evidence{}, false
	}
	b, _ := json.Marshal(rep)
	return store.Evidence{Kind: "rotation", Ref: old.ID, Time: s.Now().UTC(), Data: b}, true
}
