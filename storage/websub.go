package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// WebSub job kinds (websub_jobs.kind).
const (
	// WebSubVerify is a verification of intent: a GET to a would-be
	// subscriber's callback carrying a challenge it must echo.
	WebSubVerify = "verify"
	// WebSubPush is a content distribution: the topic's new feed POSTed to
	// one verified subscriber.
	WebSubPush = "push"
	// WebSubPing tells an external hub that a topic changed
	// (hub.mode=publish).
	WebSubPing = "ping"
)

// ErrWebSubFull is returned when a subscription request would pass one of
// the bounds on what outsiders can make the node keep; the error is a
// *WebSubFullError that says which.
var ErrWebSubFull = errors.New("websub: limit reached")

// WebSubFullError says which bound a subscription request would pass.
type WebSubFullError struct {
	Reason string // e.g. "100 subscriptions for callbacks on reader.example"
}

func (e *WebSubFullError) Error() string { return ErrWebSubFull.Error() + ": " + e.Reason }

// Is makes errors.Is(err, ErrWebSubFull) true.
func (e *WebSubFullError) Is(target error) bool { return target == ErrWebSubFull }

// WebSubLimits bound the hub's tables. A zero field means no bound.
type WebSubLimits struct {
	MaxSubscriptions int // verified subscriptions, all topics
	MaxPerHost       int // subscriptions and pending verifications of one callback host
	MaxPending       int // verifications not yet settled, all hosts
}

// WebSubIntent is a subscriber's request, kept until its intent is
// verified.
type WebSubIntent struct {
	Mode         string // "subscribe" or "unsubscribe"
	Topic        string
	Callback     string
	Host         string // the callback's host, for the per-host bound
	Secret       string
	LeaseSeconds int
}

// WebSubJob is one claimed row of the WebSub queue.
type WebSubJob struct {
	ID           int64
	Kind         string
	Topic        string
	Target       string // callback (verify, push) or hub (ping)
	Host         string
	Mode         string // verify only
	Secret       string // verify only: the secret asked for
	LeaseSeconds int    // verify only
	Attempts     int    // before this one
	CreatedAt    time.Time
}

// WebSubscription is a verified subscription.
type WebSubscription struct {
	ID           int64
	Topic        string
	Callback     string
	Host         string
	Secret       string
	LeaseSeconds int
	ExpiresAt    time.Time
	CreatedAt    time.Time
}

