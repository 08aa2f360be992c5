package admin_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/testgw"
)

type incidentOut struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	State    string `json:"state"`
	Origin   string `json:"origin"`
	Project  string `json:"project"`
	Symptom  string `json:"symptom"`
	Keys     []struct{ ID, State string }
	Evidence []struct {
		Kind string          `json:"kind"`
		Ref  string          `json:"ref"`
		Data json.RawMessage `json:"data"`
	} `json:"evidence"`
	Actions []struct {
		Action string `json:"action"`
		Object string `json:"object"`
		Actor  string `json:"actor"`
	} `json:"actions"`
	Notes []struct {
		Kind string `json:"kind"`
		Text string `json:"text"`
	} `json:"notes"`
	Remaining []string `json:"remaining"`
}

func (in incidentOut) hasAction(action, object string) bool {
	for _, a := range in.Actions {
		if a.Action == action && (object == "" || a.Object == object) {
			return true
		}
	}
	return false
}

func (g *gateway) incidentsOf(keyID string) []incidentOut {
	g.t.Helper()
	var list struct {
		Data []incidentOut `json:"data"`
	}
	g.admin("GET", "/admin/v1/incidents?state=all&key_id="+keyID, nil).json(g.t, &list)
	return list.Data
}

func (g *gateway) incident(id string) incidentOut {
	g.t.Helper()
	r := g.admin("GET", "/admin/v1/incidents/"+id, nil)
	expect(g.t, "get incident", r, 200, "")
	var out incidentOut
	r.json(g.t, &out)
	return out
}

func TestLeakReportOpensIncident(t *testing.T) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			sc := newScanner(t, "gh-current")
			g := startOn(t, db, func(c *config.Config) { c.ScanningKeys = keyFile(t, sc) })
			k := g.createKey(nil)
			attacker := simClient{"203.0.113.50", "curl/8.0", ""}
			for i := 0; i < 3; i++ {
				expect(t, "use before the leak", g.callAs(attacker, k.Key), 200, "")
			}
			g.waitLogs(k.ID, "", 3)
			g.Clock.Add(time.Minute)
			expect(t, "report", g.report(t, sc, "gh-current", reportBody(k.Key)), 200, "")

			list := g.incidentsOf(k.ID)
			if len(list) != 1 || list[0].Origin != "leak-report" || list[0].State != "contained" {
				t.Fatalf("incidents of the leaked key: %+v", list)
			}
			in := g.incident(list[0].ID)
			var impact struct {
				Requests int `json:"requests"`
				ByIP     []struct {
					IP string `json:"ip"`
				} `json:"by_ip"`
			}
			for _, e := range in.Evidence {
				if e.Kind == "impact" && e.Ref == k.ID {
					_ = json.Unmarshal(e.Data, &impact)
				}
			}
			if impact.Requests != 3 || len(impact.ByIP) != 1 || impact.ByIP[0].IP != attacker.ip {
				t.Fatalf("impact snapshot: %+v (evidence %+v)", impact, in.Evidence)
			}
			if !in.hasAction("key.leaked", k.ID) || !in.hasAction("incident.open", in.ID) {
				t.Fatalf("audit trail: %+v", in.Actions)
			}
			if len(in.Remaining) == 0 || !strings.Contains(in.Remaining[0], "has no replacement") {
				t.Fatalf("remaining: %q", in.Remaining)
			}

			// The follow-up rotation joins the trail; a re-report from
			// another place is noted on the same incident.
			expect(t, "rotate", g.admin("POST", "/admin/v1/keys/"+k.ID+"/rotate", nil), 201, "")
			body := []byte(`[{"token":"` + k.Key + `","type":"keygate_api_key","url":"https://gist.example/2","source":"gist"}]`)
			expect(t, "second report", g.report(t, sc, "gh-current", body), 200, "")
			if l := g.incidentsOf(k.ID); len(l) != 1 {
				t.Fatalf("a re-report opened another incident: %d", len(l))
			}
			in = g.incident(in.ID)
			if !in.hasAction("key.rotate", k.ID) || len(in.Notes) != 1 || !strings.Contains(in.Notes[0].Text, "Reported again") {
				t.Fatalf("after rotation and re-report: actions %+v notes %+v", in.Actions, in.Notes)
			}
			md := g.admin("GET", "/admin/v1/incidents/"+in.ID+"?format=markdown", nil)
			expect(t, "markdown", md, 200, "")
			for _, want := range []string{"## Actions taken", "**key.leaked**", "### Impact of `" + k.ID + "`", "## What is left"} {
				if !strings.Contains(string(md.Body), want) {
					t.Fatalf("markdown lacks %q:\n%s", want, md.Body)
				}
			}
			for _, r := range g.Seen {
				if strings.Contains(string(r.Body), k.Key[8:]) && !strings.Contains(string(r.Body), `"key":"kg_`) {
					t.Fatalf("an answer holds the leaked key: %s", r.Body)
				}
			}

			// The review time passes with the incident open: one webhook.
			g.Clock.Add(25 * time.Hour)
			n, err := g.App.Service.NotifyReviews(context.Background())
			if err != nil || n != 1 {
				t.Fatalf("review notices: %d, %v", n, err)
			}
			if n, _ := g.App.Service.NotifyReviews(context.Background()); n != 0 {
				t.Fatalf("review notified twice")
			}
			found := false
			for _, d := range g.Hooks.Wait(5) {
				found = found || d.Event.Type == "incident.review_due" && d.Event.Data["incident_id"] == in.ID
			}
			if !found {
				t.Fatal("no incident.review_due webhook")
			}
		})
	}
}

