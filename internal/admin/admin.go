package admin

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/wire"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/config"
	"github.com/keygate/keygate/internal/credential"
	"github.com/keygate/keygate/internal/httpapi"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/ids"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/ledger"
	"github.com/keygate/keygate/internal/service"
	"github.com/keygate/keygate/internal/store"
)

// Actor is who calls the admin API.
type Actor struct {
	ID    string // member id, or "bootstrap" for KEYGATE_ADMIN_TOKEN
	Email string
	Role  string
	// Projects are the projects a scoped actor may see (authz.go).
	Projects []string
}

func (a Actor) String() string {
	if a.Email != "" {
		return a.Email
	}
	return a.ID
}

type actorKey struct{}

func actorFrom(ctx context.Context) Actor { a, _ := ctx.Value(actorKey{}).(Actor); return a }

// AsActor returns ctx carrying an already authenticated actor: an admin
// route served with it skips the credential check (never the authorization
// rules). It is for in-process callers that authenticated the person
// themselves — the dashboard's session (internal/ui) — so their changes run
// through the same handlers, rules, services and audit rows as the API.
func AsActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// adminRoutes registers the admin API. Every route needs a rule in
// adminRules (authz.go): the wrapper s.admin enforces it.
func (s *Server) adminRoutes(mux router) {
	mux.Handle("POST /admin/v1/keys", s.admin(s.createKey))
	mux.Handle("GET /admin/v1/keys", s.admin(s.listKeys))
	mux.Handle("GET /admin/v1/keys/{id}", s.admin(s.getKey))
	mux.Handle("GET /admin/v1/logs", s.admin(s.queryLogs))
	s.projectRoutes(mux)
	s.memberRoutes(mux)
	mux.Handle("GET /admin/v1/usage", s.admin(s.usageReport))
	s.keyLifecycleRoutes(mux)
	s.rotationRoutes(mux) // admin_rotation.go
	s.incidentRoutes(mux) // admin_incidents.go
	mux.Handle("GET /admin/v1/requests/{request_id}", s.admin(s.requestEvidence))
	s.channelRoutes(mux) // admin_channels.go
	s.jobRoutes(mux)     // jobs.go
	mux.Handle("/admin/", s.admin(func(w http.ResponseWriter, r *http.Request) error {
		return apierr.T(apierr.UnknownEndpoint, i18n.M("admin.no_admin_route", i18n.S("method", fmt.Sprint(r.Method)), i18n.S("path", fmt.Sprint(r.URL.Path))), i18n.M("admin.admin_routes_live_under_admin.hint"))
	}))
}

// serve is the one way this package's handlers answer: an error is mapped
// to the catalogue by service.Err (an error without a catalogue code is the
// store failing: 503 service_unavailable with Retry-After) and rendered by
// httpapi.Fail, the gateway's one error renderer.
func (s *Server) serve(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return httpapi.Serve(s.Log, func(w http.ResponseWriter, r *http.Request, _ *httpapi.Scope) error {
		err := h(w, r)
		if err == nil {
			return nil
		}
		var ae *apierr.Error
		if !errors.As(err, &ae) {
			s.Log.Warn("admin request failed: the store did not answer", "path", r.URL.Path, "err", err)
		}
		return service.Err(err)
	})
}

// admin authenticates the admin API — the bootstrap owner token or a
// member's personal access token; API keys never authenticate here — and
// then authorizes the call by the route's rule (authz.go).
func (s *Server) admin(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return s.serve(func(w http.ResponseWriter, r *http.Request) error {
		a := actorFrom(r.Context()) // set by AsActor (in-process callers only)
		if a.Role == "" {
			var err error
			if a, err = s.adminAuth(r); err != nil {
				return err
			}
			r = r.WithContext(context.WithValue(r.Context(), actorKey{}, a))
		}
		if err := s.authorize(r, a); err != nil {
			return err
		}
		return h(w, r)
	})
}

