package admin

// Incident handoff records: POST/GET /admin/v1/incidents[/{id}], PATCH,
// notes and resolve. An incident links keys and request ids, keeps the
// fields a handoff needs and snapshots of the evidence (impact report,
// rotation status, request rows — display forms only); the actions taken
// come from the audit log when the record is read. Every text field is
// refused if it holds something key-shaped: an incident is pasted into
// tickets and chats, so it must never carry a secret.
//
// A key disabled for a leak (a signed secret-scanning report, or by hand
// with "leak": true or a reason starting with "leak") opens an incident
// automatically with the impact report attached.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/incident"
	"github.com/keygate/keygate/internal/service"
	"github.com/keygate/keygate/internal/store"
)

// Limits of incident input.
const (
	maxIncidentKeys     = 20
	maxIncidentRequests = 50
	maxIncidentText     = 10000
	maxIncidentField    = 500
)

func (s *Server) incidentRoutes(mux router) {
	mux.Handle("POST /admin/v1/incidents", s.admin(s.createIncident))
	mux.Handle("GET /admin/v1/incidents", s.admin(s.listIncidents))
	mux.Handle("GET /admin/v1/incidents/{id}", s.admin(s.getIncident))
	mux.Handle("PATCH /admin/v1/incidents/{id}", s.admin(s.patchIncident))
	mux.Handle("POST /admin/v1/incidents/{id}/notes", s.admin(s.noteIncident))
	mux.Handle("POST /admin/v1/incidents/{id}/resolve", s.admin(s.resolveIncident))
}

// incidentBody is the body of POST and PATCH /admin/v1/incidents. On PATCH,
// absent fields stay as they are and key_ids/request_ids are added.
type incidentBody struct {
	Title       *string    `json:"title"`
	Owner       *string    `json:"owner"`
	Environment *string    `json:"environment"`
	Deployment  *string    `json:"deployment"`
	Capability  *string    `json:"capability"`
	Symptom     *string    `json:"symptom"`
	State       *string    `json:"state"`
	Project     *string    `json:"project"`
	NextReview  *time.Time `json:"next_review"`
	LastGood    *struct {
		Time      *time.Time `json:"time"`
		RequestID string     `json:"request_id"`
	} `json:"last_known_good"`
	KeyIDs     []string `json:"key_ids"`
	RequestIDs []string `json:"request_ids"`
	Note       string   `json:"note"`
}

// checkText refuses free text with a secret in it, or too long.
func checkText(field, v string, limit int) error {
	if len(v) > limit {
		return invalid(field, i18n.M("admin.is_bytes_long_the_limit", i18n.S("field", fmt.Sprint(field)), i18n.S("n_value", fmt.Sprint(len(v))), i18n.S("limit", fmt.Sprint(limit))), i18n.M("admin.shorten_it_attach_details_as.hint"))
	}
	if err := incident.CheckText(field, v); err != nil {
		return invalid(field, i18n.M("admin.nothing_was_saved", i18n.S("value", err.Error())), i18n.M("admin.never_paste_a_key_or.hint"))
	}
	return nil
}

// validate checks every text field of b.
func (b *incidentBody) validate() error {
	fields := []struct {
		name  string
		v     *string
		limit int
	}{{"title", b.Title, maxIncidentField}, {"owner", b.Owner, maxIncidentField}, {"environment", b.Environment, maxIncidentField},
		{"deployment", b.Deployment, maxIncidentField}, {"capability", b.Capability, maxIncidentText},
		{"symptom", b.Symptom, maxIncidentText}, {"project", b.Project, maxIncidentField}}
	for _, f := range fields {
		if f.v == nil {
			continue
		}
		*f.v = strings.TrimSpace(*f.v)
		if err := checkText(f.name, *f.v, f.limit); err != nil {
			return err
		}
	}
	if err := checkText("note", b.Note, maxIncidentText); err != nil {
		return err
	}
	if b.State != nil && *b.State != store.IncidentOpen && *b.State != store.IncidentContained {
		return invalid("state", i18n.M("admin.state_is_not_valid_here", i18n.Q("state", fmt.Sprint(*b.State))), i18n.M("admin.use_open_or_contained_resolve.hint"))
	}
	if len(b.KeyIDs) > maxIncidentKeys {
		return invalid("key_ids", i18n.M("admin.keys_an_incident_links_at", i18n.S("n_key_ids", fmt.Sprint(len(b.KeyIDs))), i18n.S("max_incident_keys", fmt.Sprint(maxIncidentKeys))), i18n.Message{})
	}
	if len(b.RequestIDs) > maxIncidentRequests {
		return invalid("request_ids", i18n.M("admin.request_ids_an_incident_links", i18n.S("n_request_ids", fmt.Sprint(len(b.RequestIDs))), i18n.S("max_incident_requests", fmt.Sprint(maxIncidentRequests))), i18n.Message{})
	}
	for _, id := range b.KeyIDs {
		if err := checkText("key_ids", id, 100); err != nil {
			return err
		}
	}
	for _, id := range append(slices.Clone(b.RequestIDs), lastGoodID(b)) {
		if err := checkText("request_ids", id, 100); err != nil {
			return err
		}
	}
	return nil
}

