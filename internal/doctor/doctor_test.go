package doctor_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/doctor"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/mockupstream"
	"github.com/keygate/keygate/internal/testgw"
)

func statuses(r *doctor.Report) map[string]doctor.Status {
	m := map[string]doctor.Status{}
	for _, c := range r.Checks {
		m[c.Name] = c.Status
	}
	return m
}

func find(r *doctor.Report, name string) doctor.Check {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return doctor.Check{}
}

// TestDoctor runs doctor against a live gateway in front of the mock
// upstream, the way a user would.
func TestDoctor(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(nil)
	cases := map[string]struct {
		base, key, model string
		ok               bool
		failed           string   // the check that fails and stops the run
		fixed            []string // checks that fail, but whose mistake doctor corrects for the next ones
		want             []string
	}{
		"good setup": {base: g.URL + "/v1", key: k.Key, model: "mock-gpt", ok: true,
			want: []string{"keygate server", "well-formed keygate live key", "200 in", "status:     200", "request id: req_"}},
		"good setup, no model given": {base: g.URL + "/v1", key: k.Key, ok: true, want: []string{"looks like a chat model", "model:      mock-gpt"}},
		"missing /v1": {base: g.URL, key: k.Key, model: "mock-gpt", fixed: []string{doctor.CheckBaseURL},
			want: []string{"lacks /v1", "--base-url " + g.URL + "/v1", "the next checks use " + g.URL + "/v1", "status:     200", "base URL:   " + g.URL + "/v1\n"}},
		"doubled /v1": {base: g.URL + "/v1/v1", key: k.Key, model: "mock-gpt", fixed: []string{doctor.CheckBaseURL},
			want: []string{"/v1 twice", "--base-url " + g.URL + "/v1", "status:     200"}},
		"key with a leading space": {base: g.URL + "/v1", key: " " + k.Key, model: "mock-gpt", fixed: []string{doctor.CheckKey},
			want: []string{"starts with a space", "the next checks go on without it", "well-formed keygate live key", "status:     200"}},
		"key in quotes": {base: g.URL + "/v1", key: `"` + k.Key + `"`, model: "mock-gpt", fixed: []string{doctor.CheckKey},
			want: []string{"wrapped in quotes", "status:     200"}},
		// Two mistakes in one run: both are reported.
		"trailing newline and a misspelt model": {base: g.URL + "/v1", key: k.Key + "\n", model: "mock-gtp",
			fixed: []string{doctor.CheckKey}, failed: doctor.CheckModel,
			want: []string{"ends with a newline", `Did you mean "mock-gpt"`, "error code: model_not_found"}},
		"space around a key with a typo": {base: g.URL + "/v1", key: " " + typo(k.Key) + " ", model: "mock-gpt", failed: doctor.CheckKey,
			want: []string{"starts with a space and ends with a space", "differ", "status:     - (the key was not sent)"}},
		"misspelt model": {base: g.URL + "/v1", key: k.Key, model: "mock-gtp", failed: doctor.CheckModel,
			want: []string{"model_not_found", `"mock-gpt"`, "error code: model_not_found", "request id: req_"}},
		"typo in the key": {base: g.URL + "/v1", key: typo(k.Key), model: "mock-gpt", failed: doctor.CheckKey,
			want: []string{"differ"}},
		"OpenAI key sent to keygate": {base: g.URL + "/v1", key: "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789", failed: doctor.CheckKey,
			want: []string{"OpenAI"}},
		"unknown key": {base: g.URL + "/v1", key: mustKey(t), model: "mock-gpt", failed: doctor.CheckModels,
			want: []string{"invalid_api_key", "error code: invalid_api_key"}},
		"upstream credential broken": {base: g.URL + "/v1", key: k.Key, model: "mock-error-401", failed: doctor.CheckChat,
			want: []string{"502 upstream_auth_failed", "error code: upstream_auth_failed"}},
		"nothing listening": {base: "http://127.0.0.1:1/v1", key: k.Key, failed: doctor.CheckBaseURL},
		"no key":            {base: g.URL + "/v1", failed: doctor.CheckKey, want: []string{"KEYGATE_KEY"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rep := doctor.Run(context.Background(), doctor.Options{BaseURL: tc.base, Key: tc.key, Model: tc.model})
			var out bytes.Buffer
			rep.Write(&out)
			text := out.String()
			t.Log("\n" + text)
			if rep.OK() != tc.ok {
				t.Errorf("OK() = %v, want %v:\n%s", rep.OK(), tc.ok, text)
			}
			if len(rep.Checks) != 5 {
				t.Errorf("%d checks, want 5", len(rep.Checks))
			}
			failedSeen := false
			for _, c := range rep.Checks {
				switch {
				case c.Name == tc.failed:
					failedSeen = true
					if c.Status != doctor.Fail || c.Continued {
						t.Errorf("check %q is %s (continued %v), want a FAIL that stops:\n%s", c.Name, c.Status, c.Continued, text)
					}
				case slices.Contains(tc.fixed, c.Name):
					if c.Status != doctor.Fail || !c.Continued {
						t.Errorf("check %q is %s (continued %v), want a FAIL the run goes on from:\n%s", c.Name, c.Status, c.Continued, text)
					}
				case failedSeen && c.Status != doctor.Skip:
					t.Errorf("check %q after the failure is %s, want SKIP", c.Name, c.Status)
				case !failedSeen && (c.Status == doctor.Fail || c.Status == doctor.Skip):
					t.Errorf("check %q is %s before %q:\n%s", c.Name, c.Status, tc.failed, text)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
			if tc.key != "" {
				if d := keys.DisplayPresented(strings.Trim(tc.key, " \n\"")); d != "" && !strings.Contains(text, "key:        "+d) {
					t.Errorf("evidence lacks the display form %q:\n%s", d, text)
				}
				body := strings.Trim(tc.key, " \n\"")
				for _, p := range []string{keys.PrefixLive, "sk-proj-"} {
					body = strings.TrimPrefix(body, p)
				}
				for i := 0; i+5 <= len(body); i++ {
					if strings.Contains(text, body[i:i+5]) {
						t.Fatalf("output holds %q of the key:\n%s", body[i:i+5], text)
					}
				}
			}
		})
	}
}

// TestDoctorOtherServer runs doctor against a plain OpenAI-compatible server
// (the mock upstream alone): sk- keys are fine there, and keygate's fields
// are not required.
func TestDoctorOtherServer(t *testing.T) {
	const key = "sk-mock-0123456789abcdefghijklmnopqrstuv"
	srv := httptest.NewServer(mockupstream.New(mockupstream.Options{APIKey: key}))
	defer srv.Close()
	rep := doctor.Run(context.Background(), doctor.Options{BaseURL: srv.URL + "/v1", Key: key, Model: "mock-gpt"})
	var out bytes.Buffer
	rep.Write(&out)
	if !rep.OK() {
		t.Fatalf("want all checks to pass:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "not keygate") || rep.Evidence.Server != "OpenAI-compatible" {
		t.Errorf("server not recognised as a non-keygate OpenAI-compatible one:\n%s", out.String())
	}
	if strings.Contains(out.String(), "0123456789abcdefghij") {
		t.Errorf("output holds the key:\n%s", out.String())
	}
	// Missing /v1 against the other server: it answers 404 at /models.
	rep = doctor.Run(context.Background(), doctor.Options{BaseURL: srv.URL, Key: key, Model: "mock-gpt"})
	if st := statuses(rep)[doctor.CheckModels]; rep.OK() || st != doctor.Fail || rep.SuggestedBaseURL != srv.URL+"/v1" {
		// The mock checks the key before the path, so only the call with
		// the key shows the wrong base URL.
		t.Errorf("missing /v1 against another server: %s, suggested %q", st, rep.SuggestedBaseURL)
	}
	// A key with a trailing newline is refused before it is sent.
	rep = doctor.Run(context.Background(), doctor.Options{BaseURL: srv.URL + "/v1", Key: key + "\n"})
	if c := find(rep, doctor.CheckKey); c.Status != doctor.Fail || !strings.Contains(c.Detail, "ends with") {
		t.Errorf("trailing newline: %+v", c)
	}
	// A server that is not an API at all.
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(404)
		_, _ = w.Write([]byte("<html>nope</html>"))
	}))
	defer html.Close()
	rep = doctor.Run(context.Background(), doctor.Options{BaseURL: html.URL + "/v1", Key: key})
	if c := find(rep, doctor.CheckBaseURL); c.Status != doctor.Fail || !strings.Contains(c.Detail, "does not look like") {
		t.Errorf("HTML server: %+v", c)
	}
}

