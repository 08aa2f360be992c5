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

// rotationPair resolves a key id, of either side of a rotation, to the old
// key and its replacement (service.RotationPair).
func (s *Server) rotationPair(ctx context.Context, id string) (old, repl store.Key, err error) {
	return s.Svc.RotationPair(ctx, id)
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
	g, err := s.Svc.SetGrace(r.Context(), s.who(r), r.PathValue("id"), service.GraceChange{Deadline: deadline, Force: force, Action: action})
	if err != nil {
		return err
	}
	if g.Retired {
		s.notify(EventKeyRetired, g.Old, map[string]any{"replacement_id": g.New.ID, "replacement_display": g.New.Display, "forced": force})
	}
	writeJSON(w, 200, g.Report)
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
