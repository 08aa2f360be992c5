package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/keygate/keygate/internal/keys"
)

func TestClientName(t *testing.T) {
	live, _ := keys.Generate(keys.PrefixLive)
	cases := map[string]struct {
		h    http.Header
		want string
	}{
		"none":            {http.Header{}, ""},
		"x-client-name":   {http.Header{"X-Client-Name": {"billing-worker"}}, "billing-worker"},
		"preferred order": {http.Header{"Openai-Organization": {"org-1"}, "X-Client-Name": {"svc"}}, "svc"},
		"organization":    {http.Header{"Openai-Organization": {"org-abc"}}, "openai-org=org-abc"},
		"control chars":   {http.Header{"X-Client-Name": {"a\x00b\nc"}}, "a?b?c"},
		"bounded":         {http.Header{"X-Client-Name": {strings.Repeat("x", 500)}}, ""},
		"empty skipped":   {http.Header{"X-Client-Name": {"  "}, "X-Title": {"My App"}}, "My App"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := clientName(c.h)
			if name == "bounded" {
				if len(got) > maxClientName {
					t.Fatalf("%d bytes", len(got))
				}
				return
			}
			if got != c.want {
				t.Fatalf("clientName = %q, want %q", got, c.want)
			}
		})
	}
	got := clientName(http.Header{"X-Client-Name": {"svc " + live}})
	if strings.Contains(got, live[8:20]) || !strings.Contains(got, keys.Display(live)) {
		t.Fatalf("a key in the client name was kept: %q", got)
	}
}

func BenchmarkClientNameAbsent(b *testing.B) {
	h := http.Header{"Authorization": {"Bearer x"}, "User-Agent": {"OpenAI/Python 1.40"}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = clientName(h)
	}
}
