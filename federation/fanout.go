package federation

import (
	"context"
	"time"
)

// A fan-out to the followers goes in two steps (storage/fanout.go): the
// publishing transaction queues the first inboxes and records the fan-out
// (sendToFollowers), and once it has committed and the delivery workers
// have been woken, wake queues the rest in short transactions. A record
// left behind is finished by the inbox worker (RunInbox, every
// fanOutStale) once it is fanOutStale old: after a crash in between, an
// error, or when two transactions started fan-outs at once and the first
// wake ran before the second had committed.

// fanOutStale is how old a recorded fan-out must be before the inbox
// worker finishes it, and how often it looks (a variable for tests).
var fanOutStale = 5 * time.Second

// finishFanOuts finishes the fan-outs recorded before startedBefore, with
// the domain policy as it is now.
func (s *Service) finishFanOuts(ctx context.Context, startedBefore time.Time) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	refuse, err := refusedHosts(ctx, s.store)
	if err == nil {
		_, err = s.store.FinishFanOuts(ctx, startedBefore, refuse)
	}
	if err != nil && ctx.Err() == nil {
		s.log.ErrorContext(ctx, "fan-out: queue the remaining followers (the inbox worker will try again)", "err", err)
	}
}
