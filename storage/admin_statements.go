package storage

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// AdminStatementQuery selects statements for the admin interface's list:
// every state, deleted ones included, of the actors a user may work on.
type AdminStatementQuery struct {
	// ActorIDs are the actors whose statements are listed; empty lists
	// nothing (never everything: the caller passes what the user may see).
	ActorIDs []string
	Language string // "" for every language; otherwise primary language or a translation
	State    string // "" for every state; otherwise StateDraft, StateScheduled, StatePublished or StateDeleted
	Offset   int
	Limit    int // default 20, at most 200
}

// ListAdminStatements returns one page of statements, newest first (drafts
// by creation time), with translations and tags, and how many the query
// selects in all.
func (s *Store) ListAdminStatements(ctx context.Context, q AdminStatementQuery) ([]*Statement, int, error) {
	if len(q.ActorIDs) == 0 {
		return nil, 0, nil
	}
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	ids := make([]string, len(q.ActorIDs))
	for i, id := range q.ActorIDs {
		ids[i] = arg(id)
	}
	where := []string{`s.actor_id IN (` + strings.Join(ids, ", ") + `)`}
	if q.State != "" {
		where = append(where, `s.state = `+arg(q.State))
	}
	if q.Language != "" {
		p := arg(q.Language)
		where = append(where, `(s.language = `+p+` OR EXISTS (SELECT 1 FROM statement_translations t
			WHERE t.statement_id = s.id AND t.language = `+p+`))`)
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM statements s WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("storage: count admin statements: %w", err)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 200)
	offset := max(q.Offset, 0)
	sqlText := `SELECT ` + statementColumns + statementFrom + ` WHERE ` + cond +
		` ORDER BY COALESCE(s.published_at, s.created_at) DESC, s.id DESC LIMIT ` + bound(arg(limit)) + ` OFFSET ` + bound(arg(offset))
	rows, err := s.q.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("storage: list admin statements: %w", err)
	}
	defer rows.Close()
	var out []*Statement
	for rows.Next() {
		st, err := scanStatement(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("storage: list admin statements: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("storage: list admin statements: %w", err)
	}
	if err := s.loadExtras(ctx, out); err != nil {
		return nil, 0, fmt.Errorf("storage: list admin statements: %w", err)
	}
	return out, total, nil
}
