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
			return invalid("expires_at", i18n.M("admin.expires_at_is_not_an"), i18n.M("admin.use_a_time_like_2026.hint2"))
		}
		t = t.UTC()
		exp = &t
	}
	var budget *wire.BudgetView
	if len(p.Budget) > 0 && !isNull(p.Budget) {
		budget = new(wire.BudgetView)
		if err := json.Unmarshal(p.Budget, budget); err != nil || budget.LimitUSD < 0 || !ledger.ValidPeriod(budget.Period) {
			return invalid("budget", i18n.M("admin.budget_needs_limit_usd_0"), i18n.M("admin.or_send_null_to_remove.hint"))
		}
	}
	if p.AllowedIPs != nil {
		if _, err := config.ParsePrefixes(*p.AllowedIPs); err != nil {
			return invalid("allowed_ips", i18n.M("admin.allowed_ips", i18n.S("value", err.Error())), i18n.M("admin.use_cidrs_such_as_10.hint"))
		}
	}
	if p.Group != nil && s.Catalog.Snapshot().Groups[*p.Group] == nil {
		return apierr.T(apierr.NotFound, i18n.M("admin.group_does_not_exist", i18n.Q("group", fmt.Sprint(*p.Group))), i18n.M("admin.declare_it_under_groups_in.hint"))
	}
	if (p.RPM != nil && *p.RPM < 0) || (p.TPM != nil && *p.TPM < 0) {
		return invalid("rpm", i18n.M("admin.rpm_and_tpm_must_not"), i18n.Message{})
	}
	if p.RequestTypes != nil {
		if err := checkRequestTypes(*p.RequestTypes); err != nil {
			return err
		}
	}
	if p.Concurrency != nil && *p.Concurrency < 0 {
		return invalid("concurrency", i18n.M("admin.concurrency_must_not_be_negative"), i18n.M("admin.0_returns_the_key_to.hint"))
	}
	patch := service.KeyPatch{Name: p.Name, Group: p.Group, Models: p.Models, AllowedIPs: p.AllowedIPs, RequestTypes: p.RequestTypes,
		RPM: p.RPM, TPM: p.TPM, Concurrency: p.Concurrency, SetExpiry: len(p.ExpiresAt) > 0, SetBudget: len(p.Budget) > 0}
	if exp != nil {
		patch.ExpiresAt = *exp
	}
	if budget != nil {
		patch.BudgetUSD, patch.BudgetPeriod = budget.LimitUSD, budget.Period
	}
	k, err := s.Svc.PatchKey(r.Context(), s.who(r), r.PathValue("id"), patch)
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
	k, changed, err := s.Svc.DisableKey(r.Context(), s.who(r), r.PathValue("id"), reason)
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
	k, err := s.Svc.EnableKey(r.Context(), s.who(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, 200, viewKey(k))
	return nil
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.Svc.DeleteKey(r.Context(), s.who(r), r.PathValue("id"))
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
		return invalid("grace_seconds", i18n.M("admin.grace_seconds_must_be_between", i18n.S("max_grace", fmt.Sprint(int64(MaxGrace/time.Second)))), i18n.M("admin.use_0_to_refuse_the.hint"))
	}
	idem := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if len(idem) > 200 {
		return invalid("Idempotency-Key", i18n.M("admin.the_idempotency_key_header_is"), i18n.M("admin.use_a_uuid.hint"))
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
		return invalid("since", i18n.M("admin.since_must_be_before_until"), i18n.Message{})
	}
	rep, err := s.Svc.KeyImpact(r.Context(), r.PathValue("id"), since.UTC(), until.UTC())
	if err != nil {
		return err
	}
	writeJSON(w, 200, rep)
	return nil
}

// impact is the impact report of k (service.Impact), for the incident
// evidence.
func (s *Server) impact(ctx context.Context, k store.Key, since, until time.Time) (*wire.ImpactReport, error) {
	return s.Svc.Impact(ctx, k, since, until)
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
		return invalid("digests", i18n.M("admin.digests_in_one_call_the", i18n.S("n_digests", fmt.Sprint(len(body.Digests)))), i18n.M("admin.send_them_in_batches.hint"))
	}
	for i, d := range body.Digests {
		d = strings.ToLower(strings.TrimSpace(d))
		if len(d) != 64 || strings.Trim(d, "0123456789abcdef") != "" {
			return invalid("digests", i18n.M("admin.is_not_a_hex_sha", i18n.Q("value", fmt.Sprint(truncate(d, 70)))), i18n.M("admin.send_the_lowercase_hex_sha.hint"))
		}
		body.Digests[i] = d
	}
	known, err := s.Svc.KeysByDigest(r.Context(), body.Digests)
	if err != nil {
		return err
	}
	out := make([]wire.DigestStatus, 0, len(body.Digests))
	for _, d := range body.Digests {
		st := wire.DigestStatus{Digest: d}
		// A key of a project the caller cannot see is as unknown to it.
		if k, ok := known[d]; ok && s.canSeeProject(actorFrom(r.Context()), k.Project) {
			st.Known, st.ID, st.Display, st.State, st.Project, st.Env = true, k.ID, k.Display, k.State, k.Project, k.Env
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
			return invalid("limit", i18n.M("admin.limit_is_not_a_number", i18n.Q("value", fmt.Sprint(v))), i18n.Message{})
		}
	}
	evs, err := s.Svc.AuditEvents(r.Context(), f)
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
			return invalid("request_types", i18n.M("admin.request_types_has_the_types", i18n.Q("value", fmt.Sprint(t)), i18n.S("request_types", fmt.Sprint(strings.Join(httpapi.RequestTypes, ", ")))), i18n.M("admin.leave_request_types_empty_to.hint"))
		}
	}
	return nil
}
