package httpapi

import (
	"net/http"

	"github.com/keygate/keygate/internal/credential"
)

// AuthenticateForBench runs the authentication step of an OpenAI route on r
// with a fresh scope, for the external benchmarks (which need a running
// gateway from testgw, and testgw imports this package).
func (s *Server) AuthenticateForBench(r *http.Request) error {
	var sc Scope
	return s.authenticate(r, &sc, credential.OpenAI)
}
