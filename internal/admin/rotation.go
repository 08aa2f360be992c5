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
	"github.com/keygate/keygate/internal/wire"
	"net/http"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/incident"
	"github.com/keygate/keygate/internal/store"
)

// Webhook event types of rotations and incidents.
const (
	EventRotationMigrated = "key.rotation_migrated"
	EventKeyRetired       = "key.retired"
	EventIncidentOpened   = "incident.opened"
	EventIncidentReview   = "incident.review_due"
)

// defaultLookback is how far before a rotation the report looks for
// clients of the old key: a daily cron job that has not run since the
// rotation is exactly the client the report must not miss.
const (
	defaultLookback = 7 * 24 * time.Hour
	maxRefusedShown = 500
)

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

// rotationReport builds the report of the rotation old → repl.
func (s *Server) rotationReport(ctx context.Context, old, repl store.Key, lookback time.Duration) (*wire.RotationReport, error) {
	now := s.Now().UTC()
	rotatedAt := repl.CreatedAt
	refusedSince := rotatedAt
	rep := &wire.RotationReport{OldKeyID: old.ID, OldKeyDisplay: old.Display, OldKeyState: old.State, NewKeyID: repl.ID,
		NewKeyDisplay: repl.Display, RotatedAt: rotatedAt, Since: rotatedAt.Add(-lookback), Clients: []wire.RotationClient{}}
	if old.State == store.KeyRotated && !old.GraceUntil.IsZero() {
		g := old.GraceUntil
		rep.GraceDeadline = &g
		refusedSince = g
	}
	rep.GraceOver = old.State != store.KeyRotated || !now.Before(old.GraceUntil)
	u, err := s.Store.RotationUsage(ctx, store.RotationWindow{OldKeyID: old.ID, NewKeyID: repl.ID, Since: rep.Since,
		Refused: refusedByState, RefusedSince: refusedSince, MaxRefused: maxRefusedShown})
	if err != nil {
		return nil, err
	}
	idx := map[[3]string]int{}
	for _, c := range u.Clients {
		v := wire.RotationClient{IP: c.IP, UserAgent: c.UserAgent, Client: c.Client, CallsOld: c.CallsOld, RefusedOld: c.RefusedOld,
			FirstOld: timePtr(c.FirstOld), LastSeenOld: timePtr(c.LastOld), CallsNew: c.CallsNew, LastSeenNew: timePtr(c.LastNew),
			RefusedCalls: []wire.RefusedCall{}}
		v.Migrated = c.CallsNew > 0 && !c.LastNew.Before(c.LastOld)
		v.StillUsesOld = c.CallsNew > 0 && !v.Migrated
		if v.Migrated {
			rep.Migrated++
		}
		idx[[3]string{c.IP, c.UserAgent, c.Client}] = len(rep.Clients)
		rep.Clients = append(rep.Clients, v)
	}
	for _, l := range u.Refused {
		rep.RefusedAfterDeadline++
		if i, ok := idx[[3]string{l.SourceIP, l.UserAgent, l.Client}]; ok {
			c := &rep.Clients[i]
			c.RefusedCalls = append(c.RefusedCalls, wire.RefusedCall{Time: l.Time, RequestID: l.RequestID, Code: l.ErrorCode})
		}
	}
	rep.Remaining = len(rep.Clients) - rep.Migrated
	rep.AllMigrated = len(rep.Clients) > 0 && rep.Remaining == 0
	rep.Summary, rep.Next = rotationText(rep, now)
	return rep, nil
}

// rotationText is the report in two sentences: where it stands, and what
// the owner should do next.
func rotationText(rep *wire.RotationReport, now time.Time) (summary, next string) {
	n := len(rep.Clients)
	if n == 0 {
		summary = fmt.Sprintf("No client used the old key %s since %s.", rep.OldKeyDisplay, stamp(rep.Since))
	} else {
		summary = fmt.Sprintf("%d of %d clients migrated", rep.Migrated, n)
		var still []string
		for _, c := range rep.Clients {
			if !c.Migrated {
				s := incident.ClientLabel(c.IP, c.UserAgent, c.Client)
				if c.LastSeenOld != nil {
					s += " (last call " + ago(now, *c.LastSeenOld) + ")"
				}
				still = append(still, s)
			}
		}
		if len(still) > 0 {
			if len(still) > 5 {
				still = append(still[:5], fmt.Sprintf("and %d more", len(still)-5))
			}
			summary += "; still on the old key: " + strings.Join(still, ", ")
		}
		summary += "."
	}
	switch {
	case rep.OldKeyState == store.KeyDisabled:
		next = "The old key is disabled: every call with it is refused. Move the clients above to " + rep.NewKeyID + "."
	case rep.GraceOver && rep.Remaining > 0:
		next = fmt.Sprintf("The grace window is over and %d clients still send the old key (refused with key_rotated): give them %s, or extend the grace (PATCH /admin/v1/keys/%s/rotation).",
			rep.Remaining, rep.NewKeyID, rep.OldKeyID)
	case rep.GraceOver:
		next = "The grace window is over; the old key is refused."
	case rep.AllMigrated || n == 0:
		next = fmt.Sprintf("Every known client uses the replacement: retire the old key now (POST /admin/v1/keys/%s/retire, keygate keys retire %s), or let the grace window end at %s.",
			rep.OldKeyID, rep.OldKeyID, stamp(*rep.GraceDeadline))
	default:
		next = fmt.Sprintf("Give the remaining clients %s before %s, or change the deadline (PATCH /admin/v1/keys/%s/rotation).",
			rep.NewKeyID, stamp(*rep.GraceDeadline), rep.OldKeyID)
	}
	return summary, next
}

// ago says how long before now t was, roughly, for people.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%.0f h ago", d.Hours())
	}
	return fmt.Sprintf("%.0f days ago", d.Hours()/24)
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

// notifyMigrated sends one webhook when every known client of a rotation
// still in its grace window has moved to the replacement.
func (s *Server) notifyMigrated(ctx context.Context, old store.Key, rep *wire.RotationReport) {
	if s.Webhooks == nil || !rep.AllMigrated || rep.GraceOver {
		return
	}
	_, first, err := s.Store.ClaimOnce(ctx, "rotation-migrated", old.ID+":"+rep.NewKeyID, s.Now().UTC().Format(time.RFC3339))
	if err != nil || !first {
		return
	}
	s.notify(EventRotationMigrated, old, map[string]any{"replacement_id": rep.NewKeyID, "replacement_display": rep.NewKeyDisplay,
		"clients": len(rep.Clients), "summary": rep.Summary, "next": rep.Next})
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

// CheckRotations sends the "every client migrated" webhook for rotations
// still in their grace window; the background loop calls it.
func (s *Server) CheckRotations(ctx context.Context) error {
	if s.Webhooks == nil {
		return nil
	}
	list, err := s.Store.ListKeys(ctx, store.KeyFilter{State: store.KeyRotated, Limit: 200})
	if err != nil {
		return fmt.Errorf("rotation check: %w", err)
	}
	now := s.Now()
	for _, old := range list {
		if old.ReplacedBy == "" || !now.Before(old.GraceUntil) {
			continue
		}
		repl, err := s.Store.GetKey(ctx, old.ReplacedBy)
		if err != nil {
			continue
		}
		rep, err := s.rotationReport(ctx, old, repl, defaultLookback)
		if err != nil {
			return fmt.Errorf("rotation check of %s: %w", old.ID, err)
		}
		s.notifyMigrated(ctx, old, rep)
	}
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
