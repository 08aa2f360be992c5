package doctor_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/doctor"
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
		failed           string // the first check that fails
		want             []string
	}{
		"good setup": {base: g.URL + "/v1", key: k.Key, model: "mock-gpt", ok: true,
			want: []string{"keygate server", "well-formed keygate live key", "200 in", "status:     200", "request id: req_"}},
		"good setup, no model given": {base: g.URL + "/v1", key: k.Key, ok: true, want: []string{"looks like a chat model", "model:      mock-gpt"}},
		"missing /v1": {base: g.URL, key: k.Key, model: "mock-gpt", failed: doctor.CheckBaseURL,
			want: []string{"lacks /v1", "--base-url " + g.URL + "/v1", "status:     - (the key was not sent)"}},
		"doubled /v1": {base: g.URL + "/v1/v1", key: k.Key, model: "mock-gpt", failed: doctor.CheckBaseURL,
			want: []string{"/v1 twice", "--base-url " + g.URL + "/v1"}},
		"key with a leading space": {base: g.URL + "/v1", key: " " + k.Key, model: "mock-gpt", failed: doctor.CheckKey,
			want: []string{"starts with", "space"}},
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
			if tc.failed != "" {
				failedSeen := false
				for _, c := range rep.Checks {
					switch {
					case c.Name == tc.failed:
						failedSeen = true
						if c.Status != doctor.Fail {
							t.Errorf("check %q is %s, want FAIL:\n%s", c.Name, c.Status, text)
						}
					case failedSeen && c.Status != doctor.Skip:
						t.Errorf("check %q after the failure is %s, want SKIP", c.Name, c.Status)
					case !failedSeen && c.Status == doctor.Fail:
						t.Errorf("check %q failed before %q:\n%s", c.Name, tc.failed, text)
					}
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
			if tc.key != "" {
				if d := keys.DisplayPresented(strings.TrimSpace(tc.key)); d != "" && !strings.Contains(text, "key:        "+d) {
					t.Errorf("evidence lacks the display form %q:\n%s", d, text)
				}
				body := strings.TrimSpace(tc.key)
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
