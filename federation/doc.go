// Package federation is what the node does, as a protocol: create actors
// with their keys, publish statements (and later edit and delete them as
// Create, Update and Delete activities), handle what arrives in inboxes,
// follow and relay partners, fetch remote actors and objects.
//
// It owns the rules; storage keeps the state and web carries the HTTP. The
// subpackages split out what stands alone: iri (our addresses), content
// (Markdown, sanitizing, front matter, languages), httpsig (HTTP Signatures).
package federation
