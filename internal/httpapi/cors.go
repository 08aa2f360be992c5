package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// corsExposed are the response headers a browser app may read: the
// request id (support), rate-limit state and the gateway's own notes.
const corsExposed = "X-Request-Id, Request-Id, Retry-After, X-Ratelimit-Limit-Requests, X-Ratelimit-Remaining-Requests, " +
	"X-Ratelimit-Reset-Requests, X-Ratelimit-Limit-Tokens, X-Ratelimit-Remaining-Tokens, X-Ratelimit-Reset-Tokens, " +
	"Keygate-Dropped-Features, Keygate-Token-Count"

// ParseCORSOrigins reads KEYGATE_CORS_ORIGINS: a comma-separated list of
// origins (scheme://host[:port], no path) or "*" for any.
func ParseCORSOrigins(v string) ([]string, error) {
	var out []string
	for _, o := range strings.Split(v, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o != "*" {
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
				return nil, fmt.Errorf("origin %q must be scheme://host[:port] with no path (e.g. https://app.example.com), or *", o)
			}
			o = strings.ToLower(o)
		}
		out = append(out, o)
	}
	return out, nil
}

// withCORS lets browser apps on the listed origins call the client-facing
// routes (/v1/…, /v1beta/…): preflight OPTIONS is answered for them, and
// their responses say the origin may read them. Other origins, and every
// origin when none is listed (the default), get no CORS headers, so
// browsers keep refusing them; the admin API is never opened this way.
func (s *Server) withCORS(next http.Handler) http.Handler {
	if len(s.CORSOrigins) == 0 {
		return next
	}
	allowed := map[string]bool{}
	for _, o := range s.CORSOrigins {
		allowed[o] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		p := r.URL.Path
		if origin == "" || !(strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/v1beta/")) ||
			!allowed["*"] && !allowed[strings.ToLower(origin)] {
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Allow-Origin", origin)
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
			if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" && validHeaderList(rh) {
				h.Set("Access-Control-Allow-Headers", rh)
			}
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.Set("Access-Control-Expose-Headers", corsExposed)
		next.ServeHTTP(w, r)
	})
}

// validHeaderList accepts a comma-separated list of header names, so a
// request cannot inject text into the answer.
func validHeaderList(v string) bool {
	if len(v) > 2048 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == ',' || c == ' ') {
			return false
		}
	}
	return true
}