func typo(k string) string {
	b := []byte(k)
	i := len(keys.PrefixLive) + 5
	if b[i] == 'a' {
		b[i] = 'b'
	} else {
		b[i] = 'a'
	}
	return string(b)
}

func mustKey(t *testing.T) string {
	k, err := keys.Generate(keys.PrefixLive)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestDoctorInChinese: every line in Chinese, keygate's own message and hint
// too (doctor asks for them), codes and statuses unchanged — and the two
// mistakes of one setup reported in one run.
func TestDoctorInChinese(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	k := g.CreateKey(nil)
	rep := doctor.Run(context.Background(), doctor.Options{BaseURL: g.URL + "/v1", Key: k.Key + "\n", Model: "mock-gtp", Lang: i18n.ZH})
	var out bytes.Buffer
	rep.Write(&out)
	text := out.String()
	t.Log("\n" + text)
	for _, want := range []string{
		"[FAIL] 2. 密钥格式（在发送前于本地检查） — 密钥末尾有一个换行符——这不属于密钥；后续检查使用去掉它之后的密钥；",
		"[PASS] 3. 用该密钥调用 GET /models",
		"[FAIL] 4. 模型存在且允许使用",
		"404 model_not_found：模型 \"mock-gtp\" 不在本网关的模型目录中。你是不是想用 \"mock-gpt\"",
		"解决：GET /v1/models 会列出你的密钥可用的模型",
		"/docs/errors/model_not_found?lang=zh-CN",
		"[SKIP] 5.",
		"未运行：请先解决“模型存在且允许使用”",
		"错误代码：  model_not_found",
		"有检查未通过",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Count(text, "你是不是想用") != 1 {
		t.Errorf("the suggestion should appear once (keygate's, not doubled by doctor)")
	}
	for _, english := range []string{"did you mean", "Did you mean", "not run", "the key", "answered"} {
		if strings.Contains(text, english) {
			t.Errorf("English %q in the Chinese report", english)
		}
	}
}
