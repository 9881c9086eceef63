package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The dead-host rule. A host is marked unavailable when it has failed
// HostFailureThreshold deliveries in a row (no answer, 408, 429 or 5xx) and
// those failures span at least HostFailureSpan, so that a restart or a short
// outage, however many deliveries it fails, does not count. While it is
// unavailable it gets one attempt per HostRetryInterval (ClaimDeliveries
// leaves its rows alone in between, and the worker pushes them back); the
// first success makes it available again and its waiting rows due at once.
//
// The span is measured from the first failure of the current run
// (hosts.failing_since, set when the run starts and cleared by a success).
const (
	HostFailureThreshold = 10
	HostFailureSpan      = time.Hour
	HostRetryInterval    = time.Hour
)

// successRefresh is how stale hosts.last_success_at may get before a success
// writes it again: a healthy host then costs no write per delivery.
const successRefresh = time.Minute

// Host is what we know of a remote host's health.
type Host struct {
	Host             string
	Failures         int // failed deliveries in a row since the last success
	UnavailableSince *time.Time
	LastSuccessAt    *time.Time
	LastFailureAt    *time.Time
	UpdatedAt        time.Time
}

const hostColumns = `host, failures, unavailable_since, last_success_at, last_failure_at, updated_at`

// HostSucceeded records that host took a delivery: its run of failures ends,
// and if it was unavailable it is available again and its pending
// deliveries, pushed back while it was down, become due now.
func (s *Store) HostSucceeded(ctx context.Context, host string) error {
	t := s.now()
	return s.Tx(ctx, func(tx *Store) error {
		// Only a host that was unavailable has rows pushed back; the EXISTS
		// is evaluated once, so a healthy host costs no scan.
		_, err := tx.q.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = $2, updated_at = $2
			WHERE host = $1 AND state = 'pending' AND next_attempt_at > $2
				AND EXISTS (SELECT 1 FROM hosts WHERE hosts.host = $1 AND hosts.unavailable_since IS NOT NULL)`, host, t)
		if err != nil {
			return fmt.Errorf("storage: host %s succeeded: %w", host, err)
		}
		_, err = tx.q.ExecContext(ctx, `INSERT INTO hosts (host, failures, last_success_at, updated_at) VALUES ($1, 0, $2, $2)
			ON CONFLICT (host) DO UPDATE SET failures = 0, failing_since = NULL, unavailable_since = NULL,
				last_success_at = excluded.last_success_at, updated_at = excluded.updated_at
			WHERE hosts.failures <> 0 OR hosts.unavailable_since IS NOT NULL OR hosts.last_success_at IS NULL
				OR hosts.last_success_at < $3`, host, t, t.Add(-successRefresh))
		if err != nil {
			return fmt.Errorf("storage: host %s succeeded: %w", host, err)
		}
		return nil
	})
}

// HostFailed records a failed delivery to host and applies the dead-host
// rule. It returns the failures in a row so far and, when the host is
// (now or already) unavailable, since when.
func (s *Store) HostFailed(ctx context.Context, host string) (failures int, unavailableSince *time.Time, err error) {
	t := s.now()
	var since sql.NullTime
	err = s.q.QueryRowContext(ctx, `INSERT INTO hosts (host, failures, failing_since, last_failure_at, updated_at)
		VALUES ($1, 1, $2, $2, $2)
		ON CONFLICT (host) DO UPDATE SET failures = hosts.failures + 1, last_failure_at = excluded.last_failure_at,
			updated_at = excluded.updated_at,
			failing_since = CASE WHEN hosts.failures = 0 OR hosts.failing_since IS NULL
				THEN excluded.failing_since ELSE hosts.failing_since END,
			unavailable_since = CASE
				WHEN hosts.unavailable_since IS NOT NULL THEN hosts.unavailable_since
				WHEN hosts.failures + 1 >= $3 AND hosts.failing_since IS NOT NULL AND hosts.failing_since <= $4
					THEN excluded.updated_at
				END
		RETURNING failures, unavailable_since`, host, t, HostFailureThreshold, t.Add(-HostFailureSpan)).Scan(&failures, &since)
	if err != nil {
		return 0, nil, fmt.Errorf("storage: host %s failed: %w", host, err)
	}
	return failures, nullTime(since), nil
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

// UnavailableHosts lists the hosts marked unavailable, by name.
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
	var since, ok, bad sql.NullTime
	if err := r.Scan(&h.Host, &h.Failures, &since, &ok, &bad, &h.UpdatedAt); err != nil {
		return nil, err
	}
	h.UnavailableSince, h.LastSuccessAt, h.LastFailureAt = nullTime(since), nullTime(ok), nullTime(bad)
	h.UpdatedAt = h.UpdatedAt.UTC()
	return &h, nil
}
