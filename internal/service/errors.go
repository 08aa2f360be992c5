package service

// Errors of the services. Every error a service returns is an
// *apierr.Error carrying its catalogue code (not_found, conflict,
// service_unavailable, …); the transports render it once (admin: the
// Server.serve wrapper over httpapi.Fail) and never look at store errors.
// The store's sentinel errors are translated here and nowhere else:
// store.ErrNotFound by found (into the object's own not_found error) or,
// if one slips through, by Err (a generic not_found); store.ErrConflict by
// Err (conflict, after retryConflicts gave up); anything else the store
// returns is the store failing: 503 service_unavailable with Retry-After.

import (
	"errors"
	"fmt"

	"github.com/keygate/keygate/internal/apierr"
	"github.com/keygate/keygate/internal/i18n"
	"github.com/keygate/keygate/internal/store"
)

// ErrNoChange, returned by a change function, leaves the object as it is
// and answers with it (an idempotent repeat): nothing is written or audited.
var ErrNoChange = errors.New("no change")

// RetryAfter is the Retry-After (seconds) of a change refused because the
// store is unreachable.
const RetryAfter = "5"

// Unavailable is the error of a call refused because the store failed:
// 503 service_unavailable with Retry-After, nothing applied.
func Unavailable(err error) error {
	return apierr.T(apierr.ServiceUnavailable, i18n.M("svc.the_gateway_s_database_did"), i18n.M("svc.retry_shortly_retry_after_get.hint")).WithCause(err).WithHeader("Retry-After", RetryAfter)
}

// Err maps an error to the catalogue, once: an *apierr.Error is kept,
// store.ErrNotFound becomes a generic not_found (a read that names its
// object uses found instead), store.ErrConflict becomes conflict, and
// anything else is the store failing (Unavailable).
func Err(err error) error {
	if err == nil {
		return nil
	}
	var ae *apierr.Error
	if errors.As(err, &ae) {
		return ae
	}
	if missing(err) {
		return apierr.T(apierr.NotFound, i18n.M("svc.the_object_does_not_exist"), i18n.M("svc.list_the_objects_to_find.hint")).WithCause(err)
	}
	if errors.Is(err, store.ErrConflict) {
		return apierr.T(apierr.Conflict, i18n.M("svc.another_change_of_the_same"), i18n.M("svc.read_the_object_again_and.hint")).WithCause(err)
	}
	return Unavailable(err)
}

// missing reports whether err is the store's "no such row": the one place
// store.ErrNotFound is looked at.
func missing(err error) bool { return errors.Is(err, store.ErrNotFound) }

// found translates a store read's error: a missing row becomes notFound
// (the object's own not_found error); any other error is returned as it
// is, so a transaction can still retry a version conflict, and is mapped
// by Err at the method's end.
func found(err, notFound error) error {
	if missing(err) {
		return notFound
	}
	return err
}

// IsNotFound reports whether err is a not_found answer (for a transport
// that treats "no such object" as an answer, not a failure).
func IsNotFound(err error) bool { return apierr.CodeOf(err) == apierr.NotFound }

// KeyNotFound is the error of a key id that names no key (or a key of a
// project the caller cannot see: the same answer).
func KeyNotFound(id string) error {
	return apierr.T(apierr.NotFound, i18n.M("admin.no_key_with_id", i18n.Q("id", fmt.Sprint(id))), i18n.M("admin.get_admin_v1_keys_lists.hint"))
}

// MemberNotFound is the error of a member id that names no member.
func MemberNotFound(id string) error {
	return apierr.T(apierr.NotFound, i18n.M("admin.no_member_with_id", i18n.Q("id", fmt.Sprint(id))), i18n.M("admin.get_admin_v1_members_lists.hint"))
}

// MemberEmailNotFound is the error of an email that names no member.
func MemberEmailNotFound(email string) error {
	return apierr.T(apierr.NotFound, i18n.M("admin.no_member_with_email", i18n.Q("ref", fmt.Sprint(email))), i18n.M("admin.get_admin_v1_members_lists.hint3"))
}

// ProjectNotFound is the error of a project name that names no project.
func ProjectNotFound(name string) error {
	return apierr.T(apierr.NotFound, i18n.M("admin.project_does_not_exist", i18n.Q("name", fmt.Sprint(name))), i18n.M("admin.get_admin_v1_projects_lists.hint"))
}

// RequestNotFound is the error of a request id with no request log row.
func RequestNotFound(id string) error {
	return apierr.T(apierr.NotFound, i18n.M("admin.no_request_in_this_gateway", i18n.S("id", fmt.Sprint(id))), i18n.M("admin.rows_are_written_within_a.hint"))
}

// GroupNotFound is the error of a group name that names no group.
func GroupNotFound(name string) error {
	return apierr.T(apierr.NotFound, i18n.M("admin.group_does_not_exist", i18n.Q("group", fmt.Sprint(name))), i18n.M("admin.declare_it_under_groups_in.hint"))
}
