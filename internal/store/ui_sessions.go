package store

import (
	"context"
	"time"
)

// UISession is a signed-in dashboard browser. IDHash is the SHA-256 (hex)
// of the session cookie's value; the value itself is never stored.
// MemberID is "" for the bootstrap owner credential. Fingerprint is a
// digest of the credentials the person signed in with (the member's token
// and password hashes, or the bootstrap token's hash): when it no longer
// matches, the session has ended.
type UISession struct {
	IDHash      string
	MemberID    string
	Fingerprint string
	CreatedAt   time.Time
	SeenAt      time.Time
	// ExpiresAt is the earlier of the idle deadline (SeenAt + idle time)
	// and the absolute one (CreatedAt + longest session).
	ExpiresAt time.Time
}

// UISessionStore keeps dashboard sessions, shared by every instance.
type UISessionStore interface {
	// CreateUISession stores a new session; ErrConflict when its IDHash is
	// taken.
	CreateUISession(ctx context.Context, s UISession) error
	// GetUISession returns the session with this IDHash if it has not
	// expired at now; ErrNotFound otherwise.
	GetUISession(ctx context.Context, idHash string, now time.Time) (UISession, error)
	// TouchUISession records that the session was used at seen and moves
	// its expiry to expires; ErrNotFound when there is no such session.
	TouchUISession(ctx context.Context, idHash string, seen, expires time.Time) error
	// DeleteUISession ends a session (no error when there is none).
	DeleteUISession(ctx context.Context, idHash string) error
	// DeleteMemberUISessions ends every session of a member and returns
	// how many there were.
	DeleteMemberUISessions(ctx context.Context, memberID string) (int, error)
	// DeleteExpiredUISessions removes the sessions expired at now and
	// returns how many there were.
	DeleteExpiredUISessions(ctx context.Context, now time.Time) (int, error)
}