func lastGoodID(b *incidentBody) string {
	if b.LastGood == nil {
		return ""
	}
	return strings.TrimSpace(b.LastGood.RequestID)
}

// keyEvidence snapshots a key's impact report (the last 7 days) and, when
// it is part of a rotation, the rotation status.
func (s *Server) keyEvidence(ctx context.Context, k store.Key) []store.Evidence {
	now := s.Now().UTC()
	var out []store.Evidence
	if rep, err := s.impact(ctx, k, now.Add(-7*24*time.Hour), now); err == nil {
		b, _ := json.Marshal(rep)
		out = append(out, store.Evidence{Kind: "impact", Ref: k.ID, Time: now, Data: b})
	} else {
		s.Log.Warn("incident evidence: impact report failed", "key_id", k.ID, "err", err)
	}
	if ev, ok := s.rotationEvidence(ctx, k); ok {
		out = append(out, ev)
	}
	return out
}

// links are the keys and requests of b, seen as the caller sees them.
func (s *Server) links(r *http.Request, b *incidentBody) service.IncidentLinks {
	return service.IncidentLinks{KeyIDs: b.KeyIDs, RequestIDs: b.RequestIDs, Visible: s.visible(r), Evidence: s.keyEvidence}
}

func (s *Server) createIncident(w http.ResponseWriter, r *http.Request) error {
	var b incidentBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if err := b.validate(); err != nil {
		return err
	}
	var draft store.Incident
	applyIncidentBody(&draft, &b)
	if b.Project != nil {
		draft.Project = *b.Project
	}
	in, err := s.Svc.CreateIncident(r.Context(), s.who(r), service.NewIncident{Draft: draft, Links: s.links(r, &b), Note: b.Note,
		Global: actorFrom(r.Context()).Global()})
	if err != nil {
		return err
	}
	s.notifyIncident(EventIncidentOpened, in)
	return s.writeIncident(w, r, in, http.StatusCreated)
}

// applyIncidentBody copies the present fields of b into in.
func applyIncidentBody(in *store.Incident, b *incidentBody) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&in.Title, b.Title)
	set(&in.Owner, b.Owner)
	set(&in.Environment, b.Environment)
	set(&in.Deployment, b.Deployment)
	set(&in.Capability, b.Capability)
	set(&in.Symptom, b.Symptom)
	set(&in.State, b.State)
	if b.NextReview != nil {
		in.NextReview = b.NextReview.UTC()
	}
	if b.LastGood != nil {
		if b.LastGood.Time != nil {
			in.LastGoodAt = b.LastGood.Time.UTC()
		}
		in.LastGoodRequest = strings.TrimSpace(b.LastGood.RequestID)
	}
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) error {
	in, err := s.Svc.GetIncident(r.Context(), r.PathValue("id"), s.visible(r))
	if err != nil {
		return err
	}
	return s.writeIncident(w, r, in, http.StatusOK)
}

// writeIncident answers with the full record, as JSON or, with
// ?format=markdown, as the Markdown summary.
func (s *Server) writeIncident(w http.ResponseWriter, r *http.Request, in store.Incident, status int) error {
	rec, err := s.incidentRecord(r.Context(), in)
	if err != nil {
		return err
	}
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		writeJSON(w, status, rec)
	case "markdown", "md":
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(incident.Markdown(rec, s.Now().UTC())))
	default:
		return invalid("format", i18n.M("admin.format_is_not_known", i18n.Q("value", fmt.Sprint(f))), i18n.M("admin.use_json_the_default_or.hint"))
	}
	return nil
}

