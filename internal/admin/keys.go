package admin

// Key lifecycle of the admin API: update, disable, enable, rotate (with a
// grace window and Idempotency-Key), delete (a tombstone), the impact report
// of a suspected leak, the audit log and the digest check behind
// `keygate scan --check`. Every change is audited with display forms only,
// written through the store's version check, and put into the key cache at
// once so this instance refuses a disabled key on the next request.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/wire"

	"github.com/keygate/keygate/internal/anomaly"
	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/httpapi"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/service"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/webhook"
)

// Notifier receives security events; the webhook sender implements it.
type Notifier = service.Notifier

// MaxGrace is the longest grace window a rotation may give the old key.
const MaxGrace = 30 * 24 * time.Hour

// refusedByState are the error codes of calls refused because of the key's
// state; invalid_api_key carries a key id only for a deleted key.
var refusedByState = anomaly.RefusedCodes

func (s *Server) keyLifecycleRoutes(mux router) {
	mux.Handle("PATCH /admin/v1/keys/{id}", s.admin(s.patchKey))
	mux.Handle("DELETE /admin/v1/keys/{id}", s.admin(s.deleteKey))
	mux.Handle("POST /admin/v1/keys/{id}/disable", s.admin(s.disableKey))
	mux.Handle("POST /admin/v1/keys/{id}/enable", s.admin(s.enableKey))
	mux.Handle("POST /admin/v1/keys/{id}/rotate", s.admin(s.rotateKey))
	mux.Handle("GET /admin/v1/keys/{id}/impact", s.admin(s.keyImpact))
	mux.Handle("POST /admin/v1/keys/check", s.admin(s.checkDigests))
	mux.Handle("GET /admin/v1/audit", s.admin(s.listAudit))
}

func keyNotFound(id string) error {
	return apierr.New(apierr.NotFound, fmt.Sprintf("No key with id %q.", id), "GET /admin/v1/keys lists key ids.")
}

// changeKey applies change to key id and writes it with its audit row
// (action, detail) in one transaction (service.ChangeKey). change returns
// errNoChange to answer with the key as it is (an idempotent repeat).
func (s *Server) changeKey(r *http.Request, id, action string, change func(k *store.Key) error, detail func(k store.Key) map[string]any) (store.Key, bool, error) {
	return s.Svc.ChangeKey(r.Context(), s.who(r), id, service.KeyChange{Action: action, Change: change, Detail: detail})
}

var errNoChange = service.ErrNoChange

func conflict(msg, hint string) error { return apierr.New(apierr.Conflict, msg, hint) }

func cleanText(s string, n int) string { return keys.CleanText(s, n) }

// keyPatch is the body of PATCH /admin/v1/keys/{id}. Absent fields are left
// as they are; expires_at and budget may be null to clear them, models and
// allowed_ips [] to lift the restriction.
type keyPatch struct {
	Name       *string         `json:"name"`
	Group      *string         `json:"group"`
	Models     *[]string       `json:"models"`
	AllowedIPs *[]string       `json:"allowed_ips"`
	ExpiresAt  json.RawMessage `json:"expires_at"`
	Budget     json.RawMessage `json:"budget"`
	RPM        *int            `json:"rpm"`
	TPM        *int            `json:"tpm"`
	// Concurrency 0 returns the key to its group's default.
	Concurrency *int `json:"concurrency"`
	// RequestTypes [] lifts the request-type scope.
	RequestTypes *[]string `json:"request_types"`
}

func isNull(m json.RawMessage) bool { return strings.TrimSpace(string(m)) == "null" }

