package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/tadamun/tadamun/storage"
)

// maxBatch is the most attempts recorded in one transaction; batchGap is
// how long the recorder waits for one more while posts are under way.
const (
	maxBatch = 64
	batchGap = 2 * time.Millisecond
)

// settleQueue is how many outcomes per post slot may wait for the
// recorder. A commit now and then takes tens of milliseconds (SQLite
// checkpoints its log after a commit, on the committing connection); with
// room for only one outcome per slot the slots then stopped, each holding
// its outcome, and the cores stood idle. With room for four, a stall of
// about a tenth of a second at a thousand posts a second goes unnoticed.
// What waits here is what a crash would send again (see recorder).
const settleQueue = 4

// posting reports whether posts are under way.
func (w *Worker) posting() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.busy > 0
}

// settlement is an attempt on its way into the database, and what
// recording it decided.
type settlement struct {
	d *storage.ClaimedDelivery
	r result

	next    time.Time  // when a retry is due
	since   *time.Time // the host is unavailable since then
	gaveUp  bool       // too old to retry
	removed int        // follows ended by a 410
	gone    bool       // the row no longer exists
}

// recorder writes the outcomes of attempts, as many per transaction as
// have arrived while the previous one committed, or arrive less than
// batchGap apart while posts are under way (group commit). Each commit
// costs an fsync, and SQLite has one writer: a transaction per attempt
// would make the database, not the network, the limit of a fan-out. An
// attempt's post slot is freed as soon as its outcome is queued here (at
// most settleQueue×Workers wait), but its row keeps its place in its host's limit until
// the outcome is stored. A crash loses at most the outcomes of posts under
// way or queued, whose rows are then sent again after their lease.
func (w *Worker) recorder(ctx context.Context, in <-chan *settlement) {
	ctx = context.WithoutCancel(ctx) // outcomes are stored through shutdown
	gap := time.NewTimer(batchGap)
	defer gap.Stop()
	for first := range in {
		batch := []*settlement{first}
	more:
		for len(batch) < maxBatch {
			select {
			case s, ok := <-in:
				if !ok {
					break more
				}
				batch = append(batch, s)
				continue
			default:
			}
			// Nothing more has arrived. While posts are under way, their
			// outcomes follow within a fraction of a millisecond each: a
			// short wait fills the batch and saves commits.
			if !w.posting() {
				break
			}
			gap.Reset(batchGap)
			select {
			case s, ok := <-in:
				gap.Stop() // since Go 1.23 a stopped or reset timer delivers no stale tick
				if !ok {
					break more
				}
				batch = append(batch, s)
			case <-gap.C:
				break more
			}
		}
		w.recordBatch(ctx, batch)
		w.mu.Lock()
		for _, s := range batch {
			if w.load[s.d.Host]--; w.load[s.d.Host] <= 0 {
				delete(w.load, s.d.Host)
			}
		}
		w.mu.Unlock()
		w.Notify() // hosts may have room again
	}
}

// recordBatch stores a batch in one transaction; if that fails, each
// attempt alone, so that one bad row cannot hold up the others.
func (w *Worker) recordBatch(ctx context.Context, batch []*settlement) {
	ctx, cancel := context.WithTimeout(ctx, recordTimeout)
	defer cancel()
	err := w.store.TxRelaxed(ctx, func(tx *storage.Store) error {
		// Successes, nearly every attempt of a fan-out, are settled
		// together in a few statements; the rest one by one.
		var done []storage.DeliveredAnswer
		var delivered []*settlement
		for _, s := range batch {
			if s.r.outcome == outcomeDelivered {
				done = append(done, storage.DeliveredAnswer{ID: s.d.ID, Status: s.r.status, Host: s.d.Host})
				delivered = append(delivered, s)
				continue
			}
			if err := w.apply(ctx, tx, s); err != nil {
				return err
			}
		}
		if len(done) == 0 {
			return nil
		}
		found, err := tx.DeliveriesDone(ctx, done)
		if err != nil {
			return err
		}
		for _, s := range delivered {
			s.gone = !found[s.d.ID]
		}
		return nil
	})
	if err == nil {
		for _, s := range batch {
			w.report(ctx, s, nil)
		}
		return
	}
	for _, s := range batch {
		*s = settlement{d: s.d, r: s.r}
		err := w.store.TxRelaxed(ctx, func(tx *storage.Store) error { return w.apply(ctx, tx, s) })
		w.report(ctx, s, err)
	}
}

