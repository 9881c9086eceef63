package delivery

import "time"

// RetryDelay is the deliveries' retry schedule for other queues that
// promise "the same retries" (WebSub pushes and pings): the wait after
// attempt (1 for the first) failed, doubling from DefaultRetryBase up to
// DefaultMaxBackoff, with the same jitter and a Retry-After honoured up to
// a day.
func RetryDelay(attempt int, retryAfter time.Duration) time.Duration {
	return backoff(attempt, DefaultRetryBase, DefaultMaxBackoff, retryAfter, jitter())
}
