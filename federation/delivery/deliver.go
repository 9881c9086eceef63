package delivery

import (
	"context"
	"errors"
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

// deliver posts one claimed row and has it settled.
func (w *Worker) deliver(ctx context.Context, d *storage.ClaimedDelivery) {
	// A post under way is finished, and recorded, even when shutdown has
	// begun: cutting it off would only make the inbox see it twice, once
	// now and once after the lease. Timeout bounds the wait.
	var r result
	signer, err := w.keys.signer(d, w.cfg.KeyID)
	if err != nil {
		r = result{outcome: outcomeFailed, err: err}
	} else {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.cfg.Timeout)
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
	// The recorder stores the outcome and then frees the row's place in
	// its host's limit; this post slot is free at once, so signing goes on
	// while the batch commits. The channel is bounded: when the database
	// falls behind, posting waits for it.
	w.settle <- &settlement{d: d, r: r}
}
