package incident

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/keys"
)

func TestFindSecrets(t *testing.T) {
	live, err := keys.Generate(keys.PrefixLive)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		text string
		what string // "" = nothing may be found
	}{
		"keygate key":          {"the worker had " + live + " in its env", "a keygate key"},
		"keygate key in url":   {"https://x.test/?key=" + live + "&a=1", "a keygate key"},
		"damaged keygate key":  {"typo'd: " + live[:30] + "Q", "a keygate key (or most of one)"},
		"openai key":           {"OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz0123456789ABCD", "an OpenAI API key"},
		"anthropic key":        {"sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789", "an Anthropic API key"},
		"google key":           {"key AIzaSyA1234567890abcdefghijklmnopqrstuv here", "a Google API key"},
		"github token":         {"ghp_0123456789abcdefghijklmnopqrstuvwxyzAB", "a GitHub token"},
		"aws key":              {"AKIAABCDEFGHIJKLMNOP", "an AWS access key id"},
		"private key":          {"-----BEGIN RSA PRIVATE KEY-----\nMIIE", "a private key"},
		"bearer":               {"curl -H 'Authorization: Bearer abcdefghij0123456789xyz'", "a bearer credential"},
		"assignment":           {`password: "hunter2hunter2hunter2"`, "a credential assignment"},
		"display form is fine": {"key kg_live_7HqK…p2Xe (key_01HXYZ) was disabled", ""},
		"ids are fine":         {"see req_01J2ABCDEFGHJKMNPQRSTVWXYZ and key_01J2ABCDEFGHJKMNPQRSTVWXYZ", ""},
		"prose is fine":        {"sk-learn broke; the task-list is long; Bearer of bad news", ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			fs := FindSecrets(c.text)
			if c.what == "" {
				if len(fs) != 0 {
					t.Fatalf("found %+v in innocent text", fs)
				}
				return
			}
			if len(fs) == 0 || fs[0].What != c.what {
				t.Fatalf("findings %+v, want %q first", fs, c.what)
			}
			err := CheckText("symptom", c.text)
			if err == nil {
				t.Fatal("CheckText accepted a secret")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "symptom contains what looks like "+c.what) {
				t.Fatalf("message %q", msg)
			}
			secret := c.text[fs[0].Start:fs[0].End]
			if len(secret) > 16 && strings.Contains(msg, secret) {
				t.Fatalf("the message repeats the secret: %q", msg)
			}
		})
	}
}

func TestFindSecretsReportsOverlapOnce(t *testing.T) {
	live, _ := keys.Generate(keys.PrefixLive)
	fs := FindSecrets("Authorization: Bearer " + live)
	if len(fs) != 1 {
		t.Fatalf("findings = %+v, want one", fs)
	}
}

func TestMarkdown(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	impact, _ := json.Marshal(map[string]any{"key_id": "key_1", "since": now.Add(-time.Hour), "until": now, "requests": 12,
		"spend_usd": 0.5, "by_ip": []map[string]any{{"ip": "203.0.113.9", "requests": 12, "rejected": 2, "new": true, "last_seen": now}},
		"rejected_after_disable": 2, "anomalies": []map[string]any{{"kind": "new_ip", "message": "Address 203.0.113.9 is new."}}})
	rotation, _ := json.Marshal(map[string]any{"old_key_id": "key_1", "new_key_id": "key_2", "migrated": 1, "remaining": 1,
		"clients": []map[string]any{{"ip": "10.0.0.1", "user_agent": "svc/1", "migrated": true},
			{"ip": "10.0.0.2", "user_agent": "cron/2", "client": "nightly", "migrated": false, "last_seen_old": now}}})
	next := now.Add(-time.Minute)
	r := Record{ID: "inc_1", Title: "Leak of *prod* key | urgent", State: "open", Origin: "leak-report", Project: "demo",
		Environment: "live", Deployment: "eu-1", Symptom: "Found in a gist\n# not a heading", OpenedBy: "secret-scanning",
		CreatedAt: now.Add(-time.Hour), NextReview: &next, Overdue: true,
		Keys:      []KeyRef{{ID: "key_1", Display: "kg_live_AAAA…BBBB", State: "disabled", StateReason: "leaked", ReplacedBy: "key_2"}},
		Evidence:  []Evidence{{Kind: "impact", Ref: "key_1", Time: now, Data: impact}, {Kind: "rotation", Ref: "key_1", Time: now, Data: rotation}},
		Actions:   []Action{{Time: now, Actor: "secret-scanning", Action: "key.leaked", Object: "key_1", Detail: json.RawMessage(`{"url":"https://gist"}`)}},
		Notes:     []Note{{Time: now, Author: "a@example.com", Kind: "note", Text: "paged <b>team</b>"}},
		Remaining: []string{"Move 10.0.0.2 cron/2 to key_2"}}
	md := Markdown(r, now)
	for _, want := range []string{"# Leak of \\*prod\\* key | urgent — inc_1", "| Next review | 2030-01-02 03:03:05Z — OVERDUE |",
		"> Found in a gist\n> \\# not a heading", "`kg_live_AAAA…BBBB`", "- from 203.0.113.9 **new**: 12 requests (2 refused)",
		"⚠ Address 203.0.113.9 is new.", "1 of 2 clients migrated", "- [x] 10.0.0.1 svc/1", "- [ ] 10.0.0.2 cron/2 \\[nightly\\]",
		"**key.leaked** on `key_1` by secret-scanning (url=https://gist)", "paged &lt;b&gt;team&lt;/b&gt;",
		"- [ ] Move 10.0.0.2 cron/2 to key\\_2"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}
