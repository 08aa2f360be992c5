package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/testgw"
)

// TestNoPlaintextKeyAnywhere is the property behind DESIGN.md §2: apart
// from the one answer that creates it, no API response, log line, audit
// row, webhook or byte of the database holds a key. It generates keys,
// drives every lifecycle endpoint with them (including keys pasted into
// reasons and names, leaked-key reports and refused calls), then greps
// everything for every key and for the random middle of every key.
func TestNoPlaintextKeyAnywhere(t *testing.T) {
	sc := newScanner(t, "gh")
	g := startGateway(t, func(c *config.Config) { c.ScanningKeys = keyFile(t, sc) })
	var secrets []string
	creation := map[int]bool{} // indexes of g.Seen allowed to hold one secret
	remember := func(k keyOut) keyOut {
		secrets = append(secrets, k.Key)
		creation[len(g.Seen)-1] = true
		return k
	}
	h := http.Header{"Authorization": {"Bearer " + testgw.AdminToken}}

	var ks []keyOut
	for i := 0; i < 6; i++ {
		env := "live"
		if i%2 == 1 {
			env = "test"
		}
		ks = append(ks, remember(g.createKey(map[string]any{"env": env, "name": "k", "models": []string{"mock-gpt"}})))
	}
	// An operator pastes keys into free text: they must be scrubbed.
	g.admin("PATCH", "/admin/v1/keys/"+ks[0].ID, map[string]any{"name": "old " + ks[0].Key})
	g.admin("POST", "/admin/v1/keys/"+ks[0].ID+"/disable", map[string]string{"reason": "pasted " + ks[0].Key + " in slack, also " + ks[1].Key})
	g.call(ks[0].Key, "")
	g.chat(ks[1].Key, "mock-gpt")
	g.chat(ks[1].Key, "mock-gpt-mini") // model_not_allowed
	g.call(ks[1].Key+"x", "")          // wrong length
	g.call(" "+ks[2].Key, "")          // whitespace
	g.do("GET", "/v1/models?key="+ks[2].Key, nil, nil)
	g.do("GET", "/v1/models", http.Header{"X-Api-Key": {ks[2].Key}}, nil)
	g.do("GET", "/admin/v1/keys", http.Header{"Authorization": {"Bearer " + ks[2].Key}}, nil) // API key on the admin API
	// Rotations, with and without grace, and an idempotent retry.
	r := g.do("POST", "/admin/v1/keys/"+ks[2].ID+"/rotate", http.Header{"Authorization": h["Authorization"], "Idempotency-Key": {"a"}}, []byte(`{"grace_seconds":60}`))
	var rot keyOut
	r.json(t, &rot)
	secrets = append(secrets, rot.Key)
	creation[len(g.Seen)-1] = true
	g.do("POST", "/admin/v1/keys/"+ks[2].ID+"/rotate", http.Header{"Authorization": h["Authorization"], "Idempotency-Key": {"a"}}, []byte(`{"grace_seconds":60}`))
	g.call(ks[2].Key, "")
	g.call(rot.Key, "mock-gpt")
	g.admin("DELETE", "/admin/v1/keys/"+ks[3].ID, nil)
	g.call(ks[3].Key, "")
	g.admin("PATCH", "/admin/v1/keys/"+ks[4].ID, map[string]any{"allowed_ips": []string{"10.0.0.0/8"}})
	g.call(ks[4].Key, "")
	// A leak report naming two keys, one inside the URL too.
	body := reportBody(ks[5].Key, ks[4].Key)
	var items []map[string]string
	_ = json.Unmarshal(body, &items)
	items[0]["url"] = "https://gist.github.com/x?k=" + ks[5].Key
	body, _ = json.Marshal(items)
	g.report(t, sc, "gh", body)
	g.report(t, sc, "gh", body)
	// Digest check, reads and reports.
	g.admin("POST", "/admin/v1/keys/check", map[string]any{"digests": []string{keys.HashHex(ks[5].Key)}})
	for _, k := range ks {
		g.admin("GET", "/admin/v1/keys/"+k.ID, nil)
		g.admin("GET", "/admin/v1/keys/"+k.ID+"/impact", nil)
	}
	g.admin("GET", "/admin/v1/keys?limit=100", nil)
	g.admin("GET", "/admin/v1/audit?limit=1000", nil)
	g.waitLogs(ks[0].ID, "key_disabled", 1)
	g.admin("GET", "/admin/v1/logs?limit=1000", nil)
	hooks := g.Hooks.Wait(4)

	// Greps for the whole key, and for its random middle (which the
	// display form never shows), so a key cut or re-encoded is caught too.
	check := func(where string, b []byte) {
		t.Helper()
		for _, s := range secrets {
			mid := s[len(s)-30 : len(s)-10]
			if bytes.Contains(b, []byte(s)) || bytes.Contains(b, []byte(mid)) {
				t.Errorf("%s holds a plaintext key (%s)", where, keys.Display(s))
			}
		}
	}
	for i, r := range g.Seen {
		if creation[i] {
			// The creation answer holds exactly its own key, once, in "key".
			var v struct {
				Key string `json:"key"`
			}
			_ = json.Unmarshal(r.Body, &v)
			rest := bytes.Replace(r.Body, []byte(v.Key), nil, 1)
			check("creation response (outside its key field)", rest)
			continue
		}
		check("response "+string(r.Body[:min(len(r.Body), 80)]), r.Body)
		for name, vs := range r.Header {
			check("response header "+name, []byte(strings.Join(vs, " ")))
		}
	}
	for _, hk := range hooks {
		check("webhook "+hk.Event.Type, hk.Body)
	}
	evs, err := g.App.Store.ListAudit(context.Background(), store.AuditFilter{Limit: 1000})
	if err != nil || len(evs) < 10 {
		t.Fatalf("audit rows: %d, %v", len(evs), err)
	}
	for _, e := range evs {
		check("audit row "+e.Action, []byte(e.Actor+e.Object+e.SourceIP+e.Detail))
	}
	// Stop the gateway so every log row and WAL frame is on disk.
	g.Close()
	check("slog output", []byte(g.Logs.String()))
	if !strings.Contains(g.Logs.String(), "secret-scanning report handled") {
		t.Error("the log capture seems empty; the test would prove nothing")
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		b, err := os.ReadFile(g.DBPath + suffix)
		if err != nil {
			if suffix == "" {
				t.Fatal(err)
			}
			continue
		}
		check("database file "+suffix, b)
	}
	// The test must be able to fail: the plaintext is in the creation
	// answers it recorded.
	if len(secrets) != 7 || !bytes.Contains(g.Seen[0].Body, []byte(secrets[0])) {
		t.Fatal("the secrets under test were not captured")
	}
}
