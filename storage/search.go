package storage

import (
	"context"
	"fmt"
	"strconv"
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
// matches first, then newest. It returns at most limit of them (at most
// 200), skipping the first offset: one page of results.
//
// Matching, the visibility rule, ranking and paging are one SQL statement,
// followed by the queries that load the page's translations, tags and
// media: a search costs the same few queries however many statements match
// and however many of them are scheduled or deleted.
func (s *Store) SearchStatements(ctx context.Context, query string, at time.Time, limit, offset int) ([]*Statement, error) {
	words := strings.Fields(query)
	if len(words) == 0 {
		return nil, nil
	}
	if len(words) > 20 {
		words = words[:20]
	}
	if limit <= 0 {
		limit = 20
	}
	if limit > 200 {
		limit = 200
	}
	if offset < 0 {
		offset = 0
	}
	where, args := StatementQuery{VisibleAt: at}.where()
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	var matches string
	switch s.dialect.name {
	case "postgres":
		p := arg(strings.Join(words, " "))
		// Higher ts_rank is better; negated so that both dialects sort ascending.
		matches = `SELECT statement_id, -MAX(ts_rank(doc, plainto_tsquery('simple', ` + p + `))) AS score
			FROM statement_search WHERE doc @@ plainto_tsquery('simple', ` + p + `) GROUP BY statement_id`
	default:
		// Each word becomes an FTS5 string (quotes doubled), so no query
		// syntax typed by a reader can reach the parser. FTS5's rank is
		// bm25, lower is better.
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = `"` + strings.ReplaceAll(w, `"`, `""`) + `"`
		}
		matches = `SELECT statement_id, MIN(rank) AS score FROM statement_search
			WHERE statement_search MATCH ` + arg(strings.Join(quoted, " ")) + ` GROUP BY statement_id`
	}
	sqlText := `SELECT ` + statementColumns + ` FROM (` + matches + `) m
		JOIN statements s ON s.id = m.statement_id JOIN actors a ON a.id = s.actor_id
		WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY m.score, s.published_at DESC, s.id DESC LIMIT ` + bound(arg(limit)) + ` OFFSET ` + bound(arg(offset))
	rows, err := s.q.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: search: %w", err)
	}
	defer rows.Close()
	var out []*Statement
	for rows.Next() {
		st, err := scanStatement(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: search: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: search: %w", err)
	}
	if err := s.loadExtras(ctx, out); err != nil {
		return nil, fmt.Errorf("storage: search: %w", err)
	}
	return out, nil
}
