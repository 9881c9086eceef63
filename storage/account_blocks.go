package storage

import (
	"context"
	"fmt"
	"time"
)

// AccountBlock is a remote account the node refuses, by its actor IRI.
type AccountBlock struct {
	ActorIRI  string
	Reason    string
	CreatedAt time.Time
}

// BlockAccount records a block of the account at actorIRI (replacing the
// reason of an earlier one).
func (s *Store) BlockAccount(ctx context.Context, actorIRI, reason string) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO account_blocks (actor_iri, reason, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (actor_iri) DO UPDATE SET reason = excluded.reason`, actorIRI, reason, s.now())
	s.ForgetInboxGate() // InboxGate's cached answers (inbox_gate.go)
	if err != nil {
		return fmt.Errorf("storage: block account %s: %w", actorIRI, err)
	}
	return nil
}

// UnblockAccount lifts a block; ErrNotFound if there was none.
func (s *Store) UnblockAccount(ctx context.Context, actorIRI string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM account_blocks WHERE actor_iri = $1`, actorIRI)
	s.ForgetInboxGate()
	if err != nil {
		return fmt.Errorf("storage: unblock account %s: %w", actorIRI, err)
	}
	return mustAffect(res, "unblock account "+actorIRI)
}

// AccountBlocked reports whether the account at actorIRI is blocked.
func (s *Store) AccountBlocked(ctx context.Context, actorIRI string) (bool, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM account_blocks WHERE actor_iri = $1`, actorIRI).Scan(&n); err != nil {
		return false, fmt.Errorf("storage: account blocked %s: %w", actorIRI, err)
	}
	return n > 0, nil
}

// ListAccountBlocks lists the blocked accounts, newest first.
func (s *Store) ListAccountBlocks(ctx context.Context) ([]AccountBlock, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT actor_iri, reason, created_at FROM account_blocks ORDER BY created_at DESC, actor_iri`)
	if err != nil {
		return nil, fmt.Errorf("storage: account blocks: %w", err)
	}
	defer rows.Close()
	var out []AccountBlock
	for rows.Next() {
		var b AccountBlock
		if err := rows.Scan(&b.ActorIRI, &b.Reason, &b.CreatedAt); err != nil {
			return nil, fmt.Errorf("storage: account blocks: %w", err)
		}
		b.CreatedAt = b.CreatedAt.UTC()
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: account blocks: %w", err)
	}
	return out, nil
}

// RejectPendingRepliesBy rejects the replies of a remote actor that still
// wait for moderation, and returns how many.
func (s *Store) RejectPendingRepliesBy(ctx context.Context, remoteID string) (int, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE remote_objects SET moderation = 'rejected', updated_at = $2
		WHERE remote_actor_id = $1 AND statement_id IS NOT NULL AND moderation = 'pending'`, remoteID, s.now())
	if err != nil {
		return 0, fmt.Errorf("storage: reject replies of %s: %w", remoteID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: reject replies of %s: %w", remoteID, err)
	}
	return int(n), nil
}
