package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// ReadersVersion is a fingerprint of everything readers can see of the
// statements at time at: it changes with every write to statements, their
// translations, tags and media (a counter that triggers keep, migration
// 0008), and when a scheduled statement comes due (the newest visible
// publish time moves). It costs one indexed look-up, however many
// statements there are, so caches of rendered pages and of whole-table
// answers key on it instead of counting rows.
func (s *Store) ReadersVersion(ctx context.Context, at time.Time) (string, error) {
	var n int64
	var newest any
	err := s.q.QueryRowContext(ctx, `SELECT (SELECT n FROM change_counters WHERE name = 'statements'),
		(SELECT s.published_at FROM statements s WHERE s.state IN ('published', 'scheduled') AND s.published_at <= $1
		 ORDER BY s.published_at DESC, s.id DESC LIMIT 1)`, utc(at)).Scan(&n, &newest)
	if err != nil {
		return "", fmt.Errorf("storage: readers version: %w", err)
	}
	t, _ := timeValue(newest)
	return strconv.FormatInt(n, 10) + "/" + strconv.FormatInt(t.UnixMicro(), 10), nil
}

// timeValue reads a time from a column whose type the driver could not
// see (an expression or a UNION): PostgreSQL gives a time.Time, SQLite the
// stored integer microseconds (sqliteDSN's _time_integer_format). ok is
// false for NULL.
func timeValue(v any) (t time.Time, ok bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), true
	case int64:
		return time.UnixMicro(x).UTC(), true
	default:
		return time.Time{}, false
	}
}

// memo keeps answers computed over the whole statements table (how many
// are visible, which languages they are in) with the ReadersVersion they
// were computed at; a request whose version matches gets the kept answer
// for the price of the version look-up. Entries are few (one per actor at
// most), and the map is emptied should it ever grow past maxMemo.
type memo struct {
	mu      sync.Mutex
	entries map[string]memoEntry
}

const maxMemo = 4096

type memoEntry struct {
	version string
	value   any
}

// remember returns the kept value of key if it was computed at the current
// version, and otherwise computes, keeps and returns it. Inside a
// transaction it always computes: the transaction may see uncommitted
// changes, which must not be kept for others.
func remember[T any](ctx context.Context, s *Store, key string, at time.Time, compute func() (T, error)) (T, error) {
	if s.inTx || s.memo == nil {
		return compute()
	}
	version, err := s.ReadersVersion(ctx, at)
	if err != nil {
		var zero T
		return zero, err
	}
	s.memo.mu.Lock()
	e, ok := s.memo.entries[key]
	s.memo.mu.Unlock()
	if ok && e.version == version {
		return e.value.(T), nil
	}
	v, err := compute()
	if err != nil {
		return v, err
	}
	s.memo.mu.Lock()
	if s.memo.entries == nil || len(s.memo.entries) >= maxMemo {
		s.memo.entries = map[string]memoEntry{}
	}
	s.memo.entries[key] = memoEntry{version: version, value: v}
	s.memo.mu.Unlock()
	return v, nil
}

// NextVisible is the earliest publish time later than at of a statement
// that is not visible yet (scheduled), and false if there is none. A
// version that counts the visible statements at some time holds until
// then, whatever Generation says: a statement coming due changes what
// readers see without any write.
func (s *Store) NextVisible(ctx context.Context, at time.Time) (time.Time, bool, error) {
	var next any
	err := s.q.QueryRowContext(ctx, `SELECT s.published_at FROM statements s
		WHERE s.state IN ('published', 'scheduled') AND s.published_at > $1
		ORDER BY s.published_at LIMIT 1`, utc(at)).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("storage: next visible: %w", err)
	}
	t, ok := timeValue(next)
	return t, ok, nil
}