// incidentRecord assembles the record: stored fields, the keys as they are
// now, the audit trail, the notes and what is left to do.
func (s *Server) incidentRecord(ctx context.Context, in store.Incident) (incident.Record, error) {
	now := s.Now().UTC()
	rec := incident.Record{ID: in.ID, Title: in.Title, State: in.State, Origin: in.Origin, Project: in.Project, Owner: in.Owner,
		Environment: in.Environment, Deployment: in.Deployment, Capability: in.Capability, Symptom: in.Symptom,
		RequestIDs: nonNilStrs(in.RequestIDs), Keys: []incident.KeyRef{}, Evidence: []incident.Evidence{}, Actions: []incident.Action{},
		Notes: []incident.Note{}, Remaining: []string{}, NextReview: timePtr(in.NextReview), Resolution: in.Resolution,
		OpenedBy: in.OpenedBy, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, ResolvedAt: timePtr(in.ResolvedAt)}
	if !in.LastGoodAt.IsZero() || in.LastGoodRequest != "" {
		rec.LastGood = &incident.LastGood{Time: timePtr(in.LastGoodAt), RequestID: in.LastGoodRequest}
	}
	rec.Overdue = in.State != store.IncidentResolved && !in.NextReview.IsZero() && !now.Before(in.NextReview)
	for _, e := range in.Evidence {
		rec.Evidence = append(rec.Evidence, incident.Evidence{Kind: e.Kind, Ref: e.Ref, Time: e.Time, Data: e.Data})
	}
	tr, err := s.Svc.IncidentTrail(ctx, in)
	if err != nil {
		return rec, err
	}
	var keysNow []store.Key
	for _, id := range in.KeyIDs {
		k, ok := tr.Keys[id]
		if !ok {
			rec.Keys = append(rec.Keys, incident.KeyRef{ID: id, State: "unknown"})
			continue
		}
		keysNow = append(keysNow, k)
		rec.Keys = append(rec.Keys, incident.KeyRef{ID: k.ID, Display: k.Display, State: k.State, StateReason: k.StateReason,
			ReplacedBy: k.ReplacedBy, GraceUntil: timePtr(k.GraceUntil)})
	}
	// Actions: the audit trail of the keys, their replacements and the
	// incident, from a day before it was opened.
	for _, e := range tr.Actions {
		d := json.RawMessage(e.Detail)
		if !json.Valid(d) {
			d = nil
		}
		rec.Actions = append(rec.Actions, incident.Action{Time: e.Time, Actor: e.Actor, Action: e.Action, Object: e.Object, Detail: d})
	}
	for _, n := range tr.Notes {
		rec.Notes = append(rec.Notes, incident.Note{Time: n.Time, Author: n.Author, Kind: n.Kind, Text: n.Text})
	}
	if in.State != store.IncidentResolved {
		rec.Remaining = s.remaining(ctx, in, keysNow, tr.Keys, rec.Overdue)
	}
	return rec, nil
}

// remaining lists what is left to do, from the keys' state now.
func (s *Server) remaining(ctx context.Context, in store.Incident, ks []store.Key, byID map[string]store.Key, overdue bool) []string {
	out := []string{}
	leak := in.Origin != "manual" || strings.Contains(strings.ToLower(in.Title+" "+in.Symptom), "leak")
	for _, k := range ks {
		switch {
		case k.State == store.KeyActive && leak:
			out = append(out, fmt.Sprintf("Key %s (%s) is still active: disable it (keygate keys disable %s) or rotate it with no grace.", k.ID, k.Display, k.ID))
		case k.State == store.KeyDisabled && k.ReplacedBy == "":
			out = append(out, fmt.Sprintf("Key %s (%s) is disabled and has no replacement: rotate it (keygate keys rotate %s) and give the new key to its users.", k.ID, k.Display, k.ID))
		}
		if k.ReplacedBy == "" {
			continue
		}
		repl, ok := byID[k.ReplacedBy]
		if !ok {
			continue
		}
		rep, err := s.rotationReport(ctx, k, repl, defaultLookback)
		if err != nil || rep.Remaining == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("Rotation of %s: %s (keygate keys rotation %s --watch)", k.ID, rep.Summary, k.ID))
	}
	if in.Owner == "" {
		out = append(out, fmt.Sprintf("Assign an owner (keygate incidents update %s --owner EMAIL).", in.ID))
	}
	switch {
	case in.NextReview.IsZero():
		out = append(out, fmt.Sprintf("Set the next review time (keygate incidents update %s --next-review 24h).", in.ID))
	case overdue:
		out = append(out, fmt.Sprintf("The review planned for %s is overdue.", stamp(in.NextReview)))
	}
	if in.State == store.IncidentOpen {
		out = append(out, "Mark it contained once the affected keys can no longer be misused.")
	}
	out = append(out, fmt.Sprintf("Resolve it with what was done and learned (keygate incidents resolve %s --resolution TEXT).", in.ID))
	return out
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.IncidentFilter{KeyID: q.Get("key_id"), Projects: s.visibleProjects(r)}
	switch st := q.Get("state"); st {
	case "", "unresolved":
		f.States = []string{store.IncidentOpen, store.IncidentContained}
	case "all":
	case store.IncidentOpen, store.IncidentContained, store.IncidentResolved:
		f.States = []string{st}
	default:
		return invalid("state", i18n.M("admin.state_is_not_known", i18n.Q("st", fmt.Sprint(st))), i18n.M("admin.use_open_contained_resolved_unresolved.hint"))
	}
	if p := q.Get("project"); p != "" {
		f.Projects = []string{p} // authorize checked that the caller sees it
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return invalid("limit", i18n.M("admin.limit_is_not_a_number", i18n.Q("value", fmt.Sprint(v))), i18n.Message{})
		}
		f.Limit = n
	}
	list, err := s.Svc.ListIncidents(r.Context(), f)
	if err != nil {
		return err
	}
	now := s.Now().UTC()
	out := make([]map[string]any, 0, len(list))
	for _, in := range list {
		out = append(out, map[string]any{"id": in.ID, "title": in.Title, "state": in.State, "origin": in.Origin, "project": in.Project,
			"owner": in.Owner, "key_ids": nonNilStrs(in.KeyIDs), "next_review": timePtr(in.NextReview),
			"created_at": in.CreatedAt, "updated_at": in.UpdatedAt,
			"review_overdue": in.State != store.IncidentResolved && !in.NextReview.IsZero() && !now.Before(in.NextReview)})
	}
	writeJSON(w, 200, map[string]any{"data": out})
	return nil
}

