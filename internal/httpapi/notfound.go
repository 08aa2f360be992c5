package httpapi

import (
	"net/http"
	"path"
	"sort"
	"strings"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
)

// routes lists the API routes with their methods, to tell a wrong base URL
// from a wrong method. A trailing "/" marks a route that takes an id below
// it (GET /v1/models/{id}).
var routes = map[string]string{
	"/v1/chat/completions": "POST",
	"/v1/completions":      "POST",
	"/v1/embeddings":       "POST",
	"/v1/responses":        "POST",
	"/v1/models":           "GET",
	"/v1/models/":          "GET",
	// Anthropic's routes (anthropic.go); Gemini's sit under /v1beta/models/.
	"/v1/messages":              "POST",
	"/v1/messages/count_tokens": "POST",
}

// foreignPrefixes are path prefixes other gateways and SDK examples put
// before /v1; seeing one means the base URL was copied from elsewhere.
var foreignPrefixes = []string{"/api/openai", "/openai/deployments", "/api", "/openai", "/proxy", "/gateway", "/llm"}

// routeFor returns the route pattern p falls under ("/v1/models/" for
// /v1/models/x), or "".
func routeFor(p string) string {
	if _, ok := routes[p]; ok {
		return p
	}
	if strings.HasPrefix(p, "/v1/models/") && len(p) > len("/v1/models/") {
		return "/v1/models/"
	}
	return ""
}

// unknownEndpoint explains a request outside the known routes: usually a
// base URL without /v1, with /v1 twice, or with another gateway's prefix.
// It needs no credential: a wrong base URL is the first thing to fix, and
// saying so reveals nothing.
func (s *Server) unknownEndpoint(w http.ResponseWriter, r *http.Request, sc *Scope) error {
	sc.Log.RequestType = "unknown"
	p := r.URL.Path
	base := s.baseURL(r)
	if route := routeFor(p); route != "" {
		method := routes[route]
		if method != r.Method {
			return apierr.T(apierr.MethodNotAllowed,
				i18n.M("route.method", i18n.S("method", r.Method), i18n.S("path", p), i18n.S("allowed", method)),
				i18n.M("route.method.hint", i18n.S("allowed", method), i18n.S("path", p), i18n.S("base", base))).WithHeader("Allow", allow(method))
		}
	}
	if fixed, ok := geminiPath(p); ok {
		return apierr.T(apierr.UnknownEndpoint,
			i18n.M("route.gemini_prefix", i18n.S("path", p), i18n.S("route", fixed)),
			i18n.M("route.gemini_prefix.hint", i18n.S("host", host(base))))
	}
	fixed, why := correctPath(p)
	if fixed != "" {
		var also i18n.Message
		if m := routes[routeFor(fixed)]; m != "" && m != r.Method {
			also = i18n.M("route.why.also_method", i18n.S("allowed", m), i18n.S("method", r.Method))
		}
		why := i18n.M("route.why", i18n.Sub("why", why), i18n.Sub("also", also))
		if strings.HasPrefix(fixed, "/v1/messages") {
			// Anthropic SDKs and Claude Code add /v1/messages to the base
			// URL themselves: their base is the host, without /v1.
			return apierr.T(apierr.UnknownEndpoint, i18n.M("route.anthropic", i18n.S("path", p), i18n.Sub("why", why), i18n.S("route", fixed)),
				i18n.M("route.anthropic.hint", i18n.S("host", host(base))))
		}
		return unknown(p, i18n.M("route.fixed", i18n.Sub("why", why), i18n.S("route", fixed)), base)
	}
	if strings.HasPrefix(p, "/v1/") {
		detail := i18n.M("route.not_api")
		if s := suggestRoute(p); s != "" {
			detail = i18n.M("route.not_api_mean", i18n.S("route", s))
		}
		return apierr.T(apierr.UnknownEndpoint, i18n.M("route.no_route_method", i18n.S("method", r.Method), i18n.S("path", p), i18n.Sub("detail", detail)),
			i18n.M("route.no_route_method.hint", i18n.S("routes", strings.Join(routeList(), ", "))))
	}
	return unknown(p, i18n.M("route.not_api"), base)
}

