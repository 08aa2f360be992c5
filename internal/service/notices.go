package service

// Webhook notices and the background loops that send them. The loops run
// from internal/app (started with the gateway, stopped at Close); each
// notice is claimed in the store before it is sent, so restarts and several
// instances send it once.

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/keygate/keygate/internal/anomaly"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/webhook"
)

// Notifier receives security events; the webhook sender implements it.
type Notifier interface{ Notify(webhook.Event) }

// refusedByState are the error codes of calls refused because of the
// key's state (the rotation report lists them per client).
var refusedByState = anomaly.RefusedCodes

// NotifyKey sends a webhook event about k (nothing without webhooks).
func (s *Service) NotifyKey(typ string, k store.Key, extra map[string]any) {
	if s.Webhooks == nil {
		return
	}
	data := map[string]any{"key_id": k.ID, "display": k.Display, "env": k.Env, "project": k.Project, "name": k.Name,
		"state": k.State}
	if !k.StateAt.IsZero() {
		data["state_at"] = k.StateAt
	}
	if k.StateReason != "" {
		data["reason"] = k.StateReason
	}
	if !k.GraceUntil.IsZero() {
		data["grace_until"] = k.GraceUntil
	}
	for name, v := range extra {
		data[name] = v
	}
	s.Webhooks.Notify(webhook.Event{ID: ids.New("evt"), Type: typ, Time: s.now(), Data: data})
}

// expiryNotices are the thresholds of key.expiring webhooks, in days.
var expiryNotices = []int{1, 3, 7}

// NotifyExpiring sends one key.expiring webhook per key and threshold (7, 3
// and 1 days before expires_at); a threshold already notified, on this or
// any other instance, is not notified again. It returns how many were sent.
func (s *Service) NotifyExpiring(ctx context.Context) (int, error) {
	if s.Webhooks == nil {
		return 0, nil
	}
	list, err := s.Store.ListKeys(ctx, store.KeyFilter{State: store.KeyActive})
	if err != nil {
		return 0, fmt.Errorf("expiry notices: %w", err)
	}
	now := s.now()
	sent := 0
	for _, k := range list {
		if k.ExpiresAt.IsZero() || !k.ExpiresAt.After(now) {
			continue
		}
		left := k.ExpiresAt.Sub(now)
		days := 0
		for _, d := range expiryNotices {
			if left <= time.Duration(d)*24*time.Hour {
				days = d
				break
			}
		}
		if days == 0 {
			continue
		}
		// The expiry is part of the mark: extending a key re-arms its notices.
		id := k.ID + ":" + strconv.Itoa(days) + ":" + strconv.FormatInt(k.ExpiresAt.UnixMilli(), 10)
		_, first, err := s.Store.ClaimOnce(ctx, "expiry-notice", id, now.Format(time.RFC3339))
		if err != nil {
			return sent, fmt.Errorf("expiry notices: %w", err)
		}
		if first {
			s.NotifyKey(webhook.KeyExpiring, k, map[string]any{"expires_at": k.ExpiresAt, "days_left": days})
			sent++
		}
	}
	return sent, nil
}

// RunNotices checks for expiring keys a minute after start (not at once:
// start-up stays quick, and a check run by hand or by a test right after
// start is not raced), then every interval until ctx ends.
func (s *Service) RunNotices(ctx context.Context, every time.Duration) {
	t := time.NewTimer(min(time.Minute, every))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.NotifyExpiring(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("key expiry notices failed; will retry", "err", err)
		}
		t.Reset(every)
	}
}

func (s *Service) NotifyIncident(typ string, in store.Incident) {
	if s.Webhooks == nil {
		return
	}
	data := map[string]any{"incident_id": in.ID, "title": in.Title, "state": in.State, "project": in.Project, "owner": in.Owner,
		"key_ids": in.KeyIDs, "origin": in.Origin}
	if !in.NextReview.IsZero() {
		data["next_review"] = in.NextReview
	}
	s.Webhooks.Notify(webhook.Event{ID: ids.New("evt"), Type: typ, Time: s.now(), Data: data})
}

// NotifyReviews sends one incident.review_due webhook per incident and
// review time once that time has passed with the incident unresolved; it
// returns how many were sent.
func (s *Service) NotifyReviews(ctx context.Context) (int, error) {
	if s.Webhooks == nil {
		return 0, nil
	}
	now := s.now()
	due, err := s.Store.ListIncidents(ctx, store.IncidentFilter{ReviewDue: now, Limit: 500})
	if err != nil {
		return 0, fmt.Errorf("incident reviews: %w", err)
	}
	sent := 0
	for _, in := range due {
		// The review time is part of the mark: a new review time re-arms it.
		mark := in.ID + ":" + strconv.FormatInt(in.NextReview.UnixMilli(), 10)
		_, first, err := s.Store.ClaimOnce(ctx, "incident-review", mark, now.Format(time.RFC3339))
		if err != nil {
			return sent, fmt.Errorf("incident reviews: %w", err)
		}
		if first {
			s.NotifyIncident(EventIncidentReview, in)
			sent++
		}
	}
	return sent, nil
}

// RunFollowUps checks, every interval until ctx ends, for incidents whose
// review time passed and for rotations whose clients all migrated.
func (s *Service) RunFollowUps(ctx context.Context, every time.Duration) {
	// The first check comes one interval after start, so a check run by
	// hand (or by a test) right after start is not raced.
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := s.NotifyReviews(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("incident review notices failed; will retry", "err", err)
		}
		if err := s.CheckRotations(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("rotation follow-up failed; will retry", "err", err)
		}
	}
}
