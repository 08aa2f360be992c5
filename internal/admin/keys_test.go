package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/testgw"
	"github.com/keygate/keygate/internal/webhook"
)

// TestKeyStateTransitionsAndScopes walks one key through every state and
// scope over HTTP, checking what its callers get after each change.
func TestKeyStateTransitionsAndScopes(t *testing.T) {
	g := startGateway(t, nil)
	k := g.createKey(map[string]any{"name": "ci"})
	expect(t, "fresh key", g.call(k.Key, ""), 200, "")

	// disable → key_disabled with time and reason; idempotent.
	r := g.admin("POST", "/admin/v1/keys/"+k.ID+"/disable", map[string]string{"reason": "laptop stolen"})
	expect(t, "disable", r, 200, "")
	var v keyOut
	r.json(t, &v)
	if v.State != store.KeyDisabled || v.StateReason != "laptop stolen" {
		t.Fatalf("after disable: %+v", v)
	}
	r = g.call(k.Key, "")
	expect(t, "disabled key", r, 401, "key_disabled")
	if !strings.Contains(r.errMessage(), "laptop stolen") || !strings.Contains(r.errMessage(), k.Display) {
		t.Fatalf("key_disabled message should name the display form and the reason: %s", r.Body)
	}
	expect(t, "disable again", g.admin("POST", "/admin/v1/keys/"+k.ID+"/disable", nil), 200, "")

	// enable → works again.
	expect(t, "enable", g.admin("POST", "/admin/v1/keys/"+k.ID+"/enable", nil), 200, "")
	expect(t, "enabled key", g.call(k.Key, ""), 200, "")

	// models scope: checked on the canonical name and on aliases.
	expect(t, "patch models", g.admin("PATCH", "/admin/v1/keys/"+k.ID, map[string]any{"models": []string{"mock-gpt"}}), 200, "")
	expect(t, "allowed model", g.call(k.Key, "mock-gpt"), 200, "")
	expect(t, "allowed model by alias", g.call(k.Key, "mock-gpt-2024-01-01"), 200, "")
	expect(t, "model outside scope", g.call(k.Key, "mock-gpt-mini"), 403, "model_not_allowed")
	expect(t, "chat outside scope", g.chat(k.Key, "mock-gpt-mini"), 403, "model_not_allowed")
	expect(t, "chat inside scope", g.chat(k.Key, "mock-gpt"), 200, "")

	// allowed_ips: the test client is 127.0.0.1.
	expect(t, "patch ips", g.admin("PATCH", "/admin/v1/keys/"+k.ID, map[string]any{"allowed_ips": []string{"10.0.0.0/8", "2001:db8::/32"}}), 200, "")
	expect(t, "outside allowed ips", g.call(k.Key, ""), 403, "ip_not_allowed")
	expect(t, "patch ips loopback", g.admin("PATCH", "/admin/v1/keys/"+k.ID, map[string]any{"allowed_ips": []string{"127.0.0.0/8"}}), 200, "")
	expect(t, "inside allowed ips", g.call(k.Key, ""), 200, "")
	expect(t, "bad cidr", g.admin("PATCH", "/admin/v1/keys/"+k.ID, map[string]any{"allowed_ips": []string{"10.0.0.0/33"}}), 400, "invalid_request")

	// expires_at, judged by the injected clock.
	exp := g.Clock.Now().Add(time.Hour)
	expect(t, "patch expiry", g.admin("PATCH", "/admin/v1/keys/"+k.ID, map[string]any{"expires_at": exp}), 200, "")
	expect(t, "before expiry", g.call(k.Key, ""), 200, "")
	g.Clock.Add(2 * time.Hour)
	expect(t, "after expiry", g.call(k.Key, ""), 401, "key_expired")
	r = g.admin("PATCH", "/admin/v1/keys/"+k.ID, map[string]any{"expires_at": nil, "name": "ci-2"})
	expect(t, "clear expiry", r, 200, "")
	r.json(t, &v)
	if v.ExpiresAt != nil || v.Name != "ci-2" || len(v.AllowedIPs) != 1 {
		t.Fatalf("PATCH must change only the fields sent: %+v", v)
	}
	expect(t, "expiry cleared", g.call(k.Key, ""), 200, "")

	// delete → a tombstone: recognised as deleted, never "unknown".
	expect(t, "delete", g.admin("DELETE", "/admin/v1/keys/"+k.ID, nil), 200, "")
	r = g.call(k.Key, "")
	expect(t, "deleted key", r, 401, "invalid_api_key")
	if !strings.Contains(r.errMessage(), "deleted") {
		t.Fatalf("a deleted key must be reported as deleted: %s", r.Body)
	}
	expect(t, "delete again", g.admin("DELETE", "/admin/v1/keys/"+k.ID, nil), 200, "")
	expect(t, "enable deleted", g.admin("POST", "/admin/v1/keys/"+k.ID+"/enable", nil), 409, "conflict")
	expect(t, "patch deleted", g.admin("PATCH", "/admin/v1/keys/"+k.ID, map[string]any{"name": "x"}), 409, "conflict")
	expect(t, "rotate deleted", g.admin("POST", "/admin/v1/keys/"+k.ID+"/rotate", nil), 409, "conflict")
	expect(t, "unknown id", g.admin("POST", "/admin/v1/keys/key_nope/disable", nil), 404, "not_found")

	// The audit log has each change, by the bootstrap owner.
	r = g.admin("GET", "/admin/v1/audit?object="+k.ID, nil)
	var audit struct {
		Data []struct {
			Actor, Action, Object string
		} `json:"data"`
	}
	r.json(t, &audit)
	got := map[string]int{}
	for _, e := range audit.Data {
		got[e.Action]++
		if e.Actor != "bootstrap" {
			t.Errorf("audit actor %q, want bootstrap", e.Actor)
		}
	}
	for _, a := range []string{"key.create", "key.disable", "key.enable", "key.update", "key.delete"} {
		if got[a] == 0 {
			t.Errorf("audit log lacks %s: %v", a, got)
		}
	}
	if got["key.disable"] != 1 || got["key.delete"] != 1 {
		t.Errorf("idempotent repeats must not be audited again: %v", got)
	}
}

