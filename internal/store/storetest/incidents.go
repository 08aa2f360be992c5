package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/store"
)

// runIncidents checks incident records, their key links and notes.
func runIncidents(t *testing.T, st store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	in := &store.Incident{ID: "inc_1", Title: "key leaked", State: store.IncidentOpen, Origin: "leak-report", Project: "p1",
		Owner: "a@example.com", Environment: "live", Symptom: "found in a gist", KeyIDs: []string{"key_i1", "key_i2"},
		RequestIDs: []string{"req_i1"}, LastGoodAt: now.Add(-time.Hour), LastGoodRequest: "req_i0",
		Evidence:   []store.Evidence{{Kind: "impact", Ref: "key_i1", Time: now, Data: json.RawMessage(`{"requests":3}`)}},
		NextReview: now.Add(time.Hour), OpenedBy: "secret-scanning", CreatedAt: now}
	must(t, st.CreateIncident(ctx, in))
	if err := st.CreateIncident(ctx, &store.Incident{ID: "inc_1", Title: "x", State: store.IncidentOpen, CreatedAt: now}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate incident id: err %v, want ErrConflict", err)
	}
	must(t, st.CreateIncident(ctx, &store.Incident{ID: "inc_2", Title: "other", State: store.IncidentResolved, Project: "p2",
		KeyIDs: []string{"key_i3"}, CreatedAt: now.Add(time.Second)}))
	got, err := st.GetIncident(ctx, "inc_1")
	must(t, err)
	if got.Version != 1 || len(got.KeyIDs) != 2 || got.RequestIDs[0] != "req_i1" || !got.NextReview.Equal(in.NextReview) ||
		len(got.Evidence) != 1 || string(got.Evidence[0].Data) != `{"requests":3}` || !got.LastGoodAt.Equal(in.LastGoodAt) {
		t.Fatalf("get incident: %+v", got)
	}
	if _, err := st.GetIncident(ctx, "inc_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing incident: %v", err)
	}
	byKey, err := st.ListIncidents(ctx, store.IncidentFilter{KeyID: "key_i2", States: []string{store.IncidentOpen, store.IncidentContained}})
	must(t, err)
	if len(byKey) != 1 || byKey[0].ID != "inc_1" {
		t.Fatalf("by key: %+v", byKey)
	}
	all, err := st.ListIncidents(ctx, store.IncidentFilter{})
	must(t, err)
	if len(all) != 2 || all[0].ID != "inc_2" {
		t.Fatalf("list: newest first expected, got %d", len(all))
	}
	scoped, err := st.ListIncidents(ctx, store.IncidentFilter{Projects: []string{"p2"}})
	must(t, err)
	if len(scoped) != 1 || scoped[0].ID != "inc_2" {
		t.Fatalf("project filter: %+v", scoped)
	}
	due, err := st.ListIncidents(ctx, store.IncidentFilter{ReviewDue: now.Add(2 * time.Hour)})
	must(t, err)
	if len(due) != 1 || due[0].ID != "inc_1" {
		t.Fatalf("review due: %+v", due)
	}
	if due, _ := st.ListIncidents(ctx, store.IncidentFilter{ReviewDue: now}); len(due) != 0 {
		t.Fatalf("review not yet due, got %d", len(due))
	}

	stale := got
	got.State, got.KeyIDs = store.IncidentContained, append(got.KeyIDs, "key_i4")
	got.UpdatedAt = now.Add(time.Minute)
	must(t, st.UpdateIncident(ctx, &got))
	if got.Version != 2 {
		t.Fatalf("version after update = %d", got.Version)
	}
	if err := st.UpdateIncident(ctx, &stale); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale update: %v, want ErrConflict", err)
	}
	if err := st.UpdateIncident(ctx, &store.Incident{ID: "inc_gone", Version: 1}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of a missing incident: %v, want ErrNotFound", err)
	}
	if l, _ := st.ListIncidents(ctx, store.IncidentFilter{KeyID: "key_i4"}); len(l) != 1 {
		t.Fatalf("key linked by update not found: %d", len(l))
	}

	must(t, st.AddIncidentNote(ctx, store.IncidentNote{ID: "note_2", IncidentID: "inc_1", Time: now.Add(2 * time.Second), Author: "b", Kind: "note", Text: "second"}))
	must(t, st.AddIncidentNote(ctx, store.IncidentNote{ID: "note_1", IncidentID: "inc_1", Time: now.Add(time.Second), Author: "a", Kind: "state", Text: "first"}))
	notes, err := st.ListIncidentNotes(ctx, "inc_1")
	must(t, err)
	if len(notes) != 2 || notes[0].Text != "first" || notes[1].Author != "b" || !notes[0].Time.Equal(now.Add(time.Second)) {
		t.Fatalf("notes: %+v", notes)
	}
}

