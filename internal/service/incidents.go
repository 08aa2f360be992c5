package service

// Incidents: open, update, note, resolve and the automatic leak incident,
// each in one transaction with its audit row. The linked keys and requests
// are read and checked (visible to the caller, one project) inside that
// transaction; the leak incident looks for an open incident of the key and
// opens or notes one under the key's lock, so two reports of one key at once
// open one incident, not two.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/store"
)

// LeakReview is when an automatic leak incident asks to be looked at.
const LeakReview = 24 * time.Hour

// IncidentNotFound is the error of an id that names no incident the caller sees.
func IncidentNotFound(id string) error {
	return apierr.T(apierr.NotFound, i18n.M("admin.no_incident_with_id", i18n.Q("id", id)), i18n.M("admin.get_admin_v1_incidents_keygate.hint"))
}

func incidentLock(id string) string    { return "incident:" + id }
func keyIncidentLock(id string) string { return "incident-key:" + id }

func getIncident(ctx context.Context, st store.Store, id string, visible Visible) (store.Incident, error) {
	in, err := st.GetIncident(ctx, id)
	if missing(err) || err == nil && visible != nil && !visible(in.Project) {
		return in, IncidentNotFound(id)
	}
	return in, err
}

// GetIncident returns incident id if the caller sees its project.
func (s *Service) GetIncident(ctx context.Context, id string, visible Visible) (store.Incident, error) {
	in, err := getIncident(ctx, s.Store, id, visible)
	return in, Err(err)
}

// ListIncidents returns the incidents f selects.
func (s *Service) ListIncidents(ctx context.Context, f store.IncidentFilter) ([]store.Incident, error) {
	list, err := s.Store.ListIncidents(ctx, f)
	return list, Err(err)
}

// IncidentTrail is what an incident's record shows besides its stored
// fields: its keys as they are now (and their replacements), the audit
// trail of the incident and those keys, and its notes.
type IncidentTrail struct {
	Keys    map[string]store.Key // by id; a key gone is absent
	Actions []store.AuditEvent   // oldest first
	Notes   []store.IncidentNote
}

// IncidentTrail reads the trail of in: the audit rows of the incident, its
// keys and their replacements from a day before it was opened.
func (s *Service) IncidentTrail(ctx context.Context, in store.Incident) (IncidentTrail, error) {
	tr := IncidentTrail{Keys: map[string]store.Key{}}
	objects := []string{in.ID}
	for _, id := range in.KeyIDs {
		k, err := s.Store.GetKey(ctx, id)
		if missing(err) {
			objects = append(objects, id)
			continue
		} else if err != nil {
			return tr, Err(err)
		}
		tr.Keys[id] = k
		objects = append(objects, id)
		if k.ReplacedBy != "" {
			objects = append(objects, k.ReplacedBy)
			if repl, err := s.Store.GetKey(ctx, k.ReplacedBy); err == nil {
				tr.Keys[repl.ID] = repl
			}
		}
	}
	since := in.CreatedAt.Add(-24 * time.Hour)
	for _, obj := range objects {
		evs, err := s.Store.ListAudit(ctx, store.AuditFilter{Object: obj, Since: since, Limit: 200})
		if err != nil {
			return tr, Err(err)
		}
		tr.Actions = append(tr.Actions, evs...)
	}
	slices.SortStableFunc(tr.Actions, func(a, b store.AuditEvent) int { return a.Time.Compare(b.Time) })
	notes, err := s.Store.ListIncidentNotes(ctx, in.ID)
	if err != nil {
		return tr, Err(err)
	}
	tr.Notes = notes
	return tr, nil
}

// KeyEvidence snapshots what a linked key shows (its impact report, its
// rotation), for an incident's evidence; it reads, never writes.
type KeyEvidence func(ctx context.Context, k store.Key) []store.Evidence

// IncidentLinks are the keys and requests a create or an update links, and
// how their evidence is taken.
type IncidentLinks struct {
	KeyIDs, RequestIDs []string
	Visible            Visible
	Evidence           KeyEvidence // nil: none for keys
}

