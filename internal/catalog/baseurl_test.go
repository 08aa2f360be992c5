package catalog_test

import (
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/testgw"
)

func TestDisplayBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.openai.com/v1":           "https://api.openai.com/v1",
		"http://user:s3cret@10.0.0.5:8000/v1": "http://xxxxx@10.0.0.5:8000/v1",
		"https://tok3n@proxy.example/v1":      "https://xxxxx@proxy.example/v1",
		"http://u:p%zz@h/v1":                  "http://xxxxx@h/v1", // unparseable
	} {
		if got := catalog.DisplayBaseURL(in); got != want {
			t.Errorf("DisplayBaseURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// GET /admin/v1/channels never shows a base_url's userinfo.
func TestChannelListHidesUserinfo(t *testing.T) {
	g := testgw.Start(t, testgw.Options{Config: strings.Replace(testgw.DefaultConfig, "\nmodels:", `
  - name: basic-auth
    type: openai
    base_url: "http://ops:hunter2-secret@127.0.0.1:9/v1"
    models: [mock-gpt]
    groups: [default]
    priority: -1
models:`, 1)})
	var out struct {
		Data []map[string]any `json:"data"`
	}
	if st := g.Admin("GET", "/admin/v1/channels", nil, &out); st != 200 {
		t.Fatalf("status %d", st)
	}
	found := false
	for _, c := range out.Data {
		b, _ := c["base_url"].(string)
		if strings.Contains(b, "hunter2") || strings.Contains(b, "ops:") {
			t.Fatalf("channel %v shows its userinfo: %s", c["name"], b)
		}
		found = found || b == "http://xxxxx@127.0.0.1:9/v1"
	}
	if !found {
		t.Fatalf("the basic-auth channel is missing or not in display form: %v", out.Data)
	}
}

// The admin API refuses a metadata or link-local upstream too (allow_private
// exists only in KEYGATE_CONFIG), and keeps accepting a private one.
func TestAdminChannelRefusesMetadataHost(t *testing.T) {
	g := testgw.Start(t, testgw.Options{})
	for base, want := range map[string]int{
		"http://169.254.169.254/latest":      400,
		"http://metadata.google.internal/v1": 400,
		"http://10.0.0.5:8000/v1":            201,
	} {
		var out map[string]any
		st := g.Admin("POST", "/admin/v1/channels", map[string]any{"name": "c" + strings.NewReplacer(".", "", ":", "", "/", "").Replace(base)[4:14],
			"base_url": base, "api_key": "sk-test-0123456789", "models": []string{"mock-gpt"}, "groups": []string{"default"}}, &out)
		if st != want {
			t.Errorf("POST channel %s: status %d (%v), want %d", base, st, out, want)
		}
	}
}
