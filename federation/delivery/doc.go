// Package delivery owns durable delivery: getting every outbound activity to
// every inbox it is queued for, signed, at least once, across crashes,
// restarts and several processes sharing one PostgreSQL database.
//
// The queue is the deliveries table (package storage). Publishing writes
// the activity with its rows in one transaction (Store.EnqueueDeliveries
// for a given list), so nothing is queued for an activity that was not
// stored. A fan-out to the followers goes in two steps: the publishing
// transaction queues the first inboxes and records the fan-out
// (Store.StartFanOut), and the rest are queued in short transactions once
// it has committed (Store.FinishFanOuts, from federation's wake, or from
// any inbox worker for a record left behind), so nothing stored goes
// unqueued for long. A Worker claims due rows under a lease (Store.ClaimDeliveries,
// which reads each activity's body and each signer's key once per claim),
// POSTs each signed by the actor that sent it (package transport), and
// settles the row: done, due again later, or failed. A worker that dies
// leaves its claimed rows to be claimed again when their lease runs out;
// that row, and only that row, may then arrive twice, which ActivityPub
// tolerates (receivers deduplicate by activity id).
//
// # Outcomes
//
//   - 2xx: done.
//   - 4xx other than 408 and 429: the inbox refuses the activity and will go
//     on refusing it: failed at once. A 410 Gone from an actor's own inbox
//     means the account is gone, and its follows end
//     (Store.RemoveFollowersByInbox; a shared inbox removes nobody).
//   - 408, 429, 5xx, and no answer at all (refused connection, timeout,
//     DNS): tried again after an exponential backoff, RetryBase·2^(n-1)
//     capped at MaxBackoff with ±25% jitter so that the retries of a fan-out
//     do not arrive as one burst, and never before the inbox's Retry-After
//     (believed up to 24 hours). The first failure after MaxAge since the
//     activity was created is final.
//   - A URL we will not deliver to (not http(s), a private address) and an
//     unusable signing key fail at once: retrying cannot help.
//
// # Hosts
//
// Work is limited twice: Workers posts at once in all, and PerHost at once
// to any one host, so a slow or hanging server holds at most PerHost workers
// and the rest of the fan-out goes on. The worker counts, per host, the rows
// it holds in memory and tells the claim to skip hosts at their limit.
//
// A host that keeps failing is put on hold: the dead-host rule is this
// package's (Config.DeadHostFailures, DeadHostSpan: by default ten failures
// in a row spanning an hour), while storage only records the facts it is
// judged on (Store.HostFailed: failures in a row, since when, last error)
// and the hold itself (Store.HoldHost). A held host's deliveries are pushed
// back and tried once per DeadHostRetry (an hour), one at a time; the
// first success lifts the hold and makes its waiting deliveries due at once.
//
// # The database's share
//
// Every claim and every recorded outcome is a committed write; SQLite,
// moreover, has a single writer. So the worker claims ahead (up to twice
// Workers rows on hand, topped up when half are used, so one claim serves
// many posts and a freed worker never waits for the database), and records
// outcomes in groups: whatever arrived while the previous transaction
// committed goes into the next one. A post slot goes on as soon as its
// outcome is handed to the recorder (a few may wait per slot); the row keeps
// its place in its host's limit until the outcome is committed. At
// shutdown, claimed rows not yet started are handed back at once
// (Store.ReleaseDeliveries).
//
// Claims, outcomes and the second step of a fan-out commit without waiting
// for the disk (Store.TxRelaxed): a crash of the process loses none of
// them, and what a power cut (or a crash of the PostgreSQL server) may lose
// is only work done again, a lease or an outcome, so a row posted again.
// That keeps a fan-out of 1,000 POSTs to about ten flushes of the log
// instead of eighty.
//
// # Metrics
//
// With Config.Metrics set: tadamun_delivery_attempts_total{outcome}
// (delivered, retry, failed), tadamun_delivery_duration_seconds,
// tadamun_delivery_queue_pending (read from the database at most every 10
// seconds) and tadamun_delivery_in_flight.
package delivery
