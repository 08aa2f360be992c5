package admin

import (
	"fmt"
	"net/http"
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
	writeJSON(w, http.StatusOK, s.evidence(row))
	return nil
}

// evidence builds the story of row. Free text that came from outside
// (upstream messages, user agents) is passed through keys.Redact, in case
// a key found its way into it.
func (s *Server) evidence(l store.RequestLog) wire.EvidenceView {
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
	v.Summary = summarize(v, l)
	return v
}

// summarize tells the request in plain words.
func summarize(v wire.EvidenceView, l store.RequestLog) string {
	var b strings.Builder
	who := "A caller"
	switch {
	case l.KeyID != "":
		who = fmt.Sprintf("Key %s (%s, project %q, group %q)", l.KeyDisplay, l.KeyID, l.Project, l.Group)
	case l.KeyDisplay != "":
		who = fmt.Sprintf("A caller presenting %s (no issued key matched)", l.KeyDisplay)
	}
	fmt.Fprintf(&b, "%s called %s", who, orDash(l.Route))
	if l.Model != "" {
		fmt.Fprintf(&b, " asking for model %q", v.Model.Asked)
	}
	fmt.Fprintf(&b, " from %s at %s.", orDash(l.SourceIP), l.Time.UTC().Format(time.RFC3339))
	for i, a := range v.Attempts {
		fmt.Fprintf(&b, " Attempt %d: channel %s", i+1, a.Channel)
		if a.Status != 0 {
			fmt.Fprintf(&b, " answered %d", a.Status)
		} else {
			b.WriteString(" gave no answer")
		}
		fmt.Fprintf(&b, " in %.1f ms", a.DurationMS)
		if a.Error != "" {
			fmt.Fprintf(&b, " (%s)", a.Error)
		}
		b.WriteString(".")
	}
	if l.ErrorCode == "" {
		fmt.Fprintf(&b, " The caller got %d", l.Status)
		if l.ModelServed != "" {
			fmt.Fprintf(&b, " with %s served", l.ModelServed)
		}
		fmt.Fprintf(&b, "; %d input and %d output tokens", l.InputTokens, l.OutputTokens)
		if l.UsageEstimated {
			b.WriteString(" (estimated: the upstream reported no usage)")
		}
		fmt.Fprintf(&b, ", cost $%.6f, charged: %s.", l.CostUSD, l.Charged)
		return b.String()
	}
	fmt.Fprintf(&b, " The caller got %d %s", l.Status, l.ErrorCode)
	if r := v.Outcome.FailureReason; r != "" && (len(v.Attempts) == 0 || v.Attempts[len(v.Attempts)-1].Error != r) {
		fmt.Fprintf(&b, ": %s", strings.TrimSuffix(r, "."))
	}
	fmt.Fprintf(&b, ". Charged: %s.", l.Charged)
	if v.Outcome.Docs != "" {
		fmt.Fprintf(&b, " What to do: %s.", v.Outcome.Docs)
	}
	if v.Key.StateNow != "" && v.Key.StateNow != store.KeyActive {
		fmt.Fprintf(&b, " The key is now %s.", v.Key.StateNow)
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
