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
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/ids"
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
	// leakReview is when an automatic leak incident asks to be looked at.
	leakReview = 24 * time.Hour
)

func (s *Server) incidentRoutes(mux router) {
	mux.Handle("POST /admin/v1/incidents", s.admin(s.createIncident))
	mux.Handle("GET /admin/v1/incidents", s.admin(s.listIncidents))
	mux.Handle("GET /admin/v1/incidents/{id}", s.admin(s.getIncident))
	mux.Handle("PATCH /admin/v1/incidents/{id}", s.admin(s.patchIncident))
	mux.Handle("POST /admin/v1/incidents/{id}/notes", s.admin(s.noteIncident))
	mux.Handle("POST /admin/v1/incidents/{id}/resolve", s.admin(s.resolveIncident))
}

func incidentNotFound(id string) error {
	return apierr.T(apierr.NotFound, i18n.M("admin.no_incident_with_id", i18n.Q("id", fmt.Sprint(id))), i18n.M("admin.get_admin_v1_incidents_keygate.hint"))
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

// linkKeys loads the keys, checks the caller sees them and that they share
// one project, and returns that project.
func (s *Server) linkKeys(ctx context.Context, a Actor, ids []string, project string) ([]store.Key, string, error) {
	var out []store.Key
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if err := s.checkKey(ctx, a, id); err != nil {
			return nil, "", err
		}
		k, err := s.Store.GetKey(ctx, id)
		if err != nil {
			return nil, "", err
		}
		if project == "" {
			project = k.Project
		}
		if k.Project != project {
			return nil, "", invalid("key_ids", i18n.M("admin.key_belongs_to_project_the", i18n.S("id", fmt.Sprint(k.ID)), i18n.Q("project", fmt.Sprint(k.Project)), i18n.Q("project2", fmt.Sprint(project))), i18n.M("admin.open_one_incident_per_project.hint"))
		}
		out = append(out, k)
	}
	return out, project, nil
}

