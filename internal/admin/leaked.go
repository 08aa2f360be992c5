package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/httpapi"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/keys"
	"github.com/keygate/keygate/internal/leak"
	"github.com/keygate/keygate/internal/service"
	"github.com/keygate/keygate/internal/store"
	"github.com/keygate/keygate/internal/webhook"
)

// maxLeakReport bounds a report body: a thousand tokens with long URLs fit
// in well under a megabyte.
const maxLeakReport = 8 << 20

// LeakActor is the audit actor of changes made by secret-scanning reports.
const LeakActor = "secret-scanning"

// leakedKeys handles POST /security/v1/leaked-keys. Nothing is parsed, let
// alone changed, before the signature over the raw body verifies. Each
// reported token that is one of our keys is disabled at once; the answer
// labels every token true or false positive by its SHA-256 only. A replayed
// report changes nothing and notifies nobody a second time. Its errors are
// rendered like every admin route's (Server.serve).
func (s *Server) leakedKeys(w http.ResponseWriter, r *http.Request) error {
	err := s.handleLeakReport(w, r)
	if err != nil {
		if e := apierr.From(service.Err(err)); e.Code != apierr.Internal {
			s.Log.Warn("secret-scanning report refused", "request_id", httpapi.ScopeFrom(r.Context()).RequestID, "code", e.Code,
				"reason", e.Message, "source_ip", s.clientAddr(r).String())
		}
	}
	return err
}

func (s *Server) handleLeakReport(w http.ResponseWriter, r *http.Request) error {
	if s.LeakKeys.Len() == 0 {
		return apierr.T(apierr.ServiceUnavailable, i18n.M("admin.this_gateway_does_not_accept"), i18n.M("admin.operator_save_the_code_host.hint"))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxLeakReport))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return apierr.T(apierr.RequestTooLarge, i18n.M("admin.the_report_is_larger_than", i18n.S("max_leak_report", fmt.Sprint(maxLeakReport))), i18n.M("admin.split_it_into_smaller_reports.hint"))
		}
		return apierr.T(apierr.InvalidRequest, i18n.M("admin.the_report_body_could_not"), i18n.M("admin.resend_it.hint")).WithCause(err)
	}
	if err := s.LeakKeys.Verify(body, r.Header.Get(leak.HeaderKeyID), r.Header.Get(leak.HeaderSignature)); err != nil {
		return apierr.T(apierr.PermissionDenied, i18n.M("admin.report_refused_nothing_was_changed", i18n.S("value", err.Error())), i18n.M("admin.sign_the_raw_body_with.hint", i18n.S("header_key_id", leak.HeaderKeyID), i18n.S("header_signature", leak.HeaderSignature))).WithCause(err)
	}
	toks, err := leak.ParseReport(body)
	if err != nil {
		return apierr.T(apierr.InvalidRequest, i18n.M("admin.the_report_is_not_a"), i18n.Message{}).WithCause(err)
	}
	ctx := context.WithoutCancel(r.Context()) // a half-applied report must still finish
	src := s.clientAddr(r).String()
	out := make([]leak.Answer, 0, len(toks))
	disabled := 0
	for _, t := range toks {
		a, changed, err := s.leakOne(ctx, t, src)
		if err != nil {
			return err
		}
		if changed {
			disabled++
		}
		out = append(out, a)
	}
	s.Log.Info("secret-scanning report handled", "tokens", len(toks), "disabled", disabled, "source_ip", src)
	writeJSON(w, http.StatusOK, out)
	return nil
}

// leakOne handles one reported token.
func (s *Server) leakOne(ctx context.Context, t leak.Token, src string) (leak.Answer, bool, error) {
	digest := keys.HashHex(t.Token)
	a := leak.Answer{TokenHash: digest, TokenType: t.Type, Label: leak.FalsePositive}
	prefix, err := keys.Parse(t.Token)
	if err != nil {
		return a, false, nil // not even well-formed: cannot be ours
	}
	if prefix == keys.PrefixPAT {
		return s.leakedPAT(ctx, a, digest, t, src)
	}
	var k store.Key
	if e, ok := s.Catalog.Keys().Get(keys.Hash(t.Token)); ok {
		k = e.Key
	} else {
		known, err := s.Svc.KeysByDigest(ctx, []string{digest})
		if err != nil {
			return a, false, err
		}
		if k, ok = known[digest]; !ok {
			return a, false, nil
		}
	}
	a.Label = leak.TruePositive
	where := cleanText(t.URL, 300)
	if where == "" {
		where = "(no URL given)"
	}
	source := cleanText(t.Source, 60)
	reason := "leaked: found in public at " + where
	if source != "" {
		reason += " (" + source + ")"
	}
	// A report is acted on once, by its identity (token and place): a
	// replay changes nothing and alerts nobody again, whatever the key's
	// state is now — an owner may have re-enabled it on purpose.
	k, first, changed, err := s.Svc.ReportLeak(ctx, service.Who{Actor: LeakActor, SourceIP: src}, k.ID, service.LeakReport{
		Mark: reportMark(digest, t.URL), Reason: reason,
		Detail: map[string]any{"display": k.Display, "url": where, "source": source}})
	if err != nil {
		return a, false, err
	}
	if first {
		s.notify(webhook.KeyLeaked, k, map[string]any{"url": where, "source": source, "disabled_now": changed})
		s.leakIncident(ctx, k, "leak-report", LeakActor, reason) // opens one, or notes the re-report
	}
	return a, changed, nil
}

