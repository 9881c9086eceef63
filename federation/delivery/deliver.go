package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
)

// outcome is what became of one attempt; the values are the metric labels.
type outcome string

const (
	outcomeDelivered outcome = "delivered"
	outcomeRetry     outcome = "retry"
	outcomeFailed    outcome = "failed"
)

// result is one attempt, classified.
type result struct {
	outcome    outcome
	status     int           // HTTP status, 0 when there was no answer
	retryAfter time.Duration // the inbox's Retry-After, 0 when none
	err        error
	took       time.Duration
}

// classify turns what Post returned into an outcome: see the package
// documentation for the rules.
func classify(resp *transport.Response, err error) result {
	r := result{err: err}
	if resp != nil {
		r.status, r.retryAfter = resp.Status, resp.RetryAfter
	}
	if err == nil && (resp == nil || resp.Status/100 == 2) {
		r.outcome = outcomeDelivered
		return r
	}
	if err == nil {
		// A Poster that reports a refusal only in the Response.
		err = &transport.StatusError{Method: http.MethodPost, Code: resp.Status, RetryAfter: resp.RetryAfter}
		r.err = err
	}
	var se *transport.StatusError
	switch {
	case errors.As(err, &se):
		r.status = se.Code
		if se.RetryAfter > 0 {
			r.retryAfter = se.RetryAfter
		}
		if se.Permanent() {
			r.outcome = outcomeFailed
		} else {
			r.outcome = outcomeRetry
		}
	case errors.Is(err, transport.ErrBadURL), errors.Is(err, transport.ErrPrivateAddress):
		// We will never send to this URL; no point asking again.
		r.outcome = outcomeFailed
	default:
		// No answer: refused, reset, timed out, DNS. Likely to pass.
		r.outcome = outcomeRetry
	}
	return r
}

// deliver posts one claimed row and settles it.
func (w *Worker) deliver(ctx context.Context, d *storage.ClaimedDelivery) {
	// A post under way is finished, and recorded, even when shutdown has
	// begun: cutting it off would only make the inbox see it twice, once
	// now and once after the lease. Timeout bounds the wait.
	bg := context.WithoutCancel(ctx)
	var r result
	signer, err := w.keys.signer(d, w.cfg.KeyID)
	if err != nil {
		r = result{outcome: outcomeFailed, err: err}
	} else {
		pctx, cancel := context.WithTimeout(bg, w.cfg.Timeout)
		start := time.Now()
		resp, err := w.poster.Post(pctx, d.Inbox, d.Body, signer)
		cancel()
		r = classify(resp, err)
		r.took = time.Since(start)
		if w.m != nil {
			w.m.duration.Observe(r.took.Seconds())
		}
	}
	if w.m != nil {
		w.m.attempts.WithLabelValues(string(r.outcome)).Inc()
	}
	rctx, cancel := context.WithTimeout(bg, recordTimeout)
	defer cancel()
	w.record(rctx, d, r)
}

// record settles a row after an attempt, with the host's health, in one
// transaction, and logs the outcome.
func (w *Worker) record(ctx context.Context, d *storage.ClaimedDelivery, r result) {
	attempt := d.Attempts + 1
	attrs := []slog.Attr{slog.Int64("delivery", d.ID), slog.String("activity", d.ActivityID),
		slog.String("inbox", d.Inbox), slog.Int("status", r.status), slog.Int("attempt", attempt),
		slog.Duration("took", r.took)}
	errText := ""
	if r.err != nil {
		errText = r.err.Error()
		attrs = append(attrs, slog.String("err", errText))
	}
	var err error
	switch r.outcome {
	case outcomeDelivered:
		err = w.store.Tx(ctx, func(tx *storage.Store) error {
			if err := tx.DeliveryDone(ctx, d.ID, r.status); err != nil {
				return err
			}
			return hostAnswered(ctx, tx, d.Host)
		})
		if err == nil {
			w.hostUp(d.Host)
			w.log.LogAttrs(ctx, slog.LevelDebug, "delivered", attrs...)
		}

	case outcomeFailed:
		removed := 0
		err = w.store.Tx(ctx, func(tx *storage.Store) error {
			if err := tx.DeliveryFailed(ctx, d.ID, r.status, errText); err != nil {
				return err
			}
			if r.status == http.StatusGone {
				// The inbox's owner is gone. Only an actor's own inbox says
				// so; the store ignores a shared one.
				var err error
				if removed, err = tx.RemoveFollowersByInbox(ctx, d.Inbox); err != nil {
					return err
				}
			}
			if r.status > 0 {
				// The host answered: it is up, even if it refuses this.
				return hostAnswered(ctx, tx, d.Host)
			}
			return nil
		})
		if err == nil {
			if r.status > 0 {
				w.hostUp(d.Host)
			}
			if removed > 0 {
				attrs = append(attrs, slog.Int("follows_ended", removed))
			}
			w.log.LogAttrs(ctx, slog.LevelWarn, "delivery failed for good", attrs...)
		}

	case outcomeRetry:
		now := w.cfg.Now()
		var next time.Time
		var since *time.Time
		gaveUp := now.Sub(d.ActivityCreatedAt) >= w.cfg.MaxAge
		err = w.store.Tx(ctx, func(tx *storage.Store) error {
			if d.Host != "" {
				var err error
				if _, since, err = tx.HostFailed(ctx, d.Host); err != nil {
					return err
				}
			}
			if gaveUp {
				return tx.DeliveryFailed(ctx, d.ID, r.status,
					fmt.Sprintf("gave up after %d attempts over %s: %s", attempt, w.cfg.MaxAge, errText))
			}
			next = now.Add(backoff(attempt, w.cfg.RetryBase, w.cfg.MaxBackoff, r.retryAfter, jitter()))
			if since != nil {
				// An unavailable host gets one attempt an hour; park the
				// rest of its queue until then.
				probe := now.Add(storage.HostRetryInterval)
				next = later(next, probe)
				if _, err := tx.PostponeHost(ctx, d.Host, probe); err != nil {
					return err
				}
			}
			return tx.DeliveryRetry(ctx, d.ID, r.status, errText, next)
		})
		if err != nil {
			break
		}
		if since != nil {
			w.mu.Lock()
			w.unavailable[d.Host] = true
			w.mu.Unlock()
			attrs = append(attrs, slog.Time("host_unavailable_since", *since))
		}
		if gaveUp {
			w.log.LogAttrs(ctx, slog.LevelWarn, "delivery failed for good: too old to retry", attrs...)
		} else {
			attrs = append(attrs, slog.Time("next", next))
			w.log.LogAttrs(ctx, slog.LevelInfo, "delivery failed, will retry", attrs...)
		}
	}
	if err != nil {
		// The lease will run out and the row be tried again.
		level := slog.LevelError
		if errors.Is(err, storage.ErrNotFound) {
			level = slog.LevelDebug // the activity was deleted meanwhile
		}
		attrs = append(attrs, slog.String("outcome", string(r.outcome)), slog.String("record_err", err.Error()))
		w.log.LogAttrs(ctx, level, "could not record a delivery attempt", attrs...)
	}
}

// hostAnswered records that host is up.
func hostAnswered(ctx context.Context, tx *storage.Store, host string) error {
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
