// Package httpsig owns HTTP request signatures as the fediverse uses them:
// signing our outbound requests, reading and verifying the signatures on
// inbound ones, and the body digests and key encodings that go with them.
//
// Two signature formats are in use between servers:
//
//   - draft-cavage-http-signatures-12, the de facto ActivityPub standard
//     (Mastodon, GoToSocial, honk, snac, Misskey, ...): one Signature header
//     (or Authorization: Signature ...) carrying keyId, algorithm, headers and
//     signature. Bodies are bound through a signed Digest header (RFC 3230).
//     Sign produces this format, in the exact shape Mastodon produces.
//   - RFC 9421 HTTP Message Signatures, sent first by Fedify-based servers:
//     Signature-Input and Signature dictionaries (RFC 8941 structured
//     fields), bodies bound through Content-Digest (RFC 9530). This package
//     verifies it; we do not send it.
//
// Inbound flow, in the order the inbox needs it:
//
//	sig, err := httpsig.Parse(req, opts)       // which key, and is it fresh?
//	pub, err := httpsig.ParsePublicKeyPEM(pem) // fetched by sig.KeyID
//	err = sig.Verify(pub)                      // is it genuine?
//	err = httpsig.VerifyDigest(req.Header, body)
//
// Every failure wraps one of the sentinel errors (ErrNoSignature,
// ErrMalformed, ErrUnsupported, ErrCoverage, ErrExpired, ErrBadSignature,
// ErrDigest, ErrInvalidKey) so the HTTP layer can answer 401 and log the
// cause. Confirming that the key's owner is the activity's actor is the
// caller's job: this package only proves that the holder of KeyID signed the
// request.
//
// The package uses only the standard library: RSA, Ed25519, SHA-2 and PEM
// are all there, and the one missing piece, a parser for the few RFC 8941
// structured fields RFC 9421 needs, is small enough to own (sfv.go) rather
// than import.
package httpsig