func (s *Server) adminAuth(r *http.Request) (Actor, error) {
	tok, p := credential.Extract(r.Header, nil, credential.Admin)
	if p != nil {
		return Actor{}, httpapi.ProblemError(p)
	}
	if strings.HasPrefix(tok, keys.PrefixLive) || strings.HasPrefix(tok, keys.PrefixTest) {
		return Actor{}, apierr.T(apierr.PermissionDenied, i18n.M("admin.api_keys_do_not_authenticate"), i18n.M("admin.use_keygate_admin_token_or.hint"))
	}
	h := hashToken(tok)
	var zero [32]byte
	if s.AdminTokenHash != zero && subtle.ConstantTimeCompare(h[:], s.AdminTokenHash[:]) == 1 {
		return Actor{ID: "bootstrap", Role: "owner"}, nil
	}
	m, state, err := s.Svc.TokenMember(r.Context(), fmt.Sprintf("%x", h))
	if err != nil {
		return Actor{}, apierr.T(apierr.ServiceUnavailable, i18n.M("admin.the_gateway_cannot_check_admin"), i18n.M("admin.retry_shortly.hint")).WithCause(err).WithHeader("Retry-After", service.RetryAfter)
	}
	switch {
	case state == service.TokenValid && m.Disabled:
		return Actor{}, apierr.T(apierr.PermissionDenied, i18n.M("admin.the_member_account_is_disabled", i18n.S("email", fmt.Sprint(m.Email))), i18n.M("admin.ask_an_owner_or_admin.hint"))
	case state == service.TokenValid:
		return Actor{ID: m.ID, Email: m.Email, Role: m.Role, Projects: m.Projects}, nil
	case state == service.TokenRevoked && strings.HasPrefix(tok, keys.PrefixPAT):
		return Actor{}, apierr.T(apierr.KeyDisabled, i18n.M("admin.the_personal_access_token_of", i18n.S("tok", fmt.Sprint(keys.Display(tok))), i18n.S("email", fmt.Sprint(m.Email))), i18n.M("admin.ask_an_owner_or_admin.hint2", i18n.S("id", m.ID)))
	}
	return Actor{}, apierr.T(apierr.InvalidAPIKey, i18n.M("admin.the_admin_token_is_not"), i18n.M("admin.use_the_keygate_admin_token.hint"))
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// viewKey is k as the admin API shows it (wire.ViewKey).
func viewKey(k store.Key) wire.KeyView { return wire.ViewKey(k, time.Now()) }

func nonNilStrs(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// keyRequest is the body of POST /admin/v1/keys.
type keyRequest struct {
	Project    string           `json:"project"`
	Name       string           `json:"name"`
	Group      string           `json:"group"`
	Env        string           `json:"env"`
	Models     []string         `json:"models"`
	AllowedIPs []string         `json:"allowed_ips"`
	ExpiresAt  *time.Time       `json:"expires_at"`
	Budget     *wire.BudgetView `json:"budget"`
	RPM        int              `json:"rpm"`
	TPM        int              `json:"tpm"`
	// Concurrency caps the key's calls in flight per instance; 0 = its
	// group's default.
	Concurrency int `json:"concurrency"`
	// RequestTypes scopes the key to request types (chat, embeddings,
	// images, videos); empty = all.
	RequestTypes []string `json:"request_types"`
	// Member is the id or email of the member who owns the key (owners and
	// admins only); by default the member who creates it.
	Member string `json:"member"`
}

func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apierr.T(apierr.InvalidRequest, i18n.M("admin.the_request_body_is_not", i18n.S("json_err", jsonErr(err))), i18n.M("admin.send_a_json_object_with.hint")).WithCause(err)
	}
	return nil
}

func invalid(param string, msg, hint i18n.Message) error {
	return apierr.T(apierr.InvalidRequest, msg, hint).WithParam(param)
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	var req keyRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Project == "" {
		return invalid("project", i18n.M("admin.project_is_required"), i18n.M("admin.name_the_project_the_key.hint"))
	}
	if err := s.checkProject(r.Context(), actorFrom(r.Context()), req.Project); err != nil {
		return err
	}
	owner, err := s.keyOwner(r, req.Project, req.Member)
	if err != nil {
		return err
	}
	if req.Group == "" {
		req.Group = "default"
	}
	if s.Catalog.Snapshot().Groups[req.Group] == nil {
		return apierr.T(apierr.NotFound, i18n.M("admin.group_does_not_exist", i18n.Q("group", fmt.Sprint(req.Group))), i18n.M("admin.declare_it_under_groups_in.hint"))
	}
	prefix := keys.PrefixLive
	switch req.Env {
	case "", "live":
		req.Env = "live"
	case "test":
		prefix = keys.PrefixTest
	default:
		return invalid("env", i18n.M("admin.env_is_not_valid", i18n.Q("env", fmt.Sprint(req.Env))), i18n.M("admin.use_live_or_test.hint"))
	}
	if _, err := config.ParsePrefixes(req.AllowedIPs); err != nil {
		return invalid("allowed_ips", i18n.M("admin.allowed_ips", i18n.S("value", err.Error())), i18n.M("admin.use_cidrs_such_as_10.hint"))
	}
	if req.Budget != nil && (req.Budget.LimitUSD < 0 || !ledger.ValidPeriod(req.Budget.Period)) {
		return invalid("budget", i18n.M("admin.budget_needs_limit_usd_0"), i18n.Message{})
	}
	if req.RPM < 0 || req.TPM < 0 {
		return invalid("rpm", i18n.M("admin.rpm_and_tpm_must_not"), i18n.Message{})
	}
	if req.Concurrency < 0 {
		return invalid("concurrency", i18n.M("admin.concurrency_must_not_be_negative"), i18n.M("admin.0_uses_the_group_s.hint"))
	}
	if err := checkRequestTypes(req.RequestTypes); err != nil {
		return err
	}
	plain, err := keys.Generate(prefix)
	if err != nil {
		return fmt.Errorf("generate key: %w", err)
	}
	now := s.Now().UTC()
	k := store.Key{ID: ids.New("key"), Hash: keys.HashHex(plain), Display: keys.Display(plain), Env: req.Env, Name: req.Name,
		Project: req.Project, Group: req.Group, Models: req.Models, AllowedIPs: req.AllowedIPs, State: store.KeyActive,
		RPM: req.RPM, TPM: req.TPM, Concurrency: req.Concurrency, CreatedAt: now, CreatedBy: actorFrom(r.Context()).String(), Member: owner,
		RequestTypes: req.RequestTypes}
	if req.ExpiresAt != nil {
		k.ExpiresAt = req.ExpiresAt.UTC()
	}
	if req.Budget != nil {
		k.BudgetUSD, k.BudgetPeriod = req.Budget.LimitUSD, req.Budget.Period
	}
	if err := s.Svc.CreateKey(r.Context(), s.who(r), &k, map[string]any{"display": k.Display, "project": k.Project, "group": k.Group, "env": k.Env}); err != nil {
		return err
	}
	v := viewKey(k)
	v.Key = plain
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	member, err := s.memberParam(r.Context(), q.Get("member"))
	if err != nil {
		return err
	}
	list, err := s.Svc.Keys(r.Context(), store.KeyFilter{Project: q.Get("project"), Projects: s.visibleProjects(r), Member: member,
		Env: q.Get("env"), State: q.Get("state"), Limit: limit})
	if err != nil {
		return err
	}
	out := make([]wire.KeyView, 0, len(list))
	for _, k := range list {
		out = append(out, viewKey(k))
	}
	writeJSON(w, 200, map[string]any{"data": out})
	return nil
}

