package httpapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/keygate/keygate/internal/limit"
)

// rateHeaders sets exactly the x-ratelimit-* headers of the limits that
// apply, each with its own value (they are cut from one shared string).
func TestRateHeadersValues(t *testing.T) {
	res := &limit.Result{Allowed: true,
		Requests: limit.State{Remaining: 99_999_999, Reset: 600 * time.Microsecond},
		Tokens:   limit.State{Remaining: 7, Reset: 61*time.Second + 700*time.Millisecond}}
	for name, c := range map[string]struct {
		rule limit.Rule
		want map[string]string
	}{
		"both": {limit.Rule{RPM: 100_000_000, TPM: 1_000_000_000}, map[string]string{
			"X-Ratelimit-Limit-Requests": "100000000", "X-Ratelimit-Remaining-Requests": "99999999", "X-Ratelimit-Reset-Requests": "0ms",
			"X-Ratelimit-Limit-Tokens": "1000000000", "X-Ratelimit-Remaining-Tokens": "7", "X-Ratelimit-Reset-Tokens": "1m2s"}},
		"requests only": {limit.Rule{RPM: 60}, map[string]string{
			"X-Ratelimit-Limit-Requests": "60", "X-Ratelimit-Remaining-Requests": "99999999", "X-Ratelimit-Reset-Requests": "0ms"}},
		"tokens only": {limit.Rule{TPM: 5}, map[string]string{
			"X-Ratelimit-Limit-Tokens": "5", "X-Ratelimit-Remaining-Tokens": "7", "X-Ratelimit-Reset-Tokens": "1m2s"}},
		"none": {limit.Rule{}, map[string]string{}},
	} {
		t.Run(name, func(t *testing.T) {
			h := http.Header{"X-Request-Id": {"req_1"}}
			rateHeaders(h, c.rule, res)
			if len(h) != len(c.want)+1 {
				t.Fatalf("headers %v, want %v and X-Request-Id", h, c.want)
			}
			for k, v := range c.want {
				if got := h.Values(k); len(got) != 1 || got[0] != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			// A value added later to one header must not show in another.
			for k := range c.want {
				h.Add(k, "x")
			}
			for k, v := range c.want {
				if got := h.Values(k); len(got) != 2 || got[0] != v {
					t.Errorf("after Add, %s = %q", k, got)
				}
			}
		})
	}
}
