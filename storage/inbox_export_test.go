package storage

import "context"

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
