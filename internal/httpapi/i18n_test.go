package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode"

	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/testgw"
)

type errFields struct {
	Message string `json:"message"`
	Type    string `json:"type"`
	Code    string `json:"code"`
	Hint    string `json:"hint"`
	Docs    string `json:"docs"`
}

func decodeErr(t *testing.T, b []byte) errFields {
	t.Helper()
	var e struct {
		Error errFields `json:"error"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("not an error body: %s", b)
	}
	return e.Error
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// The refusals a user meets first — a bad key, an unknown key, a disabled
// key, an unknown model, a spent budget — answer in Chinese to a reader who
// asks for it (Accept-Language), with the same code and type, and a docs
// link to the Chinese page; an English reader gets what they always got.
func TestErrorsInChinese(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	disabled := g.CreateKey(map[string]any{"name": "to-disable"})
	if st := g.Admin("POST", "/admin/v1/keys/"+disabled.ID+"/disable", map[string]string{"reason": "laptop stolen"}, nil); st != 200 {
		t.Fatalf("disable: %d", st)
	}
	spent := g.CreateKey(map[string]any{"budget": map[string]any{"limit_usd": 0.000000001, "period": "monthly"}})
	live := g.CreateKey(map[string]any{"name": "live"})
	unknown, err := keys.Generate(keys.PrefixLive)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, auth, body, code string
	}{
		{"bad key", "Bearer \"" + live.Key + "\"", chatBody, "invalid_api_key_format"},
		{"truncated key", "Bearer " + live.Key[:30], chatBody, "invalid_api_key_format"},
		{"unknown key", "Bearer " + unknown, chatBody, "invalid_api_key"},
		{"disabled key", "Bearer " + disabled.Key, chatBody, "key_disabled"},
		{"unknown model", "Bearer " + live.Key, `{"model":"mock-gtp","messages":[{"role":"user","content":"hi"}]}`, "model_not_found"},
		{"spent budget", "Bearer " + spent.Key, chatBody, "insufficient_quota"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			call := func(lang string) (*http.Response, errFields) {
				h := http.Header{"Authorization": {tc.auth}, "Content-Type": {"application/json"}}
				if lang != "" {
					h.Set("Accept-Language", lang)
				}
				resp, b := g.Do("POST", "/v1/chat/completions", h, tc.body)
				return resp, decodeErr(t, b)
			}
			enResp, en := call("")
			zhResp, zh := call("zh-CN,zh;q=0.9,en;q=0.8")
			if en.Code != tc.code || zh.Code != tc.code || en.Type != zh.Type || enResp.StatusCode != zhResp.StatusCode {
				t.Fatalf("code/type/status differ: en %s %s %d, zh %s %s %d, want code %s",
					en.Code, en.Type, enResp.StatusCode, zh.Code, zh.Type, zhResp.StatusCode, tc.code)
			}
			if hasHan(en.Message) || hasHan(en.Hint) {
				t.Errorf("English reader got Chinese: %+v", en)
			}
			if !hasHan(zh.Message) || !hasHan(zh.Hint) {
				t.Errorf("zh-CN reader did not get a Chinese message and hint: %+v", zh)
			}
			if en.Docs != "/docs/errors/"+tc.code {
				t.Errorf("English docs link %q changed", en.Docs)
			}
			if zh.Docs != "/docs/errors/"+tc.code+"?lang=zh-CN" {
				t.Errorf("Chinese docs link %q", zh.Docs)
			}
			if got := zhResp.Header.Get("Content-Language"); got != "zh-CN" {
				t.Errorf("Content-Language = %q", got)
			}
			for _, s := range []string{zh.Message, zh.Hint} {
				if strings.Contains(s, live.Key) || strings.Contains(s, disabled.Key) || strings.Contains(s, spent.Key) || strings.Contains(s, unknown) {
					t.Errorf("a full key in the message: %s", s)
				}
			}
			if _, other := call("fr-FR, de;q=0.5"); other != en {
				t.Errorf("a French reader should get English: %+v", other)
			}
		})
	}
}

// A stream the upstream cuts short ends with an error event in the
// reader's language too.
func TestStreamCutInChinese(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(nil)
	body := `{"model":"mock-stream-cut","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	for lang, want := range map[string]string{"": "The upstream stream ended before it was complete.", "zh-CN": "上游的流式响应在完成前就结束了。"} {
		h := http.Header{"Authorization": {"Bearer " + k.Key}, "Content-Type": {"application/json"}}
		if lang != "" {
			h.Set("Accept-Language", lang)
		}
		_, b := g.Do("POST", "/v1/chat/completions", h, body)
		if !strings.Contains(string(b), want) || !strings.Contains(string(b), `"code":"upstream_error"`) {
			t.Errorf("%q: the stream does not end with %q:\n%s", lang, want, b)
		}
	}
}
