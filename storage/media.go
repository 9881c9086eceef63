package storage

import (
	"context"
	"fmt"
	"time"
)

// Media is a file attached to a statement (an image, with its alt text).
type Media struct {
	ID          string
	ActorID     string
	StatementID string
	Path        string // relative to the media directory, e.g. "<statement id>/1.jpg"
	MediaType   string
	AltText     string
	Width       int
	Height      int
	Blurhash    string // BlurHash of the image, "" if unknown
	Position    int
	CreatedAt   time.Time
}

// AddMedia stores media rows (call it in the statement's transaction).
func (s *Store) AddMedia(ctx context.Context, ms []Media) error {
	for i := range ms {
		m := &ms[i]
		m.ID, m.CreatedAt = NewID(), s.now()
		_, err := s.q.ExecContext(ctx, `INSERT INTO media (id, actor_id, statement_id, path, media_type, alt_text, width,
			height, blurhash, position, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			m.ID, m.ActorID, nullString(m.StatementID), m.Path, m.MediaType, m.AltText, m.Width, m.Height, m.Blurhash,
			m.Position, m.CreatedAt)
		if err != nil {
			return fmt.Errorf("storage: add media %s: %w", m.Path, err)
		}
	}
	return nil
}

// MediaByPath returns a media file's row, or ErrNotFound: files are served
// only if a statement still refers to them.
func (s *Store) MediaByPath(ctx context.Context, path string) (*Media, error) {
	list, err := s.listMedia(ctx, `m.path = $1`, path)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("storage: media %s: %w", path, ErrNotFound)
	}
	return list[0], nil
}

// DeleteMediaOf removes a statement's media rows and returns their paths,
// so that the files can be removed too.
func (s *Store) DeleteMediaOf(ctx context.Context, statementID string) ([]string, error) {
	list, err := s.listMedia(ctx, `m.statement_id = $1`, statementID)
	if err != nil {
		return nil, err
	}
	if _, err := s.q.ExecContext(ctx, `DELETE FROM media WHERE statement_id = $1`, statementID); err != nil {
		return nil, fmt.Errorf("storage: delete media: %w", err)
	}
	var paths []string
	for _, m := range list {
		paths = append(paths, m.Path)
	}
	return paths, nil
}

func (s *Store) listMedia(ctx context.Context, where string, args ...any) ([]*Media, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT m.id, m.actor_id, COALESCE(m.statement_id, ''), m.path, m.media_type,
		m.alt_text, m.width, m.height, m.blurhash, m.position, m.created_at FROM media m WHERE `+where+` ORDER BY m.position, m.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list media: %w", err)
	}
	defer rows.Close()
	var out []*Media
	for rows.Next() {
		var m Media
		if err := rows.Scan(&m.ID, &m.ActorID, &m.StatementID, &m.Path, &m.MediaType, &m.AltText, &m.Width, &m.Height,
			&m.Blurhash, &m.Position, &m.CreatedAt); err != nil {
			return nil, fmt.Errorf("storage: list media: %w", err)
		}
		out = append(out, &m)
	}
	return out, rows.Err()
}

// MediaWithoutBlurhash returns the media rows stored before images were
// re-encoded on the way in (they have no BlurHash), for
// federation.Service.ReprocessMedia.
func (s *Store) MediaWithoutBlurhash(ctx context.Context) ([]*Media, error) {
	return s.listMedia(ctx, `m.blurhash = $1`, "")
}

// UpdateMediaFile records a media row's new file: its path, type, size and
// BlurHash.
func (s *Store) UpdateMediaFile(ctx context.Context, m *Media) error {
	res, err := s.q.ExecContext(ctx, `UPDATE media SET path = $1, media_type = $2, width = $3, height = $4, blurhash = $5
		WHERE id = $6`, m.Path, m.MediaType, m.Width, m.Height, m.Blurhash, m.ID)
	if err != nil {
		return fmt.Errorf("storage: update media %s: %w", m.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("storage: update media %s: %w", m.ID, ErrNotFound)
	}
	return nil
}
