// Package federation is what the node does, as a protocol: create actors
// with their keys, publish statements (and later edit and delete them as
// Create, Update and Delete activities), handle what arrives in inboxes,
// follow and relay partners, fetch remote actors and objects.
//
// The partner network: relay.go decides what of a partner's posts our
// actors relay (Announce, and Undo when the post goes), backfill.go reads a
// new partner's outbox, partnermedia.go keeps bounded local copies of its
// pictures, move.go follows partners that move and moves our own actors,
// proofs.go signs what we send with FEP-8b32 object proofs (proof/ holds
// the cryptosuite) and inbox_proof.go checks the proofs that arrive.
// scheduler.go sends scheduled statements at their time, woken by the data
// generation when any process schedules one.
//
// It owns the rules; storage keeps the state and web carries the HTTP. The
// subpackages split out what stands alone: iri (our addresses), content
// (Markdown, sanitizing, front matter, languages), httpsig (HTTP Signatures),
// proof (eddsa-jcs-2022 data integrity proofs), imaging (pictures), transport
// (the guarded HTTP client), delivery (the durable outbound queue).
package federation
