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

	"github.com/keygate/keygate/internal/i18n"
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
	return conflict(i18n.M("admin.key_is_not_part_of", i18n.S("id", fmt.Sprint(k.ID)), i18n.S("display", fmt.Sprint(k.Display))), i18n.M("admin.rotate_it_first_post_admin.hint", i18n.S("id2", k.ID), i18n.S("id3", k.ID)))
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
		return 0, invalid("lookback", i18n.M("admin.lookback_is_not_a_duration", i18n.Q("value", fmt.Sprint(v))), i18n.M("admin.use_e_g_72h_or.hint"))
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
		return invalid("grace_until", i18n.M("admin.send_grace_until_or_grace"), i18n.Message{})
	case body.GraceUntil != nil:
		deadline = body.GraceUntil.UTC()
	case body.GraceSeconds != nil:
		if *body.GraceSeconds < 0 {
			return invalid("grace_seconds", i18n.M("admin.grace_seconds_must_not_be"), i18n.M("admin.use_0_to_end_the.hint"))
		}
		deadline = now.Add(time.Duration(*body.GraceSeconds) * time.Second)
	default:
		return invalid("grace_until", i18n.M("admin.send_the_new_deadline_as"), i18n.M("admin.for_example_grace_seconds_86400.hint"))
	}
	if deadline.After(now.Add(MaxGrace)) {
		return invalid("grace_until", i18n.M("admin.the_deadline_is_more_than", i18n.S("deadline", fmt.Sprint(stamp(deadline)))), i18n.M("admin.pick_a_deadline_within_30.hint"))
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
		return conflict(i18n.M("admin.key_is_disabled_it_is", i18n.S("id", fmt.Sprint(old.ID)), i18n.S("display", fmt.Sprint(old.Display))), i18n.M("admin.nothing_to_do_the_report.hint", i18n.S("id2", old.ID)))
	default:
		return conflict(i18n.M("admin.key_is_only_a_rotated", i18n.S("id", fmt.Sprint(old.ID)), i18n.S("display", fmt.Sprint(old.Display)), i18n.S("state", fmt.Sprint(old.State))), i18n.Message{})
	}
	now := s.Now().UTC()
	if !deadline.After(now) && !force {
		rep, err := s.rotationReport(ctx, old, repl, defaultLookback)
		if err != nil {
			return err
		}
		if rep.Remaining > 0 {
			return conflict(i18n.M("admin.not_retired", i18n.S("summary", fmt.Sprint(rep.Summary))), i18n.M("admin.move_them_to_first_or.hint", i18n.S("id", fmt.Sprint(repl.ID))))
		}
	}
	prev := old.GraceUntil
	k, changed, err := s.changeKey(r, old.ID, action, func(k *store.Key) error {
		if k.State != store.KeyRotated {
			return conflict(i18n.M("admin.key_changed_state_to_meanwhile", i18n.S("id", fmt.Sprint(k.ID)), i18n.S("state", fmt.Sprint(k.State))), i18n.M("admin.look_at_it_again_and.hint"))
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
