package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/keygate/keygate/internal/apierr"
)

// routes lists the API routes with their methods, to tell a wrong base URL
// from a wrong method.
var routes = map[string]string{
	"/v1/chat/completions": "POST",
	"/v1/completions":      "POST",
	"/v1/embeddings":       "POST",
	"/v1/responses":        "POST",
	"/v1/models":           "GET",
}

// unknownEndpoint explains a request outside the known routes: usually a
// base URL without /v1, with /v1 twice, or with another gateway's prefix.
func (s *Server) unknownEndpoint(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "unknown"
	p := r.URL.Path
	base := "http://" + r.Host + "/v1"
	if method, ok := routes[p]; ok && method != r.Method {
		return apierr.New(apierr.MethodNotAllowed, fmt.Sprintf("%s %s is not a route; this path takes %s.", r.Method, p, method),
			"Use "+method+" for this path.").WithHeader("Allow", method)
	}
	if strings.HasSuffix(p, "/") && len(p) > 1 {
		if _, ok := routes[strings.TrimSuffix(p, "/")]; ok {
			return unknown(p, fmt.Sprintf("The path has a trailing slash; use %s.", strings.TrimSuffix(p, "/")), base)
		}
	}
	for route := range routes {
		suffix := strings.TrimPrefix(route, "/v1")
		switch {
		case p == suffix:
			return unknown(p, fmt.Sprintf("The path lacks /v1: the base URL should end in /v1, so this call goes to %s.", route), base)
		case strings.HasPrefix(p, "/v1/v1/"):
			return unknown(p, "The path has /v1 twice: the base URL already ends in /v1, and the client added another.", base)
		case strings.HasSuffix(p, route) && p != route:
			return unknown(p, fmt.Sprintf("The path has an extra prefix %q before %s.", strings.TrimSuffix(p, route), route), base)
		}
	}
	return unknown(p, "This path is not an API route of this gateway.", base)
}

func unknown(path, why, base string) error {
	return apierr.New(apierr.UnknownEndpoint, fmt.Sprintf("No route for %s. %s", path, why),
		fmt.Sprintf("Set your client's base URL to %s (OpenAI SDKs: base_url / baseURL).", base))
}
