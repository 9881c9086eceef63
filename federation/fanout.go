package federation

import (
	"context"
	"time"

	"github.com/tadamun/tadamun/storage"
)

// A fan-out to the followers goes in two steps (storage/fanout.go): the
// publishing transaction queues the first inboxes and records the fan-out
// (sendToFollowers), and once it has committed and the delivery workers
// have been woken, wake queues the rest in short transactions (every wake
// looks: one indexed read of a table that is nearly always empty). A
// record left behind (a crash in between, an error) is finished by the
// inbox worker (RunInbox, every fanOutStale) once it is fanOutStale old.

// fanOutStale is how old a recorded fan-out must be before the inbox
// worker finishes it, and how often it looks (a variable for tests).
var fanOutStale = 5 * time.Second

// finishFanOuts finishes the fan-outs recorded before startedBefore, with
// the domain policy as it stands in each transaction that queues rows.
// It returns how many rows it queued.
func (s *Service) finishFanOuts(ctx context.Context, startedBefore time.Time) int {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	policy := func(ctx context.Context, tx *storage.Store) (func(string) bool, error) { return refusedHosts(ctx, tx) }
	n, err := s.store.FinishFanOuts(ctx, startedBefore, policy)
	if err != nil && ctx.Err() == nil {
		s.log.ErrorContext(ctx, "fan-out: queue the remaining followers (the inbox worker will try again)", "err", err)
	}
	return n
}