func (s *Server) patchKey(w http.ResponseWriter, r *http.Request) error {
	var p keyPatch
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	var exp *time.Time
	if len(p.ExpiresAt) > 0 && !isNull(p.ExpiresAt) {
		var t time.Time
		if err := json.Unmarshal(p.ExpiresAt, &t); err != nil {
			return invalid("expires_at", "expires_at is not an RFC 3339 time.", "Use a time like 2026-01-02T15:04:05Z, or null for no expiry.")
		}
		t = t.UTC()
		exp = &t
	}
	var budget *wire.BudgetView
	if len(p.Budget) > 0 && !isNull(p.Budget) {
		budget = new(wire.BudgetView)
		if err := json.Unmarshal(p.Budget, budget); err != nil || budget.LimitUSD < 0 || !ledger.ValidPeriod(budget.Period) {
			return invalid("budget", "budget needs limit_usd ≥ 0 and period daily, monthly or total.", "Or send null to remove it.")
		}
	}
	if p.AllowedIPs != nil {
		if _, err := config.ParsePrefixes(*p.AllowedIPs); err != nil {
			return invalid("allowed_ips", "allowed_ips: "+err.Error()+".", "Use CIDRs such as 10.0.0.0/8 or 2001:db8::/32.")
		}
	}
	if p.Group != nil && s.Catalog.Snapshot().Groups[*p.Group] == nil {
		return apierr.New(apierr.NotFound, fmt.Sprintf("Group %q does not exist.", *p.Group), "Declare it under groups: in KEYGATE_CONFIG.")
	}
	if (p.RPM != nil && *p.RPM < 0) || (p.TPM != nil && *p.TPM < 0) {
		return invalid("rpm", "rpm and tpm must not be negative.", "")
	}
	if p.RequestTypes != nil {
		if err := checkRequestTypes(*p.RequestTypes); err != nil {
			return err
		}
	}
	if p.Concurrency != nil && *p.Concurrency < 0 {
		return invalid("concurrency", "concurrency must not be negative.", "0 returns the key to its group's default; a positive number caps its calls in flight.")
	}
	var changed []string
	k, _, err := s.changeKey(r, r.PathValue("id"), "key.update", func(k *store.Key) error {
		changed = changed[:0]
		if k.State == store.KeyDeleted {
			return conflict(fmt.Sprintf("Key %s (%s) is deleted and cannot be changed.", k.ID, k.Display), "Create a new key instead.")
		}
		if p.Name != nil {
			k.Name = cleanText(*p.Name, 200)
			changed = append(changed, "name")
		}
		if p.Group != nil {
			k.Group = *p.Group
			changed = append(changed, "group")
		}
		if p.Models != nil {
			k.Models = *p.Models
			changed = append(changed, "models")
		}
		if p.AllowedIPs != nil {
			k.AllowedIPs = *p.AllowedIPs
			changed = append(changed, "allowed_ips")
		}
		if len(p.ExpiresAt) > 0 {
			k.ExpiresAt = time.Time{}
			if exp != nil {
				k.ExpiresAt = *exp
			}
			changed = append(changed, "expires_at")
		}
		if len(p.Budget) > 0 {
			k.BudgetUSD, k.BudgetPeriod = 0, ""
			if budget != nil {
				k.BudgetUSD, k.BudgetPeriod = budget.LimitUSD, budget.Period
			}
			changed = append(changed, "budget")
		}
		if p.RPM != nil {
			k.RPM = *p.RPM
			changed = append(changed, "rpm")
		}
		if p.TPM != nil {
			k.TPM = *p.TPM
			changed = append(changed, "tpm")
		}
		if p.Concurrency != nil {
			k.Concurrency = *p.Concurrency
			changed = append(changed, "concurrency")
		}
		if p.RequestTypes != nil {
			k.RequestTypes = *p.RequestTypes
			changed = append(changed, "request_types")
		}
		if len(changed) == 0 {
			return errNoChange
		}
		return nil
	}, func(k store.Key) map[string]any { return map[string]any{"display": k.Display, "fields": changed} })
	if err != nil {
		return err
	}
	writeJSON(w, 200, viewKey(k))
	return nil
}

type reasonBody struct {
	Reason string `json:"reason"`
	// Leak marks the disable as a leak response: an incident is opened
	// (admin_incidents.go). A reason starting with "leak" counts too.
	Leak bool `json:"leak"`
}

// decodeOptional decodes a JSON body that may be empty.
func decodeOptional(r *http.Request, v any) error {
	if r.ContentLength == 0 && r.Header.Get("Transfer-Encoding") == "" {
		return nil
	}
	err := decodeJSON(r, v)
	var e *apierr.Error
	if errors.As(err, &e) && errors.Is(e.Cause, io.EOF) {
		return nil
	}
	return err
}

