package admin_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"unicode"

	"github.com/keygate/keygate/internal/testgw"
)

// The admin API and the secret-scanning route answer in Chinese to a reader
// who asks for it, with the same code; an English reader gets English.
func TestAdminErrorsInChinese(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(nil)
	han := func(s string) bool {
		for _, r := range s {
			if unicode.Is(unicode.Han, r) {
				return true
			}
		}
		return false
	}
	for _, tc := range []struct {
		name, method, path, auth, body, code string
	}{
		{"API key on the admin API", "GET", "/admin/v1/keys", "Bearer " + k.Key, "", "invalid_api_key_format"},
		{"wrong admin token", "GET", "/admin/v1/keys", "Bearer not-the-token-0123456789abcdefghijkl", "", "invalid_api_key"},
		{"unknown key id", "GET", "/admin/v1/keys/key_nope", "Bearer " + testgw.AdminToken, "", "not_found"},
		{"bad field", "POST", "/admin/v1/keys", "Bearer " + testgw.AdminToken, `{"project":"demo","env":"prod"}`, "invalid_request"},
		{"no admin route", "GET", "/admin/v1/nothing", "Bearer " + testgw.AdminToken, "", "unknown_endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got [2]struct {
				Error struct{ Message, Hint, Code, Docs string }
			}
			for i, lang := range []string{"en", "zh-CN"} {
				h := http.Header{"Authorization": {tc.auth}, "Accept-Language": {lang}, "Content-Type": {"application/json"}}
				_, b := g.Do(tc.method, tc.path, h, tc.body)
				if err := json.Unmarshal(b, &got[i]); err != nil {
					t.Fatalf("%s: %s", lang, b)
				}
			}
			en, zh := got[0].Error, got[1].Error
			if en.Code != tc.code || zh.Code != tc.code {
				t.Fatalf("codes %q / %q, want %q", en.Code, zh.Code, tc.code)
			}
			if han(en.Message) || !han(zh.Message) || (zh.Hint != "" && !han(zh.Hint)) {
				t.Errorf("en %+v\nzh %+v", en, zh)
			}
			if zh.Docs != "/docs/errors/"+tc.code+"?lang=zh-CN" {
				t.Errorf("zh docs %q", zh.Docs)
			}
		})
	}
}
