// Package websub is the node's side of WebSub (W3C Recommendation,
// 23 January 2018) for its feeds: the protocol machinery behind the hub
// endpoint that web/websub.go serves.
//
// It owns what goes out: verification of a subscriber's intent (a GET to
// its callback with a random hub.challenge that the answer must echo with
// a 2xx status; only then is the subscription, or its end, recorded), the
// distribution of a changed feed to each verified subscriber (a POST of
// the whole new feed with its Content-Type, Link headers naming the hub
// and the topic, and X-Hub-Signature: sha256=HMAC(secret, body) when the
// subscriber gave a secret), and the "publish" ping that tells external
// hubs a topic changed (hub.mode=publish&hub.url=TOPIC, form-encoded).
//
// Every one of these is a row of the websub_jobs queue (storage), claimed
// with a lease so that one process sends it, sent through the transport
// client's guard against private addresses, and retried on the
// deliveries' schedule (delivery.RetryDelay) for up to a week.
// Verifications are retried only when no answer came (at most
// MaxVerifyAttempts times): an answer without the challenge is a refusal.
package websub
