package apierr

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/i18n"
)

// Every code has its title in both languages (the docs index and llms.txt
// show it).
func TestEveryCodeHasBothTitles(t *testing.T) {
	for _, e := range Catalogue() {
		tx, ok := i18n.Entry(i18n.Title(string(e.Code)))
		if !ok || tx.EN == "" || tx.ZH == "" {
			t.Errorf("code %s lacks a title in en or zh-CN (i18n key %s)", e.Code, i18n.Title(string(e.Code)))
		}
		if e.Title != tx.EN || e.TitleIn(i18n.ZH) != tx.ZH {
			t.Errorf("code %s: Title %q / TitleIn(zh) %q do not come from the catalogue", e.Code, e.Title, e.TitleIn(i18n.ZH))
		}
	}
}

type fields struct {
	Message, Type, Code, Hint, Docs string
	RequestID                       string `json:"request_id"`
}

func decode(t *testing.T, b []byte) fields {
	t.Helper()
	var v struct{ Error fields }
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v.Error
}

func TestWriteRequestLanguage(t *testing.T) {
	e := T(KeyDisabled, i18n.M("auth.key_disabled", i18n.S("key", "kg_live_AbCd…WxYz"), i18n.S("at", "2026-01-02T03:04:05Z"),
		i18n.Sub("reason", i18n.Message{}), i18n.Sub("replaced", i18n.Message{})), i18n.M("auth.key_disabled.hint"))
	if e.Message != "Key kg_live_AbCd…WxYz was disabled at 2026-01-02T03:04:05Z." {
		t.Fatalf("English Message = %q", e.Message)
	}
	for _, tc := range []struct {
		accept, wantDocs, wantLang string
		han                        bool
	}{
		{"", "/docs/errors/key_disabled", "", false},
		{"en-GB", "/docs/errors/key_disabled", "", false},
		{"zh-Hans-CN", "/docs/errors/key_disabled?lang=zh-CN", "zh-CN", true},
		{"en;q=0.1, zh", "/docs/errors/key_disabled?lang=zh-CN", "zh-CN", true},
	} {
		r := httptest.NewRequest("GET", "/v1/models", nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Language", tc.accept)
		}
		w := httptest.NewRecorder()
		WriteRequest(w, r, "req_1", e)
		f := decode(t, w.Body.Bytes())
		if f.Code != "key_disabled" || f.Type != "authentication_error" || w.Code != 401 || f.RequestID != "req_1" {
			t.Errorf("%q: code/type/status/request id changed: %+v %d", tc.accept, f, w.Code)
		}
		if f.Docs != tc.wantDocs {
			t.Errorf("%q: docs = %q, want %q", tc.accept, f.Docs, tc.wantDocs)
		}
		if got := w.Header().Get("Content-Language"); got != tc.wantLang {
			t.Errorf("%q: Content-Language = %q, want %q", tc.accept, got, tc.wantLang)
		}
		if han := strings.ContainsRune(f.Message, '密') && strings.ContainsRune(f.Hint, '密'); han != tc.han {
			t.Errorf("%q: message %q / hint %q, Chinese = %v, want %v", tc.accept, f.Message, f.Hint, han, tc.han)
		}
	}
}

// An error not yet in the catalogue (New) is English to every reader, and
// an unexpected error is the catalogue's internal_error in the reader's
// language, never its cause.
func TestFallbacks(t *testing.T) {
	zh := httptest.NewRequest("GET", "/", nil)
	zh.Header.Set("Accept-Language", "zh-CN")
	w := httptest.NewRecorder()
	WriteRequest(w, zh, "", New(Conflict, "Already there.", "Pick another name."))
	if f := decode(t, w.Body.Bytes()); f.Message != "Already there." || f.Hint != "Pick another name." || f.Code != "conflict" {
		t.Errorf("literal error: %+v", f)
	}
	w = httptest.NewRecorder()
	WriteRequest(w, zh, "", errors.New("db: secret internals"))
	f := decode(t, w.Body.Bytes())
	if f.Code != "internal_error" || strings.Contains(f.Message, "secret") || f.Message != i18n.M("internal.message").Render(i18n.ZH) {
		t.Errorf("internal error: %+v", f)
	}
	if w.Code != http.StatusInternalServerError {
		t.Errorf("status %d", w.Code)
	}
}

// BenchmarkWriteRefusal is the refusal path: a catalogue error rendered for
// a reader who asks for English (no header) or Chinese.
func BenchmarkWriteRefusal(b *testing.B) {
	for _, lang := range []string{"", "zh-CN,zh;q=0.9,en;q=0.8"} {
		name := "en"
		if lang != "" {
			name = "zh-CN"
		}
		b.Run(name, func(b *testing.B) {
			r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
			if lang != "" {
				r.Header.Set("Accept-Language", lang)
			}
			b.ReportAllocs()
			for b.Loop() {
				e := T(InvalidAPIKey, i18n.M("auth.unknown_key", i18n.S("key", "kg_live_AbCd…WxYz")), i18n.M("auth.unknown_key.hint"))
				w := httptest.NewRecorder()
				WriteRequest(w, r, "req_1", e)
			}
		})
	}
}