func (s *Server) disableKey(w http.ResponseWriter, r *http.Request) error {
	var body reasonBody
	if err := decodeOptional(r, &body); err != nil {
		return err
	}
	a := actorFrom(r.Context())
	reason := cleanText(body.Reason, 500)
	if reason == "" {
		reason = "disabled by " + a.String()
	}
	now := s.Now().UTC()
	k, changed, err := s.changeKey(r, r.PathValue("id"), "key.disable", func(k *store.Key) error {
		switch k.State {
		case store.KeyDisabled:
			return errNoChange
		case store.KeyDeleted:
			return conflict(fmt.Sprintf("Key %s (%s) is deleted; it is already refused.", k.ID, k.Display), "")
		}
		k.State, k.StateAt, k.StateBy, k.StateReason = store.KeyDisabled, now, a.String(), reason
		k.GraceUntil = time.Time{}
		return nil
	}, func(k store.Key) map[string]any { return map[string]any{"display": k.Display, "reason": reason} })
	if err != nil {
		return err
	}
	if changed {
		s.notify(webhook.KeyDisabled, k, nil)
		if body.Leak || isLeakReason(reason) {
			s.leakIncident(r.Context(), k, "key-disable", a.String(), reason)
		}
	}
	writeJSON(w, 200, viewKey(k))
	return nil
}

func (s *Server) enableKey(w http.ResponseWriter, r *http.Request) error {
	a := actorFrom(r.Context())
	now := s.Now().UTC()
	k, _, err := s.changeKey(r, r.PathValue("id"), "key.enable", func(k *store.Key) error {
		switch k.State {
		case store.KeyActive:
			return errNoChange
		case store.KeyDisabled:
			if k.ReplacedBy != "" {
				return conflict(fmt.Sprintf("Key %s (%s) was replaced by %s and cannot be re-enabled.", k.ID, k.Display, k.ReplacedBy),
					"Use the replacement key.")
			}
		default:
			return conflict(fmt.Sprintf("Key %s (%s) is %s; only a disabled key can be enabled.", k.ID, k.Display, k.State),
				"Create a new key, or rotate the replacement.")
		}
		k.State, k.StateAt, k.StateBy, k.StateReason = store.KeyActive, now, a.String(), ""
		return nil
	}, func(k store.Key) map[string]any { return map[string]any{"display": k.Display} })
	if err != nil {
		return err
	}
	writeJSON(w, 200, viewKey(k))
	return nil
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request) error {
	a := actorFrom(r.Context())
	now := s.Now().UTC()
	k, _, err := s.changeKey(r, r.PathValue("id"), "key.delete", func(k *store.Key) error {
		if k.State == store.KeyDeleted {
			return errNoChange
		}
		// The row stays as a tombstone: the digest keeps a deleted key
		// recognised, so its owner is told "deleted", never "unknown".
		k.State, k.StateAt, k.StateBy, k.StateReason = store.KeyDeleted, now, a.String(), ""
		k.GraceUntil = time.Time{}
		return nil
	}, func(k store.Key) map[string]any { return map[string]any{"display": k.Display} })
	if err != nil {
		return err
	}
	writeJSON(w, 200, viewKey(k))
	return nil
}

type rotateBody struct {
	GraceSeconds int64 `json:"grace_seconds"`
}

