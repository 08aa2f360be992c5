package provider

import (
	"encoding/base64"
	"net/url"
	"strings"
	"testing"
)

// Upstreams echo a rejected credential in many forms; none may survive.
func TestScrubEveryForm(t *testing.T) {
	const cred = "sk-ant-api03-Ab/cd+efGH12/ijkl=MNOP34&x<y"
	basic := base64.StdEncoding.EncodeToString([]byte("api:" + cred)) // the credential at an offset inside the encoding
	cases := map[string]string{
		"raw":                  "Incorrect API key provided: " + cred + ".",
		"json escaped slash":   `{"error":{"message":"bad key ` + strings.ReplaceAll(cred, "/", `\/`) + `"}}`,
		"json u002f":           `{"message":"` + strings.ReplaceAll(cred, "/", `\u002f`) + `"}`,
		"go json":              `{"message":"` + strings.NewReplacer("&", `\u0026`, "<", `\u003c`).Replace(cred) + `"}`,
		"url query":            "GET /v1/models?key=" + url.QueryEscape(cred) + "&alt=sse",
		"url path":             "https://upstream.example/keys/" + url.PathEscape(cred) + "/check",
		"url lower hex":        "key=" + strings.NewReplacer("%2F", "%2f", "%2B", "%2b", "%3D", "%3d", "%3C", "%3c").Replace(url.QueryEscape(cred)),
		"base64":               "token " + base64.StdEncoding.EncodeToString([]byte(cred)) + " refused",
		"base64 url":           "token " + base64.RawURLEncoding.EncodeToString([]byte(cred)) + " refused",
		"base64 inside basic":  "Authorization: Basic " + basic + " was refused",
		"base64 at offset two": base64.StdEncoding.EncodeToString([]byte("ab" + cred + "tail")),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out := Scrub(in, cred)
			if !strings.Contains(out, "[channel credential]") {
				t.Fatalf("nothing scrubbed: %q", out)
			}
			for _, f := range credentialForms(cred) {
				if strings.Contains(out, f) {
					t.Fatalf("a form of the credential survived in %q", out)
				}
			}
			// Whatever is left cannot be decoded back to the credential.
			for _, w := range strings.FieldsFunc(out, func(r rune) bool { return r == ' ' || r == '"' }) {
				for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
					if b, err := enc.DecodeString(w); err == nil && strings.Contains(string(b), cred[:12]) {
						t.Fatalf("base64 %q still decodes to the credential", w)
					}
				}
				if u, err := url.QueryUnescape(w); err == nil && strings.Contains(u, cred[:12]) {
					t.Fatalf("%q still unescapes to the credential", w)
				}
			}
		})
	}
	if got := Scrub("no secret here, just text about keys", cred); got != "no secret here, just text about keys" {
		t.Fatalf("ordinary text changed: %q", got)
	}
	if got := Scrub("short abcd", "abcd"); got != "short abcd" {
		t.Fatalf("a too-short credential was scrubbed: %q", got)
	}
}