// linkKeys reads the keys in tx, checks the caller sees them and that they
// share one project, and returns that project.
func linkKeys(ctx context.Context, tx store.Store, l IncidentLinks, project string) ([]store.Key, string, error) {
	var out []store.Key
	for _, id := range l.KeyIDs {
		id = strings.TrimSpace(id)
		k, err := getKey(ctx, tx, id)
		if err != nil {
			return nil, "", err
		}
		if l.Visible != nil && !l.Visible(k.Project) {
			return nil, "", KeyNotFound(id)
		}
		if project == "" {
			project = k.Project
		}
		if k.Project != project {
			return nil, "", invalid("key_ids", i18n.M("admin.key_belongs_to_project_the", i18n.S("id", k.ID), i18n.Q("project", k.Project), i18n.Q("project2", project)), i18n.M("admin.open_one_incident_per_project.hint"))
		}
		out = append(out, k)
	}
	return out, project, nil
}

// requestEvidence snapshots a request's log row, redacted (display forms
// only), if the caller sees it.
func (s *Service) requestEvidence(ctx context.Context, tx store.Store, id string, visible Visible) (store.Evidence, error) {
	l, err := tx.GetLog(ctx, id)
	if missing(err) || err == nil && visible != nil && !visible(l.Project) {
		return store.Evidence{}, RequestNotFound(id)
	}
	if err != nil {
		return store.Evidence{}, err
	}
	b, _ := json.Marshal(map[string]any{"request_id": l.RequestID, "time": l.Time, "status": l.Status, "error_code": l.ErrorCode,
		"failure_reason": keys.CleanText(l.FailureReason, 500), "model": l.Model, "channel": l.Channel, "key_id": l.KeyID,
		"key_display": l.KeyDisplay, "source_ip": l.SourceIP, "user_agent": l.UserAgent, "client": l.Client, "route": l.Route})
	return store.Evidence{Kind: "request", Ref: l.RequestID, Time: s.now(), Data: b}, nil
}

// link adds the keys and requests of l not linked yet to in, with their
// evidence.
func (s *Service) link(ctx context.Context, tx store.Store, in *store.Incident, ks []store.Key, l IncidentLinks) error {
	for _, k := range ks {
		if !slices.Contains(in.KeyIDs, k.ID) {
			in.KeyIDs = append(in.KeyIDs, k.ID)
			if l.Evidence != nil {
				in.Evidence = append(in.Evidence, l.Evidence(ctx, k)...)
			}
		}
	}
	for _, id := range l.RequestIDs {
		id = strings.TrimSpace(id)
		if slices.Contains(in.RequestIDs, id) {
			continue
		}
		ev, err := s.requestEvidence(ctx, tx, id, l.Visible)
		if err != nil {
			return err
		}
		in.RequestIDs = append(in.RequestIDs, id)
		in.Evidence = append(in.Evidence, ev)
	}
	return nil
}

func (s *Service) note(id, author, kind, text string) store.IncidentNote {
	return store.IncidentNote{ID: ids.New("note"), IncidentID: id, Time: s.now(), Author: author, Kind: kind, Text: text}
}

// NewIncident is a manual incident to open: Draft carries the body's fields
// (checked for secrets by the transport); Global says the caller sees every
// project (only such a caller may open one tied to none).
type NewIncident struct {
	Draft  store.Incident
	Links  IncidentLinks
	Note   string
	Global bool
}

