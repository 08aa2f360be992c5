package admin_test

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/testgw"
)

// simClient is one simulated service behind the trusted proxy (loopback):
// its address arrives in X-Forwarded-For.
type simClient struct {
	ip, ua, name string
}

func (g *gateway) callAs(c simClient, key string) response {
	g.t.Helper()
	h := http.Header{"Authorization": {"Bearer " + key}, "X-Forwarded-For": {c.ip}, "User-Agent": {c.ua}}
	if c.name != "" {
		h.Set("X-Client-Name", c.name)
	}
	return g.do("GET", "/v1/models", h, nil)
}

// startOn starts a gateway on db that trusts loopback as its proxy.
func startOn(t *testing.T, db testgw.DB, tweak func(*config.Config)) *gateway {
	return startGateway(t, func(c *config.Config) {
		c.Database = db.DSN
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
		if tweak != nil {
			tweak(c)
		}
	})
}

type rotationOut struct {
	OldKeyID      string     `json:"old_key_id"`
	NewKeyID      string     `json:"new_key_id"`
	GraceDeadline *time.Time `json:"grace_deadline"`
	GraceOver     bool       `json:"grace_over"`
	Migrated      int        `json:"migrated"`
	Remaining     int        `json:"remaining"`
	AllMigrated   bool       `json:"all_migrated"`
	Refused       int        `json:"refused_after_deadline"`
	Summary       string     `json:"summary"`
	Next          string     `json:"next"`
	Clients       []struct {
		IP           string `json:"ip"`
		UserAgent    string `json:"user_agent"`
		Client       string `json:"client"`
		CallsOld     int    `json:"calls_old"`
		CallsNew     int    `json:"calls_new"`
		Migrated     bool   `json:"migrated"`
		RefusedCalls []struct {
			Time      time.Time `json:"time"`
			RequestID string    `json:"request_id"`
			Code      string    `json:"code"`
		} `json:"refused_calls"`
	} `json:"clients"`
}

func (g *gateway) rotation(id string) rotationOut {
	g.t.Helper()
	r := g.admin("GET", "/admin/v1/keys/"+id+"/rotation", nil)
	expect(g.t, "rotation report", r, 200, "")
	var out rotationOut
	r.json(g.t, &out)
	return out
}

