package storage

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// SessionIDLength is how many hex digits of a session's token hash make its
// public id: enough to tell a user's sessions apart, and useless for
// signing in (the token is not derivable from its hash).
const SessionIDLength = 16

// SessionID returns the public id of the session whose cookie holds token.
func SessionID(token string) string { return tokenHash(token)[:SessionIDLength] }

// ListedSession is a session as its user sees it in a list: its public id
// (a prefix of the token's hash) and its times.
type ListedSession struct {
	ID string
	Session
}

// ListSessions returns the user's unexpired sessions, most recently seen
// first.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]*ListedSession, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT token_hash, user_id, user_agent, created_at, last_seen_at, expires_at
		FROM sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC, token_hash`, userID, s.now())
	if err != nil {
		return nil, fmt.Errorf("storage: list sessions: %w", err)
	}
	defer rows.Close()
	var out []*ListedSession
	for rows.Next() {
		var x ListedSession
		var hash string
		if err := rows.Scan(&hash, &x.UserID, &x.UserAgent, &x.CreatedAt, &x.LastSeenAt, &x.ExpiresAt); err != nil {
			return nil, fmt.Errorf("storage: list sessions: %w", err)
		}
		x.ID = hash[:SessionIDLength]
		out = append(out, &x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list sessions: %w", err)
	}
	return out, nil
}

// RevokeSession ends the user's session whose public id is sessionID. An id
// of another length or of no session of this user gives ErrNotFound, so one
// user can never end another's session.
func (s *Store) RevokeSession(ctx context.Context, userID, sessionID string) error {
	if len(sessionID) != SessionIDLength || strings.Trim(sessionID, "0123456789abcdef") != "" {
		return fmt.Errorf("storage: revoke session %q: %w", sessionID, ErrNotFound)
	}
	res, err := s.q.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1 AND substr(token_hash, 1, $2) = $3`,
		userID, SessionIDLength, sessionID)
	if err != nil {
		return fmt.Errorf("storage: revoke session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("storage: revoke session: %w", err)
	} else if n == 0 {
		return fmt.Errorf("storage: revoke session %q: %w", sessionID, ErrNotFound)
	}
	return nil
}

// RevokeSessions ends every session of the user and returns how many there
// were.
func (s *Store) RevokeSessions(ctx context.Context, userID string) (int, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("storage: revoke sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: revoke sessions: %w", err)
	}
	return int(n), nil
}

// sessionTouchEvery is how stale last_seen_at may get before TouchSession
// writes it again: a page with several requests costs one write, not many.
const sessionTouchEvery = time.Minute

// TouchSession records that the session was used now and slides its expiry
// to now+ttl. An expired session stays expired.
func (s *Store) TouchSession(ctx context.Context, token string, ttl time.Duration) error {
	t := s.now()
	_, err := s.q.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2, expires_at = $3
		WHERE token_hash = $1 AND expires_at > $2 AND last_seen_at < $4`, tokenHash(token), t, t.Add(ttl), t.Add(-sessionTouchEvery))
	if err != nil {
		return fmt.Errorf("storage: touch session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions past their expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context) (int, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, s.now())
	if err != nil {
		return 0, fmt.Errorf("storage: delete expired sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: delete expired sessions: %w", err)
	}
	return int(n), nil
}
