package admin

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keygate/keygate/internal/wire"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/store"
)

// Request evidence: GET /admin/v1/requests/{request_id} tells support the
// story of one call from its request id alone — who called with which key
// (display form and id, never the key), what was asked and served, which
// channels were tried and what they answered, what the caller got back, and
// what it cost. A user pastes the request id from x-request-id or the error
// body; nobody ever needs the key itself.
//
// Access (authz.go): owners, admins, support and viewers read the evidence
// of every request they may see; members read that of their own projects.
// A request of a project the caller cannot see answers the same 404 as an
// unknown request id.

const evidenceAccess = "readable by owners, admins, support and viewers, and by members of the request's project"

// requestEvidence answers GET /admin/v1/requests/{request_id}.
func (s *Server) requestEvidence(w http.ResponseWriter, r *http.Request) error {
	id := strings.TrimSpace(r.PathValue("request_id"))
	if !strings.HasPrefix(id, "req_") || len(id) > 64 {
		return apierr.T(apierr.InvalidRequest, i18n.M("admin.is_not_a_request_id", i18n.Q("id", fmt.Sprint(keys.DisplayPresented(id)))), i18n.M("admin.a_request_id_starts_with.hint"))
	}
	row, err := s.Svc.Request(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.evidence(row, i18n.FromAcceptLanguage(r.Header["Accept-Language"])))
	return nil
}

// evidence builds the story of row. Free text that came from outside
// (upstream messages, user agents) is passed through keys.Redact, in case
// a key found its way into it.
func (s *Server) evidence(l store.RequestLog, lang i18n.Lang) wire.EvidenceView {
	v := wire.EvidenceView{
		RequestID: l.RequestID, Time: l.Time.UTC(),
		Key:     wire.EvidenceKey{ID: l.KeyID, Display: l.KeyDisplay, Env: l.KeyEnv},
		Project: l.Project, Member: l.Member, Group: l.Group, Route: l.Route, RequestType: l.RequestType, Stream: l.Stream,
		Model:   wire.EvidenceModel{Asked: keys.Redact(l.Model), Served: l.ModelServed},
		Channel: l.Channel,
		Outcome: wire.EvidenceOutcome{Status: l.Status, ErrorCode: l.ErrorCode, FailureReason: keys.Redact(l.FailureReason)},
		Usage: wire.EvidenceUsage{InputTokens: l.InputTokens, OutputTokens: l.OutputTokens, Estimated: l.UsageEstimated,
			CachedInputTokens: l.CachedInputTokens, CacheWriteTokens: l.CacheWriteTokens, ReasoningTokens: l.ReasoningTokens},
		CostUSD: l.CostUSD, Charged: l.Charged,
		Timing: wire.EvidenceTiming{LatencyMS: l.LatencyMS, TTFBMS: l.TTFBMS},
		Client: wire.EvidenceClient{SourceIP: l.SourceIP, UserAgent: keys.Redact(l.UserAgent)},
		Access: evidenceAccess,
	}
	if l.ErrorCode != "" {
		if e := apierr.Lookup(apierr.Code(l.ErrorCode)); string(e.Code) == l.ErrorCode {
			v.Outcome.Docs = apierr.DocsPath(e.Code)
		}
	}
	if l.KeyID != "" && s.Catalog != nil {
		if e, ok := s.Catalog.Keys().ByID(l.KeyID); ok {
			v.Key.StateNow, v.Key.StateAt, v.Key.StateReason = e.State, timePtr(e.StateAt.UTC()), e.StateReason
			if e.StateAt.IsZero() {
				v.Key.StateAt = nil
			}
		}
	}
	v.Attempts = make([]store.Attempt, 0, max(1, len(l.AttemptsDetail)))
	for _, a := range l.AttemptsDetail {
		a.Error = keys.Redact(a.Error)
		v.Attempts = append(v.Attempts, a)
	}
	if len(v.Attempts) == 0 && l.Attempts > 0 && l.Channel != "" {
		// One clean attempt is not stored in detail: its channel and
		// status are the row's own.
		v.Attempts = append(v.Attempts, store.Attempt{Channel: l.Channel, Status: l.Status, DurationMS: l.LatencyMS})
	}
	v.Summary = summarize(v, l, lang)
	return v
}

// summarize tells the request in plain words, in the reader's language.
func summarize(v wire.EvidenceView, l store.RequestLog, lang i18n.Lang) string {
	var b strings.Builder
	say := func(m i18n.Message) { b.WriteString(m.Render(lang)) }
	who := i18n.M("evidence.who.anyone")
	switch {
	case l.KeyID != "":
		who = i18n.M("evidence.who.key", i18n.S("key", l.KeyDisplay), i18n.S("id", l.KeyID), i18n.Q("project", l.Project), i18n.Q("group", l.Group))
	case l.KeyDisplay != "":
		who = i18n.M("evidence.who.unmatched", i18n.S("key", l.KeyDisplay))
	}
	var model i18n.Message
	if l.Model != "" {
		model = i18n.M("evidence.model", i18n.Q("model", v.Model.Asked))
	}
	say(i18n.M("evidence.called", i18n.Sub("who", who), i18n.S("route", orDash(l.Route)), i18n.Sub("model", model),
		i18n.S("ip", orDash(l.SourceIP)), i18n.S("at", l.Time.UTC().Format(time.RFC3339))))
	for i, a := range v.Attempts {
		ms := i18n.S("ms", strconv.FormatFloat(a.DurationMS, 'f', 1, 64))
		var why i18n.Message
		if a.Error != "" {
			why = i18n.M("evidence.attempt.why", i18n.S("error", a.Error))
		}
		if a.Status != 0 {
			say(i18n.M("evidence.attempt.answered", i18n.N("n", i+1), i18n.S("channel", a.Channel), i18n.N("status", a.Status), ms, i18n.Sub("why", why)))
		} else {
			say(i18n.M("evidence.attempt.no_answer", i18n.N("n", i+1), i18n.S("channel", a.Channel), ms, i18n.Sub("why", why)))
		}
	}
	if l.ErrorCode == "" {
		var served, estimated i18n.Message
		if l.ModelServed != "" {
			served = i18n.M("evidence.served", i18n.S("model", l.ModelServed))
		}
		if l.UsageEstimated {
			estimated = i18n.M("evidence.estimated")
		}
		say(i18n.M("evidence.ok", i18n.N("status", l.Status), i18n.Sub("served", served), i18n.N("in", l.InputTokens), i18n.N("out", l.OutputTokens),
			i18n.Sub("estimated", estimated), i18n.S("usd", strconv.FormatFloat(l.CostUSD, 'f', 6, 64)), i18n.S("charged", l.Charged)))
		return b.String()
	}
	var reason, docs, state i18n.Message
	if r := v.Outcome.FailureReason; r != "" && (len(v.Attempts) == 0 || v.Attempts[len(v.Attempts)-1].Error != r) {
		reason = i18n.M("evidence.failed.reason", i18n.S("reason", strings.TrimSuffix(r, ".")))
	}
	if v.Outcome.Docs != "" {
		docs = i18n.M("evidence.docs", i18n.S("docs", v.Outcome.Docs))
	}
	if v.Key.StateNow != "" && v.Key.StateNow != store.KeyActive {
		state = i18n.M("evidence.key_now", i18n.S("state", v.Key.StateNow))
	}
	say(i18n.M("evidence.failed", i18n.N("status", l.Status), i18n.S("code", l.ErrorCode), i18n.Sub("reason", reason), i18n.S("charged", l.Charged),
		i18n.Sub("docs", docs), i18n.Sub("state", state)))
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
