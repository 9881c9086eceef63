package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ImportedPost is one post of an imported archive (tadamun import) and the
// statement it became. Its GUID is the source's identity of the post; the
// pair (ActorID, GUID) is unique, which is what makes an import repeatable
// and resumable.
type ImportedPost struct {
	ActorID     string
	GUID        string
	StatementID string
	Language    string // which of the statement's texts it is
	Hash        string // digest of the source post as imported
	OldPath     string // its old address's path, normalised; "" if none
	OldPostID   int64  // its WordPress post id; 0 if none
	ImportedAt  time.Time
	UpdatedAt   time.Time
}

// ImportTarget is where an old address of an imported post leads.
type ImportTarget struct {
	Username string
	Slug     string
	Language string // the text the old address showed
	Primary  string // the statement's own language
}

const importedColumns = `actor_id, guid, statement_id, language, content_hash, old_path, old_post_id, imported_at, updated_at`

// ImportedPost returns the record of a source post imported for an actor,
// or ErrNotFound if it was never imported.
func (s *Store) ImportedPost(ctx context.Context, actorID, guid string) (*ImportedPost, error) {
	var p ImportedPost
	err := s.q.QueryRowContext(ctx, `SELECT `+importedColumns+` FROM imported_posts WHERE actor_id = $1 AND guid = $2`,
		actorID, guid).Scan(&p.ActorID, &p.GUID, &p.StatementID, &p.Language, &p.Hash, &p.OldPath, &p.OldPostID,
		&p.ImportedAt, &p.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage: imported post %q: %w", guid, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: imported post %q: %w", guid, err)
	}
	return &p, nil
}

// PutImportedPost records a source post as imported, or updates its record
// (statement, language, hash, old address). Call it in the transaction
// that writes the statement, so that the record and the statement exist
// together or not at all.
func (s *Store) PutImportedPost(ctx context.Context, p *ImportedPost) error {
	if p.ActorID == "" || p.GUID == "" || p.StatementID == "" {
		return fmt.Errorf("storage: imported post: actor, guid and statement are required")
	}
	now := s.now()
	p.UpdatedAt = now
	if p.ImportedAt.IsZero() {
		p.ImportedAt = now
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO imported_posts (`+importedColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (actor_id, guid) DO UPDATE SET statement_id = excluded.statement_id, language = excluded.language,
			content_hash = excluded.content_hash, old_path = excluded.old_path, old_post_id = excluded.old_post_id,
			updated_at = excluded.updated_at`,
		p.ActorID, p.GUID, p.StatementID, p.Language, p.Hash, p.OldPath, p.OldPostID, utc(p.ImportedAt), now)
	if err != nil {
		return fmt.Errorf("storage: record imported post %q: %w", p.GUID, err)
	}
	return nil
}

// CountImportedPosts says how many source posts were imported for an actor.
func (s *Store) CountImportedPosts(ctx context.Context, actorID string) (int, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM imported_posts WHERE actor_id = $1`, actorID).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: count imported posts: %w", err)
	}
	return n, nil
}

// importTargetSQL finds the statement an old address leads to. Only
// statements readers may see are answered (a draft or deleted statement
// keeps its old address a 404, as it would be on the new site); of two
// actors that imported the same path, the earliest import wins.
const importTargetSQL = `SELECT a.username, s.slug, i.language, s.language FROM imported_posts i
	JOIN statements s ON s.id = i.statement_id JOIN actors a ON a.id = s.actor_id
	WHERE %s AND s.state IN ('published', 'scheduled') AND s.published_at <= $2
	ORDER BY i.imported_at, i.guid LIMIT 1`

// ImportTargetByPath returns where an imported post's old path (normalised
// as it was stored) leads, or ErrNotFound.
func (s *Store) ImportTargetByPath(ctx context.Context, path string) (*ImportTarget, error) {
	if path == "" {
		return nil, fmt.Errorf("storage: old address: %w", ErrNotFound)
	}
	return s.importTarget(ctx, "i.old_path = $1", path)
}

// ImportTargetByPostID returns where a WordPress post id (/?p=ID,
// /?page_id=ID) of an imported post leads, or ErrNotFound.
func (s *Store) ImportTargetByPostID(ctx context.Context, id int64) (*ImportTarget, error) {
	if id <= 0 {
		return nil, fmt.Errorf("storage: old post id: %w", ErrNotFound)
	}
	return s.importTarget(ctx, "i.old_post_id = $1", id)
}

func (s *Store) importTarget(ctx context.Context, where string, arg any) (*ImportTarget, error) {
	var t ImportTarget
	err := s.q.QueryRowContext(ctx, fmt.Sprintf(importTargetSQL, where), arg, s.now()).Scan(&t.Username, &t.Slug, &t.Language, &t.Primary)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage: old address %v: %w", arg, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: old address %v: %w", arg, err)
	}
	return &t, nil
}
