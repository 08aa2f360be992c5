package relay

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/i18n"
)

// NewClient returns the upstream client over tr. It never follows a
// redirect: Go's client would re-send the body to the new address and,
// though it strips Authorization and Cookie, keep x-api-key (Anthropic) and
// x-goog-api-key (Gemini) — an upstream, or whoever controls its address,
// could collect a channel's credential that way. A redirect is answered as
// an upstream failure naming where it pointed.
func NewClient(tr http.RoundTripper) *http.Client {
	return &http.Client{Transport: tr, CheckRedirect: refuseRedirect}
}

// RedirectError is an upstream answer that tried to send the call elsewhere.
type RedirectError struct {
	Status int
	// Location is where it pointed, without userinfo, query or fragment
	// (a signed URL's query is a credential of its own).
	Location string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("the upstream redirected (%d) to %s; keygate does not follow upstream redirects", e.Status, e.Location)
}

func refuseRedirect(next *http.Request, _ []*http.Request) error {
	status := 0
	if next.Response != nil {
		status = next.Response.StatusCode
	}
	return &RedirectError{Status: status, Location: redirectTarget(next.URL)}
}

// redirectTarget is u as it may be shown: scheme, host and path only.
func redirectTarget(u *url.URL) string {
	c := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	return c.String()
}

// redirected answers an upstream redirect: 502 upstream_error, and the
// channel counted as failing (its base_url points at the wrong place), so
// another channel is tried.
func (rl *Relay) redirected(ch *catalog.Channel, re *RedirectError) *attemptErr {
	reason := fmt.Sprintf("upstream %s redirected (%d) to %s; keygate does not follow upstream redirects", ch.Name, re.Status, re.Location)
	rl.Metrics.UpstreamErrors.WithLabelValues(ch.Name, "redirect").Inc()
	return &attemptErr{reason: reason, verdict: broke, err: apierr.T(apierr.UpstreamError,
		i18n.M("relay.redirected", i18n.N("status", re.Status), i18n.S("location", re.Location)),
		i18n.M("relay.redirected.hint")).WithCause(re)}
}

func asRedirect(err error) (*RedirectError, bool) {
	var re *RedirectError
	ok := errors.As(err, &re)
	return re, ok
}
