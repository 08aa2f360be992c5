package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/incident"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/wire"
)

// Webhook event types of rotations and incidents.
const (
	EventRotationMigrated = "key.rotation_migrated"
	EventKeyRetired       = "key.retired"
	EventIncidentOpened   = "incident.opened"
	EventIncidentReview   = "incident.review_due"
)

// DefaultLookback is how far before a rotation the report looks for
// clients of the old key: a daily cron job that has not run since the
// rotation is exactly the client the report must not miss.
const (
	DefaultLookback = 7 * 24 * time.Hour
	maxRefusedShown = 500
)

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// rotationReport builds the report of the rotation old → repl.
func (s *Service) RotationReport(ctx context.Context, old, repl store.Key, lookback time.Duration) (*wire.RotationReport, error) {
	now := s.now()
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

// notifyMigrated sends one webhook when every known client of a rotation
// still in its grace window has moved to the replacement.
func (s *Service) NotifyMigrated(ctx context.Context, old store.Key, rep *wire.RotationReport) {
	if s.Webhooks == nil || !rep.AllMigrated || rep.GraceOver {
		return
	}
	_, first, err := s.Store.ClaimOnce(ctx, "rotation-migrated", old.ID+":"+rep.NewKeyID, s.now().Format(time.RFC3339))
	if err != nil || !first {
		return
	}
	s.NotifyKey(EventRotationMigrated, old, map[string]any{"replacement_id": rep.NewKeyID, "replacement_display": rep.NewKeyDisplay,
		"clients": len(rep.Clients), "summary": rep.Summary, "next": rep.Next})
}

// CheckRotations sends the "every client migrated" webhook for rotations
// still in their grace window; the background loop calls it.
func (s *Service) CheckRotations(ctx context.Context) error {
	if s.Webhooks == nil {
		return nil
	}
	list, err := s.Store.ListKeys(ctx, store.KeyFilter{State: store.KeyRotated, Limit: 200})
	if err != nil {
		return fmt.Errorf("rotation check: %w", err)
	}
	now := s.now()
	for _, old := range list {
		if old.ReplacedBy == "" || !now.Before(old.GraceUntil) {
			continue
		}
		repl, err := s.Store.GetKey(ctx, old.ReplacedBy)
		if err != nil {
			continue
		}
		rep, err := s.RotationReport(ctx, old, repl, DefaultLookback)
		if err != nil {
			return fmt.Errorf("rotation check of %s: %w", old.ID, err)
		}
		s.NotifyMigrated(ctx, old, rep)
	}
	return nil
}

// RotationPair resolves key id, of either side of a rotation, to the old
// key and its replacement. A key that is part of no rotation (or whose
// other side is gone) is a conflict naming its state, not a 404: it exists.
func (s *Service) RotationPair(ctx context.Context, id string) (old, repl store.Key, err error) {
	k, err := s.Key(ctx, id)
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
		return old, repl, NotRotated(k)
	}
	return old, repl, Err(found(err, NotRotated(k)))
}

// NotRotated is the error of a key that neither replaced nor was replaced
// by another.
func NotRotated(k store.Key) error {
	return conflict(i18n.M("admin.key_is_not_part_of", i18n.S("id", fmt.Sprint(k.ID)), i18n.S("display", fmt.Sprint(k.Display))), i18n.M("admin.rotate_it_first_post_admin.hint", i18n.S("id2", k.ID), i18n.S("id3", k.ID)))
}

// GraceChange moves the grace deadline of a rotation's old key.
type GraceChange struct {
	Deadline time.Time // now or past: retire the old key
	// Force ends the window although known clients still use the old key.
	Force  bool
	Action string // audit action: key.grace_change or key.retire
}

// Grace is the outcome of SetGrace.
type Grace struct {
	Old, New store.Key
	Changed  bool // the deadline moved
	Retired  bool // … to now: the old key is refused from now on
	Report   *wire.RotationReport
}

// SetGrace moves the grace deadline of the rotation key id belongs to
// (audited as c.Action) and answers with the rotation report. Only a
// rotated key in its window has one; ending the window while known
// clients still use the old key needs c.Force.
func (s *Service) SetGrace(ctx context.Context, who Who, id string, c GraceChange) (Grace, error) {
	old, repl, err := s.RotationPair(ctx, id)
	if err != nil {
		return Grace{}, err
	}
	switch old.State {
	case store.KeyRotated:
	case store.KeyDisabled:
		return Grace{}, conflict(i18n.M("admin.key_is_disabled_it_is", i18n.S("id", fmt.Sprint(old.ID)), i18n.S("display", fmt.Sprint(old.Display))), i18n.M("admin.nothing_to_do_the_report.hint", i18n.S("id2", old.ID)))
	default:
		return Grace{}, conflict(i18n.M("admin.key_is_only_a_rotated", i18n.S("id", fmt.Sprint(old.ID)), i18n.S("display", fmt.Sprint(old.Display)), i18n.S("state", fmt.Sprint(old.State))), i18n.Message{})
	}
	now := s.now()
	deadline := c.Deadline
	if !deadline.After(now) && !c.Force {
		rep, err := s.RotationReport(ctx, old, repl, DefaultLookback)
		if err != nil {
			return Grace{}, err
		}
		if rep.Remaining > 0 {
			return Grace{}, conflict(i18n.M("admin.not_retired", i18n.S("summary", fmt.Sprint(rep.Summary))), i18n.M("admin.move_them_to_first_or.hint", i18n.S("id", fmt.Sprint(repl.ID))))
		}
	}
	prev := old.GraceUntil
	k, changed, err := s.ChangeKey(ctx, who, old.ID, KeyChange{Action: c.Action, Change: func(k *store.Key) error {
		if k.State != store.KeyRotated {
			return conflict(i18n.M("admin.key_changed_state_to_meanwhile", i18n.S("id", fmt.Sprint(k.ID)), i18n.S("state", fmt.Sprint(k.State))), i18n.M("admin.look_at_it_again_and.hint"))
		}
		if k.GraceUntil.Equal(deadline) || (!deadline.After(now) && !k.GraceUntil.After(now)) {
			return ErrNoChange
		}
		k.GraceUntil = deadline
		return nil
	}, Detail: func(k store.Key) map[string]any {
		return map[string]any{"display": k.Display, "replacement": repl.ID, "grace_until": deadline,
			"previous_grace_until": prev, "forced": c.Force}
	}})
	if err != nil {
		return Grace{}, err
	}
	rep, err := s.RotationReport(ctx, k, repl, DefaultLookback)
	if err != nil {
		return Grace{}, err
	}
	return Grace{Old: k, New: repl, Changed: changed, Retired: changed && !deadline.After(now), Report: rep}, nil
}
