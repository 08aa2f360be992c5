package logwriter_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/testgw"
)

// A client's bytes cannot cost the request log its row, on either store:
// a User-Agent with byte 0xFF, a model name with NUL and a full keygate key
// in both are stored (PostgreSQL refuses such text in a multi-row INSERT,
// which used to drop the whole batch), clean, and with the key in display
// form only.
func TestHostileClientTextIsStoredClean(t *testing.T) {
	for _, db := range testgw.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			g := testgw.Start(t, testgw.Options{DSN: db.DSN})
			k := g.CreateKey(nil)
			leaked, err := keys.Generate("kg_live_")
			if err != nil {
				t.Fatal(err)
			}
			cases := []struct{ ua, model string }{
				{ua: "curl/8\xff\xfe (bad bytes)", model: "mock-gpt"},
				{ua: "ok-agent", model: `mock\u0000gpt`},
				{ua: "agent " + leaked + " end", model: "mock-gpt " + leaked},
			}
			// Normal traffic in the same batch must survive too.
			for _, c := range cases {
				h := http.Header{"Authorization": {"Bearer " + k.Key}, "Content-Type": {"application/json"}, "User-Agent": {c.ua}}
				g.Do("POST", "/v1/chat/completions", h, `{"model":"`+c.model+`","messages":[{"role":"user","content":"hi"}]}`)
				g.Do("POST", "/v1/chat/completions", http.Header{"Authorization": {"Bearer " + k.Key}, "Content-Type": {"application/json"}},
					`{"model":"mock-gpt","messages":[{"role":"user","content":"hi"}]}`)
			}
			rows := g.Logs(testgw.Query("key_id", k.ID, "limit", "100"), 2*len(cases))
			if len(rows) != 2*len(cases) {
				t.Fatalf("stored %d rows, want %d: a hostile row cost its batch", len(rows), 2*len(cases))
			}
			var sawBytes, sawNUL, sawKey bool
			for _, r := range rows {
				for _, f := range []string{"user_agent", "model"} {
					v, _ := r[f].(string)
					if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
						t.Errorf("%s %q is not clean text", f, v)
					}
					if strings.Contains(v, leaked) {
						t.Errorf("%s carries the full key: %q", f, v)
					}
					if strings.Contains(v, keys.Display(leaked)) {
						sawKey = true
					}
					sawBytes = sawBytes || strings.HasPrefix(v, "curl/8")
					sawNUL = sawNUL || strings.HasPrefix(v, "mock") && strings.HasSuffix(v, "gpt") && v != "mock-gpt"
				}
			}
			if !sawBytes || !sawNUL || !sawKey {
				t.Fatalf("rows lost their hostile fields (0xFF %v, NUL %v, key display %v): %v", sawBytes, sawNUL, sawKey, rows)
			}
		})
	}
}
