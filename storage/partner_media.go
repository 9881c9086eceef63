package storage

import (
	"context"
	"encoding/json"
	"fmt"
)

// Partner media: the local copies of images attached to partners' posts
// live under the media directory, named in each post's attachments
// (RemoteAttachment.LocalPath). These queries let the federation layer find
// which files are still wanted, drop a copy it evicts, and bound how many
// posts of each partner are kept.
//
// Attachments are a JSON column; both dialects read and write it here as
// text, and the filtering is done in Go, so the SQL stays portable.

// PartnerMediaPaths returns every local copy named by a remote object's
// attachments, with how many attachments name it.
func (s *Store) PartnerMediaPaths(ctx context.Context) (map[string]int, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT attachments FROM remote_objects WHERE attachments LIKE '%local_path%'`)
	if err != nil {
		return nil, fmt.Errorf("storage: partner media paths: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			return nil, fmt.Errorf("storage: partner media paths: %w", err)
		}
		var list []RemoteAttachment
		if err := json.Unmarshal([]byte(raw), &list); err != nil {
			return nil, fmt.Errorf("storage: partner media paths: %w", err)
		}
		for _, a := range list {
			if a.LocalPath != "" {
				out[a.LocalPath]++
			}
		}
	}
	return out, rows.Err()
}

// ClearPartnerMediaPath forgets a local copy: every attachment naming path
// loses its LocalPath (and keeps its URL, type and alt text, so the post
// still links to the original). It returns how many posts changed.
func (s *Store) ClearPartnerMediaPath(ctx context.Context, path string) (int, error) {
	if path == "" {
		return 0, nil
	}
	n := 0
	err := s.Tx(ctx, func(tx *Store) error {
		rows, err := tx.q.QueryContext(ctx, `SELECT id, attachments FROM remote_objects WHERE attachments LIKE '%local_path%'`)
		if err != nil {
			return err
		}
		type change struct{ id, attachments string }
		var changes []change
		for rows.Next() {
			var id, raw string
			if err := rows.Scan(&id, &raw); err != nil {
				rows.Close()
				return err
			}
			var list []RemoteAttachment
			if err := json.Unmarshal([]byte(raw), &list); err != nil {
				rows.Close()
				return err
			}
			hit := false
			for i := range list {
				if list[i].LocalPath == path {
					list[i].LocalPath, hit = "", true
				}
			}
			if !hit {
				continue
			}
			b, err := json.Marshal(list)
			if err != nil {
				rows.Close()
				return err
			}
			changes = append(changes, change{id, string(b)})
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// updated_at is left alone: the post did not change, only where
		// its picture is shown from.
		for _, c := range changes {
			if _, err := tx.q.ExecContext(ctx, `UPDATE remote_objects SET attachments = $2 WHERE id = $1`, c.id, c.attachments); err != nil {
				return err
			}
		}
		n = len(changes)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storage: clear partner media %s: %w", path, err)
	}
	return n, nil
}

// PrunePartnerPosts keeps the newest keep posts of each remote author that
// are not replies to our statements, and deletes the older ones (by
// published time, else arrival), and the posts of authors none of our
// actors follows any more (unfollowed, refused): none of them is shown.
// Posts one of our actors relays are kept (their Announce must stay
// undoable). It returns how many were deleted.
func (s *Store) PrunePartnerPosts(ctx context.Context, keep int) (int64, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM remote_objects WHERE statement_id IS NULL
		AND (id IN (
				SELECT id FROM (
					SELECT id, ROW_NUMBER() OVER (PARTITION BY remote_actor_id
						ORDER BY COALESCE(published_at, created_at) DESC, id DESC) AS n
					FROM remote_objects WHERE statement_id IS NULL) ranked
				WHERE n > $1)
			OR NOT EXISTS (SELECT 1 FROM following f WHERE f.remote_actor_id = remote_objects.remote_actor_id))
		AND NOT EXISTS (SELECT 1 FROM relays r WHERE r.remote_object_id = remote_objects.id AND r.undone_at IS NULL)`, keep)
	if err != nil {
		return 0, fmt.Errorf("storage: prune partner posts: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: prune partner posts: %w", err)
	}
	return n, nil
}
