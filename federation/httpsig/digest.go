package httpsig

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
)

// digestHeader is the RFC 3230 Digest value for body, as draft-cavage
// signers send it: "SHA-256=" and the standard base64 of the hash.
func digestHeader(body []byte) string {
	sum := sha256.Sum256(body)
	return "SHA-256=" + base64.StdEncoding.EncodeToString(sum[:])
}

// bodyHash returns the hash of body for a digest algorithm name
// (lowercase), or nil if the algorithm is not one we check.
func bodyHash(alg string, body []byte) []byte {
	switch alg {
	case "sha-256":
		sum := sha256.Sum256(body)
		return sum[:]
	case "sha-512":
		sum := sha512.Sum512(body)
		return sum[:]
	}
	return nil
}

// VerifyDigest checks body against the request's Digest (RFC 3230, as
// draft-cavage signers send it: "SHA-256=<base64>", algorithm name in any
// case) and Content-Digest (RFC 9530: "sha-256=:<base64>:") headers. SHA-256
// and SHA-512 are checked; other algorithms are ignored, but each header
// present must carry at least one we check, and every one we check must
// match. If both headers are present both must match. A request with
// neither fails.
//
// A digest only binds the body if the signature covers the header, which
// Parse enforces with Options.RequireDigest.
func VerifyDigest(h http.Header, body []byte) error {
	legacy := h.Values("Digest")
	content := h.Values("Content-Digest")
	if len(legacy) == 0 && len(content) == 0 {
		return fmt.Errorf("%w: no Digest or Content-Digest header", ErrDigest)
	}
	if len(legacy) > 0 {
		if err := verifyLegacyDigest(strings.Join(legacy, ","), body); err != nil {
			return err
		}
	}
	if len(content) > 0 {
		if err := verifyContentDigest(strings.Join(content, ", "), body); err != nil {
			return err
		}
	}
	return nil
}

// verifyLegacyDigest checks an RFC 3230 Digest value: comma-separated
// "algorithm=base64" instances.
func verifyLegacyDigest(v string, body []byte) error {
	checked := 0
	for _, inst := range strings.Split(v, ",") {
		alg, enc, ok := strings.Cut(trimOWS(inst), "=")
		if !ok {
			return fmt.Errorf("%w: malformed Digest instance %q", ErrDigest, inst)
		}
		want := bodyHash(strings.ToLower(alg), body)
		if want == nil {
			continue
		}
		got, err := decodeBase64(trimOWS(enc))
		if err != nil {
			return fmt.Errorf("%w: Digest %s is not base64", ErrDigest, alg)
		}
		if subtle.ConstantTimeCompare(got, want) != 1 {
			return fmt.Errorf("%w: Digest %s does not match the body", ErrDigest, alg)
		}
		checked++
	}
	if checked == 0 {
		return fmt.Errorf("%w: Digest has no SHA-256 or SHA-512 value", ErrDigest)
	}
	return nil
}

// verifyContentDigest checks an RFC 9530 Content-Digest dictionary.
func verifyContentDigest(v string, body []byte) error {
	members, err := parseDictionary(v)
	if err != nil {
		return fmt.Errorf("%w: Content-Digest: %w", ErrDigest, err)
	}
	checked := 0
	for _, m := range members {
		want := bodyHash(m.key, body)
		if want == nil {
			continue
		}
		if m.inner || m.value.kind != sfBytes {
			return fmt.Errorf("%w: Content-Digest %s is not a byte sequence", ErrDigest, m.key)
		}
		if subtle.ConstantTimeCompare(m.value.bytes, want) != 1 {
			return fmt.Errorf("%w: Content-Digest %s does not match the body", ErrDigest, m.key)
		}
		checked++
	}
	if checked == 0 {
		return fmt.Errorf("%w: Content-Digest has no sha-256 or sha-512 value", ErrDigest)
	}
	return nil
}
