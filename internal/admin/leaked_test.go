package admin_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/leak"
	"github.com/keygate/keygate/internal/webhook"
)

// scanner is a test secret-scanning partner with its own P-256 key.
type scanner struct {
	id   string
	priv *ecdsa.PrivateKey
}

func newScanner(t *testing.T, id string) *scanner {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &scanner{id: id, priv: priv}
}

func (s *scanner) publicPEM(t *testing.T) string {
	der, err := x509.MarshalPKIXPublicKey(&s.priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func (s *scanner) sign(t *testing.T, body []byte) string {
	sum := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, s.priv, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// keyFile writes a KEYGATE_SECRET_SCANNING_KEYS file trusting scanners.
func keyFile(t *testing.T, ss ...*scanner) string {
	type entry struct {
		KeyIdentifier string `json:"key_identifier"`
		Key           string `json:"key"`
		IsCurrent     bool   `json:"is_current"`
	}
	var doc struct {
		PublicKeys []entry `json:"public_keys"`
	}
	for i, s := range ss {
		doc.PublicKeys = append(doc.PublicKeys, entry{KeyIdentifier: s.id, Key: s.publicPEM(t), IsCurrent: i == 0})
	}
	b, _ := json.Marshal(doc)
	p := filepath.Join(t.TempDir(), "scanning-keys.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (g *gateway) report(t *testing.T, s *scanner, keyID string, body []byte) response {
	h := http.Header{"Content-Type": {"application/json"}}
	if s != nil {
		h.Set(leak.HeaderKeyID, keyID)
		h.Set(leak.HeaderSignature, s.sign(t, body))
	}
	return g.do("POST", "/security/v1/leaked-keys", h, body)
}

func reportBody(tokens ...string) []byte {
	var items []map[string]string
	for i, tok := range tokens {
		items = append(items, map[string]string{"token": tok, "type": "keygate_api_key",
			"url": fmt.Sprintf("https://github.com/acme/app/blob/main/.env#L%d", i+1), "source": "content"})
	}
	b, _ := json.Marshal(items)
	return b
}

func TestLeakReportSignedDisablesKey(t *testing.T) {
	good := newScanner(t, "gh-current")
	old := newScanner(t, "gh-old")
	g := startGateway(t, func(c *config.Config) { c.ScanningKeys = keyFile(t, good, old) })
	k := g.createKey(nil)
	other := g.createKey(nil)
	unknown, _ := keys.Generate(keys.PrefixLive)
	body := reportBody(k.Key, unknown, "not-a-key-at-all")

	// Forged: signed by a key the gateway does not trust under a trusted id.
	forger := newScanner(t, "gh-current")
	expect(t, "forged", g.report(t, forger, "gh-current", body), 403, "permission_denied")
	expect(t, "unsigned", g.report(t, nil, "", body), 403, "permission_denied")
	expect(t, "unknown key id", g.report(t, good, "gh-nope", body), 403, "permission_denied")
	// A body changed after signing fails too.
	h := http.Header{leak.HeaderKeyID: {"gh-current"}, leak.HeaderSignature: {good.sign(t, body)}}
	expect(t, "tampered", g.do("POST", "/security/v1/leaked-keys", h, reportBody(other.Key)), 403, "permission_denied")
	expect(t, "other key untouched", g.call(other.Key, ""), 200, "")

	expect(t, "key untouched by refused reports", g.call(k.Key, ""), 200, "")

	valid := g.report(t, good, "gh-current", body)
	if valid.Status != 200 {
		t.Fatalf("valid report: %d %s", valid.Status, valid.Body)
	}
	var ans []leak.Answer
	valid.json(t, &ans)
	want := []leak.Answer{
		{TokenHash: keys.HashHex(k.Key), TokenType: "keygate_api_key", Label: leak.TruePositive},
		{TokenHash: keys.HashHex(unknown), TokenType: "keygate_api_key", Label: leak.FalsePositive},
		{TokenHash: keys.HashHex("not-a-key-at-all"), TokenType: "keygate_api_key", Label: leak.FalsePositive},
	}
	if fmt.Sprint(ans) != fmt.Sprint(want) {
		t.Fatalf("answer %+v, want %+v", ans, want)
	}
	r := g.call(k.Key, "")
	expect(t, "leaked key", r, 401, "key_disabled")
	if !strings.Contains(r.errMessage(), "github.com/acme/app") {
		t.Errorf("the reason should name where the key was found: %s", r.Body)
	}

	// Signed with the previous (non-current) key: still accepted; a replay
	// changes nothing and alerts nobody again.
	replay := g.report(t, old, "gh-old", body)
	expect(t, "replay", replay, 200, "")
	if string(replay.Body) != string(valid.Body) {
		t.Errorf("replay answer differs:\n%s\n%s", replay.Body, valid.Body)
	}
	var audit struct {
		Data []struct{ Actor, Action, Object string } `json:"data"`
	}
	g.admin("GET", "/admin/v1/audit?action=key.leaked", nil).json(t, &audit)
	if len(audit.Data) != 1 || audit.Data[0].Object != k.ID || audit.Data[0].Actor != "secret-scanning" {
		t.Fatalf("want one key.leaked audit event by secret-scanning: %+v", audit.Data)
	}
	g.Hooks.Wait(1)
	time.Sleep(100 * time.Millisecond) // a duplicate, if any, would arrive now
	hooks := g.Hooks.Wait(1)
	leaked := 0
	for _, h := range hooks {
		if h.Event.Type == webhook.KeyLeaked {
			leaked++
			if h.Event.Data["key_id"] != k.ID || !webhook.Verify(hookSecret, h.Body, h.Header.Get(webhook.HeaderSignature)) {
				t.Errorf("key.leaked webhook: %s", h.Body)
			}
		}
	}
	if leaked != 1 {
		t.Errorf("want 1 key.leaked webhook, got %d", leaked)
	}
}

func TestLeakReportWithoutTrustedKeys(t *testing.T) {
	g := startGateway(t, nil)
	k := g.createKey(nil)
	s := newScanner(t, "x")
	expect(t, "not configured", g.report(t, s, "x", reportBody(k.Key)), 503, "service_unavailable")
	expect(t, "key untouched", g.call(k.Key, ""), 200, "")
}

// TestLeakReportThousandTokens checks a large report finishes in seconds.
func TestLeakReportThousandTokens(t *testing.T) {
	s := newScanner(t, "gh")
	g := startGateway(t, func(c *config.Config) { c.ScanningKeys = keyFile(t, s) })
	var toks []string
	var ours []string
	for i := 0; i < 20; i++ {
		k := g.createKey(nil)
		ours = append(ours, k.Key)
		toks = append(toks, k.Key)
	}
	for len(toks) < 1000 {
		k, _ := keys.Generate(keys.PrefixLive)
		toks = append(toks, k)
	}
	body := reportBody(toks...)
	start := time.Now()
	r := g.report(t, s, "gh", body)
	took := time.Since(start)
	expect(t, "report", r, 200, "")
	var ans []leak.Answer
	r.json(t, &ans)
	tp := 0
	for _, a := range ans {
		if a.Label == leak.TruePositive {
			tp++
		}
	}
	if len(ans) != 1000 || tp != 20 {
		t.Fatalf("answers %d, true positives %d", len(ans), tp)
	}
	if took > 10*time.Second {
		t.Errorf("a 1,000-token report took %v", took)
	}
	t.Logf("1,000-token report with 20 live keys took %v", took)
	for _, k := range ours {
		expect(t, "reported key", g.call(k, ""), 401, "key_disabled")
	}
}

// TestLeakReportDisablesMemberToken: a member's personal access token in a
// signed report stops authenticating at once, is audited and notified
// (display form only) and labelled true_positive, also on replay; the
// member gets a new token from an owner and works again.
func TestLeakReportDisablesMemberToken(t *testing.T) {
	sc := newScanner(t, "gh-current")
	g := startGateway(t, func(c *config.Config) { c.ScanningKeys = keyFile(t, sc) })
	r := g.admin("POST", "/admin/v1/members", map[string]any{"email": "ana@example.com", "role": "admin"})
	expect(t, "create member", r, 201, "")
	var m struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	r.json(t, &m)
	bearer := http.Header{"Authorization": {"Bearer " + m.Token}}
	expect(t, "member token works", g.do("GET", "/admin/v1/members/me", bearer, nil), 200, "")
	k := g.createKey(nil) // a key is not touched by its creator's token leaking

	body := reportBody(m.Token)
	for i, what := range []string{"report", "replay"} {
		r = g.report(t, sc, "gh-current", body)
		expect(t, what, r, 200, "")
		var ans []leak.Answer
		r.json(t, &ans)
		if len(ans) != 1 || ans[0].Label != leak.TruePositive || ans[0].TokenHash != keys.HashHex(m.Token) {
			t.Fatalf("%s #%d answer: %s", what, i, r.Body)
		}
	}
	r = g.do("GET", "/admin/v1/members/me", bearer, nil)
	expect(t, "leaked member token", r, 401, "key_disabled")
	for _, want := range []string{"ana@example.com", keys.Display(m.Token), "secret-scanning report", "/admin/v1/members/" + m.ID + "/token"} {
		if !strings.Contains(string(r.Body), want) {
			t.Fatalf("refusal lacks %q: %s", want, r.Body)
		}
	}
	expect(t, "keys keep working", g.call(k.Key, ""), 200, "")

	r = g.admin("GET", "/admin/v1/audit?action=token.leaked", nil)
	var audit struct {
		Data []struct {
			Actor, Object string
			Detail        map[string]any
		} `json:"data"`
	}
	r.json(t, &audit)
	if len(audit.Data) != 1 || audit.Data[0].Object != m.ID || audit.Data[0].Actor != "secret-scanning" ||
		audit.Data[0].Detail["token_disabled"] != true || audit.Data[0].Detail["display"] != keys.Display(m.Token) {
		t.Fatalf("audit (one event, replay adds none): %s", r.Body)
	}
	var leaked []hookDelivery
	for _, d := range g.Hooks.Wait(1) {
		if d.Event.Type == webhook.KeyLeaked {
			leaked = append(leaked, d)
		}
	}
	if len(leaked) != 1 || leaked[0].Event.Data["member_id"] != m.ID || leaked[0].Event.Data["token_disabled"] != true ||
		!strings.Contains(fmt.Sprint(leaked[0].Event.Data["action_needed"]), "/token") {
		t.Fatalf("webhooks: %+v", leaked)
	}

	// An owner issues a new token; it works, the old one stays refused.
	r = g.admin("POST", "/admin/v1/members/"+m.ID+"/token", nil)
	expect(t, "new token", r, 200, "")
	var fresh struct{ Token string }
	r.json(t, &fresh)
	expect(t, "new token works", g.do("GET", "/admin/v1/members/me", http.Header{"Authorization": {"Bearer " + fresh.Token}}, nil), 200, "")
	expect(t, "old token still refused", g.do("GET", "/admin/v1/members/me", bearer, nil), 401, "")

	for _, d := range g.Hooks.Wait(1) {
		if strings.Contains(string(d.Body), m.Token) || strings.Contains(string(d.Body), fresh.Token) {
			t.Fatal("a webhook holds a token in plaintext")
		}
	}
	if logs := g.Logs.String(); strings.Contains(logs, m.Token) || strings.Contains(logs, fresh.Token) {
		t.Fatal("the log holds a token in plaintext")
	}
}

// TestLeakReportOfBootstrapToken: KEYGATE_ADMIN_TOKEN lives in the
// environment, so a report of it is labelled, audited and notified for the
// operator to replace.
func TestLeakReportOfBootstrapToken(t *testing.T) {
	sc := newScanner(t, "gh-current")
	tok, _ := keys.Generate(keys.PrefixPAT)
	g := startGateway(t, func(c *config.Config) { c.ScanningKeys = keyFile(t, sc); c.AdminToken = tok })
	r := g.report(t, sc, "gh-current", reportBody(tok))
	var ans []leak.Answer
	r.json(t, &ans)
	if len(ans) != 1 || ans[0].Label != leak.TruePositive {
		t.Fatalf("answer: %s", r.Body)
	}
	hooks := g.Hooks.Wait(1)
	if len(hooks) != 1 || hooks[0].Event.Type != webhook.KeyLeaked || !strings.Contains(fmt.Sprint(hooks[0].Event.Data["action_needed"]), "KEYGATE_ADMIN_TOKEN") {
		t.Fatalf("webhooks: %+v", hooks)
	}
	if strings.Contains(string(hooks[0].Body), tok) {
		t.Fatal("the webhook holds the token in plaintext")
	}
}