func (s *Server) getKey(w http.ResponseWriter, r *http.Request) error {
	k, err := s.Svc.Key(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	v := viewKey(k)
	if err := s.addSpend(r.Context(), &v, &k); err != nil {
		return err
	}
	writeJSON(w, 200, v)
	return nil
}

func viewLog(l store.RequestLog) wire.LogView {
	return wire.LogView{RequestID: l.RequestID, Time: l.Time, KeyID: l.KeyID, KeyDisplay: l.KeyDisplay, KeyEnv: l.KeyEnv,
		Project: l.Project, Member: l.Member, Group: l.Group, Model: l.Model, ModelServed: l.ModelServed, Channel: l.Channel,
		RequestType: l.RequestType, Stream: l.Stream, Status: l.Status, ErrorCode: l.ErrorCode, FailureReason: l.FailureReason,
		InputTokens: l.InputTokens, OutputTokens: l.OutputTokens, UsageEstimated: l.UsageEstimated, Priced: !l.Unpriced, CostUSD: l.CostUSD,
		Charged: l.Charged, LatencyMS: l.LatencyMS, TTFBMS: l.TTFBMS, SourceIP: l.SourceIP, UserAgent: l.UserAgent,
		Attempts: l.Attempts, Route: l.Route,
		CachedInputTokens: l.CachedInputTokens, CacheWriteTokens: l.CacheWriteTokens, ReasoningTokens: l.ReasoningTokens}
}

func parseTimeParam(q map[string][]string, name string) (time.Time, error) {
	v := ""
	if vs := q[name]; len(vs) > 0 {
		v = vs[0]
	}
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return t, invalid(name, i18n.M("admin.is_not_an_rfc_3339", i18n.S("name", fmt.Sprint(name)), i18n.Q("value", fmt.Sprint(v))), i18n.M("admin.use_a_time_like_2026.hint"))
	}
	return t, nil
}

func (s *Server) queryLogs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.LogFilter{KeyID: q.Get("key_id"), Project: q.Get("project"), Projects: s.visibleProjects(r), Model: q.Get("model"),
		Code: q.Get("error_code"), Charged: q.Get("charged")}
	var err error
	if v := f.Charged; v != "" && v != "yes" && v != "no" && v != "refunded" {
		return invalid("charged", i18n.M("admin.logs.charged_is_not_a_value", i18n.Q("value", truncate(v, 40))), i18n.M("admin.logs.charged_values.hint"))
	}
	if f.Member, err = s.memberParam(r.Context(), q.Get("member")); err != nil {
		return err
	}
	if f.Since, err = parseTimeParam(q, "since"); err != nil {
		return err
	}
	if f.Until, err = parseTimeParam(q, "until"); err != nil {
		return err
	}
	if v := q.Get("status"); v != "" {
		if f.Status, err = strconv.Atoi(v); err != nil {
			return invalid("status", i18n.M("admin.status_is_not_a_number", i18n.Q("value", fmt.Sprint(v))), i18n.M("admin.use_an_http_status_such.hint"))
		}
	}
	if v := q.Get("limit"); v != "" {
		if f.Limit, err = strconv.Atoi(v); err != nil || f.Limit < 0 {
			return invalid("limit", i18n.M("admin.limit_is_not_a_positive", i18n.Q("value", fmt.Sprint(v))), i18n.M("admin.use_1_to_1000.hint"))
		}
	}
	rows, err := s.Svc.Logs(r.Context(), f)
	if err != nil {
		return err
	}
	out := make([]wire.LogView, 0, len(rows))
	for _, l := range rows {
		out = append(out, viewLog(l))
	}
	writeJSON(w, 200, map[string]any{"data": out})
	return nil
}
