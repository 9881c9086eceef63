package httpsig

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Values of Signature.Scheme.
const (
	// SchemeCavage is draft-cavage-http-signatures-12, as Mastodon speaks it.
	SchemeCavage = "cavage"
	// SchemeRFC9421 is RFC 9421 HTTP Message Signatures.
	SchemeRFC9421 = "rfc9421"
)

// DefaultMaxSkew is how far a signature's Date or created time may be from
// our clock, either way, when Options.MaxSkew is zero. Mastodon allows 12
// hours in the past and 1 hour in the future; an hour both ways is plenty
// for servers with working NTP and halves the replay window.
const DefaultMaxSkew = time.Hour

// maxRSABits bounds the RSA keys Verify accepts. Keys come from documents
// fetched from the sender, so a huge one would let a peer make us do
// arbitrary work per request. Fediverse keys are 2048 or 4096 bits.
const maxRSABits = 8192

// Options says how Parse reads a request. The zero value is usable.
type Options struct {
	// Now is the clock. Nil means time.Now; tests pass a fixed clock.
	Now func() time.Time

	// MaxSkew is how far the covered Date header (draft-cavage) or the
	// created parameter may be from Now, either way. Zero means
	// DefaultMaxSkew. An expires parameter, when present, must still lie
	// in the future.
	MaxSkew time.Duration

	// Scheme is the scheme the sender used to reach us, used to rebuild
	// @target-uri and @scheme. Empty means "https": requests normally
	// arrive over plain HTTP from a TLS-terminating proxy, so req.TLS says
	// nothing about what the sender signed.
	Scheme string

	// Host, when set, is the public authority (host[:port]) to use instead
	// of req.Host for the host header, @authority and @target-uri, for
	// proxies that rewrite Host.
	Host string

	// RequireDigest makes a signature on a request with content (POST,
	// PUT, PATCH, or any non-zero Content-Length) unacceptable unless it
	// covers the body digest: digest for draft-cavage, content-digest for
	// RFC 9421. The caller must still check the digest against the body
	// with VerifyDigest. Inboxes set it.
	RequireDigest bool
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

func (o Options) maxSkew() time.Duration {
	if o.MaxSkew > 0 {
		return o.MaxSkew
	}
	return DefaultMaxSkew
}

func (o Options) scheme() string {
	if o.Scheme != "" {
		return strings.ToLower(o.Scheme)
	}
	return "https"
}

// host is the value of the Host header as the sender wrote it. Go moves
// Host out of req.Header into req.Host; client-side requests may only have
// it in the URL.
func (o Options) host(req *http.Request) string {
	if o.Host != "" {
		return o.Host
	}
	if req.Host != "" {
		return req.Host
	}
	if req.URL != nil {
		return req.URL.Host
	}
	return ""
}

// needsDigest reports whether the request carries content that the
// signature must bind when Options.RequireDigest is set.
func (o Options) needsDigest(req *http.Request) bool {
	if !o.RequireDigest {
		return false
	}
	switch req.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return true
	}
	return req.ContentLength != 0
}

// checkCreated enforces MaxSkew on a signing time.
func (o Options) checkCreated(what string, t time.Time) error {
	now := o.now()
	skew := o.maxSkew()
	if t.Before(now.Add(-skew)) {
		return fmt.Errorf("%w: %s %s is more than %s old", ErrExpired, what, t.UTC().Format(time.RFC3339), skew)
	}
	if t.After(now.Add(skew)) {
		return fmt.Errorf("%w: %s %s is more than %s in the future", ErrExpired, what, t.UTC().Format(time.RFC3339), skew)
	}
	return nil
}

// checkExpires rejects a signature whose expires time has passed.
func (o Options) checkExpires(t time.Time) error {
	if now := o.now(); now.After(t) {
		return fmt.Errorf("%w: expired at %s", ErrExpired, t.UTC().Format(time.RFC3339))
	}
	return nil
}

// verifyAlg is the verification method a signature calls for.
type verifyAlg uint8

const (
	// algByKey: the algorithm follows from the key's type (draft-cavage
	// hs2019 or no algorithm, RFC 9421 without alg): RSA keys mean
	// RSASSA-PKCS1-v1_5 with SHA-256, Ed25519 keys mean Ed25519.
	algByKey verifyAlg = iota
	algRSAPKCS1SHA256
	algRSAPSSSHA512
	algEd25519
)