// runRotationUsage checks the per-client aggregate of a rotation.
func runRotationUsage(t *testing.T, st store.Store) {
	ctx := context.Background()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	row := func(id string, at time.Duration, key, ip, ua, client, code string) store.RequestLog {
		st := 200
		if code != "" {
			st = 401
		}
		return store.RequestLog{RequestID: id, Time: t0.Add(at), KeyID: key, SourceIP: ip, UserAgent: ua, Client: client,
			Status: st, ErrorCode: code, Charged: "no"}
	}
	rows := []store.RequestLog{
		row("req_r0", -48*time.Hour, "key_old", "10.0.0.9", "ancient/1", "", ""), // before the window
		row("req_r1", time.Minute, "key_old", "10.0.0.1", "svc-a/1", "billing", ""),
		row("req_r2", 2*time.Minute, "key_old", "10.0.0.1", "svc-a/1", "billing", ""),
		row("req_r3", 3*time.Minute, "key_new", "10.0.0.1", "svc-a/1", "billing", ""),
		row("req_r4", 4*time.Minute, "key_old", "10.0.0.2", "cron/2", "", ""),
		row("req_r5", 5*time.Hour, "key_old", "10.0.0.2", "cron/2", "", "key_rotated"),
		row("req_r6", 6*time.Hour, "key_old", "10.0.0.2", "cron/2", "", "key_rotated"),
		row("req_r7", 6*time.Hour, "key_new", "10.0.0.3", "fresh/1", "", ""), // new key only: not listed
		row("req_r8", time.Minute, "key_else", "10.0.0.1", "svc-a/1", "billing", ""),
	}
	must(t, st.InsertLogs(ctx, rows))
	u, err := st.RotationUsage(ctx, store.RotationWindow{OldKeyID: "key_old", NewKeyID: "key_new", Since: t0.Add(-time.Hour),
		Refused: []string{"key_rotated", "key_disabled"}, RefusedSince: t0.Add(time.Hour), MaxRefused: 10})
	must(t, err)
	if len(u.Clients) != 2 {
		t.Fatalf("clients = %+v, want 2", u.Clients)
	}
	cron, svc := u.Clients[0], u.Clients[1] // most recent old-key use first
	if cron.IP != "10.0.0.2" || cron.CallsOld != 3 || cron.RefusedOld != 2 || cron.CallsNew != 0 || !cron.LastOld.Equal(t0.Add(6*time.Hour)) {
		t.Fatalf("straggler: %+v", cron)
	}
	if svc.Client != "billing" || svc.CallsOld != 2 || svc.CallsNew != 1 || !svc.LastNew.Equal(t0.Add(3*time.Minute)) ||
		!svc.FirstOld.Equal(t0.Add(time.Minute)) {
		t.Fatalf("migrated client: %+v", svc)
	}
	if len(u.Refused) != 2 || u.Refused[0].RequestID != "req_r6" || u.Refused[0].UserAgent != "cron/2" {
		t.Fatalf("refused: %+v", u.Refused)
	}
	l, err := st.GetLog(ctx, "req_r1")
	must(t, err)
	if l.Client != "billing" {
		t.Fatalf("client column not kept: %+v", l)
	}
}
