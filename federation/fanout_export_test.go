package federation

import "time"

// SetFanOutStale sets how old a recorded fan-out must be before the inbox
// worker finishes it, and returns a function that puts the old value back.
func SetFanOutStale(d time.Duration) (restore func()) {
	old := fanOutStale
	fanOutStale = d
	return func() { fanOutStale = old }
}

// Wake runs wake: what every path that queued deliveries calls after its
// transaction.
func (s *Service) Wake() { s.wake() }