// QueueWebSubVerification queues the verification of a subscriber's
// intent. A newer request for the same topic and callback replaces one
// still waiting (the subscriber's last word counts). Subscriptions are
// refused with ErrWebSubFull past lim; an unsubscription only against the
// pending bound, since it can free a place and never takes one.
func (s *Store) QueueWebSubVerification(ctx context.Context, in WebSubIntent, lim WebSubLimits) error {
	now := s.now()
	err := s.Tx(ctx, func(tx *Store) error {
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM websub_jobs WHERE kind = 'verify' AND topic = $1 AND target = $2
			AND (locked_until IS NULL OR locked_until < $3)`, in.Topic, in.Callback, now); err != nil {
			return err
		}
		if err := tx.checkWebSubLimits(ctx, in, lim); err != nil {
			return err
		}
		_, err := tx.q.ExecContext(ctx, `INSERT INTO websub_jobs (kind, topic, target, host, mode, secret, lease_seconds,
			next_attempt_at, created_at, updated_at) VALUES ('verify', $1, $2, $3, $4, $5, $6, $7, $7, $7)`,
			in.Topic, in.Callback, in.Host, in.Mode, in.Secret, in.LeaseSeconds, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: queue websub verification: %w", err)
	}
	return nil
}

// checkWebSubLimits says which bound in would pass, if any.
func (s *Store) checkWebSubLimits(ctx context.Context, in WebSubIntent, lim WebSubLimits) error {
	count := func(query string, args ...any) (int, error) {
		var n int
		err := s.q.QueryRowContext(ctx, query, args...).Scan(&n)
		return n, err
	}
	if lim.MaxPending > 0 {
		n, err := count(`SELECT COUNT(*) FROM websub_jobs WHERE kind = 'verify'`)
		if err != nil {
			return err
		}
		if n >= lim.MaxPending {
			return &WebSubFullError{Reason: fmt.Sprintf("%d verifications already pending", n)}
		}
	}
	if in.Mode != "subscribe" {
		return nil
	}
	// A renewal takes no new place.
	renewal, err := count(`SELECT COUNT(*) FROM websub_subscriptions WHERE topic = $1 AND callback = $2`, in.Topic, in.Callback)
	if err != nil || renewal > 0 {
		return err
	}
	if lim.MaxSubscriptions > 0 {
		n, err := count(`SELECT COUNT(*) FROM websub_subscriptions`)
		if err != nil {
			return err
		}
		if n >= lim.MaxSubscriptions {
			return &WebSubFullError{Reason: fmt.Sprintf("the hub holds %d subscriptions", n)}
		}
	}
	if lim.MaxPerHost > 0 {
		n, err := count(`SELECT (SELECT COUNT(*) FROM websub_subscriptions WHERE host = $1)
			+ (SELECT COUNT(*) FROM websub_jobs WHERE kind = 'verify' AND host = $1)`, in.Host)
		if err != nil {
			return err
		}
		if n >= lim.MaxPerHost {
			return &WebSubFullError{Reason: fmt.Sprintf("%d subscriptions for callbacks on %s", n, in.Host)}
		}
	}
	return nil
}

const webSubJobColumns = `id, kind, topic, target, host, mode, secret, lease_seconds, attempts, created_at`

// ClaimWebSubJobs leases up to limit due jobs to workerID, oldest first.
// On PostgreSQL concurrent claimers skip each other's rows, so each job
// goes to one process; a process that dies leaves its rows to be claimed
// again once the lease has run out.
func (s *Store) ClaimWebSubJobs(ctx context.Context, workerID string, lease time.Duration, limit int) ([]*WebSubJob, error) {
	if limit <= 0 {
		return nil, nil
	}
	now := s.now()
	var out []*WebSubJob
	err := s.Tx(ctx, func(tx *Store) error {
		rows, err := tx.q.QueryContext(ctx, `UPDATE websub_jobs SET locked_until = $1, locked_by = $2, updated_at = $3
			WHERE id IN (SELECT id FROM websub_jobs WHERE next_attempt_at <= $3 AND (locked_until IS NULL OR locked_until < $3)
				ORDER BY next_attempt_at, id LIMIT `+bound("$4")+s.dialect.skipLocked+`)
			RETURNING `+webSubJobColumns, now.Add(lease), workerID, now, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var j WebSubJob
			if err := rows.Scan(&j.ID, &j.Kind, &j.Topic, &j.Target, &j.Host, &j.Mode, &j.Secret, &j.LeaseSeconds,
				&j.Attempts, &j.CreatedAt); err != nil {
				return err
			}
			out = append(out, &j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("storage: claim websub jobs: %w", err)
	}
	return out, nil
}

// FinishWebSubJob removes a settled job: sent, or given up.
func (s *Store) FinishWebSubJob(ctx context.Context, id int64) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM websub_jobs WHERE id = $1`, id); err != nil {
		return fmt.Errorf("storage: finish websub job %d: %w", id, err)
	}
	return nil
}

// RetryWebSubJob records a failed attempt and frees the job until next.
func (s *Store) RetryWebSubJob(ctx context.Context, id int64, status int, errText string, next time.Time) error {
	_, err := s.q.ExecContext(ctx, `UPDATE websub_jobs SET attempts = attempts + 1, last_status = $2, last_error = $3,
		next_attempt_at = $4, locked_until = NULL, locked_by = '', updated_at = $5 WHERE id = $1`,
		id, status, truncate(errText, 500), utc(next), s.now())
	if err != nil {
		return fmt.Errorf("storage: retry websub job %d: %w", id, err)
	}
	return nil
}

// ConfirmWebSubscription applies a verified intent and removes its job: a
// subscription becomes (or stays) active until now plus its lease, with
// the secret of this request; an unsubscription ends it.
func (s *Store) ConfirmWebSubscription(ctx context.Context, j *WebSubJob) error {
	now := s.now()
	err := s.Tx(ctx, func(tx *Store) error {
		var err error
		if j.Mode == "subscribe" {
			_, err = tx.q.ExecContext(ctx, `INSERT INTO websub_subscriptions (topic, callback, host, secret, lease_seconds,
				expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
				ON CONFLICT (topic, callback) DO UPDATE SET secret = excluded.secret, lease_seconds = excluded.lease_seconds,
				expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
				j.Topic, j.Target, j.Host, j.Secret, j.LeaseSeconds, now.Add(time.Duration(j.LeaseSeconds)*time.Second), now)
		} else {
			_, err = tx.q.ExecContext(ctx, `DELETE FROM websub_subscriptions WHERE topic = $1 AND callback = $2`, j.Topic, j.Target)
		}
		if err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `DELETE FROM websub_jobs WHERE id = $1`, j.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("storage: confirm websub %s of %s: %w", j.Mode, j.Target, err)
	}
	return nil
}

// ActiveWebSubscription returns the unexpired subscription of callback to
// topic, or ErrNotFound.
func (s *Store) ActiveWebSubscription(ctx context.Context, topic, callback string) (*WebSubscription, error) {
	var w WebSubscription
	err := s.q.QueryRowContext(ctx, `SELECT id, topic, callback, host, secret, lease_seconds, expires_at, created_at
		FROM websub_subscriptions WHERE topic = $1 AND callback = $2 AND expires_at > $3`, topic, callback, s.now()).
		Scan(&w.ID, &w.Topic, &w.Callback, &w.Host, &w.Secret, &w.LeaseSeconds, &w.ExpiresAt, &w.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage: websub subscription of %s: %w", callback, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: websub subscription of %s: %w", callback, err)
	}
	return &w, nil
}

// RemoveWebSubscription ends a subscription (its subscriber answered 410
// Gone to a push).
func (s *Store) RemoveWebSubscription(ctx context.Context, topic, callback string) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM websub_subscriptions WHERE topic = $1 AND callback = $2`, topic, callback); err != nil {
		return fmt.Errorf("storage: remove websub subscription: %w", err)
	}
	return nil
}

// WebSubscribedTopics lists the topics that have unexpired subscriptions.
func (s *Store) WebSubscribedTopics(ctx context.Context) ([]string, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT DISTINCT topic FROM websub_subscriptions WHERE expires_at > $1 ORDER BY topic`, s.now())
	if err != nil {
		return nil, fmt.Errorf("storage: websub topics: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("storage: websub topics: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: websub topics: %w", err)
	}
	return out, nil
}

// PruneWebSub deletes expired subscriptions, the pushes queued for them,
// and jobs created more than maxAge ago (still failing after a week of
// retries, like deliveries). It returns how many rows went.
func (s *Store) PruneWebSub(ctx context.Context, maxAge time.Duration) (int, error) {
	now := s.now()
	total := 0
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM websub_subscriptions WHERE expires_at <= $1`, []any{now}},
		{`DELETE FROM websub_jobs WHERE kind = 'push' AND NOT EXISTS (SELECT 1 FROM websub_subscriptions w
			WHERE w.topic = websub_jobs.topic AND w.callback = websub_jobs.target)`, nil},
		{`DELETE FROM websub_jobs WHERE created_at < $1 AND (locked_until IS NULL OR locked_until < $2)`, []any{now.Add(-maxAge), now}},
	} {
		res, err := s.q.ExecContext(ctx, q.sql, q.args...)
		if err != nil {
			return total, fmt.Errorf("storage: prune websub: %w", err)
		}
		n, _ := res.RowsAffected()
		total += int(n)
	}
	return total, nil
}

// CountWebSubTopics is how many feed selections have a recorded version;
// none means the node has never looked, and its first look is a baseline.
func (s *Store) CountWebSubTopics(ctx context.Context) (int, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM websub_topics`).Scan(&n); err != nil {
		return 0, fmt.Errorf("storage: count websub topics: %w", err)
	}
	return n, nil
}

// WebSubSelections lists the feed selections with a recorded version.
func (s *Store) WebSubSelections(ctx context.Context) ([]string, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT selection FROM websub_topics ORDER BY selection`)
	if err != nil {
		return nil, fmt.Errorf("storage: websub selections: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("storage: websub selections: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: websub selections: %w", err)
	}
	return out, nil
}

// AdvanceWebSubTopic records version as the content of a feed selection
// and, when that moved it (and notify is set), queues in the same
// transaction a push to every unexpired subscriber of topics (the
// selection's feed URLs) and a ping of every hub for each of topics. A
// push or ping still waiting for its first attempt is not queued twice:
// the feed is rendered when it is sent, so it will carry this change too.
//
// The move is a compare-and-set: when several processes see one change,
// one of them moves the row and queues; the others see it moved and do
// nothing. It reports whether this call moved it. A selection seen for the
// first time counts as moved.
func (s *Store) AdvanceWebSubTopic(ctx context.Context, selection, version string, topics, hubs []string, notify bool) (bool, error) {
	now := s.now()
	moved := false
	err := s.Tx(ctx, func(tx *Store) error {
		var old string
		err := tx.q.QueryRowContext(ctx, `SELECT version FROM websub_topics WHERE selection = $1`, selection).Scan(&old)
		var res sql.Result
		switch {
		case errors.Is(err, sql.ErrNoRows):
			res, err = tx.q.ExecContext(ctx, `INSERT INTO websub_topics (selection, version, checked_at) VALUES ($1, $2, $3)
				ON CONFLICT (selection) DO NOTHING`, selection, version, now)
		case err != nil:
			return err
		case old == version:
			return nil
		default:
			res, err = tx.q.ExecContext(ctx, `UPDATE websub_topics SET version = $1, checked_at = $2
				WHERE selection = $3 AND version = $4`, version, now, selection, old)
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		moved = true
		if !notify {
			return nil
		}
		for _, topic := range topics {
			if _, err := tx.q.ExecContext(ctx, `INSERT INTO websub_jobs (kind, topic, target, host, next_attempt_at, created_at, updated_at)
				SELECT 'push', w.topic, w.callback, w.host, $2, $2, $2 FROM websub_subscriptions w
				WHERE w.topic = $1 AND w.expires_at > $2 AND NOT EXISTS (SELECT 1 FROM websub_jobs j
					WHERE j.kind = 'push' AND j.topic = w.topic AND j.target = w.callback AND j.attempts = 0 AND j.locked_until IS NULL)`,
				topic, now); err != nil {
				return err
			}
			for _, hub := range hubs {
				if _, err := tx.q.ExecContext(ctx, `INSERT INTO websub_jobs (kind, topic, target, host, next_attempt_at, created_at, updated_at)
					SELECT 'ping', $1, $2, $3, $4, $4, $4 WHERE NOT EXISTS (SELECT 1 FROM websub_jobs j
						WHERE j.kind = 'ping' AND j.topic = $1 AND j.target = $2 AND j.attempts = 0 AND j.locked_until IS NULL)`,
					topic, hub, hostOf(hub), now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("storage: advance websub topic %s: %w", selection, err)
	}
	return moved, nil
}

// ChangedStatement is a statement written since some time, as the feeds
// it appears in see it.
type ChangedStatement struct {
	ID            string
	ActorUsername string
	Languages     []string // its own and its translations'
	Tags          []string // normalised
	// Rewritten is true for an edit or a deletion: the statement may have
	// left feeds (a tag removed, a tombstone's tags erased) that its
	// current selections no longer name.
	Rewritten bool
	UpdatedAt time.Time // its last write
}

// WebSubChangedStatements lists, up to limit and newest first, the
// statements readers may see (or saw: deletions) that were written at or
// after written (a time read from the statements, as newest returned it
// before: the writers' clock, whatever it is) or came due after due and
// by now (the readers' clock). newest is the latest write among them, or
// written when there is none; the next call passes it back.
func (s *Store) WebSubChangedStatements(ctx context.Context, written, due, now time.Time, limit int) (changed []ChangedStatement, newest time.Time, err error) {
	newest = written
	rows, err := s.q.QueryContext(ctx, `SELECT s.id, a.username, s.language, s.state, s.edited_at IS NOT NULL, s.updated_at
		FROM statements s JOIN actors a ON a.id = s.actor_id
		WHERE s.state IN ('published', 'scheduled', 'deleted') AND s.published_at <= $3
			AND (s.updated_at >= $1 OR s.published_at > $2)
		ORDER BY s.updated_at DESC LIMIT ($4 + 0)`, utc(written), utc(due), utc(now), limit)
	if err != nil {
		return nil, newest, fmt.Errorf("storage: websub changed statements: %w", err)
	}
	for rows.Next() {
		var c ChangedStatement
		var lang, state string
		var edited bool
		if err := rows.Scan(&c.ID, &c.ActorUsername, &lang, &state, &edited, &c.UpdatedAt); err != nil {
			rows.Close()
			return nil, newest, fmt.Errorf("storage: websub changed statements: %w", err)
		}
		c.Languages = []string{lang}
		c.Rewritten = edited || state == StateDeleted
		if c.UpdatedAt.After(newest) {
			newest = c.UpdatedAt
		}
		changed = append(changed, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, newest, fmt.Errorf("storage: websub changed statements: %w", err)
	}
	for i := range changed {
		c := &changed[i]
		langs, err := s.textColumn(ctx, `SELECT language FROM statement_translations WHERE statement_id = $1`, c.ID)
		if err != nil {
			return nil, newest, fmt.Errorf("storage: websub changed statements: %w", err)
		}
		c.Languages = append(c.Languages, langs...)
		if c.Tags, err = s.textColumn(ctx, `SELECT tag FROM statement_tags WHERE statement_id = $1`, c.ID); err != nil {
			return nil, newest, fmt.Errorf("storage: websub changed statements: %w", err)
		}
	}
	return changed, newest, nil
}

// textColumn runs a query of one text column.
func (s *Store) textColumn(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// hostOf is the lowercased host of a URL, "" if it has none.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}
