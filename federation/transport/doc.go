// Package transport owns the node's outbound HTTP: every request Tadamun
// makes to another server (fetching actors, objects, keys, WebFinger and
// NodeInfo documents; delivering activities to inboxes) goes through a
// Client from this package.
//
// A Client bundles what every one of those requests needs and what is easy
// to forget at a call site:
//
//   - timeouts for the whole request and for each phase of it (connect, TLS
//     handshake, response headers), so a slow or hostile peer cannot hold a
//     worker forever;
//   - a cap on how much of a response is read (Config.MaxBody), so a peer
//     cannot make us buffer gigabytes;
//   - a User-Agent naming the node, which many servers insist on;
//   - HTTP Signatures (draft-cavage, through package httpsig) on GETs when a
//     Signer is given, as servers running in "authorized fetch" mode
//     require, and always on POSTs to inboxes;
//   - the checks ActivityPub asks of a fetched document: an ActivityStreams
//     content type, a JSON object, and an "id" that names the URL it was
//     fetched from, so one server cannot pass off a document as another's;
//   - a guard against server-side request forgery.
//
// # The private-address guard
//
// Remote servers tell us which URLs to fetch (actor IRIs, key ids, inboxes,
// redirects), so an attacker could point us at our own loopback interface,
// the LAN, or a cloud metadata service at 169.254.169.254. Unless
// Config.AllowPrivate is set, the Client refuses to connect to any address
// that is not globally routable: loopback, private, unique-local,
// link-local, unspecified, multicast, broadcast, shared (CGNAT),
// benchmarking, documentation and reserved ranges, and the same addresses
// dressed up as IPv4-mapped, NAT64 or 6to4 IPv6 addresses.
//
// The check runs in the dialer, on the IP address actually being connected
// to after DNS resolution. A name that resolves to 127.0.0.1, a DNS answer
// that changes between two lookups (rebinding) and a redirect to an
// internal host are therefore all caught at the one place they cannot slip
// past. CheckURL repeats the check early for literal IP addresses and
// "localhost" names, so a bad URL is refused before it is stored. The
// environment's HTTP proxy settings are ignored on purpose: a proxy would
// make the connection for us and bypass the guard.
//
// A refused connection yields an error for which
// errors.Is(err, ErrPrivateAddress) holds.
//
// When Config.Transport replaces the network (tests serving fixture
// documents for made-up hosts), no dialing happens here and only literal IP
// hosts can be checked; keeping such a transport away from internal
// addresses is then the caller's responsibility.
//
// # Errors
//
// Every error starts with "transport: ". Failures the caller acts on wrap a
// sentinel (ErrGone, ErrNotFound, ErrForbidden, ErrTooLarge,
// ErrContentType, ErrIDMismatch, ErrPrivateAddress, ErrBadURL, ...). A peer
// that answers with an unexpected status yields a *StatusError carrying the
// code, the parsed Retry-After and a printable snippet of the answer, which
// is what the delivery worker needs to decide between retrying later and
// giving up; a StatusError for 404, 410, 401 or 403 also matches the
// corresponding sentinel.
//
// The package uses only the standard library and httpsig: net/http already
// has everything needed, and the guard must sit inside the dialer, which
// wrappers around net/http do not expose anyway.
package transport
