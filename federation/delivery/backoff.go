package delivery

import (
	"math/rand/v2"
	"time"
)

// maxRetryAfter caps how long an inbox's Retry-After can make us wait: a
// server asking for more than a day is better served by the normal backoff
// and, eventually, MaxAge.
const maxRetryAfter = 24 * time.Hour

// backoff is the wait before attempt+1, after attempt (1 for the first)
// failed: base·2^(attempt-1), capped at maxWait, scaled by jitter (a factor
// in [0.75, 1.25) that spreads the retries of one fan-out), and never
// shorter than the inbox's Retry-After (itself capped at a day).
func backoff(attempt int, base, maxWait, retryAfter time.Duration, jitter float64) time.Duration {
	d := maxWait
	if attempt < 1 {
		attempt = 1
	}
	// Doubling past maxWait, or past 2^62 ns, is the cap either way.
	if shift := attempt - 1; shift < 62 && base <= maxWait>>shift {
		d = base << shift
	}
	d = time.Duration(float64(d) * jitter)
	if retryAfter > 0 {
		d = max(d, min(retryAfter, maxRetryAfter))
	}
	return d
}

// jitter is a random factor in [0.75, 1.25): ±25%.
func jitter() float64 { return 0.75 + rand.Float64()/2 }
