package httpsig

import "errors"

// The sentinel errors below are wrapped by every error this package returns;
// test for them with errors.Is. All of them mean "do not trust this request"
// and map to 401 Unauthorized at the HTTP layer.
var (
	// ErrNoSignature means the request carries no signature at all: no
	// Signature, Signature-Input or "Authorization: Signature" header.
	ErrNoSignature = errors.New("httpsig: no signature")

	// ErrMalformed means a signature header is present but cannot be read,
	// lacks a required parameter (keyId, signature, created), or names a
	// header the request does not have.
	ErrMalformed = errors.New("httpsig: malformed signature")

	// ErrUnsupported means the signature uses an algorithm (hmac-sha256,
	// ecdsa, ...) or a component this package does not accept, or Verify
	// was given a key type it cannot use.
	ErrUnsupported = errors.New("httpsig: unsupported signature")

	// ErrCoverage means the signature is well formed but does not cover the
	// parts of the request we insist on (method and target, host, date,
	// digest), so it could be replayed against a different request.
	ErrCoverage = errors.New("httpsig: signature does not cover required components")

	// ErrExpired means the signature is too old or from too far in the
	// future (Date or created outside the allowed skew), or past its
	// expires time.
	ErrExpired = errors.New("httpsig: signature expired or not yet valid")

	// ErrBadSignature means the cryptographic check failed: the request was
	// changed in transit, or it was not signed by the key it names.
	ErrBadSignature = errors.New("httpsig: signature verification failed")

	// ErrDigest means the Digest or Content-Digest header is missing,
	// unreadable, of no supported algorithm, or does not match the body.
	ErrDigest = errors.New("httpsig: body digest mismatch")

	// ErrInvalidKey means a PEM key could not be parsed or is of a type
	// this package does not handle.
	ErrInvalidKey = errors.New("httpsig: invalid key")
)
