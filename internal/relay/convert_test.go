package relay

import (
	"net/http"
	"testing"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/provider/anthropic"
	"github.com/keygate/keygate/internal/store"
)

// A passed-through call carries the channel credential where its provider
// reads it; Anthropic's required version header goes out even without one.
func TestSetAuth(t *testing.T) {
	cases := map[string]struct {
		typ, key string
		want     http.Header
	}{
		"openai":           {"", "sk-up", http.Header{"Authorization": {"Bearer sk-up"}}},
		"openai no key":    {TypeOpenAI, "", http.Header{}},
		"anthropic":        {TypeAnthropic, "sk-ant", http.Header{"X-Api-Key": {"sk-ant"}, "Anthropic-Version": {anthropic.Version}}},
		"anthropic no key": {TypeAnthropic, "", http.Header{"Anthropic-Version": {anthropic.Version}}},
		"gemini":           {TypeGemini, "AIza", http.Header{"X-Goog-Api-Key": {"AIza"}}},
		"gemini no key":    {TypeGemini, "", http.Header{}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			setAuth(h, &catalog.Channel{Channel: store.Channel{Type: c.typ}, APIKey: c.key})
			if len(h) != len(c.want) {
				t.Fatalf("headers = %v, want %v", h, c.want)
			}
			for k, v := range c.want {
				if h.Get(k) != v[0] {
					t.Errorf("%s = %q, want %q", k, h.Get(k), v[0])
				}
			}
		})
	}
}