func TestIncidentLifecycleAndSecretRefusal(t *testing.T) {
	g := startOn(t, testgw.Databases(t)[0], nil)
	k := g.createKey(nil)
	expect(t, "a good call", g.callAs(simClient{"10.1.1.1", "app/1", "web"}, k.Key), 200, "")
	expect(t, "a bad call", g.callAs(simClient{"10.1.1.1", "app/1", "web"}, k.Key+"x"), 401, "")
	g.waitLogs(k.ID, "", 1)
	var logs struct {
		Data []struct {
			RequestID string `json:"request_id"`
		} `json:"data"`
	}
	g.admin("GET", "/admin/v1/logs?key_id="+k.ID, nil).json(t, &logs)
	reqID := logs.Data[0].RequestID

	secrets := map[string]map[string]any{
		"keygate key in symptom": {"title": "t", "symptom": "the app sent " + k.Key},
		"openai key in title":    {"title": "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"},
		"upstream credential":    {"title": "t", "capability": "channel mock uses " + testgw.UpstreamKey},
		"key as a note":          {"title": "t", "note": "Bearer " + k.Key},
	}
	for name, body := range secrets {
		r := g.admin("POST", "/admin/v1/incidents", body)
		expect(t, name, r, 400, "invalid_request")
		if strings.Contains(string(r.Body), k.Key) || strings.Contains(string(r.Body), testgw.UpstreamKey) ||
			!strings.Contains(r.errMessage(), "Nothing was saved") {
			t.Fatalf("%s: refusal %s", name, r.Body)
		}
	}
	var all struct {
		Data []json.RawMessage `json:"data"`
	}
	g.admin("GET", "/admin/v1/incidents?state=all", nil).json(t, &all)
	if len(all.Data) != 0 {
		t.Fatalf("a refused incident was saved: %d", len(all.Data))
	}

	r := g.admin("POST", "/admin/v1/incidents", map[string]any{"title": "chat answers 401 for the web app", "key_ids": []string{k.ID},
		"request_ids": []string{reqID}, "environment": "live", "deployment": "eu-1", "capability": "chat on mock-gpt",
		"symptom": "401 invalid_api_key since 10:02", "last_known_good": map[string]any{"request_id": reqID},
		"next_review": g.Clock.Now().Add(time.Hour)})
	expect(t, "open", r, 201, "")
	var in incidentOut
	r.json(t, &in)
	if in.Project != "demo" || len(in.Evidence) < 2 || in.State != "open" {
		t.Fatalf("opened: %+v", in)
	}
	expect(t, "note with a key", g.admin("POST", "/admin/v1/incidents/"+in.ID+"/notes", map[string]any{"text": "try " + k.Key}), 400, "invalid_request")
	expect(t, "note", g.admin("POST", "/admin/v1/incidents/"+in.ID+"/notes", map[string]any{"text": "the web app had a stray x in its .env"}), 201, "")
	expect(t, "patch", g.admin("PATCH", "/admin/v1/incidents/"+in.ID, map[string]any{"owner": "oncall@example.com", "state": "contained"}), 200, "")
	expect(t, "unknown request", g.admin("PATCH", "/admin/v1/incidents/"+in.ID, map[string]any{"request_ids": []string{"req_nope"}}), 404, "not_found")
	r = g.admin("POST", "/admin/v1/incidents/"+in.ID+"/resolve", map[string]any{"resolution": "fixed the .env"})
	expect(t, "resolve", r, 200, "")
	r.json(t, &in)
	if in.State != "resolved" || len(in.Remaining) != 0 || !in.hasAction("incident.resolve", in.ID) || len(in.Notes) != 3 {
		t.Fatalf("resolved: %+v", in)
	}
	expect(t, "missing", g.admin("GET", "/admin/v1/incidents/inc_nope", nil), 404, "not_found")

	// Disabling by hand for a leak opens one too.
	k2 := g.createKey(nil)
	expect(t, "disable", g.admin("POST", "/admin/v1/keys/"+k2.ID+"/disable", map[string]any{"reason": "leaked in a CI log"}), 200, "")
	if l := g.incidentsOf(k2.ID); len(l) != 1 || l[0].Origin != "key-disable" {
		t.Fatalf("incident after a manual leak disable: %+v", l)
	}
	k3 := g.createKey(nil)
	expect(t, "disable, no leak", g.admin("POST", "/admin/v1/keys/"+k3.ID+"/disable", map[string]any{"reason": "project ended"}), 200, "")
	if l := g.incidentsOf(k3.ID); len(l) != 0 {
		t.Fatalf("an ordinary disable opened an incident: %+v", l)
	}
}