// reportMark identifies a (token, place) pair for replay detection. The URL
// is hashed: a reporter's URL may itself hold the token.
func reportMark(digest, url string) string {
	h := sha256.Sum256([]byte(url))
	return digest + ":" + hex.EncodeToString(h[:16])
}

// leakedPAT handles a personal access token in a report. A member's token
// is disabled at once (its hash is replaced by a mark; an owner or admin
// issues a new one), audited, and notified; the bootstrap owner token
// (KEYGATE_ADMIN_TOKEN) lives in the environment, so it is reported for
// the operator to replace.
func (s *Server) leakedPAT(ctx context.Context, a leak.Answer, digest string, t leak.Token, src string) (leak.Answer, bool, error) {
	where := cleanText(t.URL, 300)
	if where == "" {
		where = "(no URL given)"
	}
	source := cleanText(t.Source, 60)
	display := keys.Display(t.Token)
	var zero [32]byte
	if s.AdminTokenHash != zero && digest == hex.EncodeToString(s.AdminTokenHash[:]) {
		a.Label = leak.TruePositive
		return a, false, s.leakedBootstrap(ctx, digest, t, display, where, source, src)
	}
	_, state, err := s.Svc.TokenMember(ctx, digest)
	if err != nil {
		return a, false, err
	}
	switch state {
	case service.TokenUnknown:
		return a, false, nil
	case service.TokenRevoked:
		// Disabled by an earlier report: a replay answers the same and
		// changes nothing.
		a.Label = leak.TruePositive
		return a, false, nil
	}
	a.Label = leak.TruePositive
	m, revoked, err := s.Svc.RevokeLeakedToken(ctx, service.Who{Actor: LeakActor, SourceIP: src}, digest, map[string]any{
		"display": display, "url": where, "source": source, "token_disabled": true})
	if err != nil || !revoked {
		return a, false, err // not revoked: deleted, re-tokened or revoked meanwhile
	}
	hint := "An owner or admin issues " + m.Email + " a new token: POST /admin/v1/members/" + m.ID + "/token (or keygate members token " + m.ID + ")."
	s.Log.Warn("leaked member token disabled by a secret-scanning report", "member_id", m.ID, "token", display, "url", where)
	if s.Webhooks != nil {
		s.Webhooks.Notify(webhook.Event{ID: newEventID(), Type: webhook.KeyLeaked, Time: s.Now().UTC(),
			Data: map[string]any{"member_id": m.ID, "member": m.Email, "role": m.Role, "display": display, "url": where,
				"source": source, "token_disabled": true, "action_needed": hint}})
	}
	return a, true, nil
}

// leakedBootstrap reports a leaked KEYGATE_ADMIN_TOKEN once per report
// place: the gateway cannot change its own environment.
func (s *Server) leakedBootstrap(ctx context.Context, digest string, t leak.Token, display, where, source, src string) error {
	hint := "Set a new KEYGATE_ADMIN_TOKEN (keygate token generate) on every instance and restart them; until then the leaked token is an owner credential."
	// The report's claim and its audit row are one transaction: a replay
	// finds the claim and records and sends nothing.
	first, err := s.Svc.ReportTokenLeak(ctx, service.Who{Actor: LeakActor, SourceIP: src}, reportMark(digest, t.URL), "bootstrap",
		map[string]any{"display": display, "url": where, "source": source, "token_disabled": false, "action_needed": hint})
	if err != nil || !first {
		return err
	}
	s.Log.Error("the bootstrap owner token (KEYGATE_ADMIN_TOKEN) was reported leaked; replace it and restart", "token", display, "url", where)
	if s.Webhooks != nil {
		s.Webhooks.Notify(webhook.Event{ID: newEventID(), Type: webhook.KeyLeaked, Time: s.Now().UTC(),
			Data: map[string]any{"member_id": "bootstrap", "display": display, "url": where, "source": source,
				"token_disabled": false, "action_needed": hint}})
	}
	return nil
}