// TestKeyEnvTest checks test keys carry their environment everywhere.
func TestKeyEnvTest(t *testing.T) {
	g := startGateway(t, nil)
	k := g.createKey(map[string]any{"env": "test"})
	if !strings.HasPrefix(k.Key, keys.PrefixTest) || k.Env != "test" {
		t.Fatalf("test key: %+v", k)
	}
	expect(t, "test key works", g.call(k.Key, ""), 200, "")
	r := g.admin("GET", "/admin/v1/keys?env=test", nil)
	var list struct{ Data []keyOut }
	r.json(t, &list)
	if len(list.Data) != 1 || list.Data[0].ID != k.ID {
		t.Fatalf("env filter: %s", r.Body)
	}
	// A rotated test key stays a test key.
	r = g.admin("POST", "/admin/v1/keys/"+k.ID+"/rotate", nil)
	expect(t, "rotate test key", r, 201, "")
	var nk keyOut
	r.json(t, &nk)
	if !strings.HasPrefix(nk.Key, keys.PrefixTest) || nk.Env != "test" {
		t.Fatalf("replacement of a test key: %+v", nk)
	}
}

// TestReadOnlyRolesCannotChangeKeys checks role enforcement.
func TestReadOnlyRolesCannotChangeKeys(t *testing.T) {
	g := startGateway(t, nil)
	k := g.createKey(nil)
	tok, _ := keys.Generate(keys.PrefixPAT)
	if err := g.App.Store.CreateMember(context.Background(), store.Member{ID: ids.New("mem"), Email: "viewer@example.com",
		Role: "viewer", TokenHash: keys.HashHex(tok), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Authorization": {"Bearer " + tok}}
	for _, c := range []struct{ method, path string }{
		{"POST", "/admin/v1/keys/" + k.ID + "/disable"},
		{"POST", "/admin/v1/keys/" + k.ID + "/rotate"},
		{"PATCH", "/admin/v1/keys/" + k.ID},
		{"DELETE", "/admin/v1/keys/" + k.ID},
	} {
		expect(t, "viewer "+c.method+" "+c.path, g.do(c.method, c.path, h, []byte(`{}`)), 403, "permission_denied")
	}
	expect(t, "viewer reads impact", g.do("GET", "/admin/v1/keys/"+k.ID+"/impact", h, nil), 200, "")
	expect(t, "key still works", g.call(k.Key, ""), 200, "")
}

// TestRotationGraceWindow checks the grace window with the injected clock,
// idempotent retries, the zero-grace leak path and rotating a disabled key.
func TestRotationGraceWindow(t *testing.T) {
	g := startGateway(t, nil)
	old := g.createKey(map[string]any{"name": "web", "models": []string{"mock-gpt"}, "rpm": 60,
		"budget": map[string]any{"limit_usd": 5, "period": "monthly"}})

	idem := http.Header{"Authorization": {"Bearer " + testgw.AdminToken}, "Idempotency-Key": {"rot-1"}}
	r := g.do("POST", "/admin/v1/keys/"+old.ID+"/rotate", idem, []byte(`{"grace_seconds": 3600}`))
	expect(t, "rotate", r, 201, "")
	var rot struct {
		keyOut
		OldKey keyOut `json:"old_key"`
	}
	r.json(t, &rot)
	nk := rot.keyOut
	if nk.Key == "" || nk.ID == old.ID || nk.RotatedFrom != old.ID || nk.Name != "web" || nk.RPM != 60 ||
		len(nk.Models) != 1 || nk.Models[0] != "mock-gpt" {
		t.Fatalf("replacement must carry the old key's settings: %+v", nk)
	}
	if rot.OldKey.State != store.KeyRotated || rot.OldKey.ReplacedBy != nk.ID || rot.OldKey.GraceUntil == nil {
		t.Fatalf("old key after rotation: %+v", rot.OldKey)
	}

	// A retry with the same Idempotency-Key returns the same new key,
	// without its secret, and creates nothing.
	r = g.do("POST", "/admin/v1/keys/"+old.ID+"/rotate", idem, []byte(`{"grace_seconds": 3600}`))
	expect(t, "idempotent retry", r, 200, "")
	var again struct {
		keyOut
		Replayed bool `json:"idempotent_replay"`
	}
	r.json(t, &again)
	if again.ID != nk.ID || again.Key != "" || !again.Replayed || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry must return the same new key without its secret: %s", r.Body)
	}
	// A second rotation without the key is a conflict naming the replacement.
	r = g.admin("POST", "/admin/v1/keys/"+old.ID+"/rotate", map[string]any{"grace_seconds": 0})
	expect(t, "second rotation", r, 409, "conflict")
	if !strings.Contains(r.errMessage(), nk.ID) {
		t.Fatalf("conflict should name the replacement: %s", r.Body)
	}
	var list struct{ Data []keyOut }
	g.admin("GET", "/admin/v1/keys?project=demo", nil).json(t, &list)
	if len(list.Data) != 2 {
		t.Fatalf("want exactly 2 keys after a rotation and its retry, got %d", len(list.Data))
	}

	// Inside the grace window both keys work; after it the old one answers
	// key_rotated naming the replacement's display form, never a key.
	g.Clock.Add(59 * time.Minute)
	expect(t, "old key in grace", g.call(old.Key, ""), 200, "")
	expect(t, "new key", g.call(nk.Key, ""), 200, "")
	g.Clock.Add(2 * time.Minute)
	r = g.call(old.Key, "")
	expect(t, "old key after grace", r, 401, "key_rotated")
	if !strings.Contains(r.errMessage(), nk.Display) || strings.Contains(string(r.Body), nk.Key) {
		t.Fatalf("key_rotated must name the replacement's display form only: %s", r.Body)
	}
	expect(t, "new key after grace", g.call(nk.Key, ""), 200, "")

	// Zero grace (the leak path): the old key is refused at once.
	r = g.admin("POST", "/admin/v1/keys/"+nk.ID+"/rotate", map[string]any{"grace_seconds": 0})
	expect(t, "rotate now", r, 201, "")
	var third keyOut
	r.json(t, &third)
	expect(t, "zero grace", g.call(nk.Key, ""), 401, "key_rotated")
	expect(t, "third key", g.call(third.Key, ""), 200, "")

	// Rotating a disabled key keeps it disabled, whatever the grace.
	expect(t, "disable", g.admin("POST", "/admin/v1/keys/"+third.ID+"/disable", map[string]string{"reason": "leaked"}), 200, "")
	r = g.admin("POST", "/admin/v1/keys/"+third.ID+"/rotate", map[string]any{"grace_seconds": 86400})
	expect(t, "rotate disabled", r, 201, "")
	var fourth keyOut
	r.json(t, &fourth)
	r = g.call(third.Key, "")
	expect(t, "disabled stays refused", r, 401, "key_disabled")
	if !strings.Contains(r.errMessage(), fourth.Display) {
		t.Errorf("key_disabled of a replaced key should name the replacement: %s", r.Body)
	}
	expect(t, "fourth key", g.call(fourth.Key, ""), 200, "")
	expect(t, "enable replaced", g.admin("POST", "/admin/v1/keys/"+third.ID+"/enable", nil), 409, "conflict")

	expect(t, "grace too long", g.admin("POST", "/admin/v1/keys/"+fourth.ID+"/rotate", map[string]any{"grace_seconds": 31 * 86400}), 400, "invalid_request")

	// Webhooks: one key.rotated per rotation, signed. (Wait for the three:
	// the disable's key.disabled may arrive before the last of them.)
	hooks := g.Hooks.WaitType(webhook.KeyRotated, 3)
	n := 0
	for _, h := range hooks {
		if !webhook.Verify(hookSecret, h.Body, h.Header.Get(webhook.HeaderSignature)) {
			t.Errorf("webhook %s has a bad signature", h.Event.Type)
		}
		if h.Event.Type == webhook.KeyRotated {
			n++
		}
	}
	if n != 3 {
		t.Errorf("want 3 key.rotated webhooks, got %d", n)
	}
}

// TestImpactReport checks the incident report: spend, by model and address
// (new ones marked), the attacker still trying after disable, anomalies.
func TestImpactReport(t *testing.T) {
	g := startGateway(t, nil)
	k := g.createKey(nil)
	ctx := context.Background()
	start := g.Clock.Now()
	// Baseline: a week of quiet use from the office address.
	var rows []store.RequestLog
	for i := 0; i < 7*24; i++ {
		rows = append(rows, store.RequestLog{RequestID: ids.Request(), Time: start.Add(-8*24*time.Hour + time.Duration(i)*time.Hour),
			KeyID: k.ID, KeyDisplay: k.Display, Project: "demo", Model: "mock-gpt-mini", Status: 200, CostUSD: 0.0001,
			SourceIP: "198.51.100.7", UserAgent: "office-app/1.0", Route: "chat", Charged: "yes"})
	}
	if err := g.App.Store.InsertLogs(ctx, rows); err != nil {
		t.Fatal(err)
	}
	since := start.Add(-time.Minute)
	// The leak: real calls from a new address (127.0.0.1) to a new model.
	for i := 0; i < 25; i++ {
		expect(t, "chat", g.chat(k.Key, "mock-gpt"), 200, "")
	}
	expect(t, "disable", g.admin("POST", "/admin/v1/keys/"+k.ID+"/disable", map[string]string{"reason": "found in a gist"}), 200, "")
	for i := 0; i < 3; i++ {
		expect(t, "after disable", g.chat(k.Key, "mock-gpt"), 401, "key_disabled")
	}
	g.waitLogs(k.ID, "key_disabled", 3)
	g.waitLogs(k.ID, "", 28)
	g.Clock.Add(time.Minute) // the report runs a little after the calls

	r := g.admin("GET", "/admin/v1/keys/"+k.ID+"/impact?since="+since.Format(time.RFC3339), nil)
	expect(t, "impact", r, 200, "")
	var rep struct {
		KeyID    string  `json:"key_id"`
		Requests int     `json:"requests"`
		SpendUSD float64 `json:"spend_usd"`
		ByModel  []struct {
			Model    string
			Requests int
		} `json:"by_model"`
		ByIP []struct {
			IP       string `json:"ip"`
			Requests int    `json:"requests"`
			Rejected int    `json:"rejected"`
			New      bool   `json:"new"`
		} `json:"by_ip"`
		ByHour               []json.RawMessage `json:"by_hour"`
		UserAgents           []json.RawMessage `json:"user_agents"`
		RejectedAfterDisable int               `json:"rejected_after_disable"`
		RejectedAttempts     []struct {
			IP   string `json:"ip"`
			Code string `json:"code"`
		} `json:"rejected_attempts"`
		Anomalies []struct{ Kind, Message string } `json:"anomalies"`
		Baseline  struct{ Requests int }           `json:"baseline"`
	}
	r.json(t, &rep)
	if rep.KeyID != k.ID || rep.Requests != 28 || rep.RejectedAfterDisable != 3 || rep.Baseline.Requests != 7*24 {
		t.Fatalf("totals: %s", r.Body)
	}
	if rep.SpendUSD <= 0 {
		t.Errorf("spend should count the served calls: %s", r.Body)
	}
	// Calls refused at authentication never had their body read: no model.
	if len(rep.ByModel) != 2 || rep.ByModel[0].Model != "mock-gpt" || rep.ByModel[0].Requests != 25 || rep.ByModel[1].Requests != 3 {
		t.Errorf("by_model: %+v", rep.ByModel)
	}
	if len(rep.ByIP) != 1 || rep.ByIP[0].IP != "127.0.0.1" || !rep.ByIP[0].New || rep.ByIP[0].Rejected != 3 {
		t.Errorf("by_ip: %+v", rep.ByIP)
	}
	if len(rep.RejectedAttempts) != 3 || rep.RejectedAttempts[0].IP != "127.0.0.1" || rep.RejectedAttempts[0].Code != "key_disabled" {
		t.Errorf("rejected_attempts: %+v", rep.RejectedAttempts)
	}
	if len(rep.ByHour) == 0 || len(rep.UserAgents) == 0 {
		t.Errorf("by_hour and user_agents must not be empty: %s", r.Body)
	}
	kinds := map[string]bool{}
	for _, a := range rep.Anomalies {
		kinds[a.Kind] = true
	}
	for _, want := range []string{"request_rate", "new_model", "new_ip", "use_after_disable"} {
		if !kinds[want] {
			t.Errorf("anomaly %s missing: %+v", want, rep.Anomalies)
		}
	}
	// The baseline window alone is quiet: nothing new, no anomaly.
	r = g.admin("GET", "/admin/v1/keys/"+k.ID+"/impact?since="+start.Add(-3*24*time.Hour).Format(time.RFC3339)+
		"&until="+start.Add(-2*24*time.Hour).Format(time.RFC3339), nil)
	rep.Anomalies, rep.ByIP = nil, nil
	r.json(t, &rep)
	if rep.Requests != 24 || len(rep.ByIP) != 1 || rep.ByIP[0].New || len(rep.Anomalies) != 0 {
		t.Errorf("quiet window: %s", r.Body)
	}
	expect(t, "bad since", g.admin("GET", "/admin/v1/keys/"+k.ID+"/impact?since=yesterday", nil), 400, "invalid_request")
}

// TestExpiryNotices checks the 7/3/1-day webhooks are sent once each.
func TestExpiryNotices(t *testing.T) {
	g := startGateway(t, nil)
	k := g.createKey(map[string]any{"expires_at": g.Clock.Now().Add(50 * time.Hour)})
	g.createKey(map[string]any{"expires_at": g.Clock.Now().Add(30 * 24 * time.Hour)}) // too far
	n, err := g.App.Service.NotifyExpiring(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("first pass: sent %d, err %v; want 1 (the 3-day notice)", n, err)
	}
	if n, _ := g.App.Service.NotifyExpiring(context.Background()); n != 0 {
		t.Fatalf("second pass sent %d again", n)
	}
	g.Clock.Add(30 * time.Hour)
	if n, _ := g.App.Service.NotifyExpiring(context.Background()); n != 1 {
		t.Fatalf("after 30 h: sent %d, want the 1-day notice", n)
	}
	hooks := g.Hooks.Wait(2)
	var days []float64
	for _, h := range hooks {
		if h.Event.Type == webhook.KeyExpiring && h.Event.Data["key_id"] == k.ID {
			days = append(days, h.Event.Data["days_left"].(float64))
		}
	}
	if len(days) != 2 || days[0] != 3 || days[1] != 1 {
		t.Fatalf("expiry notices: %v", days)
	}
}

// TestWebhookFailuresAudited checks an undelivered webhook is visible in
// the audit log.
func TestWebhookFailuresAudited(t *testing.T) {
	g := startGateway(t, func(c *config.Config) {})
	g.App.Admin.WebhookFailed(webhook.Event{ID: "evt_1", Type: webhook.KeyDisabled, Data: map[string]any{"key_id": "key_x"}}, 5,
		context.DeadlineExceeded)
	r := g.admin("GET", "/admin/v1/audit?action=webhook.failed", nil)
	if !strings.Contains(string(r.Body), `"object":"key_x"`) || !strings.Contains(string(r.Body), "key.disabled") {
		t.Fatalf("audit: %s", r.Body)
	}
}