// explainUncleanPaths answers paths with "//", "/./" or "/../" itself.
// ServeMux would redirect them to the clean path with a 301, which clients
// follow as a GET, turning a wrong base URL (".../v1/" + "/chat/completions")
// into a puzzling 405 instead of an answer that names the mistake.
func (s *Server) explainUncleanPaths(next http.Handler) http.Handler {
	unknownHandler := s.api("unknown", s.unknownEndpoint)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") {
			unknownHandler.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// correctPath finds the route a mis-based path was meant for and says what
// is wrong with it; "" when p does not look like any route.
func correctPath(p string) (route string, why i18n.Message) {
	if strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") {
		clean := path.Clean(p)
		if r, _ := correctPath(clean); r != "" {
			return r, i18n.M("route.why.dot_segment")
		}
		if routeFor(clean) != "" {
			return clean, i18n.M("route.why.dot_segment_slash")
		}
		return "", i18n.Message{}
	}
	trimmed := strings.TrimRight(p, "/")
	if trimmed != p && routeFor(trimmed) != "" {
		return trimmed, i18n.M("route.why.trailing_slash")
	}
	// Strip every /v1 and known foreign prefix from the front, then see
	// whether /v1 + the rest is a route.
	rest, doubled, prefix := trimmed, 0, ""
	for changed := true; changed; {
		changed = false
		if strings.HasPrefix(rest, "/v1/") || rest == "/v1" {
			rest, doubled, changed = strings.TrimPrefix(rest, "/v1"), doubled+1, true
			continue
		}
		for _, fp := range foreignPrefixes {
			if strings.HasPrefix(rest, fp+"/") {
				rest, prefix, changed = strings.TrimPrefix(rest, fp), prefix+fp, true
				break
			}
		}
	}
	route = "/v1" + rest
	if routeFor(route) == "" || route == p {
		return "", i18n.Message{}
	}
	switch {
	case prefix != "":
		return route, i18n.M("route.why.prefix", i18n.Q("prefix", prefix))
	case doubled > 1:
		return route, i18n.M("route.why.v1_twice")
	case doubled == 0:
		return route, i18n.M("route.why.lacks_v1")
	case trimmed != p:
		return route, i18n.M("route.why.trailing_slash")
	}
	return "", i18n.Message{}
}

// suggestRoute proposes the route closest to a mistyped /v1 path.
func suggestRoute(p string) string {
	var names []string
	for r := range routes {
		if !strings.HasSuffix(r, "/") {
			names = append(names, r)
		}
	}
	sort.Strings(names)
	if s := suggest(p, names, 1); len(s) > 0 {
		return s[0]
	}
	return ""
}

func routeList() []string {
	var out []string
	for r, m := range routes {
		if strings.HasSuffix(r, "/") {
			r += "{id}"
		}
		out = append(out, m+" "+r)
	}
	sort.Strings(out)
	return out
}

// allow is the Allow header of a route: GET routes also answer HEAD.
func allow(method string) string {
	if method == http.MethodGet {
		return "GET, HEAD"
	}
	return method
}

// baseURL is the base URL clients should use for this gateway, as reached
// by this request. Behind a TLS-terminating proxy listed in
// KEYGATE_TRUSTED_PROXIES, the proxy's X-Forwarded-Proto and
// X-Forwarded-Host say what the client used; from anyone else they are
// ignored.
func (s *Server) baseURL(r *http.Request) string {
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if s.fromTrustedProxy(r) {
		if p := strings.ToLower(strings.TrimSpace(firstComma(r.Header.Get("X-Forwarded-Proto")))); p == "https" || p == "http" {
			scheme = p
		}
		if h := strings.TrimSpace(firstComma(r.Header.Get("X-Forwarded-Host"))); h != "" && validHost(h) {
			host = h
		}
	}
	return scheme + "://" + host + "/v1"
}

func firstComma(v string) string {
	if i := strings.IndexByte(v, ','); i >= 0 {
		return v[:i]
	}
	return v
}

// validHost accepts host[:port] made of the characters a hostname or an IP
// literal may hold, so a header cannot inject text into the hint.
func validHost(h string) bool {
	if len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}

func unknown(path string, detail i18n.Message, base string) error {
	return apierr.T(apierr.UnknownEndpoint, i18n.M("route.no_route", i18n.S("path", path), i18n.Sub("detail", detail)),
		i18n.M("route.no_route.hint", i18n.S("base", base)))
}

// host is the gateway's base URL without its /v1, the base Anthropic and
// Gemini clients take.
func host(base string) string { return strings.TrimSuffix(base, "/v1") }

// geminiPath finds a Gemini route below a doubled or prefixed /v1beta
// (/v1beta/v1beta/models/m:generateContent, /v1/v1beta/…, /api/v1beta/…).
func geminiPath(p string) (string, bool) {
	i := strings.LastIndex(p, "/v1beta/models")
	if i <= 0 {
		return "", false
	}
	return p[i:], true
}
