package httpapi_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/webhook"
)

// TestAnomalyWebhook: with webhooks configured the gateway runs the anomaly
// detector; a key used for days on one model that turns to another sends
// one key.anomaly (new_model) naming the key by display form only, and the
// impact report finds the same anomaly.
func TestAnomalyWebhook(t *testing.T) {
	g := startGateway(t, nil)
	if g.App.Anomalies == nil {
		t.Fatal("webhooks are configured but the anomaly detector is not running")
	}
	k := g.createKey(nil)
	for range 3 {
		expect(t, "baseline call", g.chat(k.Key, "mock-gpt"), 200, "")
		g.Clock.Add(24 * time.Hour)
	}
	expect(t, "call on a new model", g.chat(k.Key, "mock-gpt-mini"), 200, "")
	g.waitLogs(k.ID, "", 4)
	g.Clock.Add(time.Minute)

	for i, want := range []int{1, 0} { // the second check sends nothing new
		if n, err := g.App.Anomalies.Check(context.Background()); err != nil || n != want {
			t.Fatalf("check #%d: sent %d, err %v; want %d", i+1, n, err, want)
		}
	}
	var got []hookDelivery
	for _, d := range g.Hooks.Wait(1) {
		if d.Event.Type == webhook.KeyAnomaly {
			got = append(got, d)
		}
	}
	if len(got) != 1 || got[0].Event.Data["kind"] != "new_model" || got[0].Event.Data["key_id"] != k.ID ||
		got[0].Event.Data["display"] != k.Display || !strings.Contains(got[0].Event.Data["message"].(string), "mock-gpt-mini") {
		t.Fatalf("key.anomaly webhooks: %+v", got)
	}
	if strings.Contains(string(got[0].Body), k.Key) {
		t.Fatal("the webhook holds the key in plaintext")
	}
	r := g.admin("GET", "/admin/v1/keys/"+k.ID+"/impact?since="+g.Clock.Now().Add(-time.Hour).Format(time.RFC3339), nil)
	if !strings.Contains(string(r.Body), `"kind":"new_model"`) {
		t.Fatalf("impact report lacks the anomaly: %s", r.Body)
	}
}