func (s *Server) rotateKey(w http.ResponseWriter, r *http.Request) error {
	var body rotateBody
	if err := decodeOptional(r, &body); err != nil {
		return err
	}
	grace := time.Duration(body.GraceSeconds) * time.Second
	if body.GraceSeconds < 0 || grace > MaxGrace {
		return invalid("grace_seconds", fmt.Sprintf("grace_seconds must be between 0 and %d (30 days).", int64(MaxGrace/time.Second)),
			"Use 0 to refuse the old key at once (a leak), or the time clients need to switch.")
	}
	idem := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if len(idem) > 200 {
		return invalid("Idempotency-Key", "The Idempotency-Key header is longer than 200 characters.", "Use a UUID.")
	}
	rot, err := s.Svc.RotateKey(r.Context(), s.who(r), r.PathValue("id"), grace, idem)
	if err != nil {
		return err
	}
	if rot.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
		writeJSON(w, 200, wire.RotateView{KeyView: viewKey(rot.New), OldKey: viewKey(rot.Old), Replayed: true,
			Note: "This Idempotency-Key was used before: this is the key that rotation created. Its secret was shown only in the first answer; if it was lost, rotate " + rot.New.ID + " again."})
		return nil
	}
	s.notify(webhook.KeyRotated, rot.Old, map[string]any{"replacement_id": rot.New.ID, "replacement_display": rot.New.Display})
	v := wire.RotateView{KeyView: viewKey(rot.New), OldKey: viewKey(rot.Old), Note: rot.Note}
	v.Key = rot.Plain
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// notify sends a webhook event about k (service.NotifyKey).
func (s *Server) notify(typ string, k store.Key, extra map[string]any) {
	s.Svc.NotifyKey(typ, k, extra)
}

