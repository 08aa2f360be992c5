package service

// Reads of the admin API's keys, members, logs, audit and usage. Every
// transport read goes through here, so a missing object is answered with
// its own not_found error (found) and a store failure with 503
// service_unavailable (Err), the same way on every route.

import (
	"context"

	"github.com/keygate/keygate/internal/store"
)

// Key reads key id; a missing key is KeyNotFound.
func (s *Service) Key(ctx context.Context, id string) (store.Key, error) {
	k, err := s.Store.GetKey(ctx, id)
	return k, Err(found(err, KeyNotFound(id)))
}

// KeysByDigest looks up keys by the hex SHA-256 of their plaintext; a
// digest no key has is absent from the answer.
func (s *Service) KeysByDigest(ctx context.Context, digests []string) (map[string]store.Key, error) {
	out := make(map[string]store.Key, len(digests))
	for _, d := range digests {
		k, err := s.Store.GetKeyByHash(ctx, d)
		switch {
		case err == nil:
			out[d] = k
		case !missing(err):
			return nil, Err(err)
		}
	}
	return out, nil
}

// Keys lists keys by f.
func (s *Service) Keys(ctx context.Context, f store.KeyFilter) ([]store.Key, error) {
	list, err := s.Store.ListKeys(ctx, f)
	return list, Err(err)
}

// Logs lists request log rows by f.
func (s *Service) Logs(ctx context.Context, f store.LogFilter) ([]store.RequestLog, error) {
	rows, err := s.Store.QueryLogs(ctx, f)
	return rows, Err(err)
}

// Request reads the request log row of request id; a missing row is
// RequestNotFound.
func (s *Service) Request(ctx context.Context, id string) (store.RequestLog, error) {
	l, err := s.Store.GetLog(ctx, id)
	return l, Err(found(err, RequestNotFound(id)))
}

// AuditEvents lists audit events by f.
func (s *Service) AuditEvents(ctx context.Context, f store.AuditFilter) ([]store.AuditEvent, error) {
	evs, err := s.Store.ListAudit(ctx, f)
	return evs, Err(err)
}

// Member reads member id; a missing member is MemberNotFound.
func (s *Service) Member(ctx context.Context, id string) (store.Member, error) {
	m, err := s.Store.GetMember(ctx, id)
	return m, Err(found(err, MemberNotFound(id)))
}

// MemberByEmail reads the member with email (lower case); a missing one is
// MemberEmailNotFound.
func (s *Service) MemberByEmail(ctx context.Context, email string) (store.Member, error) {
	m, err := s.Store.GetMemberByEmail(ctx, email)
	return m, Err(found(err, MemberEmailNotFound(email)))
}

// Members lists every member.
func (s *Service) Members(ctx context.Context) ([]store.Member, error) {
	all, err := s.Store.ListMembers(ctx)
	return all, Err(err)
}

// TokenState is what a presented personal access token is.
type TokenState int

const (
	TokenUnknown TokenState = iota // no member has it
	TokenValid                     // the member's current token
	TokenRevoked                   // disabled by a leak report (RevokedTokenMark)
)

// RevokedTokenMark is what a member's token hash becomes when a leak
// report disables the token: it can never equal a presented token's
// digest, so the token no longer authenticates, yet a replayed report and
// the refused member are still told what happened.
func RevokedTokenMark(digest string) string { return "leaked:" + digest }

// TokenMember finds the member whose personal access token has the hex
// SHA-256 digest: its current token, or one a leak report revoked.
func (s *Service) TokenMember(ctx context.Context, digest string) (store.Member, TokenState, error) {
	m, err := s.Store.GetMemberByTokenHash(ctx, digest)
	if err == nil {
		return m, TokenValid, nil
	}
	if !missing(err) {
		return m, TokenUnknown, Err(err)
	}
	m, err = s.Store.GetMemberByTokenHash(ctx, RevokedTokenMark(digest))
	switch {
	case err == nil:
		return m, TokenRevoked, nil
	case missing(err):
		return store.Member{}, TokenUnknown, nil
	}
	return store.Member{}, TokenUnknown, Err(err)
}

// CheckProject answers ProjectNotFound unless project name exists.
func (s *Service) CheckProject(ctx context.Context, name string) error {
	_, err := s.Store.GetProject(ctx, name)
	return Err(found(err, ProjectNotFound(name)))
}

// Usage is a usage report: its rows and, when grouped by member, the
// members' emails by id.
type Usage struct {
	Rows   []store.UsageRow
	Emails map[string]string
}

// UsageReport adds up the request log by f. Emails are filled in only
// when f groups by member, and best effort: a report without them is
// still a report.
func (s *Service) UsageReport(ctx context.Context, f store.UsageFilter) (Usage, error) {
	rows, err := s.Store.UsageReport(ctx, f)
	if err != nil {
		return Usage{}, Err(err)
	}
	u := Usage{Rows: rows, Emails: map[string]string{}}
	for _, g := range f.GroupBy {
		if g != "member" {
			continue
		}
		if ms, err := s.Store.ListMembers(ctx); err == nil {
			for _, m := range ms {
				u.Emails[m.ID] = m.Email
			}
		}
	}
	return u, nil
}
