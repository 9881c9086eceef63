package federation

import (
	"context"
	"fmt"
	"time"

	"github.com/tadamun/tadamun/storage"
)

// Scheduled statements go out at their time, whichever process scheduled
// them.
//
// The scheduler sleeps until the earliest statement it knows of is due.
// A statement scheduled after it computed that wait (by the admin of this
// or another serve process on the same PostgreSQL, or by `tadamun
// statement ... --at` writing the same SQLite file) would otherwise be
// found only at the next poll, up to half a minute late. So while it
// sleeps, the scheduler looks every schedulerTick at the store's data
// generation (storage.Store.Generation), which moves at once for this
// process's writes and within storage.GenerationBound for anyone else's,
// on both databases. Only when it moved does it read the next scheduled
// time again (one look-up on the due index). Idle, that costs one probe of
// the generation per tick (PRAGMA data_version on SQLite, the current
// snapshot on PostgreSQL), shared with the response cache, which asks the
// same question.
//
// Several schedulers may run on one database at once: each statement's
// Create is sent by exactly one of them, the one whose claim
// (storage.Store.ClaimFederation, an UPDATE guarded by federated_at IS
// NULL, in the transaction that stores the Create and its deliveries)
// changed the row. The others' claims change nothing, and they send
// nothing.

// schedulerTick is how often a sleeping scheduler looks at the data
// generation: a statement scheduled less than this ahead by another
// process goes out at most this (plus storage.GenerationBound) late; one
// scheduled further ahead goes out at its time.
const schedulerTick = 500 * time.Millisecond

// schedulerRetry is the least wait after a round of FederateDue failed, so
// a statement that cannot be sent is not retried in a tight loop.
const schedulerRetry = time.Second

// schedulerFloor is the least wait otherwise: more than a hundred due
// statements (FederateDue's batch) are sent batch after batch.
const schedulerFloor = 10 * time.Millisecond

// generationSource is a store that keeps a data generation:
// *storage.Store.
type generationSource interface {
	Generation(ctx context.Context) (uint64, error)
}

// FederateDue sends the Create of every statement whose time has come and
// whose Create has not gone out (scheduled statements; anything a crash left
// between storing and federating). Safe to run in several processes at once:
// it counts, logs and sends only the statements whose claim it won.
func (s *Service) FederateDue(ctx context.Context) (int, error) {
	now := s.clock()
	ids, err := s.store.DueStatements(ctx, now, 100)
	if err != nil {
		return 0, err
	}
	sent := 0
	var firstErr error
	for _, id := range ids {
		won := false
		err := s.store.Tx(ctx, func(tx *storage.Store) error {
			st, err := tx.StatementByID(ctx, id)
			if err != nil || st.FederatedAt != nil {
				return err // sent meanwhile, by another process
			}
			a, err := tx.ActorByID(ctx, st.ActorID)
			if err != nil {
				return err
			}
			if err := s.federateCreate(ctx, tx, st, a, now); err != nil {
				return err
			}
			won = st.FederatedAt != nil // set by federateCreate when its claim won
			return nil
		})
		if err != nil {
			// One statement that cannot be sent must not hold back the
			// others due with it: each is tried, and the first failure
			// is reported (the scheduler logs it and tries again later).
			if firstErr == nil {
				firstErr = fmt.Errorf("federation: federate %s: %w", id, err)
			}
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if won {
			sent++
			s.log.InfoContext(ctx, "scheduled statement federated", "id", id)
		}
	}
	if sent > 0 {
		s.wake()
	}
	return sent, firstErr
}

// RunScheduler federates scheduled statements at their time until ctx ends.
// It sleeps until the next scheduled time, or poll at most; while it
// sleeps, a statement scheduled meanwhile by any process shortens the
// sleep (see schedulerTick). So a statement goes out within moments of its
// time, never before it.
func (s *Service) RunScheduler(ctx context.Context, poll time.Duration) error {
	gens, _ := s.store.(generationSource)
	for {
		floor := schedulerFloor
		if _, err := s.FederateDue(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "scheduler", "err", err)
			floor = schedulerRetry
		}
		if !s.sleepUntilDue(ctx, gens, poll, floor) {
			return nil
		}
	}
}

// sleepUntilDue waits until the earliest scheduled statement is due, poll
// has passed, or ctx ends (it then returns false). It waits at least
// floor. With a generation to watch, it wakes every schedulerTick to see
// whether anything was written and, if so, reads the next scheduled time
// again.
func (s *Service) sleepUntilDue(ctx context.Context, gens generationSource, poll, floor time.Duration) bool {
	// The generation is read before the next scheduled time: a statement
	// scheduled after that read moves the generation past this value.
	watching := gens != nil
	gen, _ := generationOf(ctx, gens) // 0 when unread: any later reading differs
	start := s.clock()
	until := s.nextDue(ctx, start.Add(poll), start.Add(floor))
	for {
		wait := until.Sub(s.clock())
		if wait <= 0 {
			return true
		}
		if watching {
			wait = min(wait, schedulerTick)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
		if !watching {
			continue
		}
		if g, ok := generationOf(ctx, gens); ok && g != gen {
			gen = g
			until = s.nextDue(ctx, until, start.Add(floor))
		}
	}
}

// nextDue is the next scheduled time if it comes before until, else
// until; never before floor.
func (s *Service) nextDue(ctx context.Context, until, floor time.Time) time.Time {
	next, ok, err := s.store.NextScheduled(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.WarnContext(ctx, "scheduler: reading the next scheduled time failed; trying again at the next poll", "err", err)
		}
		return until
	}
	if ok && next.Before(until) {
		until = next
	}
	if until.Before(floor) {
		until = floor
	}
	s.log.DebugContext(ctx, "scheduler: waiting", "until", until)
	return until
}

// generationOf reads the data generation; ok is false when there is none
// (a store without one, or an error: the next tick reads it again).
func generationOf(ctx context.Context, gens generationSource) (uint64, bool) {
	if gens == nil {
		return 0, false
	}
	g, err := gens.Generation(ctx)
	return g, err == nil
}