// CreateIncident opens a manual incident with its audit row (incident.open)
// and its first note, in one transaction: the linked keys must be visible
// and of one project, the project must exist and be visible, the title is
// required, the requests must be visible.
func (s *Service) CreateIncident(ctx context.Context, who Who, n NewIncident) (store.Incident, error) {
	in := n.Draft
	now := s.now()
	in.ID, in.State, in.Origin, in.OpenedBy, in.CreatedAt, in.UpdatedAt = ids.New("inc"), store.IncidentOpen, "manual", who.Actor, now, now
	if in.KeyIDs == nil {
		in.KeyIDs = []string{}
	}
	if in.RequestIDs == nil {
		in.RequestIDs = []string{}
	}
	if n.Draft.State != "" {
		in.State = n.Draft.State
	}
	err := s.tx(ctx, func(tx store.Store) error {
		ks, project, err := linkKeys(ctx, tx, n.Links, in.Project)
		if err != nil {
			return err
		}
		in.Project = project
		if project != "" {
			if n.Links.Visible != nil && !n.Links.Visible(project) {
				return ProjectNotFound(project)
			}
			if _, err := getProject(ctx, tx, project); err != nil {
				return err
			}
		} else if !n.Global {
			return invalid("project", i18n.M("admin.name_the_project_of_the"), i18n.M("admin.you_see_only_some_projects.hint"))
		}
		if in.Title == "" {
			return invalid("title", i18n.M("admin.title_is_required"), i18n.M("admin.say_in_a_few_words.hint"))
		}
		if err := s.link(ctx, tx, &in, ks, n.Links); err != nil {
			return err
		}
		if err := tx.CreateIncident(ctx, &in); err != nil {
			return err
		}
		if n.Note != "" {
			if err := tx.AddIncidentNote(ctx, s.note(in.ID, who.Actor, "note", n.Note)); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, who, "incident.open", in.ID, map[string]any{"title": in.Title, "keys": in.KeyIDs, "project": in.Project})
	})
	if err != nil {
		return store.Incident{}, err
	}
	return in, nil
}

// changeIncident reads incident id in one transaction under its lock,
// applies change and writes it back (version-checked) with the notes and
// the audit row change returns; a lost version race is retried afresh.
func (s *Service) changeIncident(ctx context.Context, who Who, id string, visible Visible,
	change func(tx store.Store, in *store.Incident) (AuditRow, []store.IncidentNote, error)) (store.Incident, error) {
	var out store.Incident
	err := s.Change(ctx, who, func(tx store.Store) (AuditRow, error) {
		if err := tx.Lock(ctx, incidentLock(id)); err != nil {
			return AuditRow{}, err
		}
		in, err := getIncident(ctx, tx, id, visible)
		if err != nil {
			return AuditRow{}, err
		}
		row, notes, err := change(tx, &in)
		if err != nil {
			return row, err
		}
		in.UpdatedAt = s.now()
		if err := tx.UpdateIncident(ctx, &in); err != nil {
			return row, err
		}
		for _, n := range notes {
			if err := tx.AddIncidentNote(ctx, n); err != nil {
				return row, err
			}
		}
		out = in
		return row, nil
	})
	return out, err
}

// IncidentPatch is an update: Apply writes the body's present fields
// (checked by the transport), Links adds keys (of the incident's project)
// and requests, Note adds a note.
type IncidentPatch struct {
	Apply func(in *store.Incident)
	Links IncidentLinks
	Note  string
}