func TestRotationFollowThrough(t *testing.T) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			g := startOn(t, db, nil)
			billing := simClient{"10.0.4.5", "billing-svc/1.0", "billing"}
			worker := simClient{"10.0.4.6", "python-httpx/0.27", ""}
			cron := simClient{"10.0.4.7", "nightly-cron/2", ""}
			old := g.createKey(nil)
			for _, c := range []simClient{billing, worker, cron} {
				expect(t, "before rotation", g.callAs(c, old.Key), 200, "")
			}
			r := g.admin("POST", "/admin/v1/keys/"+old.ID+"/rotate", map[string]any{"grace_seconds": 3600})
			expect(t, "rotate", r, 201, "")
			var nk keyOut
			r.json(t, &nk)

			g.Clock.Add(10 * time.Minute)
			expect(t, "billing moves", g.callAs(billing, nk.Key), 200, "")
			expect(t, "worker moves", g.callAs(worker, nk.Key), 200, "")
			expect(t, "cron still on the old key, in grace", g.callAs(cron, old.Key), 200, "")
			g.waitLogs(nk.ID, "", 2)
			g.waitLogs(old.ID, "", 4)

			rep := g.rotation(old.ID)
			if rep.NewKeyID != nk.ID || len(rep.Clients) != 3 || rep.Migrated != 2 || rep.Remaining != 1 || rep.AllMigrated {
				t.Fatalf("report: %+v", rep)
			}
			if !strings.HasPrefix(rep.Summary, "2 of 3 clients migrated; still on the old key: 10.0.4.7 nightly-cron/2 (last call") {
				t.Fatalf("summary: %q", rep.Summary)
			}
			for _, c := range rep.Clients {
				if c.Migrated != (c.IP != cron.ip) {
					t.Fatalf("client %+v: migrated = %v", c, c.Migrated)
				}
				if c.IP == billing.ip && (c.Client != "billing" || c.UserAgent != billing.ua || c.CallsOld != 1 || c.CallsNew != 1) {
					t.Fatalf("billing client: %+v", c)
				}
			}
			if byNew := g.rotation(nk.ID); byNew.OldKeyID != old.ID || byNew.Migrated != 2 {
				t.Fatalf("report asked by the new key's id: %+v", byNew)
			}

			// Retiring with a client left needs force; extending is fine.
			r = g.admin("POST", "/admin/v1/keys/"+old.ID+"/retire", nil)
			expect(t, "retire with a straggler", r, 409, "conflict")
			if !strings.Contains(r.errMessage(), "10.0.4.7 nightly-cron/2") {
				t.Fatalf("refusal does not name the straggler: %s", r.Body)
			}
			r = g.admin("PATCH", "/admin/v1/keys/"+old.ID+"/rotation", map[string]any{"grace_seconds": 7200})
			expect(t, "extend grace", r, 200, "")
			var ext rotationOut
			r.json(t, &ext)
			if want := g.Clock.Now().Add(2 * time.Hour); ext.GraceDeadline == nil || ext.GraceDeadline.Sub(want).Abs() > time.Millisecond {
				t.Fatalf("deadline %v, want %v", ext.GraceDeadline, want)
			}
			expect(t, "too long", g.admin("PATCH", "/admin/v1/keys/"+old.ID+"/rotation", map[string]any{"grace_seconds": 40 * 86400}), 400, "invalid_request")

			// Past the deadline the straggler's calls are refused and listed.
			g.Clock.Add(3 * time.Hour)
			expect(t, "cron after the deadline", g.callAs(cron, old.Key), 401, "key_rotated")
			g.Clock.Add(time.Minute)
			expect(t, "cron again", g.callAs(cron, old.Key), 401, "key_rotated")
			g.waitLogs(old.ID, "key_rotated", 2)
			rep = g.rotation(old.ID)
			if !rep.GraceOver || rep.Remaining != 1 || rep.Refused != 2 || !strings.Contains(rep.Next, "still send the old key") {
				t.Fatalf("after the deadline: %+v", rep)
			}
			for _, c := range rep.Clients {
				if c.IP != cron.ip {
					if len(c.RefusedCalls) != 0 {
						t.Fatalf("migrated client with refused calls: %+v", c)
					}
					continue
				}
				if len(c.RefusedCalls) != 2 || c.RefusedCalls[0].Code != "key_rotated" || !c.RefusedCalls[0].Time.After(*rep.GraceDeadline) ||
					!strings.HasPrefix(c.RefusedCalls[0].RequestID, "req_") {
					t.Fatalf("straggler's refused calls: %+v", c.RefusedCalls)
				}
			}
			audit := g.admin("GET", "/admin/v1/audit?object="+old.ID+"&action=key.grace_change", nil)
			if !strings.Contains(string(audit.Body), "key.grace_change") {
				t.Fatalf("grace change not audited: %s", audit.Body)
			}
		})
	}
}

func TestRotationAllMigratedWebhookAndRetire(t *testing.T) {
	g := startOn(t, testgw.Databases(t)[0], nil)
	svc := simClient{"10.0.9.1", "svc/3", "api"}
	old := g.createKey(nil)
	expect(t, "old key", g.callAs(svc, old.Key), 200, "")
	r := g.admin("POST", "/admin/v1/keys/"+old.ID+"/rotate", map[string]any{"grace_seconds": 86400})
	var nk keyOut
	r.json(t, &nk)
	g.Clock.Add(time.Minute)
	expect(t, "new key", g.callAs(svc, nk.Key), 200, "")
	g.waitLogs(nk.ID, "", 1)
	g.waitLogs(old.ID, "", 1)
	rep := g.rotation(old.ID)
	if !rep.AllMigrated || rep.Remaining != 0 || !strings.Contains(rep.Next, "retire the old key now") {
		t.Fatalf("report: %+v", rep)
	}
	g.rotation(old.ID) // a second look notifies nobody again
	if err := g.App.Service.CheckRotations(context.Background()); err != nil {
		t.Fatal(err)
	}
	var migrated int
	for _, d := range g.Hooks.Wait(2) {
		if d.Event.Type == "key.rotation_migrated" {
			migrated++
			if d.Event.Data["key_id"] != old.ID || d.Event.Data["replacement_id"] != nk.ID {
				t.Fatalf("webhook data: %+v", d.Event.Data)
			}
		}
	}
	if migrated != 1 {
		t.Fatalf("%d key.rotation_migrated webhooks, want 1", migrated)
	}
	expect(t, "retire", g.admin("POST", "/admin/v1/keys/"+old.ID+"/retire", nil), 200, "")
	expect(t, "old key after retire", g.callAs(svc, old.Key), 401, "key_rotated")
	expect(t, "new key still works", g.callAs(svc, nk.Key), 200, "")
	plain := g.createKey(nil)
	expect(t, "not a rotation", g.admin("GET", "/admin/v1/keys/"+plain.ID+"/rotation", nil), 409, "conflict")
}
