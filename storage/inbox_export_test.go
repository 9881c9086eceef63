package storage

import (
	"context"
	"time"
)

// What the inbox tests (package storage_test) look at inside the store.

// GateEntries is the bound of InboxGate's cache.
const GateEntries = gateEntries

// GateCacheLen is how many answers InboxGate's cache holds.
func (s *Store) GateCacheLen() int {
	s.gate.mu.Lock()
	defer s.gate.mu.Unlock()
	return len(s.gate.answers)
}

// CommitGroup commits acts as one group of inbound activities, as the
// leader of a group commit does, and returns each one's outcome.
func (s *Store) CommitGroup(ctx context.Context, acts []*Activity) (fresh []bool, errs []error) {
	batch := make([]*groupedSave, len(acts))
	for i, a := range acts {
		batch[i] = &groupedSave{a: a}
	}
	s.commitGroupSafe(ctx, batch)
	for _, w := range batch {
		fresh, errs = append(fresh, w.fresh), append(errs, w.err)
	}
	return fresh, errs
}

// GateQueries is how many gate queries (not counter polls) InboxGate has
// run on this Store.
func (s *Store) GateQueries() int64 { return s.gate.queries.Load() }

// AgeGatePoll makes InboxGate's last read of the change counter look d
// older than it is, as if that much real time had passed since. Not safe
// while InboxGate runs in another goroutine.
func (s *Store) AgeGatePoll(d time.Duration) { s.gate.start = s.gate.start.Add(-d) }

// GateStale is how long InboxGate's cache is served after the last
// successful read of the change counter.
const GateStale = gateStale

// HoldGatePoll takes the lock of InboxGate's poll, as a poll in flight
// would, until release is called.
func (s *Store) HoldGatePoll() (release func()) {
	s.gate.pollMu.Lock()
	return s.gate.pollMu.Unlock
}
