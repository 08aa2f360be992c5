// Package admin is keygate's admin transport: the /admin/v1 routes and the
// secret-scanning endpoint (/security/v1/leaked-keys), their authentication
// and authorization (authz.go), and the background notices they send. The
// request plumbing (request id, scope, client address, the one error
// renderer) is internal/httpapi's; this package registers its routes on
// the same mux through httpapi.Server.Mounts.
package admin

import (
	"crypto/sha256"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/keygate/keygate/internal/catalog"
	"github.com/keygate/keygate/internal/httpapi"
	"github.com/keygate/keygate/internal/jobs"
	"github.com/keygate/keygate/internal/leak"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/secretbox"
	"github.com/keygate/keygate/internal/service"
	"github.com/keygate/keygate/internal/store"
)

// Server holds the dependencies of the admin handlers.
type Server struct {
	Store          store.Store
	Catalog        *catalog.Catalog
	Log            *slog.Logger
	AdminTokenHash [32]byte // SHA-256 of KEYGATE_ADMIN_TOKEN; zero when unset
	TrustedProxies []netip.Prefix
	Now            func() time.Time
	// Webhooks receives security events (key disabled, leaked, rotated,
	// expiring); nil sends none.
	Webhooks Notifier
	// LeakKeys are the trusted signers of secret-scanning reports
	// (KEYGATE_SECRET_SCANNING_KEYS); nil refuses every report.
	LeakKeys *leak.KeySet
	// Ledger reads what a key spent (nil: spend is not shown).
	Ledger *ledger.Ledger
	// Jobs cancels generation jobs (jobs.go); nil refuses.
	Jobs *jobs.Engine
	// Box seals channel credentials given to the admin API (nil: only
	// api_key_env credentials can be set).
	Box *secretbox.Box
	// UpstreamHTTP makes the channel tests' upstream calls (nil: the
	// default client).
	UpstreamHTTP *http.Client
	// Svc makes every state change (one transaction each, audited).
	Svc *service.Service

	bg sync.WaitGroup // work started off a request (ChannelDisabled); Wait
}

// Wait returns once the work the server started off a request — storing a
// channel the relay disabled, with its audit row and webhook — is done.
// The app calls it on shutdown after no request or job can start more, and
// before it closes the store and the webhooks.
func (s *Server) Wait() { s.bg.Wait() }

// Routes registers the admin API and the secret-scanning endpoint on mux
// (httpapi.Server.Handler calls it through Mounts).
func (s *Server) Routes(mux *http.ServeMux) {
	if s.Now == nil {
		s.Now = time.Now
	}
	s.adminRoutes(mux)
	// Secret-scanning partner reports: signature checked, keys disabled.
	mux.Handle("POST /security/v1/leaked-keys", s.serve(s.leakedKeys))
}

func (s *Server) clientAddr(r *http.Request) netip.Addr {
	return httpapi.ClientAddr(r, s.TrustedProxies)
}

func writeJSON(w http.ResponseWriter, status int, v any) { httpapi.WriteJSON(w, status, v) }

func hashToken(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func jsonErr(err error) string { return httpapi.JSONError(err) }

// envTest is the environment of kg_test_ keys.
const envTest = "test"

// who is the author of r's change, as the audit log names it.
func (s *Server) who(r *http.Request) service.Who {
	return service.Who{Actor: actorFrom(r.Context()).String(), SourceIP: s.clientAddr(r).String()}
}
