package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// successRefresh is how stale hosts.last_success_at may get before a success
// writes it again: a healthy host then costs no write per delivery.
const successRefresh = time.Minute

// Host is what we know of a remote host's health. The store records these
// facts and answers questions about them; what they mean (when a host
// counts as dead, how long it is held) is decided by the delivery worker.
type Host struct {
	Host     string
	Failures int // failed deliveries in a row since the last success
	// FailingSince is the first failure of the current run of failures;
	// nil when the last delivery succeeded.
	FailingSince *time.Time
	// UnavailableSince is when the host was first put on hold in the
	// current run of failures; nil when it is not on hold.
	UnavailableSince *time.Time
	// HoldUntil is when the host's deliveries may be claimed again; nil or
	// past when they may be claimed now.
	HoldUntil     *time.Time
	LastSuccessAt *time.Time
	LastFailureAt *time.Time
	LastError     string // of the latest failure of the current run
	UpdatedAt     time.Time
}

const hostColumns = `host, failures, failing_since, unavailable_since, hold_until, last_success_at, last_failure_at,
	last_error, updated_at`

// HostSucceeded records that host took a delivery: its run of failures ends,
// any hold is lifted, and the pending deliveries pushed back while it was
// held become due now.
func (s *Store) HostSucceeded(ctx context.Context, host string) error {
	t := s.now()
	return s.Tx(ctx, func(tx *Store) error {
		// Only a host that was held has rows pushed back; the EXISTS is
		// evaluated once, so a healthy host costs no scan.
		_, err := tx.q.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = $2, updated_at = $2
			WHERE host = $1 AND state = 'pending' AND next_attempt_at > $2 AND (locked_until IS NULL OR locked_until < $2)
				AND EXISTS (SELECT 1 FROM hosts WHERE hosts.host = $1 AND hosts.unavailable_since IS NOT NULL)`, host, t)
		if err != nil {
			return fmt.Errorf("storage: host %s succeeded: %w", host, err)
		}
		_, err = tx.q.ExecContext(ctx, `INSERT INTO hosts (host, failures, last_success_at, updated_at) VALUES ($1, 0, $2, $2)
			ON CONFLICT (host) DO UPDATE SET failures = 0, failing_since = NULL, unavailable_since = NULL,
				hold_until = NULL, last_error = '', last_success_at = excluded.last_success_at, updated_at = excluded.updated_at
			WHERE hosts.failures <> 0 OR hosts.unavailable_since IS NOT NULL OR hosts.hold_until IS NOT NULL
				OR hosts.last_success_at IS NULL OR hosts.last_success_at < $3`, host, t, t.Add(-successRefresh))
		if err != nil {
			return fmt.Errorf("storage: host %s succeeded: %w", host, err)
		}
		return nil
	})
}

// HostFailed records a failed delivery to host: one more failure in the
// current run (which starts now if there was none), with its error text.
// It returns the host as it now stands, for the worker to judge.
func (s *Store) HostFailed(ctx context.Context, host, errText string) (*Host, error) {
	t := s.now()
	h, err := scanHost(s.q.QueryRowContext(ctx, `INSERT INTO hosts (host, failures, failing_since, last_failure_at, last_error, updated_at)
		VALUES ($1, 1, $2, $2, $3, $2)
		ON CONFLICT (host) DO UPDATE SET failures = hosts.failures + 1, last_failure_at = excluded.last_failure_at,
			last_error = excluded.last_error, updated_at = excluded.updated_at,
			failing_since = CASE WHEN hosts.failures = 0 OR hosts.failing_since IS NULL
				THEN excluded.failing_since ELSE hosts.failing_since END
		RETURNING `+hostColumns, host, t, clip(errText, maxLastError)))
	if err != nil {
		return nil, fmt.Errorf("storage: host %s failed: %w", host, err)
	}
	return h, nil
}

// HoldHost puts host on hold until until: ClaimDeliveries leaves its rows
// alone before then. The host is unavailable from the first hold of a run
// of failures until its next success (HostSucceeded). It returns since
// when the host is unavailable.
func (s *Store) HoldHost(ctx context.Context, host string, until time.Time) (time.Time, error) {
	t := s.now()
	var since time.Time
	err := s.q.QueryRowContext(ctx, `INSERT INTO hosts (host, failures, unavailable_since, hold_until, updated_at)
		VALUES ($1, 0, $2, $3, $2)
		ON CONFLICT (host) DO UPDATE SET hold_until = excluded.hold_until, updated_at = excluded.updated_at,
			unavailable_since = COALESCE(hosts.unavailable_since, excluded.unavailable_since)
		RETURNING unavailable_since`, host, t, utc(until)).Scan(&since)
	if err != nil {
		return time.Time{}, fmt.Errorf("storage: hold host %s: %w", host, err)
	}
	return since.UTC(), nil
}

// HostAvailable reports whether host is not marked unavailable. A host we
// know nothing about is available.
func (s *Store) HostAvailable(ctx context.Context, host string) (bool, error) {
	var since sql.NullTime
	err := s.q.QueryRowContext(ctx, `SELECT unavailable_since FROM hosts WHERE host = $1`, host).Scan(&since)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("storage: host %s available: %w", host, err)
	}
	return !since.Valid, nil
}

// HostByName returns what is known of a host, or ErrNotFound.
func (s *Store) HostByName(ctx context.Context, host string) (*Host, error) {
	h, err := scanHost(s.q.QueryRowContext(ctx, `SELECT `+hostColumns+` FROM hosts WHERE host = $1`, host))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("storage: host %s: %w", host, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: host %s: %w", host, err)
	}
	return h, nil
}

// UnavailableHosts lists the hosts on hold (unavailable), by name.
func (s *Store) UnavailableHosts(ctx context.Context) ([]*Host, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT `+hostColumns+` FROM hosts WHERE unavailable_since IS NOT NULL ORDER BY host`)
	if err != nil {
		return nil, fmt.Errorf("storage: unavailable hosts: %w", err)
	}
	defer rows.Close()
	var out []*Host
	for rows.Next() {
		h, err := scanHost(rows)
		if err != nil {
			return nil, fmt.Errorf("storage: unavailable hosts: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: unavailable hosts: %w", err)
	}
	return out, nil
}

// PostponeHost moves the pending deliveries to host that are due before
// until, and not held by a worker, to until: the worker parks an unavailable
// host's queue this way until its next probe. It returns how many moved.
func (s *Store) PostponeHost(ctx context.Context, host string, until time.Time) (int, error) {
	t := s.now()
	res, err := s.q.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = $2, updated_at = $3
		WHERE host = $1 AND state = 'pending' AND next_attempt_at < $2 AND (locked_until IS NULL OR locked_until < $3)`,
		host, utc(until), t)
	if err != nil {
		return 0, fmt.Errorf("storage: postpone host %s: %w", host, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("storage: postpone host %s: %w", host, err)
	}
	return int(n), nil
}

func scanHost(r scanner) (*Host, error) {
	var h Host
	err := r.Scan(&h.Host, &h.Failures, optTime{&h.FailingSince}, optTime{&h.UnavailableSince}, optTime{&h.HoldUntil},
		optTime{&h.LastSuccessAt}, optTime{&h.LastFailureAt}, &h.LastError, &h.UpdatedAt)
	if err != nil {
		return nil, err
	}
	h.UpdatedAt = h.UpdatedAt.UTC()
	return &h, nil
}