func (s *Server) keyImpact(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	k, err := s.Store.GetKey(ctx, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return keyNotFound(r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	q := r.URL.Query()
	since, err := parseTimeParam(q, "since")
	if err != nil {
		return err
	}
	until, err := parseTimeParam(q, "until")
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	if until.IsZero() {
		until = now
	}
	if since.IsZero() {
		since = until.Add(-7 * 24 * time.Hour)
	}
	if !since.Before(until) {
		return invalid("since", "since must be before until.", "")
	}
	rep, err := s.impact(ctx, k, since.UTC(), until.UTC())
	if err != nil {
		return err
	}
	writeJSON(w, 200, rep)
	return nil
}

func (s *Server) impact(ctx context.Context, k store.Key, since, until time.Time) (*wire.ImpactReport, error) {
	win, err := s.Store.AggregateKeyLogs(ctx, store.LogWindow{KeyID: k.ID, Since: since, Until: until,
		Refused: refusedByState, RecentRefused: 50})
	if err != nil {
		return nil, err
	}
	base, err := s.Store.AggregateKeyLogs(ctx, store.LogWindow{KeyID: k.ID, Until: since})
	if err != nil {
		return nil, err
	}
	rep := &wire.ImpactReport{KeyID: k.ID, Env: k.Env, Key: viewKey(k), Since: since, Until: until, Requests: win.Requests,
		SpendUSD: round6(win.SpendUSD), RejectedAfterDisable: win.Refused,
		ByModel: []wire.ImpactModel{}, ByIP: []wire.ImpactIP{}, ByHour: []wire.ImpactHour{}, UserAgents: []wire.ImpactUA{},
		RejectedAttempts: []wire.ImpactAttempt{}, Anomalies: []wire.Anomaly{}}
	seenIP := make(map[string]bool, len(base.ByIP))
	for _, g := range base.ByIP {
		seenIP[g.Value] = true
	}
	for _, g := range win.ByModel {
		rep.ByModel = append(rep.ByModel, wire.ImpactModel{Model: g.Value, Requests: g.Requests, SpendUSD: round6(g.SpendUSD)})
	}
	for _, g := range win.ByIP {
		rep.ByIP = append(rep.ByIP, wire.ImpactIP{IP: g.Value, Requests: g.Requests, Rejected: g.Refused, FirstSeen: g.First,
			LastSeen: g.Last, New: !seenIP[g.Value]})
	}
	for _, g := range win.ByHour {
		rep.ByHour = append(rep.ByHour, wire.ImpactHour{Hour: g.Value, Requests: g.Requests, SpendUSD: round6(g.SpendUSD)})
	}
	for _, g := range win.UserAgents {
		rep.UserAgents = append(rep.UserAgents, wire.ImpactUA{UserAgent: g.Value, Requests: g.Requests})
	}
	for _, l := range win.RecentRefused {
		rep.RejectedAttempts = append(rep.RejectedAttempts, wire.ImpactAttempt{Time: l.Time, IP: l.SourceIP, UserAgent: l.UserAgent,
			Code: l.ErrorCode, RequestID: l.RequestID})
	}
	b := anomaly.BaselineOf(base, since)
	rep.Baseline = wire.ImpactBaseline{Requests: b.Requests, SpendUSD: round6(b.SpendUSD), RequestsPerHour: b.RequestsPerHour,
		SpendPerHour: b.SpendPerHour}
	if b.Requests > 0 {
		rep.Baseline.FirstSeen = &b.FirstSeen
	}
	rep.Anomalies = anomaly.Find(win, base, since, until)
	return rep, nil
}

func round6(v float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', 6, 64), 64)
	return f
}

type checkBody struct {
	Digests []string `json:"digests"`
}

// checkDigests tells `keygate scan --check` which found keys this gateway
// issued and in which state. Only SHA-256 digests travel, never keys.
func (s *Server) checkDigests(w http.ResponseWriter, r *http.Request) error {
	var body checkBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if len(body.Digests) > 1000 {
		return invalid("digests", fmt.Sprintf("%d digests in one call; the limit is 1000.", len(body.Digests)), "Send them in batches.")
	}
	out := make([]wire.DigestStatus, 0, len(body.Digests))
	for _, d := range body.Digests {
		d = strings.ToLower(strings.TrimSpace(d))
		if len(d) != 64 || strings.Trim(d, "0123456789abcdef") != "" {
			return invalid("digests", fmt.Sprintf("%q is not a hex SHA-256 digest.", truncate(d, 70)), "Send the lowercase hex SHA-256 of each key.")
		}
		st := wire.DigestStatus{Digest: d}
		k, err := s.Store.GetKeyByHash(r.Context(), d)
		switch {
		case err == nil && !s.canSeeProject(actorFrom(r.Context()), k.Project):
			// A key of a project the caller cannot see is as unknown to it.
		case err == nil:
			st.Known, st.ID, st.Display, st.State, st.Project, st.Env = true, k.ID, k.Display, k.State, k.Project, k.Env
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		out = append(out, st)
	}
	writeJSON(w, 200, map[string]any{"data": out})
	return nil
}

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.AuditFilter{Actor: q.Get("actor"), Object: q.Get("object"), Action: q.Get("action")}
	var err error
	if f.Since, err = parseTimeParam(q, "since"); err != nil {
		return err
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 1 || f.Limit > 1000 {
			return invalid("limit", fmt.Sprintf("limit=%q is not a number from 1 to 1000.", v), "")
		}
	}
	evs, err := s.Store.ListAudit(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]wire.AuditView, 0, len(evs))
	seen := s.auditVisibility(r)
	for _, e := range evs {
		if !seen(e.Object) {
			continue
		}
		d := json.RawMessage(e.Detail)
		if !json.Valid(d) {
			d = json.RawMessage(`{}`)
		}
		out = append(out, wire.AuditView{ID: e.ID, Time: e.Time, Actor: e.Actor, Action: e.Action, Object: e.Object, SourceIP: e.SourceIP, Detail: d})
	}
	writeJSON(w, 200, map[string]any{"data": out})
	return nil
}

// addSpend fills in what a key with a budget spent in the current period.
func (s *Server) addSpend(ctx context.Context, v *wire.KeyView, k *store.Key) error {
	if s.Ledger == nil || k.BudgetUSD <= 0 {
		return nil
	}
	spent, reset, err := s.Ledger.Usage(ctx, ledger.Budget{Scope: ledger.ScopeKey, Subject: k.LineageID(), Period: k.BudgetPeriod, Limit: ledger.FromUSD(k.BudgetUSD)})
	if err != nil {
		return apierr.T(apierr.ServiceUnavailable, i18n.M("quota.spend_unavailable"), i18n.M("retry.shortly")).WithCause(err)
	}
	usd := ledger.ToUSD(spent)
	v.SpentUSD = &usd
	v.BudgetResetsAt = timePtr(reset)
	return nil
}

// checkRequestTypes refuses an unknown request type in a key's scope.
func checkRequestTypes(ts []string) error {
	for _, t := range ts {
		if !slices.Contains(httpapi.RequestTypes, t) {
			return invalid("request_types", fmt.Sprintf("request_types has %q; the types are %s.", t, strings.Join(httpapi.RequestTypes, ", ")),
				"Leave request_types empty to allow every type.")
		}
	}
	return nil
}
