package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Delivery states. A row is pending until a worker delivers it (done) or
// gives up on it (failed); RetryDeliveries turns failed rows back into
// pending ones.
const (
	DeliveryPending = "pending"
	DeliveryDone    = "done"
	DeliveryFailed  = "failed"
)

// enqueueChunk is how many rows one INSERT of EnqueueDeliveries carries:
// each row takes two parameters (inbox, host) plus three shared ones, so a
// chunk stays far below SQLite's 32,766 and PostgreSQL's 65,535 limits while
// a 10,000-inbox fan-out is 20 statements.
const enqueueChunk = 500

// maxLastError is how much of an error text a delivery row keeps.
const maxLastError = 500

// Delivery is one outbound activity on its way to one inbox: the durable
// queue row that workers claim, post and settle.
type Delivery struct {
	ID            int64
	ActivityID    string
	SignerActorID string // our actor whose key signs the POST
	Inbox         string
	Host          string // lower-case host[:port] of Inbox; the unit of per-host limits and health
	State         string // DeliveryPending, DeliveryDone or DeliveryFailed
	Attempts      int
	NextAttemptAt time.Time
	LockedUntil   *time.Time // the lease of the worker that claimed it; nil when unclaimed
	LockedBy      string
	LastStatus    int // HTTP status of the last attempt; 0 when there was no answer
	LastError     string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// ClaimedDelivery is a leased delivery with what it takes to send it: the
// activity's JSON and the signing actor's key.
type ClaimedDelivery struct {
	Delivery
	Body              []byte
	SignerUsername    string
	SignerKeyPEM      string
	SignerIsInstance  bool
	ActivityCreatedAt time.Time
}

const deliveryColumns = `id, activity_id, signer_actor_id, inbox, host, state, attempts, next_attempt_at,
	locked_until, locked_by, last_status, last_error, created_at, updated_at`

// InboxHost is the host a delivery to inbox is accounted to: the URL's
// host[:port] in lower case, without the scheme's default port. It is ""
// for a string that is not an absolute URL; such a row is still queued, so
// that its failure shows in the delivery statistics instead of vanishing.
func InboxHost(inbox string) string {
	u, err := url.Parse(inbox)
	if err != nil || u.Host == "" {
		return ""
	}
	h := strings.ToLower(u.Host)
	switch {
	case u.Scheme == "https" && strings.HasSuffix(h, ":443"):
		h = strings.TrimSuffix(h, ":443")
	case u.Scheme == "http" && strings.HasSuffix(h, ":80"):
		h = strings.TrimSuffix(h, ":80")
	}
	return h
}

// EnqueueDeliveries queues an activity for each inbox, signed by
// signerActorID, due now. An inbox already queued for the activity (twice in
// the list, or by an earlier call) is skipped, so re-enqueueing is safe. It
// returns how many rows it added. All rows go in together: inside a Tx they
// commit with the activity; outside one it opens its own.
func (s *Store) EnqueueDeliveries(ctx context.Context, activityID, signerActorID string, inboxes []string) (int, error) {
	seen := make(map[string]bool, len(inboxes))
	uniq := make([]string, 0, len(inboxes))
	for _, in := range inboxes {
		if in != "" && !seen[in] {
			seen[in] = true
			uniq = append(uniq, in)
		}
	}
	if len(uniq) == 0 {
		return 0, nil
	}
	t := s.now()
	total := 0
	err := s.Tx(ctx, func(tx *Store) error {
		for start := 0; start < len(uniq); start += enqueueChunk {
			chunk := uniq[start:min(start+enqueueChunk, len(uniq))]
			var q strings.Builder
			q.WriteString(`INSERT INTO deliveries (activity_id, signer_actor_id, inbox, host, state, attempts,
				next_attempt_at, locked_by, last_status, last_error, created_at, updated_at) VALUES `)
			args := make([]any, 0, 3+2*len(chunk))
			args = append(args, activityID, signerActorID, t)
			for i, in := range chunk {
				if i > 0 {
					q.WriteString(", ")
				}
				n := len(args)
				q.WriteString("($1, $2, $" + strconv.Itoa(n+1) + ", $" + strconv.Itoa(n+2) + ", 'pending', 0, $3, '', 0, '', $3, $3)")
				args = append(args, in, InboxHost(in))
			}
			q.WriteString(" ON CONFLICT (activity_id, inbox) DO NOTHING")
			res, err := tx.q.ExecContext(ctx, q.String(), args...)
			if err != nil {
				return fmt.Errorf("storage: enqueue deliveries of %s: %w", activityID, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return fmt.Errorf("storage: enqueue deliveries of %s: %w", activityID, err)
			}
			total += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}

// EnqueueFollowerDeliveries queues an activity for every accepted follower
// in one transaction. Publishing now goes in two steps (StartFanOut, then
// FinishFanOuts; fanout.go), which queue the same rows; this one-step form
// stays for a caller that needs every row inside its own transaction, and
// as the reference the two-step tests compare with.
//
// It queues an activity for every accepted follower
// of actorID, signed by signerActorID, due now: one row per distinct inbox,
// the shared inbox of a follower that has one, else its own. Rows whose host
// refuse reports true (a blocked domain; nil refuses none) are left out. An
// inbox already queued for the activity is skipped. It returns how many
// rows it added. Like EnqueueDeliveries, all rows go in together, with the
// activity when called inside its Tx.
//
// A fan-out to 10,000 followers is one INSERT … SELECT DISTINCT: the
// inboxes are read from the covering indexes of migration 0009 and never
// cross into Go, and the host of each row is cut from its URL in SQL. That
// cut is exact only for a plain URL (lower-case http(s)://host[:port]/...,
// printable ASCII, no user info, escapes, query or fragment right after the
// host); the rare other inbox is queued with no host and then given the one
// InboxHost finds, so every row's host is what InboxHost says.
func (s *Store) EnqueueFollowerDeliveries(ctx context.Context, activityID, signerActorID, actorID string, refuse func(host string) bool) (int, error) {
	total := 0
	err := s.Tx(ctx, func(tx *Store) error {
		var err error
		total, err = tx.enqueueFollowers(ctx, activityID, refuse, fanOutInserts[s.dialect.name],
			actorID, activityID, signerActorID, s.now())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("storage: enqueue follower deliveries of %s: %w", activityID, err)
	}
	return total, nil
}

// enqueueFollowers runs a fan-out INSERT (fanOutInserts or
// fanOutFirstInserts, with its arguments) inside a transaction, gives the
// odd rows their hosts, drops the refused ones, and returns how many rows
// are left queued.
func (s *Store) enqueueFollowers(ctx context.Context, activityID string, refuse func(host string) bool, insert string, args ...any) (int, error) {
	res, err := s.q.ExecContext(ctx, insert, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if err := s.fillHosts(ctx, activityID); err != nil {
		return 0, err
	}
	if refuse == nil {
		return int(n), nil
	}
	gone, err := s.dropRefused(ctx, activityID, refuse)
	return int(n) - gone, err
}

// fillHosts gives the rows of an activity queued without a host the one
// InboxHost finds in their inbox ("" for a string that is no URL).
func (s *Store) fillHosts(ctx context.Context, activityID string) error {
	rows, err := s.q.QueryContext(ctx, `SELECT id, inbox FROM deliveries WHERE activity_id = $1 AND host = ''`, activityID)
	if err != nil {
		return err
	}
	type fix struct {
		id   int64
		host string
	}
	var fixes []fix
	for rows.Next() {
		var f fix
		var inbox string
		if err := rows.Scan(&f.id, &inbox); err != nil {
			rows.Close()
			return err
		}
		if f.host = InboxHost(inbox); f.host != "" {
			fixes = append(fixes, f)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, f := range fixes {
		if _, err := s.q.ExecContext(ctx, `UPDATE deliveries SET host = $2 WHERE id = $1`, f.id, f.host); err != nil {
			return err
		}
	}
	return nil
}

// dropRefused deletes the pending rows of an activity whose host refuse
// refuses, and returns how many went.
func (s *Store) dropRefused(ctx context.Context, activityID string, refuse func(host string) bool) (int, error) {
	hosts, err := s.queryStrings(ctx, "hosts of a fan-out",
		`SELECT DISTINCT host FROM deliveries WHERE activity_id = $1 AND state = 'pending'`, activityID)
	if err != nil {
		return 0, err
	}
	var refused []string
	for _, h := range hosts {
		if refuse(h) {
			refused = append(refused, h)
		}
	}
	gone := 0
	for start := 0; start < len(refused); start += enqueueChunk {
		chunk := refused[start:min(start+enqueueChunk, len(refused))]
		args := make([]any, 0, 1+len(chunk))
		args = append(args, activityID)
		for _, h := range chunk {
			args = append(args, h)
		}
		res, err := s.q.ExecContext(ctx, `DELETE FROM deliveries WHERE activity_id = $1 AND state = 'pending'
			AND host IN (`+placeholders(2, len(chunk))+`)`, args...)
		if err != nil {
			return gone, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return gone, err
		}
		gone += int(n)
	}
	return gone, nil
}

// fanOutInserts is the INSERT of EnqueueFollowerDeliveries in each dialect:
// $1 the followed actor, $2 the activity, $3 the signer, $4 now.
var fanOutInserts = map[string]string{
	// SQLite's planner, without statistics, prefers the unique index on
	// remote_actors.id and then reads every follower's table row; the
	// covering index answers from the index alone, three times faster.
	"sqlite": fanOutInsert("remote_actors r INDEXED BY remote_actors_inboxes_idx", "instr",
		"box GLOB '*[^ -~]*'", "auth GLOB '*[^a-z0-9.:-]*'", "auth GLOB '*:*[^0-9]*'", "$2, $3, $4", ""),
	// PostgreSQL types the parameters of a SELECT list only when told.
	"postgres": fanOutInsert("remote_actors r", "strpos",
		"box ~ '[^ -~]'", "auth ~ '[^a-z0-9.:-]'", "auth ~ ':.*[^0-9]'", "$2::text, $3::text, $4::timestamptz", ""),
}

// fanOutFirstInserts is the same INSERT for the first $5 distinct inboxes
// only (StartFanOut): the DISTINCT stops reading followers once it has
// found them.
var fanOutFirstInserts = map[string]string{
	"sqlite": fanOutInsert("remote_actors r INDEXED BY remote_actors_inboxes_idx", "instr",
		"box GLOB '*[^ -~]*'", "auth GLOB '*[^a-z0-9.:-]*'", "auth GLOB '*:*[^0-9]*'", "$2, $3, $4", " LIMIT "+bound("$5")),
	"postgres": fanOutInsert("remote_actors r", "strpos",
		"box ~ '[^ -~]'", "auth ~ '[^a-z0-9.:-]'", "auth ~ ':.*[^0-9]'", "$2::text, $3::text, $4::timestamptz", " LIMIT "+bound("$5")),
}

// fanOutInsert builds the fan-out's INSERT from a dialect's pieces: the
// joined table, its function finding a substring (SQLite instr, PostgreSQL
// strpos, same arguments), three tests that make a URL not plain (a
// character outside printable ASCII, a character no plain host[:port] has,
// a port that is not all digits), and the parameters activity, signer and
// now, typed; and a LIMIT on the distinct inboxes ("" for none).
func fanOutInsert(remote, find, unprintable, badHost, badPort, params, limit string) string {
	// boxes: the distinct inboxes; split: each one's scheme length (0 when
	// neither lower-case http:// nor https://); auths: the authority, up to
	// the first slash. auths is materialised: its columns are used many
	// times below, and inlined each use would cut the URL again.
	return `INSERT INTO deliveries (activity_id, signer_actor_id, inbox, host, state, attempts,
			next_attempt_at, locked_by, last_status, last_error, created_at, updated_at)
		WITH boxes AS (
			SELECT DISTINCT CASE WHEN r.shared_inbox <> '' THEN r.shared_inbox ELSE r.inbox END AS box
			FROM followers f JOIN ` + remote + ` ON r.id = f.remote_actor_id
			WHERE f.actor_id = $1 AND f.state = 'accepted' AND r.inbox <> ''` + limit + `),
		split AS (
			SELECT box, CASE WHEN substr(box, 1, 8) = 'https://' THEN 8 WHEN substr(box, 1, 7) = 'http://' THEN 7 ELSE 0 END AS skip
			FROM boxes),
		auths AS MATERIALIZED (
			SELECT box, skip, CASE WHEN ` + find + `(substr(box, skip + 1), '/') > 0
				THEN substr(box, skip + 1, ` + find + `(substr(box, skip + 1), '/') - 1)
				ELSE substr(box, skip + 1) END AS auth
			FROM split),
		p (activity, signer, t) AS (SELECT ` + params + `)
		SELECT activity, signer, box,
			CASE WHEN skip = 0 OR auth = '' OR ` + unprintable + ` OR ` + badHost + ` OR ` + badPort + ` THEN ''
				WHEN skip = 8 AND auth LIKE '%:443' THEN substr(auth, 1, length(auth) - 4)
				WHEN skip = 7 AND auth LIKE '%:80' THEN substr(auth, 1, length(auth) - 3)
				ELSE auth END,
			'pending', 0, t, '', 0, '', t, t
		FROM auths, p WHERE true
		ON CONFLICT (activity_id, inbox) DO NOTHING`
}

// ClaimDeliveries leases up to limit due deliveries to workerID for lease and
// returns them with their activity and signing key, oldest due first. Due
// means pending, next_attempt_at reached and no live lease. A leased row's
// next_attempt_at (and the NextAttemptAt returned) becomes the lease's end:
// if the worker dies, that is when the row is due again. Rows of hosts in
// skipHosts (the worker's busy hosts) are left alone, and so are rows of a
// host on hold (Host.HoldUntil still ahead; see HoldHost).
//
// At most one row per host is claimed per call, so that a backlog for one
// host cannot fill a worker's batch while other hosts wait; a worker with
// room for more calls again. Only the oldest 4×limit (at least 64) due rows
// are considered per call, which keeps a claim cheap however long the
// queue.
//
// On PostgreSQL, processes claim concurrently without blocking each other
// and never claim the same row (FOR UPDATE SKIP LOCKED); on SQLite the
// single writer serialises claims. A worker that dies leaves its rows to be
// claimed again when the lease runs out.
func (s *Store) ClaimDeliveries(ctx context.Context, workerID string, lease time.Duration, limit int, skipHosts []string) ([]*ClaimedDelivery, error) {
	if limit <= 0 {
		return nil, nil
	}
	t := s.now()
	args := []any{t.Add(lease), workerID, t, max(4*limit, 64), limit}
	skip := ""
	if len(skipHosts) > 0 {
		var b strings.Builder
		b.WriteString(" AND host NOT IN (")
		for i, h := range skipHosts {
			if i > 0 {
				b.WriteString(", ")
			}
			args = append(args, h)
			b.WriteString("$" + strconv.Itoa(len(args)))
		}
		b.WriteString(")")
		skip = b.String()
	}
	// The innermost SELECT takes (and on PostgreSQL locks, skipping rows
	// another claimer holds) the oldest due rows; the window keeps the
	// first of each host; the UPDATE leases those and returns them. Lease
	// and load share a transaction: a claim cut short (a cancelled
	// context) leaves no row leased to a worker that never learnt of it.
	//
	// A leased row is also due again only when its lease ends
	// (next_attempt_at = locked_until): that is when another worker may
	// take it if this one dies, and it moves the row to the back of the
	// due index. Left in front, the rows under way (a fan-out has a
	// hundred or so posted or waiting to be recorded) were read again,
	// row and host, by every claim before it reached one it could take.
	// Settling sets the due time anew (a retry) or ends the row.
	var out []*ClaimedDelivery
	err := s.TxRelaxed(ctx, func(tx *Store) error {
		rows, err := tx.q.QueryContext(ctx, `UPDATE deliveries SET locked_until = $1, next_attempt_at = $1, locked_by = $2, updated_at = $3
		WHERE id IN (SELECT id FROM (
			SELECT id, next_attempt_at, ROW_NUMBER() OVER (PARTITION BY host ORDER BY next_attempt_at, id) AS n FROM (
				SELECT id, host, next_attempt_at FROM deliveries d
				WHERE state = 'pending' AND next_attempt_at <= $3 AND (locked_until IS NULL OR locked_until < $3)
					AND NOT EXISTS (SELECT 1 FROM hosts h WHERE h.host = d.host AND h.hold_until > $3)`+skip+`
				ORDER BY next_attempt_at, id LIMIT `+bound("$4")+s.dialect.skipLocked+`) due
			) firsts WHERE n = 1 ORDER BY next_attempt_at, id LIMIT `+bound("$5")+`)
		RETURNING `+deliveryColumns, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c ClaimedDelivery
			if err := rows.Scan(deliveryDest(&c.Delivery)...); err != nil {
				rows.Close()
				return err
			}
			c.finish()
			out = append(out, &c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		return tx.completeClaimed(ctx, out)
	})
	if err != nil {
		return nil, fmt.Errorf("storage: claim deliveries: %w", err)
	}
	slices.SortFunc(out, func(a, b *ClaimedDelivery) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// completeClaimed adds to leased rows their activity's body and their
// signer's key, each read once per claim however many rows share it: a
// fan-out claims dozens of rows of one activity and one signer at a time,
// and they share one copy of the body and of the key, which nobody
// modifies.
func (s *Store) completeClaimed(ctx context.Context, list []*ClaimedDelivery) error {
	if len(list) == 0 {
		return nil
	}
	type activity struct {
		body    []byte
		created time.Time
	}
	type signer struct {
		username, pem string
		instance      bool
	}
	acts := map[string]*activity{}
	signers := map[string]*signer{}
	var actIDs, signerIDs []any
	for _, c := range list {
		if _, ok := acts[c.ActivityID]; !ok {
			acts[c.ActivityID] = nil
			actIDs = append(actIDs, c.ActivityID)
		}
		if _, ok := signers[c.SignerActorID]; !ok {
			signers[c.SignerActorID] = nil
			signerIDs = append(signerIDs, c.SignerActorID)
		}
	}
	rows, err := s.q.QueryContext(ctx, `SELECT id, body, created_at FROM activities WHERE id IN (`+placeholders(1, len(actIDs))+`)`, actIDs...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		var a activity
		if err := rows.Scan(&id, &a.body, &a.created); err != nil {
			rows.Close()
			return err
		}
		a.created = a.created.UTC()
		acts[id] = &a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = s.q.QueryContext(ctx, `SELECT id, username, private_key_pem, is_instance FROM actors WHERE id IN (`+placeholders(1, len(signerIDs))+`)`, signerIDs...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id string
		var g signer
		if err := rows.Scan(&id, &g.username, &g.pem, &g.instance); err != nil {
			rows.Close()
			return err
		}
		signers[id] = &g
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range list {
		// The foreign keys keep both: a row without them cannot be leased.
		a, g := acts[c.ActivityID], signers[c.SignerActorID]
		if a == nil || g == nil {
			return fmt.Errorf("delivery %d: its activity or signer is missing", c.ID)
		}
		c.Body, c.ActivityCreatedAt = a.body, a.created
		c.SignerUsername, c.SignerKeyPEM, c.SignerIsInstance = g.username, g.pem, g.instance
	}
	return nil
}

// ReleaseDeliveries hands back rows workerID claimed but did not attempt
// (it is shutting down): they are due again at once for any worker, and no
// attempt is counted. Rows another worker holds by now are left alone. It
// returns how many were released.
func (s *Store) ReleaseDeliveries(ctx context.Context, workerID string, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	args := make([]any, 0, len(ids)+2)
	args = append(args, workerID, s.now())
	for _, id := range ids {
		args = append(args, id)
	}
	res, err := s.q.ExecContext(ctx, `UPDATE deliveries SET locked_until = NULL, locked_by = '', next_attempt_at = $2, updated_at = $2
		WHERE locked_by = $1 AND state = 'pending' AND id IN (`+placeholders(3, len(ids))+`)`, args...)
	if err != nil {
		return 0, fmt.Errorf("storage: release deliveries: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: release deliveries: %w", err)
	}
	return int(n), nil
}

// DeliveryDone records a successful delivery: the row is done and its lease
// released.
func (s *Store) DeliveryDone(ctx context.Context, id int64, status int) error {
	return s.settle(ctx, "delivery done", id, DeliveryDone, status, "", nil)
}

// DeliveryRetry records a failed attempt that is worth repeating: the row
// stays pending, due again at next.
func (s *Store) DeliveryRetry(ctx context.Context, id int64, status int, errText string, next time.Time) error {
	return s.settle(ctx, "delivery retry", id, DeliveryPending, status, errText, &next)
}

// DeliveryFailed records that a delivery is given up: a permanent refusal,
// or too old to keep trying.
func (s *Store) DeliveryFailed(ctx context.Context, id int64, status int, errText string) error {
	return s.settle(ctx, "delivery failed", id, DeliveryFailed, status, errText, nil)
}

// settle ends an attempt: it counts it, stores its outcome and releases the
// lease. next, when set, moves the due time. A row that is gone (its
// activity was deleted meanwhile) gives ErrNotFound.
func (s *Store) settle(ctx context.Context, what string, id int64, state string, status int, errText string, next *time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE deliveries SET state = $2, attempts = attempts + 1,
			next_attempt_at = COALESCE($3, next_attempt_at), locked_until = NULL, locked_by = '',
			last_status = $4, last_error = $5, updated_at = $6
		WHERE id = $1`, id, state, timeArg(next), status, clip(errText, maxLastError), s.now())
	if err != nil {
		return fmt.Errorf("storage: %s %d: %w", what, id, err)
	}
	return mustAffect(res, fmt.Sprintf("%s %d", what, id))
}

// DeliveryByID returns one delivery, or ErrNotFound.
func (s *Store) DeliveryByID(ctx context.Context, id int64) (*Delivery, error) {
	var d Delivery
	err := s.q.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1`, id).Scan(deliveryDest(&d)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage: delivery %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: delivery %d: %w", id, err)
	}
	d.finish()
	return &d, nil
}

// DeliveriesOf lists the deliveries of an activity, by inbox.
func (s *Store) DeliveriesOf(ctx context.Context, activityID string) ([]*Delivery, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE activity_id = $1 ORDER BY inbox`, activityID)
	if err != nil {
		return nil, fmt.Errorf("storage: deliveries of %s: %w", activityID, err)
	}
	defer rows.Close()
	var out []*Delivery
	for rows.Next() {
		var d Delivery
		if err := rows.Scan(deliveryDest(&d)...); err != nil {
			return nil, fmt.Errorf("storage: deliveries of %s: %w", activityID, err)
		}
		d.finish()
		out = append(out, &d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: deliveries of %s: %w", activityID, err)
	}
	return out, nil
}

// RetryDeliveries makes the failed and pending deliveries to host ("" for
// every host) due now, for an operator who knows a host is back. Rows a
// worker holds right now are left to it. It returns how many rows changed.
func (s *Store) RetryDeliveries(ctx context.Context, host string) (int, error) {
	t := s.now()
	res, err := s.q.ExecContext(ctx, `UPDATE deliveries SET state = 'pending', next_attempt_at = $2, updated_at = $2
		WHERE state IN ('pending', 'failed') AND ($1 = '' OR host = $1) AND (locked_until IS NULL OR locked_until < $2)`,
		strings.ToLower(host), t)
	if err != nil {
		return 0, fmt.Errorf("storage: retry deliveries: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: retry deliveries: %w", err)
	}
	return int(n), nil
}

// ExpireDeliveries gives up on pending deliveries whose activity was created
// before createdBefore and that are waiting (due later, not held by a
// worker): rows backing off or parked behind an unavailable host past the
// age limit. Due rows are left for one last attempt. It returns how many
// rows it failed.
func (s *Store) ExpireDeliveries(ctx context.Context, createdBefore time.Time, errText string) (int, error) {
	t := s.now()
	res, err := s.q.ExecContext(ctx, `UPDATE deliveries SET state = 'failed', last_error = $2, updated_at = $3
		WHERE state = 'pending' AND next_attempt_at > $3 AND (locked_until IS NULL OR locked_until < $3)
			AND activity_id IN (SELECT id FROM activities WHERE created_at < $1)`,
		utc(createdBefore), clip(errText, maxLastError), t)
	if err != nil {
		return 0, fmt.Errorf("storage: expire deliveries: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: expire deliveries: %w", err)
	}
	return int(n), nil
}

// PurgeDeliveries deletes done deliveries settled before olderThan; failed
// rows stay for the operator to inspect or retry. It returns how many went.
func (s *Store) PurgeDeliveries(ctx context.Context, olderThan time.Time) (int, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM deliveries WHERE state = 'done' AND updated_at < $1`, utc(olderThan))
	if err != nil {
		return 0, fmt.Errorf("storage: purge deliveries: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: purge deliveries: %w", err)
	}
	return int(n), nil
}

// RemoveFollowersByInbox ends the follows of every remote actor whose own
// inbox is inbox, after that inbox answered 410 Gone: the account is gone.
// A shared inbox says nothing about any one account, so an inbox that some
// remote actor has as its shared inbox removes nobody. It returns how many
// follows ended.
func (s *Store) RemoveFollowersByInbox(ctx context.Context, inbox string) (int, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM followers WHERE remote_actor_id IN (
			SELECT id FROM remote_actors WHERE inbox = $1 AND shared_inbox <> $1)
		AND NOT EXISTS (SELECT 1 FROM remote_actors WHERE shared_inbox = $1)`, inbox)
	if err != nil {
		return 0, fmt.Errorf("storage: remove followers by inbox: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: remove followers by inbox: %w", err)
	}
	return int(n), nil
}

// DeliveryStats is the state of the delivery queue, for `tadamun
// deliveries` and the queue gauge.
type DeliveryStats struct {
	Pending       int
	Leased        int // pending rows a worker holds right now
	Done          int
	Failed        int
	OldestPending *time.Time // when the oldest pending row was queued; nil when none is
	Hosts         []HostDeliveryStats
}

// HostDeliveryStats is the queue of one host.
type HostDeliveryStats struct {
	Host             string
	Pending          int
	Failed           int
	LastStatus       int    // of the host's most recently settled unsuccessful row
	LastError        string // likewise
	UnavailableSince *time.Time
}

// statsHosts is how many hosts DeliveryStats lists.
const statsHosts = 20

// DeliveryStats counts the queue by state and lists the hosts with the most
// pending rows (then the most failed), up to 20, each with its last error.
func (s *Store) DeliveryStats(ctx context.Context) (*DeliveryStats, error) {
	t := s.now()
	var st DeliveryStats
	rows, err := s.q.QueryContext(ctx, `SELECT state, COUNT(*),
			SUM(CASE WHEN locked_until IS NOT NULL AND locked_until >= $1 THEN 1 ELSE 0 END)
		FROM deliveries GROUP BY state`, t)
	if err != nil {
		return nil, fmt.Errorf("storage: delivery stats: %w", err)
	}
	for rows.Next() {
		var state string
		var n, leased int
		if err := rows.Scan(&state, &n, &leased); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: delivery stats: %w", err)
		}
		switch state {
		case DeliveryPending:
			st.Pending, st.Leased = n, leased
		case DeliveryDone:
			st.Done = n
		case DeliveryFailed:
			st.Failed = n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: delivery stats: %w", err)
	}
	if st.Pending > 0 {
		var oldest time.Time
		err := s.q.QueryRowContext(ctx, `SELECT created_at FROM deliveries WHERE state = 'pending'
			ORDER BY created_at, id LIMIT 1`).Scan(&oldest)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("storage: delivery stats: %w", err)
		}
		if err == nil {
			oldest = oldest.UTC()
			st.OldestPending = &oldest
		}
	}
	rows, err = s.q.QueryContext(ctx, `SELECT g.host, g.pending, g.failed,
			COALESCE((SELECT l.last_status FROM deliveries l WHERE l.host = g.host AND l.state <> 'done' AND l.last_error <> ''
				ORDER BY l.updated_at DESC, l.id DESC LIMIT 1), 0),
			COALESCE((SELECT l.last_error FROM deliveries l WHERE l.host = g.host AND l.state <> 'done' AND l.last_error <> ''
				ORDER BY l.updated_at DESC, l.id DESC LIMIT 1), ''),
			h.unavailable_since
		FROM (SELECT host, SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS pending,
				SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) AS failed
			FROM deliveries WHERE state IN ('pending', 'failed') GROUP BY host
			ORDER BY pending DESC, failed DESC, host LIMIT ($1 + 0)) g
		LEFT JOIN hosts h ON h.host = g.host
		ORDER BY g.pending DESC, g.failed DESC, g.host`, statsHosts)
	if err != nil {
		return nil, fmt.Errorf("storage: delivery stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h HostDeliveryStats
		var since sql.NullTime
		if err := rows.Scan(&h.Host, &h.Pending, &h.Failed, &h.LastStatus, &h.LastError, &since); err != nil {
			return nil, fmt.Errorf("storage: delivery stats: %w", err)
		}
		h.UnavailableSince = nullTime(since)
		st.Hosts = append(st.Hosts, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: delivery stats: %w", err)
	}
	return &st, nil
}

// deliveryDest lists the scan targets for deliveryColumns; finish completes
// the row after the scan.
func deliveryDest(d *Delivery) []any {
	return []any{&d.ID, &d.ActivityID, &d.SignerActorID, &d.Inbox, &d.Host, &d.State, &d.Attempts, &d.NextAttemptAt,
		optTime{&d.LockedUntil}, &d.LockedBy, &d.LastStatus, &d.LastError, &d.CreatedAt, &d.UpdatedAt}
}

func (d *Delivery) finish() {
	d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = d.NextAttemptAt.UTC(), d.CreatedAt.UTC(), d.UpdatedAt.UTC()
}

// optTime scans a nullable time column straight into a *time.Time.
type optTime struct{ p **time.Time }

func (o optTime) Scan(v any) error {
	var n sql.NullTime
	if err := n.Scan(v); err != nil {
		return err
	}
	*o.p = nullTime(n)
	return nil
}

// placeholders is "$from, $from+1, ..." for n parameters.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

// clip makes s storable in a TEXT column of both databases (PostgreSQL
// refuses invalid UTF-8 and NUL bytes) and shortens it to at most n bytes
// without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if r != utf8.RuneError || size > 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}

// DeliveredAnswer is one successful delivery for DeliveriesDone: the row
// and the 2xx status its inbox answered.
type DeliveredAnswer struct {
	ID     int64
	Status int
	Host   string
}

// settleChunk bounds the ids one batched UPDATE carries.
const settleChunk = 500

// DeliveriesDone records a batch of successful deliveries at once: each row
// becomes done, its lease released, as DeliveryDone does for one; and each
// distinct host among them is recorded as having answered, as
// HostSucceeded does for one. It costs one UPDATE per distinct status and
// one upsert of the hosts, instead of three statements per row, which is
// what lets a fan-out settle as fast as it signs. It returns the ids it
// found; a row missing from the result is gone (its activity was deleted
// meanwhile). Call it inside a Tx to settle the batch atomically.
func (s *Store) DeliveriesDone(ctx context.Context, done []DeliveredAnswer) (map[int64]bool, error) {
	found := make(map[int64]bool, len(done))
	if len(done) == 0 {
		return found, nil
	}
	t := s.now()
	byStatus := map[int][]int64{}
	var statuses []int
	for _, d := range done {
		if _, ok := byStatus[d.Status]; !ok {
			statuses = append(statuses, d.Status)
		}
		byStatus[d.Status] = append(byStatus[d.Status], d.ID)
	}
	err := s.TxRelaxed(ctx, func(tx *Store) error {
		for _, status := range statuses {
			ids := byStatus[status]
			for start := 0; start < len(ids); start += settleChunk {
				chunk := ids[start:min(start+settleChunk, len(ids))]
				args := make([]any, 0, 2+len(chunk))
				args = append(args, status, t)
				for _, id := range chunk {
					args = append(args, id)
				}
				rows, err := tx.q.QueryContext(ctx, `UPDATE deliveries SET state = 'done', attempts = attempts + 1,
						locked_until = NULL, locked_by = '', last_status = $1, last_error = '', updated_at = $2
					WHERE id IN (`+placeholders(3, len(chunk))+`) RETURNING id`, args...)
				if err != nil {
					return err
				}
				for rows.Next() {
					var id int64
					if err := rows.Scan(&id); err != nil {
						rows.Close()
						return err
					}
					found[id] = true
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					return err
				}
			}
		}
		seen := map[string]bool{}
		var hosts []string
		for _, d := range done {
			if d.Host != "" && found[d.ID] && !seen[d.Host] {
				seen[d.Host] = true
				hosts = append(hosts, d.Host)
			}
		}
		return tx.hostsAnswered(ctx, hosts, t)
	})
	if err != nil {
		return nil, fmt.Errorf("storage: deliveries done: %w", err)
	}
	return found, nil
}

// hostsAnswered is HostSucceeded for many hosts, inside a transaction: the
// held ones among them have their pushed-back rows made due, and every one
// has its run of failures ended. Hosts are written in sorted order, so that
// two processes settling overlapping batches on PostgreSQL take the row
// locks in the same order and cannot deadlock.
func (s *Store) hostsAnswered(ctx context.Context, hosts []string, t time.Time) error {
	if len(hosts) == 0 {
		return nil
	}
	slices.Sort(hosts)
	for start := 0; start < len(hosts); start += settleChunk {
		chunk := hosts[start:min(start+settleChunk, len(hosts))]
		args := make([]any, 0, len(chunk))
		for _, h := range chunk {
			args = append(args, h)
		}
		// Usually no host of the batch was held: one indexed look-up each,
		// and no scan of the queue.
		rows, err := s.q.QueryContext(ctx, `SELECT host FROM hosts WHERE unavailable_since IS NOT NULL
			AND host IN (`+placeholders(1, len(chunk))+`) ORDER BY host`, args...)
		if err != nil {
			return err
		}
		var held []string
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return err
			}
			held = append(held, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, h := range held {
			// Rows under way (leased, due at their lease's end) stay so.
			if _, err := s.q.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = $2, updated_at = $2
				WHERE host = $1 AND state = 'pending' AND next_attempt_at > $2
					AND (locked_until IS NULL OR locked_until < $2)`, h, t); err != nil {
				return err
			}
		}
		var q strings.Builder
		q.WriteString(`INSERT INTO hosts (host, failures, last_success_at, updated_at) VALUES `)
		args = append(args[:0], t, t.Add(-successRefresh))
		for i, h := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			args = append(args, h)
			q.WriteString("($" + strconv.Itoa(len(args)) + ", 0, $1, $1)")
		}
		q.WriteString(` ON CONFLICT (host) DO UPDATE SET failures = 0, failing_since = NULL, unavailable_since = NULL,
				hold_until = NULL, last_error = '', last_success_at = excluded.last_success_at, updated_at = excluded.updated_at
			WHERE hosts.failures <> 0 OR hosts.unavailable_since IS NOT NULL OR hosts.hold_until IS NOT NULL
				OR hosts.last_success_at IS NULL OR hosts.last_success_at < $2`)
		if _, err := s.q.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}