// apply writes one attempt's outcome, with the host's health, inside tx.
// A row that has gone (its activity was deleted meanwhile) is not an error.
func (w *Worker) apply(ctx context.Context, tx settleStore, s *settlement) error {
	d, r := s.d, s.r
	errText := ""
	if r.err != nil {
		errText = r.err.Error()
	}
	var err error
	switch r.outcome {
	case outcomeDelivered:
		if err = tx.DeliveryDone(ctx, d.ID, r.status); err == nil {
			err = hostAnswered(ctx, tx, d.Host)
		}

	case outcomeFailed:
		err = tx.DeliveryFailed(ctx, d.ID, r.status, errText)
		if err == nil && r.status == http.StatusGone {
			// The inbox's owner is gone. Only an actor's own inbox says so;
			// the store ignores a shared one.
			s.removed, err = tx.RemoveFollowersByInbox(ctx, d.Inbox)
		}
		if err == nil && r.status > 0 {
			// The host answered: it is up, even if it refuses this.
			err = hostAnswered(ctx, tx, d.Host)
		}

	case outcomeRetry:
		now := w.cfg.Now()
		var probe time.Time // when a host put on hold is tried next
		if d.Host != "" {
			h, err := tx.HostFailed(ctx, d.Host, errText)
			if err != nil {
				return err
			}
			if w.holds(h, now) {
				probe = now.Add(w.cfg.DeadHostRetry)
				since, err := tx.HoldHost(ctx, d.Host, probe)
				if err != nil {
					return err
				}
				s.since = &since
			}
		}
		if s.gaveUp = now.Sub(d.ActivityCreatedAt) >= w.cfg.MaxAge; s.gaveUp {
			err = tx.DeliveryFailed(ctx, d.ID, r.status,
				fmt.Sprintf("gave up after %d attempts over %s: %s", d.Attempts+1, w.cfg.MaxAge, errText))
			break
		}
		s.next = now.Add(backoff(d.Attempts+1, w.cfg.RetryBase, w.cfg.MaxBackoff, r.retryAfter, jitter()))
		if s.since != nil {
			// A held host gets one attempt per DeadHostRetry; park the
			// rest of its queue until then.
			s.next = later(s.next, probe)
			if _, err = tx.PostponeHost(ctx, d.Host, probe); err != nil {
				return err
			}
		}
		err = tx.DeliveryRetry(ctx, d.ID, r.status, errText, s.next)
	}
	if errors.Is(err, storage.ErrNotFound) {
		s.gone = true
		return nil
	}
	return err
}

// report logs one recorded attempt, one line per outcome, and updates what
// the worker remembers of the host once the database has it.
func (w *Worker) report(ctx context.Context, s *settlement, err error) {
	d, r := s.d, s.r
	attrs := []slog.Attr{slog.Int64("delivery", d.ID), slog.String("activity", d.ActivityID),
		slog.String("inbox", d.Inbox), slog.Int("status", r.status), slog.Int("attempt", d.Attempts+1),
		slog.Duration("took", r.took)}
	if r.err != nil {
		attrs = append(attrs, slog.String("err", r.err.Error()))
	}
	switch {
	case err != nil:
		// The lease will run out and the row be tried again.
		attrs = append(attrs, slog.String("outcome", string(r.outcome)), slog.String("record_err", err.Error()))
		w.log.LogAttrs(ctx, slog.LevelError, "could not record a delivery attempt", attrs...)
		return
	case s.gone:
		w.log.LogAttrs(ctx, slog.LevelDebug, "delivery row gone before its outcome was recorded", attrs...)
		return
	}
	switch r.outcome {
	case outcomeDelivered:
		w.hostUp(d.Host)
		w.log.LogAttrs(ctx, slog.LevelDebug, "delivered", attrs...)
	case outcomeFailed:
		if r.status > 0 {
			w.hostUp(d.Host)
		}
		if s.removed > 0 {
			attrs = append(attrs, slog.Int("follows_ended", s.removed))
		}
		w.log.LogAttrs(ctx, slog.LevelWarn, "delivery failed for good", attrs...)
	case outcomeRetry:
		if s.since != nil {
			w.mu.Lock()
			w.unavailable[d.Host] = true
			w.mu.Unlock()
			attrs = append(attrs, slog.Time("host_unavailable_since", *s.since))
		}
		if s.gaveUp {
			w.log.LogAttrs(ctx, slog.LevelWarn, "delivery failed for good: too old to retry", attrs...)
			return
		}
		attrs = append(attrs, slog.Time("next", s.next))
		w.log.LogAttrs(ctx, slog.LevelInfo, "delivery failed, will retry", attrs...)
	}
}

// holds is the dead-host rule, applied to a host just after a failure was
// recorded: a host already on hold stays on hold (the failure was its
// probe), and a host goes on hold once its run of failures is both long
// enough (DeadHostFailures) and old enough (DeadHostSpan, from the run's
// first failure). A success ends the run (storage.Store.HostSucceeded).
func (w *Worker) holds(h *storage.Host, now time.Time) bool {
	if h.UnavailableSince != nil {
		return true
	}
	return h.Failures >= w.cfg.DeadHostFailures && h.FailingSince != nil &&
		now.Sub(*h.FailingSince) >= w.cfg.DeadHostSpan
}

// hostAnswered records that host is up.
func hostAnswered(ctx context.Context, tx settleStore, host string) error {
	if host == "" {
		return nil
	}
	return tx.HostSucceeded(ctx, host)
}

// hostUp forgets, once it is recorded, that host was unavailable.
func (w *Worker) hostUp(host string) {
	w.mu.Lock()
	was := w.unavailable[host]
	delete(w.unavailable, host)
	w.mu.Unlock()
	if was {
		w.log.Info("host available again", slog.String("host", host))
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