// requestEvidenceOf snapshots a request's log row, redacted.
func (s *Server) requestEvidenceOf(ctx context.Context, a Actor, id string) (store.Evidence, error) {
	l, err := s.Store.GetLog(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.canSeeProject(a, l.Project)) {
		return store.Evidence{}, requestNotFound(id)
	}
	if err != nil {
		return store.Evidence{}, err
	}
	b, _ := json.Marshal(map[string]any{"request_id": l.RequestID, "time": l.Time, "status": l.Status, "error_code": l.ErrorCode,
		"failure_reason": cleanText(l.FailureReason, 500), "model": l.Model, "channel": l.Channel, "key_id": l.KeyID,
		"key_display": l.KeyDisplay, "source_ip": l.SourceIP, "user_agent": l.UserAgent, "client": l.Client, "route": l.Route})
	return store.Evidence{Kind: "request", Ref: l.RequestID, Time: s.Now().UTC(), Data: b}, nil
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

func (s *Server) createIncident(w http.ResponseWriter, r *http.Request) error {
	var b incidentBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	if err := b.validate(); err != nil {
		return err
	}
	ctx := r.Context()
	a := actorFrom(ctx)
	project := ""
	if b.Project != nil {
		project = *b.Project
	}
	ks, project, err := s.linkKeys(ctx, a, b.KeyIDs, project)
	if err != nil {
		return err
	}
	if project != "" {
		if err := s.checkProject(ctx, a, project); err != nil {
			return err
		}
	} else if !a.Global() {
		return invalid("project", i18n.M("admin.name_the_project_of_the"), i18n.M("admin.you_see_only_some_projects.hint"))
	}
	now := s.Now().UTC()
	in := store.Incident{ID: ids.New("inc"), State: store.IncidentOpen, Origin: "manual", Project: project, OpenedBy: a.String(),
		CreatedAt: now, UpdatedAt: now, KeyIDs: []string{}, RequestIDs: []string{}}
	applyIncidentBody(&in, &b)
	if in.Title == "" {
		return invalid("title", i18n.M("admin.title_is_required"), i18n.M("admin.say_in_a_few_words.hint"))
	}
	for _, k := range ks {
		if !slices.Contains(in.KeyIDs, k.ID) {
			in.KeyIDs = append(in.KeyIDs, k.ID)
			in.Evidence = append(in.Evidence, s.keyEvidence(ctx, k)...)
		}
	}
	for _, id := range b.RequestIDs {
		id = strings.TrimSpace(id)
		ev, err := s.requestEvidenceOf(ctx, a, id)
		if err != nil {
			return err
		}
		if !slices.Contains(in.RequestIDs, id) {
			in.RequestIDs = append(in.RequestIDs, id)
			in.Evidence = append(in.Evidence, ev)
		}
	}
	if err := s.Svc.Apply(ctx, s.who(r), "incident.open", in.ID, map[string]any{"title": in.Title, "keys": in.KeyIDs, "project": in.Project},
		func(tx store.Store) error {
			if err := tx.CreateIncident(ctx, &in); err != nil {
				return err
			}
			if b.Note != "" {
				return tx.AddIncidentNote(ctx, s.note(in.ID, a.String(), "note", b.Note))
			}
			return nil
		}); err != nil {
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

func (s *Server) note(id, author, kind, text string) store.IncidentNote {
	return store.IncidentNote{ID: ids.New("note"), IncidentID: id, Time: s.Now().UTC(), Author: author, Kind: kind, Text: text}
}

// loadIncident returns the incident in the path if the caller may see it.
func (s *Server) loadIncident(r *http.Request) (store.Incident, error) {
	return s.loadIncidentFrom(r, s.Store)
}

func (s *Server) loadIncidentFrom(r *http.Request, st store.Store) (store.Incident, error) {
	id := r.PathValue("id")
	in, err := st.GetIncident(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.canSeeProject(actorFrom(r.Context()), in.Project)) {
		return in, incidentNotFound(id)
	}
	return in, err
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) error {
	in, err := s.loadIncident(r)
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
	var keysNow []store.Key
	for _, id := range in.KeyIDs {
		k, err := s.Store.GetKey(ctx, id)
		if err != nil {
			rec.Keys = append(rec.Keys, incident.KeyRef{ID: id, State: "unknown"})
			continue
		}
		keysNow = append(keysNow, k)
		rec.Keys = append(rec.Keys, incident.KeyRef{ID: k.ID, Display: k.Display, State: k.State, StateReason: k.StateReason,
			ReplacedBy: k.ReplacedBy, GraceUntil: timePtr(k.GraceUntil)})
	}
	// Actions: the audit trail of the keys, their replacements and the
	// incident, from a day before it was opened.
	objects := append([]string{in.ID}, in.KeyIDs...)
	for _, k := range keysNow {
		if k.ReplacedBy != "" {
			objects = append(objects, k.ReplacedBy)
		}
	}
	since := in.CreatedAt.Add(-24 * time.Hour)
	for _, obj := range objects {
		evs, err := s.Store.ListAudit(ctx, store.AuditFilter{Object: obj, Since: since, Limit: 200})
		if err != nil {
			return rec, err
		}
		for _, e := range evs {
			d := json.RawMessage(e.Detail)
			if !json.Valid(d) {
				d = nil
			}
			rec.Actions = append(rec.Actions, incident.Action{Time: e.Time, Actor: e.Actor, Action: e.Action, Object: e.Object, Detail: d})
		}
	}
	sort.SliceStable(rec.Actions, func(i, j int) bool { return rec.Actions[i].Time.Before(rec.Actions[j].Time) })
	notes, err := s.Store.ListIncidentNotes(ctx, in.ID)
	if err != nil {
		return rec, err
	}
	for _, n := range notes {
		rec.Notes = append(rec.Notes, incident.Note{Time: n.Time, Author: n.Author, Kind: n.Kind, Text: n.Text})
	}
	if in.State != store.IncidentResolved {
		rec.Remaining = s.remaining(ctx, in, keysNow, rec.Overdue)
	}
	return rec, nil
}

// remaining lists what is left to do, from the keys' state now.
func (s *Server) remaining(ctx context.Context, in store.Incident, ks []store.Key, overdue bool) []string {
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
		repl, err := s.Store.GetKey(ctx, k.ReplacedBy)
		if err != nil {
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
	list, err := s.Store.ListIncidents(r.Context(), f)
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

// changeIncident reads the incident, applies change and writes it back
// under its version check with the notes and the audit row change returns,
// in one transaction (retried afresh when another writer got there first).
func (s *Server) changeIncident(r *http.Request, change func(in *store.Incident) (service.AuditRow, []store.IncidentNote, error)) (store.Incident, error) {
	var out store.Incident
	err := s.Svc.Change(r.Context(), s.who(r), func(tx store.Store) (service.AuditRow, error) {
		in, err := s.loadIncidentFrom(r, tx)
		if err != nil {
			return service.AuditRow{}, err
		}
		row, notes, err := change(&in)
		if err != nil {
			return row, err
		}
		in.UpdatedAt = s.Now().UTC()
		if err := tx.UpdateIncident(r.Context(), &in); err != nil {
			return row, err
		}
		for _, n := range notes {
			if err := tx.AddIncidentNote(r.Context(), n); err != nil {
				return row, err
			}
		}
		out = in
		return row, nil
	})
	return out, err
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
	ctx := r.Context()
	a := actorFrom(ctx)
	cur, err := s.loadIncident(r)
	if err != nil {
		return err
	}
	ks, _, err := s.linkKeys(ctx, a, b.KeyIDs, cur.Project)
	if err != nil {
		return err
	}
	var evidence []store.Evidence
	var newKeys, newReqs []string
	for _, k := range ks {
		if !slices.Contains(cur.KeyIDs, k.ID) && !slices.Contains(newKeys, k.ID) {
			newKeys = append(newKeys, k.ID)
			evidence = append(evidence, s.keyEvidence(ctx, k)...)
		}
	}
	for _, id := range b.RequestIDs {
		id = strings.TrimSpace(id)
		if slices.Contains(cur.RequestIDs, id) || slices.Contains(newReqs, id) {
			continue
		}
		ev, err := s.requestEvidenceOf(ctx, a, id)
		if err != nil {
			return err
		}
		newReqs = append(newReqs, id)
		evidence = append(evidence, ev)
	}
	var changed []string
	in, err := s.changeIncident(r, func(in *store.Incident) (service.AuditRow, []store.IncidentNote, error) {
		before := *in
		applyIncidentBody(in, &b)
		// A state other than resolved reopens a resolved incident: when
		// the problem comes back it is the same story.
		if in.State != store.IncidentResolved {
			in.ResolvedAt = time.Time{}
		}
		for _, id := range newKeys {
			if !slices.Contains(in.KeyIDs, id) {
				in.KeyIDs = append(in.KeyIDs, id)
			}
		}
		for _, id := range newReqs {
			if !slices.Contains(in.RequestIDs, id) {
				in.RequestIDs = append(in.RequestIDs, id)
			}
		}
		in.Evidence = append(in.Evidence, evidence...)
		changed = diffIncident(before, *in)
		var row service.AuditRow
		var notes []store.IncidentNote
		if len(changed) > 0 {
			row = service.AuditRow{Action: "incident.update", Object: in.ID, Detail: map[string]any{"fields": changed, "state": in.State}}
			if slices.Contains(changed, "state") {
				notes = append(notes, s.note(in.ID, a.String(), "state", "State changed to "+in.State+"."))
			}
		}
		if b.Note != "" {
			notes = append(notes, s.note(in.ID, a.String(), "note", b.Note))
		}
		return row, notes, nil
	})
	if err != nil {
		return err
	}
	return s.writeIncident(w, r, in, http.StatusOK)
}

// diffIncident names the fields that differ.
func diffIncident(a, b store.Incident) []string {
	var out []string
	add := func(name string, differ bool) {
		if differ {
			out = append(out, name)
		}
	}
	add("title", a.Title != b.Title)
	add("owner", a.Owner != b.Owner)
	add("environment", a.Environment != b.Environment)
	add("deployment", a.Deployment != b.Deployment)
	add("capability", a.Capability != b.Capability)
	add("symptom", a.Symptom != b.Symptom)
	add("state", a.State != b.State)
	add("next_review", !a.NextReview.Equal(b.NextReview))
	add("last_known_good", !a.LastGoodAt.Equal(b.LastGoodAt) || a.LastGoodRequest != b.LastGoodRequest)
	add("key_ids", len(a.KeyIDs) != len(b.KeyIDs))
	add("request_ids", len(a.RequestIDs) != len(b.RequestIDs))
	return out
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
	in, err := s.loadIncident(r)
	if err != nil {
		return err
	}
	a := actorFrom(r.Context())
	if err := s.Svc.Apply(r.Context(), s.who(r), "incident.note", in.ID, map[string]any{"bytes": len(b.Text)}, func(tx store.Store) error {
		return tx.AddIncidentNote(r.Context(), s.note(in.ID, a.String(), "note", b.Text))
	}); err != nil {
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
	now := s.Now().UTC()
	a := actorFrom(r.Context())
	in, err := s.changeIncident(r, func(in *store.Incident) (service.AuditRow, []store.IncidentNote, error) {
		if in.State == store.IncidentResolved {
			return service.AuditRow{}, nil, nil
		}
		in.State, in.ResolvedAt = store.IncidentResolved, now
		if b.Resolution != "" {
			in.Resolution = b.Resolution
		}
		return service.AuditRow{Action: "incident.resolve", Object: in.ID, Detail: map[string]any{"title": in.Title}},
			[]store.IncidentNote{s.note(in.ID, a.String(), "state", "Resolved.")}, nil
	})
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
	ctx = context.WithoutCancel(ctx)
	open, err := s.Store.ListIncidents(ctx, store.IncidentFilter{KeyID: k.ID,
		States: []string{store.IncidentOpen, store.IncidentContained}, Limit: 1})
	if err != nil {
		s.Log.Error("leak incident: cannot look for an open incident", "key_id", k.ID, "err", err)
		return
	}
	reason = cleanText(reason, 1000)
	if len(open) > 0 {
		if err := s.Svc.Apply(ctx, service.Who{Actor: actor}, "incident.note", open[0].ID, map[string]any{"kind": "evidence"}, func(tx store.Store) error {
			return tx.AddIncidentNote(ctx, s.note(open[0].ID, actor, "evidence", "Reported again: "+reason))
		}); err != nil {
			s.Log.Error("leak incident: the re-report could not be noted", "incident", open[0].ID, "err", err)
		}
		return
	}
	now := s.Now().UTC()
	state := store.IncidentOpen
	if k.State == store.KeyDisabled {
		state = store.IncidentContained // the key is refused already
	}
	owner := ""
	if k.Member != "" {
		if m, err := s.Store.GetMember(ctx, k.Member); err == nil {
			owner = m.Email
		}
	}
	in := store.Incident{ID: ids.New("inc"), Title: fmt.Sprintf("Key %s (%s) leaked", k.Display, k.ID), State: state, Origin: origin,
		Project: k.Project, Owner: owner, Environment: k.Env, Capability: capabilityOf(k), Symptom: reason, KeyIDs: []string{k.ID},
		RequestIDs: []string{}, Evidence: s.keyEvidence(ctx, k), NextReview: now.Add(leakReview), OpenedBy: actor,
		CreatedAt: now, UpdatedAt: now}
	if err := s.Svc.Apply(ctx, service.Who{Actor: actor}, "incident.open", in.ID, map[string]any{"title": in.Title, "keys": in.KeyIDs, "origin": origin},
		func(tx store.Store) error { return tx.CreateIncident(ctx, &in) }); err != nil {
		s.Log.Error("leak incident could not be opened", "key_id", k.ID, "err", err)
		return
	}
	s.notifyIncident(EventIncidentOpened, in)
}

// capabilityOf says what a key could reach, for an incident's "affected".
func capabilityOf(k store.Key) string {
	models := "every model of group " + k.Group
	if len(k.Models) > 0 {
		models = "models " + strings.Join(k.Models, ", ")
	}
	return fmt.Sprintf("%s in project %s (%s key)", models, k.Project, k.Env)
}

func (s *Server) notifyIncident(typ string, in store.Incident) { s.Svc.NotifyIncident(typ, in) }