func (s *Server) patchIncident(w http.ResponseWriter, r *http.Request) error {
	var b incidentBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if err := b.validate(); err != nil {
		return err
	}
	if b.Project != nil {
		return invalid("project", i18n.M("admin.the_project_of_an_incident"), i18n.M("admin.open_a_new_incident_in.hint"))
	}
	in, err := s.Svc.UpdateIncident(r.Context(), s.who(r), r.PathValue("id"), service.IncidentPatch{
		Apply: func(in *store.Incident) { applyIncidentBody(in, &b) }, Links: s.links(r, &b), Note: b.Note})
	if err != nil {
		return err
	}
	return s.writeIncident(w, r, in, http.StatusOK)
}

type noteBody struct {
	Text string `json:"text"`
}

func (s *Server) noteIncident(w http.ResponseWriter, r *http.Request) error {
	var b noteBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	b.Text = strings.TrimSpace(b.Text)
	if b.Text == "" {
		return invalid("text", i18n.M("admin.text_is_required"), i18n.M("admin.write_what_you_found_or.hint"))
	}
	if err := checkText("text", b.Text, maxIncidentText); err != nil {
		return err
	}
	in, err := s.Svc.NoteIncident(r.Context(), s.who(r), r.PathValue("id"), b.Text, s.visible(r))
	if err != nil {
		return err
	}
	return s.writeIncident(w, r, in, http.StatusCreated)
}

type resolveBody struct {
	Resolution string `json:"resolution"`
}

func (s *Server) resolveIncident(w http.ResponseWriter, r *http.Request) error {
	var b resolveBody
	if err := decodeOptional(r, &b); err != nil {
		return err
	}
	b.Resolution = strings.TrimSpace(b.Resolution)
	if err := checkText("resolution", b.Resolution, maxIncidentText); err != nil {
		return err
	}
	in, err := s.Svc.ResolveIncident(r.Context(), s.who(r), r.PathValue("id"), b.Resolution, s.visible(r))
	if err != nil {
		return err
	}
	return s.writeIncident(w, r, in, http.StatusOK)
}

// isLeakReason reports whether a disable reason says the key leaked.
func isLeakReason(reason string) bool {
	r := strings.ToLower(strings.TrimSpace(reason))
	return strings.HasPrefix(r, "leak") || strings.Contains(r, "leaked")
}

// leakIncident records a leak of k: it opens an incident with the impact
// report attached, or, when the key is already in an unresolved incident,
// adds the new report to that one's timeline. Failures are logged: a leak
// response must never fail because of its paperwork.
func (s *Server) leakIncident(ctx context.Context, k store.Key, origin, actor, reason string) {
	in, err := s.Svc.LeakIncident(context.WithoutCancel(ctx), service.Who{Actor: actor}, k, origin, reason, s.keyEvidence)
	if err != nil {
		s.Log.Error("leak incident could not be opened or noted", "key_id", k.ID, "err", err)
		return
	}
	if in != nil {
		s.notifyIncident(EventIncidentOpened, *in)
	}
}

func (s *Server) notifyIncident(typ string, in store.Incident) { s.Svc.NotifyIncident(typ, in) }