// UpdateIncident changes incident id as p says with its audit row
// (incident.update, when a field changed) and notes, in one transaction. A
// state other than resolved reopens a resolved incident.
func (s *Service) UpdateIncident(ctx context.Context, who Who, id string, p IncidentPatch) (store.Incident, error) {
	return s.changeIncident(ctx, who, id, p.Links.Visible, func(tx store.Store, in *store.Incident) (AuditRow, []store.IncidentNote, error) {
		before := *in
		before.KeyIDs, before.RequestIDs = slices.Clone(in.KeyIDs), slices.Clone(in.RequestIDs)
		ks, _, err := linkKeys(ctx, tx, p.Links, in.Project)
		if err != nil {
			return AuditRow{}, nil, err
		}
		if p.Apply != nil {
			p.Apply(in)
		}
		if in.State != store.IncidentResolved {
			in.ResolvedAt = time.Time{}
		}
		if err := s.link(ctx, tx, in, ks, p.Links); err != nil {
			return AuditRow{}, nil, err
		}
		changed := diffIncident(before, *in)
		var row AuditRow
		var notes []store.IncidentNote
		if len(changed) > 0 {
			row = AuditRow{Action: "incident.update", Object: in.ID, Detail: map[string]any{"fields": changed, "state": in.State}}
			if slices.Contains(changed, "state") {
				notes = append(notes, s.note(in.ID, who.Actor, "state", "State changed to "+in.State+"."))
			}
		}
		if p.Note != "" {
			notes = append(notes, s.note(in.ID, who.Actor, "note", p.Note))
		}
		return row, notes, nil
	})
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

// NoteIncident adds a note to incident id with its audit row
// (incident.note), in one transaction.
func (s *Service) NoteIncident(ctx context.Context, who Who, id, text string, visible Visible) (store.Incident, error) {
	var out store.Incident
	err := s.tx(ctx, func(tx store.Store) error {
		in, err := getIncident(ctx, tx, id, visible)
		if err != nil {
			return err
		}
		if err := tx.AddIncidentNote(ctx, s.note(in.ID, who.Actor, "note", text)); err != nil {
			return err
		}
		out = in
		return s.audit(ctx, tx, who, "incident.note", in.ID, map[string]any{"bytes": len(text)})
	})
	return out, err
}

// ResolveIncident resolves incident id (resolution, when given, kept) with
// its audit row (incident.resolve) and a state note; an incident resolved
// already is answered as it is.
func (s *Service) ResolveIncident(ctx context.Context, who Who, id, resolution string, visible Visible) (store.Incident, error) {
	return s.changeIncident(ctx, who, id, visible, func(_ store.Store, in *store.Incident) (AuditRow, []store.IncidentNote, error) {
		if in.State == store.IncidentResolved {
			return AuditRow{}, nil, nil
		}
		in.State, in.ResolvedAt = store.IncidentResolved, s.now()
		if resolution != "" {
			in.Resolution = resolution
		}
		return AuditRow{Action: "incident.resolve", Object: in.ID, Detail: map[string]any{"title": in.Title}},
			[]store.IncidentNote{s.note(in.ID, who.Actor, "state", "Resolved.")}, nil
	})
}

// capabilityOf says what a key could reach, for an incident's "affected".
func capabilityOf(k store.Key) string {
	models := "every model of group " + k.Group
	if len(k.Models) > 0 {
		models = "models " + strings.Join(k.Models, ", ")
	}
	return fmt.Sprintf("%s in project %s (%s key)", models, k.Project, k.Env)
}

// LeakIncident records a leak of k: it opens an incident with the key's
// evidence attached (returned, for the notice), or, when the key is in an
// unresolved incident already, notes the new report on that one (nil). The
// look and the write are one transaction under the key's incident lock.
func (s *Service) LeakIncident(ctx context.Context, who Who, k store.Key, origin, reason string, evidence KeyEvidence) (*store.Incident, error) {
	reason = keys.CleanText(reason, 1000)
	var opened *store.Incident
	err := s.tx(ctx, func(tx store.Store) error {
		opened = nil
		if err := tx.Lock(ctx, keyIncidentLock(k.ID)); err != nil {
			return err
		}
		open, err := tx.ListIncidents(ctx, store.IncidentFilter{KeyID: k.ID, States: []string{store.IncidentOpen, store.IncidentContained}, Limit: 1})
		if err != nil {
			return err
		}
		if len(open) > 0 {
			if err := tx.AddIncidentNote(ctx, s.note(open[0].ID, who.Actor, "evidence", "Reported again: "+reason)); err != nil {
				return err
			}
			return s.audit(ctx, tx, who, "incident.note", open[0].ID, map[string]any{"kind": "evidence"})
		}
		now := s.now()
		state := store.IncidentOpen
		if k.State == store.KeyDisabled {
			state = store.IncidentContained // the key is refused already
		}
		owner := ""
		if k.Member != "" {
			if m, err := tx.GetMember(ctx, k.Member); err == nil {
				owner = m.Email
			}
		}
		in := store.Incident{ID: ids.New("inc"), Title: fmt.Sprintf("Key %s (%s) leaked", k.Display, k.ID), State: state, Origin: origin,
			Project: k.Project, Owner: owner, Environment: k.Env, Capability: capabilityOf(k), Symptom: reason, KeyIDs: []string{k.ID},
			RequestIDs: []string{}, NextReview: now.Add(LeakReview), OpenedBy: who.Actor, CreatedAt: now, UpdatedAt: now}
		if evidence != nil {
			in.Evidence = evidence(ctx, k)
		}
		if err := tx.CreateIncident(ctx, &in); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, who, "incident.open", in.ID, map[string]any{"title": in.Title, "keys": in.KeyIDs, "origin": origin}); err != nil {
			return err
		}
		opened = &in
		return nil
	})
	if err != nil {
		return nil, err
	}
	return opened, nil
}
