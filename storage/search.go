package storage

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// indexStatement replaces a statement's rows in the search index: one per
// language version, its title, lead and text.
func (s *Store) indexStatement(ctx context.Context, st *Statement) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM statement_search WHERE statement_id = $1`, st.ID); err != nil {
		return fmt.Errorf("storage: index statement %s: %w", st.ID, err)
	}
	if st.State == StateDeleted {
		return nil
	}
	versions := []struct{ lang, text string }{{st.Language, st.Title + "\n" + st.Summary + "\n" + st.BodyMarkdown}}
	for _, tr := range st.Translations {
		versions = append(versions, struct{ lang, text string }{tr.Language, tr.Title + "\n" + tr.Summary + "\n" + tr.BodyMarkdown})
	}
	for _, v := range versions {
		if _, err := s.q.ExecContext(ctx, `INSERT INTO statement_search (statement_id, language, body) VALUES ($1, $2, $3)`,
			st.ID, v.lang, v.text); err != nil {
			return fmt.Errorf("storage: index statement %s: %w", st.ID, err)
		}
	}
	return nil
}

// SearchStatements finds the statements readers may see at time at whose
// text, in any of their languages, contains every word of the query; best
// matches first.
func (s *Store) SearchStatements(ctx context.Context, query string, at time.Time, limit int) ([]*Statement, error) {
	words := strings.Fields(query)
	if len(words) == 0 {
		return nil, nil
	}
	if len(words) > 20 {
		words = words[:20]
	}
	var sqlText string
	var arg string
	switch s.dialect.name {
	case "postgres":
		arg = strings.Join(words, " ")
		sqlText = `SELECT statement_id FROM statement_search WHERE doc @@ plainto_tsquery('simple', $1)
			GROUP BY statement_id ORDER BY MAX(ts_rank(doc, plainto_tsquery('simple', $1))) DESC LIMIT 500`
	default:
		// Each word becomes an FTS5 string (quotes doubled), so no query
		// syntax typed by a reader can reach the parser.
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
		}
		arg = strings.Join(quoted, " ")
		sqlText = `SELECT statement_id FROM statement_search WHERE statement_search MATCH $1
			GROUP BY statement_id ORDER BY MIN(rank) LIMIT 500`
	}
	rows, err := s.q.QueryContext(ctx, sqlText, arg)
	if err != nil {
		return nil, fmt.Errorf("storage: search: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: search: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: search: %w", err)
	}
	var out []*Statement
	for _, id := range ids {
		st, err := s.StatementByID(ctx, id)
		if err != nil {
			return nil, err
		}
		if st.VisibleAt(at) {
			out = append(out, st)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}
