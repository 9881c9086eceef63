package storage

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"
)

// Statement states. A statement is visible to readers and federated when it
// is published, or scheduled and its PublishedAt has come; drafts are seen
// only by editors; a deleted statement keeps its id and slug (never reused)
// and is answered with a tombstone.
const (
	StateDraft     = "draft"
	StateScheduled = "scheduled"
	StatePublished = "published"
	StateDeleted   = "deleted"
)

// Statement is a piece of writing published by a local actor: a statement,
// appeal or news item, in one primary language with optional translations.
type Statement struct {
	ID             string // stable, never reused; part of its ActivityPub id
	ActorID        string
	ActorUsername  string // filled on read
	Slug           string // unique per actor; part of its web address
	Language       string // BCP 47 tag of the primary text
	Title          string
	Summary        string // the lead, plain text
	BodyMarkdown   string
	BodyHTML       string // rendered from BodyMarkdown, sanitized
	ContentWarning string
	ObjectType     string // "" (the actor's default), Note or Article
	State          string
	Pinned         bool
	RepliesEnabled bool
	InReplyTo      string     // id of a remote post it answers, "" for none
	PublishedAt    *time.Time // when it became, or becomes, public
	EditedAt       *time.Time // last change of federated content
	DeletedAt      *time.Time
	FederatedAt    *time.Time // when its Create went out; nil: not yet
	FederatedHash  string     // digest of the object as last federated
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Translations   []Translation // by language
	Tags           []Tag
	Media          []Media   // attached images, in order
	Mentions       []Mention // accounts elsewhere it mentions
}

// Mention is an account on another server that a statement mentions.
type Mention struct {
	ActorIRI string
	Handle   string // @user@host
	Inbox    string // where it is told
}