// Signature is a parsed, not yet verified, request signature. Parse has
// already checked that it is well formed, fresh, and covers what we
// require; Verify checks it against the sender's key.
type Signature struct {
	// Scheme is SchemeCavage or SchemeRFC9421.
	Scheme string
	// KeyID names the key to fetch, usually an actor IRI with a fragment.
	KeyID string
	// Algorithm is the declared algorithm, lowercased ("rsa-sha256",
	// "hs2019", "rsa-v1_5-sha256", ...), or "" when the sender declared
	// none and the key type decides.
	Algorithm string
	// Label is the RFC 9421 signature label ("sig1"); empty for
	// draft-cavage.
	Label string
	// Created is when the request was signed: the created parameter, or
	// the covered Date header for draft-cavage signatures without one.
	Created time.Time
	// Expires is the expires parameter, or the zero time.
	Expires time.Time
	// Covered lists what the signature covers, in signing order: lowercased
	// header names and pseudo-headers for draft-cavage, component
	// identifiers for RFC 9421.
	Covered []string

	alg  verifyAlg
	base []byte // signing string (cavage) or signature base (RFC 9421)
	sig  []byte
}

// Covers reports whether the signature covers the named header or component
// (lowercase, e.g. "digest", "(request-target)", "@target-uri").
func (s *Signature) Covers(name string) bool {
	for _, c := range s.Covered {
		if c == name {
			return true
		}
	}
	return false
}

// Verify checks the signature with the sender's public key, an
// *rsa.PublicKey or an ed25519.PublicKey (as ParsePublicKeyPEM returns).
// It returns nil only if the signature is genuine. It does not look at the
// body: call VerifyDigest for that.
func (s *Signature) Verify(pub crypto.PublicKey) error {
	if s == nil || len(s.sig) == 0 || s.base == nil {
		return fmt.Errorf("%w: no parsed signature to verify", ErrMalformed)
	}
	alg := s.alg
	if alg == algByKey {
		switch pub.(type) {
		case *rsa.PublicKey:
			alg = algRSAPKCS1SHA256
		case ed25519.PublicKey:
			alg = algEd25519
		default:
			return fmt.Errorf("%w: key type %T", ErrUnsupported, pub)
		}
	}
	switch alg {
	case algRSAPKCS1SHA256, algRSAPSSSHA512:
		k, ok := pub.(*rsa.PublicKey)
		if !ok || k == nil || k.N == nil {
			return fmt.Errorf("%w: algorithm %q needs an RSA key, got %T", ErrBadSignature, s.Algorithm, pub)
		}
		if k.N.BitLen() > maxRSABits {
			return fmt.Errorf("%w: RSA key of %d bits", ErrUnsupported, k.N.BitLen())
		}
		var err error
		if alg == algRSAPKCS1SHA256 {
			sum := sha256.Sum256(s.base)
			err = rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], s.sig)
		} else {
			// RFC 9421 §3.3.1: MGF1 with SHA-512 and a 64-byte salt.
			sum := sha512.Sum512(s.base)
			err = rsa.VerifyPSS(k, crypto.SHA512, sum[:], s.sig, &rsa.PSSOptions{SaltLength: 64, Hash: crypto.SHA512})
		}
		if err != nil {
			return fmt.Errorf("%w: key %s: %w", ErrBadSignature, s.KeyID, err)
		}
		return nil
	case algEd25519:
		k, ok := pub.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: algorithm ed25519 needs an Ed25519 key, got %T", ErrBadSignature, pub)
		}
		if !ed25519.Verify(k, s.base, s.sig) {
			return fmt.Errorf("%w: key %s: ed25519 signature does not match", ErrBadSignature, s.KeyID)
		}
		return nil
	}
	return fmt.Errorf("%w: algorithm %q", ErrUnsupported, s.Algorithm)
}

// Parse reads the signature on an incoming request and checks everything
// that can be checked without the sender's key: that it is well formed,
// uses an algorithm we accept, covers the request method and target, the
// host, a signing time and (with RequireDigest) the body digest, and that
// the signing time is within Options.MaxSkew. The returned Signature names
// the key to fetch; its Verify method does the cryptographic check.
//
// An RFC 9421 signature (Signature-Input and Signature headers) is read in
// preference to draft-cavage; draft-cavage is read from the Signature
// header or from "Authorization: Signature ...". A request with none of
// these gives ErrNoSignature.
func Parse(req *http.Request, opts Options) (*Signature, error) {
	if req == nil {
		return nil, fmt.Errorf("%w: nil request", ErrMalformed)
	}
	if len(req.Header.Values("Signature-Input")) > 0 {
		return parseRFC9421(req, opts)
	}
	if vals := req.Header.Values("Signature"); len(vals) > 0 {
		if len(vals) > 1 {
			return nil, fmt.Errorf("%w: %d Signature headers", ErrMalformed, len(vals))
		}
		return parseCavage(req, vals[0], opts)
	}
	for _, v := range req.Header.Values("Authorization") {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
		if strings.EqualFold(scheme, "Signature") {
			return parseCavage(req, rest, opts)
		}
	}
	return nil, ErrNoSignature
}