// Translation is the statement in another language.
type Translation struct {
	Language       string
	Title          string
	Summary        string
	BodyMarkdown   string
	BodyHTML       string
	ContentWarning string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Tag is a hashtag: Name is the normalised key (lower case, NFC), Display the
// form the author wrote.
type Tag struct {
	Name    string
	Display string
}

// VisibleAt reports whether readers may see the statement at time t.
func (st *Statement) VisibleAt(t time.Time) bool {
	return (st.State == StatePublished || st.State == StateScheduled) &&
		st.PublishedAt != nil && !st.PublishedAt.After(t)
}

const statementColumns = `s.id, s.actor_id, a.username, s.slug, s.language, s.title, s.summary, s.body_markdown,
	s.body_html, s.content_warning, s.object_type, s.state, s.pinned, s.replies_enabled, s.in_reply_to, s.published_at,
	s.edited_at, s.deleted_at, s.federated_at, s.federated_hash, s.created_at, s.updated_at`

const statementFrom = ` FROM statements s JOIN actors a ON a.id = s.actor_id`

// CreateStatement stores a new statement with its translations and tags in
// one transaction. ID and times are filled in. If Slug is taken for this actor,
// a numeric suffix is added (-2, -3, ...); the stored slug is written back.
func (s *Store) CreateStatement(ctx context.Context, st *Statement) error {
	switch st.State {
	case StateDraft, StateScheduled, StatePublished:
	default:
		return fmt.Errorf("storage: create statement: state %q cannot be created", st.State)
	}
	if st.State != StateDraft && st.PublishedAt == nil {
		return fmt.Errorf("storage: create statement: a %s statement needs a publish time", st.State)
	}
	return s.Tx(ctx, func(tx *Store) error {
		slug, err := tx.freeSlug(ctx, st.ActorID, st.Slug, "")
		if err != nil {
			return err
		}
		st.Slug = slug
		st.ID = NewID()
		st.CreatedAt = s.now()
		st.UpdatedAt = st.CreatedAt
		if st.PublishedAt != nil {
			t := utc(*st.PublishedAt)
			st.PublishedAt = &t
		}
		_, err = tx.q.ExecContext(ctx, `INSERT INTO statements (id, actor_id, slug, language, title, summary,
			body_markdown, body_html, content_warning, object_type, state, pinned, replies_enabled, in_reply_to,
			published_at, edited_at, deleted_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL, NULL, $16, $17)`,
			st.ID, st.ActorID, st.Slug, st.Language, st.Title, st.Summary, st.BodyMarkdown, st.BodyHTML,
			st.ContentWarning, st.ObjectType, st.State, st.Pinned, st.RepliesEnabled, st.InReplyTo, timeArg(st.PublishedAt),
			st.CreatedAt, st.UpdatedAt)
		if err != nil {
			return fmt.Errorf("storage: create statement %q: %w", st.Slug, tx.dialect.classify(err))
		}
		if err := tx.putTranslations(ctx, st); err != nil {
			return err
		}
		if err := tx.putMentions(ctx, st); err != nil {
			return err
		}
		if err := tx.putTags(ctx, st); err != nil {
			return err
		}
		return tx.indexStatement(ctx, st)
	})
}

// freeSlug returns slug, or slug-N for the smallest N >= 2 not yet used by
// the actor (deleted statements keep theirs) other than by statement self
// ("" for a new statement).
func (s *Store) freeSlug(ctx context.Context, actorID, slug, self string) (string, error) {
	if slug == "" {
		return "", errors.New("storage: statement needs a slug")
	}
	for i := 1; i < 1000; i++ {
		try := slug
		if i > 1 {
			try = slug + "-" + strconv.Itoa(i)
		}
		var n int
		if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM statements WHERE actor_id = $1 AND slug = $2 AND id <> $3`,
			actorID, try, self).Scan(&n); err != nil {
			return "", fmt.Errorf("storage: check slug: %w", err)
		}
		if n == 0 {
			return try, nil
		}
	}
	return "", fmt.Errorf("storage: slug %q: %w", slug, ErrConflict)
}

func (s *Store) putTranslations(ctx context.Context, st *Statement) error {
	for i := range st.Translations {
		tr := &st.Translations[i]
		if tr.Language == st.Language {
			return fmt.Errorf("storage: translation into %s: that is the statement's own language", tr.Language)
		}
		tr.CreatedAt, tr.UpdatedAt = st.UpdatedAt, st.UpdatedAt
		_, err := s.q.ExecContext(ctx, `INSERT INTO statement_translations (statement_id, language, title, summary,
			body_markdown, body_html, content_warning, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			st.ID, tr.Language, tr.Title, tr.Summary, tr.BodyMarkdown, tr.BodyHTML, tr.ContentWarning,
			tr.CreatedAt, tr.UpdatedAt)
		if err != nil {
			return fmt.Errorf("storage: translation %s: %w", tr.Language, s.dialect.classify(err))
		}
	}
	return nil
}

func (s *Store) putMentions(ctx context.Context, st *Statement) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM statement_mentions WHERE statement_id = $1`, st.ID); err != nil {
		return fmt.Errorf("storage: mentions: %w", err)
	}
	for _, m := range st.Mentions {
		_, err := s.q.ExecContext(ctx, `INSERT INTO statement_mentions (statement_id, actor_iri, handle, inbox) VALUES ($1, $2, $3, $4)
			ON CONFLICT (statement_id, actor_iri) DO NOTHING`, st.ID, m.ActorIRI, m.Handle, m.Inbox)
		if err != nil {
			return fmt.Errorf("storage: mention %s: %w", m.Handle, err)
		}
	}
	return nil
}

func (s *Store) putTags(ctx context.Context, st *Statement) error {
	for _, t := range st.Tags {
		_, err := s.q.ExecContext(ctx, `INSERT INTO statement_tags (statement_id, tag, display) VALUES ($1, $2, $3)
			ON CONFLICT (statement_id, tag) DO NOTHING`, st.ID, t.Name, t.Display)
		if err != nil {
			return fmt.Errorf("storage: tag %s: %w", t.Name, err)
		}
	}
	return nil
}

// StatementByID returns a statement in any state, with its translations and
// tags, or ErrNotFound.
func (s *Store) StatementByID(ctx context.Context, id string) (*Statement, error) {
	st, err := s.oneStatement(ctx, `WHERE s.id = $1`, id)
	if err != nil {
		return nil, fmt.Errorf("storage: statement %s: %w", id, err)
	}
	return st, nil
}

// StatementBySlug returns an actor's statement in any state, or ErrNotFound.
func (s *Store) StatementBySlug(ctx context.Context, actorID, slug string) (*Statement, error) {
	st, err := s.oneStatement(ctx, `WHERE s.actor_id = $1 AND s.slug = $2`, actorID, slug)
	if err != nil {
		return nil, fmt.Errorf("storage: statement %q: %w", slug, err)
	}
	return st, nil
}

func (s *Store) oneStatement(ctx context.Context, where string, args ...any) (*Statement, error) {
	st, err := scanStatement(s.q.QueryRowContext(ctx, `SELECT `+statementColumns+statementFrom+` `+where, args...))
	if err != nil {
		return nil, err
	}
	if err := s.loadExtras(ctx, []*Statement{st}); err != nil {
		return nil, err
	}
	return st, nil
}

// StatementQuery selects statements for a list.
type StatementQuery struct {
	ActorID  string // "" for every actor
	Language string // "" for every language; otherwise primary language or a translation
	Tag      string // normalised tag name, "" for any
	// VisibleAt lists only what readers may see at that time (published, or
	// scheduled and due). Zero lists every state but deleted, for editors.
	VisibleAt time.Time
	// Before continues a list after the last item of the previous page.
	Before *Cursor
	Limit  int // default 20, at most 200
}

// Cursor is a position in a list ordered by publication time, newest first.
type Cursor struct {
	PublishedAt time.Time
	ID          string
}

// ListStatements returns statements newest first, with translations and tags.
func (s *Store) ListStatements(ctx context.Context, q StatementQuery) ([]*Statement, error) {
	sqlText, args := q.listSQL()
	rows, err := s.q.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: list statements: %w", err)
	}
	defer rows.Close()
	var out []*Statement
	for rows.Next() {
		st, err := scanStatement(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: list statements: %w", err)
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: list statements: %w", err)
	}
	if err := s.loadExtras(ctx, out); err != nil {
		return nil, fmt.Errorf("storage: list statements: %w", err)
	}
	return out, nil
}

// listSQL is the query of ListStatements and its arguments.
func (q StatementQuery) listSQL() (string, []any) {
	where, args := q.where()
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 20
	}
	if limit > 200 {
		limit = 200
	}
	// Readers' lists order by (published_at, id), which an index keeps in
	// that order (migration 0008): the database reads the page and stops,
	// however long the list, and Before continues it exactly (keyset
	// paging, no OFFSET). Drafts have no publish time; in editors' lists
	// they sort first, by creation.
	order := ` ORDER BY s.published_at DESC, s.id DESC`
	if q.VisibleAt.IsZero() {
		order = ` ORDER BY COALESCE(s.published_at, s.created_at) DESC, s.id DESC`
	}
	return `SELECT ` + statementColumns + statementFrom + ` WHERE ` + strings.Join(where, " AND ") + order +
		` LIMIT ` + bound(arg(limit)), args
}

// where builds the WHERE terms of a statement query and their arguments.
func (q StatementQuery) where() ([]string, []any) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.VisibleAt.IsZero() {
		where = append(where, `s.state <> 'deleted'`)
	} else {
		// With a cursor older than the time, the cursor's time is the upper
		// bound: the same rows, but the planners then start the index range
		// at the cursor instead of reading every newer row and filtering
		// them out (the OR below is not an index bound in either database).
		upper := utc(q.VisibleAt)
		if q.Before != nil && q.Before.PublishedAt.Before(upper) {
			upper = utc(q.Before.PublishedAt)
		}
		where = append(where, `s.state IN ('published', 'scheduled') AND s.published_at <= `+arg(upper))
	}
	if q.ActorID != "" {
		where = append(where, `s.actor_id = `+arg(q.ActorID))
	}
	if q.Language != "" {
		p := arg(q.Language)
		where = append(where, `(s.language = `+p+` OR EXISTS (SELECT 1 FROM statement_translations t
			WHERE t.statement_id = s.id AND t.language = `+p+`))`)
	}
	if q.Tag != "" {
		where = append(where, `EXISTS (SELECT 1 FROM statement_tags g WHERE g.statement_id = s.id AND g.tag = `+arg(q.Tag)+`)`)
	}
	if q.Before != nil {
		t, id := arg(utc(q.Before.PublishedAt)), arg(q.Before.ID)
		where = append(where, `(s.published_at < `+t+` OR (s.published_at = `+t+` AND s.id < `+id+`))`)
	}
	return where, args
}

// StatementsVersion is a cheap fingerprint of what a query selects, for
// caches of rendered lists (feeds). n is a version number, not a count of
// rows: it moves with every write to any statement, translation, tag or
// media row (the change counter of migration 0008) and when a statement of
// the selection comes due (the selection's newest publish time). newest,
// for Last-Modified, is the later of the newest write to any statement (an
// edit or a deletion anywhere may be the one that changed this selection)
// and that newest publish time. All are read in one query from indexes, in
// the same time with 100,000 statements as with 1,000; the selection's own
// newest edit would need a sort of the whole selection.
func (s *Store) StatementsVersion(ctx context.Context, q StatementQuery) (n int, newest time.Time, err error) {
	where, args := q.where()
	cond := strings.Join(where, " AND ")
	var edited, published any
	err = s.q.QueryRowContext(ctx, `SELECT (SELECT n FROM change_counters WHERE name = 'statements'),
		(SELECT s.updated_at FROM statements s ORDER BY s.updated_at DESC LIMIT 1),
		(SELECT s.published_at FROM statements s WHERE `+cond+` ORDER BY s.published_at DESC, s.id DESC LIMIT 1)`,
		args...).Scan(&n, &edited, &published)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("storage: statements version: %w", err)
	}
	newest, _ = timeValue(edited)
	p, ok := timeValue(published)
	if ok && p.After(newest) {
		newest = p
	}
	// The newest publish time moves when a scheduled statement comes due,
	// with nothing written; it is folded into n because newest, the time of
	// the last write, may already be later than that publish time.
	h := fnv.New64a()
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], uint64(n))
	if ok {
		binary.BigEndian.PutUint64(buf[8:], uint64(p.UnixMicro()))
	}
	h.Write(buf[:])
	return int(h.Sum64() >> 2), newest, nil
}

// DeleteStatement turns a statement into a tombstone: its content, translations
// and tags are erased, its id and slug stay taken so that they are never reused
// and its addresses answer 410 Gone. Deleting twice gives ErrNotFound.
func (s *Store) DeleteStatement(ctx context.Context, id string) (*Statement, error) {
	var st *Statement
	err := s.Tx(ctx, func(tx *Store) error {
		var err error
		st, err = tx.StatementByID(ctx, id)
		if err != nil {
			return err
		}
		if st.State == StateDeleted {
			return fmt.Errorf("storage: delete statement %s: %w", id, ErrNotFound)
		}
		t := s.now()
		if _, err := tx.q.ExecContext(ctx, `UPDATE statements SET state = 'deleted', title = '', summary = '',
			body_markdown = '', body_html = '', content_warning = '', pinned = FALSE, deleted_at = $2, updated_at = $2
			WHERE id = $1`, id, t); err != nil {
			return fmt.Errorf("storage: delete statement %s: %w", id, err)
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM statement_translations WHERE statement_id = $1`, id); err != nil {
			return fmt.Errorf("storage: delete statement %s: %w", id, err)
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM statement_tags WHERE statement_id = $1`, id); err != nil {
			return fmt.Errorf("storage: delete statement %s: %w", id, err)
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM statement_mentions WHERE statement_id = $1`, id); err != nil {
			return fmt.Errorf("storage: delete statement %s: %w", id, err)
		}
		st.State, st.DeletedAt, st.UpdatedAt = StateDeleted, &t, t
		return tx.indexStatement(ctx, st)
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// UpdateStatement saves an edit: every field an editor sets (slug, state,
// publish time and reply target included), and the translations and tags,
// which are replaced. The id and actor stay. A slug taken by another of the
// actor's statements gets a numeric suffix; the stored slug is written back.
// A draft may become scheduled or published; a federated statement may not
// go back to draft or scheduled, and nothing can be set deleted here (use
// DeleteStatement).
func (s *Store) UpdateStatement(ctx context.Context, st *Statement) error {
	switch st.State {
	case StateDraft, StateScheduled, StatePublished:
	default:
		return fmt.Errorf("storage: update statement %s: state %q cannot be set by an edit", st.ID, st.State)
	}
	if st.State != StateDraft && st.PublishedAt == nil {
		return fmt.Errorf("storage: update statement %s: a %s statement needs a publish time", st.ID, st.State)
	}
	return s.Tx(ctx, func(tx *Store) error {
		slug, err := tx.freeSlug(ctx, st.ActorID, st.Slug, st.ID)
		if err != nil {
			return err
		}
		st.Slug = slug
		st.UpdatedAt = s.now()
		// A statement whose Create has gone out stays published: the
		// fediverse has it, and only a Delete takes it back.
		res, err := tx.q.ExecContext(ctx, `UPDATE statements SET language = $2, title = $3, summary = $4,
			body_markdown = $5, body_html = $6, content_warning = $7, object_type = $8, pinned = $9,
			replies_enabled = $10, updated_at = $11, slug = $12, state = $13, published_at = $14, in_reply_to = $15
			WHERE id = $1 AND state <> 'deleted' AND (federated_at IS NULL OR $13 = 'published')`,
			st.ID, st.Language, st.Title, st.Summary, st.BodyMarkdown, st.BodyHTML, st.ContentWarning, st.ObjectType,
			st.Pinned, st.RepliesEnabled, st.UpdatedAt, st.Slug, st.State, timeArg(st.PublishedAt), st.InReplyTo)
		if err != nil {
			return fmt.Errorf("storage: update statement %s: %w", st.ID, err)
		}
		if err := mustAffect(res, "update statement "+st.ID); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM statement_translations WHERE statement_id = $1`, `DELETE FROM statement_tags WHERE statement_id = $1`} {
			if _, err := tx.q.ExecContext(ctx, q, st.ID); err != nil {
				return fmt.Errorf("storage: update statement %s: %w", st.ID, err)
			}
		}
		if err := tx.putTranslations(ctx, st); err != nil {
			return err
		}
		if err := tx.putMentions(ctx, st); err != nil {
			return err
		}
		if err := tx.putTags(ctx, st); err != nil {
			return err
		}
		return tx.indexStatement(ctx, st)
	})
}

// ClaimFederation marks a due statement as federated now and reports whether
// this caller won it: of several processes, exactly one sends its Create.
// A scheduled statement becomes published.
func (s *Store) ClaimFederation(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := s.q.ExecContext(ctx, `UPDATE statements SET federated_at = $2, state = 'published'
		WHERE id = $1 AND federated_at IS NULL AND state IN ('published', 'scheduled') AND published_at <= $2`, id, utc(at))
	if err != nil {
		return false, fmt.Errorf("storage: claim federation %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storage: claim federation %s: %w", id, err)
	}
	return n == 1, nil
}

// SetFederatedHash records what was last federated of a statement, and when
// it was edited if this was an edit.
func (s *Store) SetFederatedHash(ctx context.Context, id, hash string, editedAt *time.Time) error {
	_, err := s.q.ExecContext(ctx, `UPDATE statements SET federated_hash = $2, edited_at = COALESCE($3, edited_at)
		WHERE id = $1`, id, hash, timeArg(editedAt))
	if err != nil {
		return fmt.Errorf("storage: set federated hash %s: %w", id, err)
	}
	return nil
}

// DueStatements lists the ids of statements whose time has come but whose
// Create has not gone out yet (scheduled ones, or any left by a crash).
func (s *Store) DueStatements(ctx context.Context, at time.Time, limit int) ([]string, error) {
	return s.queryStrings(ctx, "storage: due statements", `SELECT id FROM statements WHERE federated_at IS NULL
		AND state IN ('published', 'scheduled') AND published_at <= $1 ORDER BY published_at, id LIMIT ($2 + 0)`, utc(at), limit)
}

// NextScheduled returns the publish time of the earliest statement still
// waiting for its Create to go out; ok is false when there is none.
func (s *Store) NextScheduled(ctx context.Context) (t time.Time, ok bool, err error) {
	// ORDER BY rather than MIN(): SQLite types the column, not the aggregate,
	// as a time.
	err = s.q.QueryRowContext(ctx, `SELECT published_at FROM statements WHERE federated_at IS NULL
		AND state IN ('published', 'scheduled') AND published_at IS NOT NULL ORDER BY published_at LIMIT 1`).Scan(&t)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("storage: next scheduled: %w", err)
	}
	return t.UTC(), true, nil
}

func scanStatement(r scanner) (*Statement, error) {
	var st Statement
	var pub, edit, del, fed sql.NullTime
	err := r.Scan(&st.ID, &st.ActorID, &st.ActorUsername, &st.Slug, &st.Language, &st.Title, &st.Summary,
		&st.BodyMarkdown, &st.BodyHTML, &st.ContentWarning, &st.ObjectType, &st.State, &st.Pinned,
		&st.RepliesEnabled, &st.InReplyTo, &pub, &edit, &del, &fed, &st.FederatedHash, &st.CreatedAt, &st.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	st.PublishedAt, st.EditedAt, st.DeletedAt, st.FederatedAt = nullTime(pub), nullTime(edit), nullTime(del), nullTime(fed)
	st.CreatedAt, st.UpdatedAt = st.CreatedAt.UTC(), st.UpdatedAt.UTC()
	return &st, nil
}

// Kinds of row in loadExtras' one query.
const (
	extraTranslation = 1
	extraTag         = 2
	extraMention     = 3
	extraMedia       = 4
)

// extrasQuery reads the translations, tags, mentions and media of a list
// of statements in one round trip: a UNION ALL of the four tables in
// common columns (kind, statement, six texts, three numbers, two times),
// in the order each kind is shown in. IN is replaced by the placeholders.
const extrasQuery = `SELECT 1 AS kind, statement_id, language AS a, title AS b, summary AS c, body_markdown AS d,
		body_html AS e, content_warning AS f, 0 AS i1, 0 AS i2, 0 AS i3, created_at AS t1, updated_at AS t2
		FROM statement_translations WHERE statement_id IN (IN)
	UNION ALL
	SELECT 2, statement_id, tag, display, '', '', '', '', 0, 0, 0, NULL, NULL
		FROM statement_tags WHERE statement_id IN (IN)
	UNION ALL
	SELECT 3, statement_id, handle, actor_iri, inbox, '', '', '', 0, 0, 0, NULL, NULL
		FROM statement_mentions WHERE statement_id IN (IN)
	UNION ALL
	SELECT 4, statement_id, id, actor_id, path, media_type, alt_text, blurhash, width, height, position, created_at, NULL
		FROM media WHERE statement_id IN (IN)
	ORDER BY 1, 11, 3`

// loadExtras fills the Translations, Tags, Mentions and Media of the given
// statements with one query.
func (s *Store) loadExtras(ctx context.Context, sts []*Statement) error {
	if len(sts) == 0 {
		return nil
	}
	byID := make(map[string]*Statement, len(sts))
	ph := make([]string, len(sts))
	args := make([]any, len(sts))
	for i, st := range sts {
		byID[st.ID] = st
		ph[i] = "$" + strconv.Itoa(i+1)
		args[i] = st.ID
	}
	rows, err := s.q.QueryContext(ctx, strings.ReplaceAll(extrasQuery, "(IN)", "("+strings.Join(ph, ", ")+")"), args...)
	if err != nil {
		return fmt.Errorf("load translations, tags, mentions and media: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, i1, i2, i3 int
		var id, a, b, c, d, e, f string
		var t1, t2 any
		if err := rows.Scan(&kind, &id, &a, &b, &c, &d, &e, &f, &i1, &i2, &i3, &t1, &t2); err != nil {
			return fmt.Errorf("load translations, tags, mentions and media: %w", err)
		}
		st := byID[id]
		if st == nil {
			continue
		}
		created, _ := timeValue(t1)
		updated, _ := timeValue(t2)
		switch kind {
		case extraTranslation:
			st.Translations = append(st.Translations, Translation{Language: a, Title: b, Summary: c, BodyMarkdown: d,
				BodyHTML: e, ContentWarning: f, CreatedAt: created, UpdatedAt: updated})
		case extraTag:
			st.Tags = append(st.Tags, Tag{Name: a, Display: b})
		case extraMention:
			st.Mentions = append(st.Mentions, Mention{Handle: a, ActorIRI: b, Inbox: c})
		case extraMedia:
			st.Media = append(st.Media, Media{ID: a, ActorID: b, StatementID: id, Path: c, MediaType: d, AltText: e,
				Blurhash: f, Width: i1, Height: i2, Position: i3, CreatedAt: created})
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load translations, tags, mentions and media: %w", err)
	}
	return nil
}

// CountVisible counts statements readers may see at time at, of one actor
// ("" for all). The count is kept until ReadersVersion moves, so the
// outbox head and NodeInfo do not count the whole table on every request.
func (s *Store) CountVisible(ctx context.Context, actorID string, at time.Time) (int, error) {
	return remember(ctx, s, "count-visible:"+actorID, at, func() (int, error) {
		var n int
		err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM statements WHERE state IN ('published', 'scheduled')
			AND published_at <= $1 AND ($2 = '' OR actor_id = $2)`, utc(at), actorID).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("storage: count statements: %w", err)
		}
		return n, nil
	})
}

// Languages lists the languages readers can read statements in at time at
// (primary languages and translations), most used first. Like CountVisible
// it is kept until ReadersVersion moves: the home page asks on every visit.
func (s *Store) Languages(ctx context.Context, at time.Time) ([]string, error) {
	list, err := remember(ctx, s, "languages", at, func() ([]string, error) {
		return s.queryStrings(ctx, "storage: languages", `SELECT lang FROM (
				SELECT s.language AS lang FROM statements s
				WHERE s.state IN ('published', 'scheduled') AND s.published_at <= $1
				UNION ALL
				SELECT t.language FROM statement_translations t JOIN statements s ON s.id = t.statement_id
				WHERE s.state IN ('published', 'scheduled') AND s.published_at <= $1
			) AS l GROUP BY lang ORDER BY COUNT(*) DESC, lang`, utc(at))
	})
	if err != nil {
		return nil, err
	}
	return append([]string(nil), list...), nil
}
