package proof

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"fmt"
)

// Multicodec prefixes (unsigned varints) of the keys a Multikey may hold.
var (
	prefixEd25519Pub  = []byte{0xed, 0x01} // ed25519-pub, 0xed
	prefixEd25519Priv = []byte{0x80, 0x26} // ed25519-priv, 0x1300
	prefixRSAPub      = []byte{0x85, 0x24} // rsa-pub, 0x1205
)

// ErrUnsupportedKey is returned for a well-formed Multikey of a kind this
// package does not read (neither Ed25519 nor RSA).
var ErrUnsupportedKey = errors.New("proof: unsupported Multikey type")

// EncodePublicKey is the publicKeyMultibase of an Ed25519 public key:
// "z6Mk..." (48 characters).
func EncodePublicKey(pub ed25519.PublicKey) string {
	return "z" + encodeBase58(append(append([]byte{}, prefixEd25519Pub...), pub...))
}

// EncodePrivateKey is the secretKeyMultibase of an Ed25519 private key (its
// 32-byte seed), the form the test vectors give keys in.
func EncodePrivateKey(key ed25519.PrivateKey) string {
	return "z" + encodeBase58(append(append([]byte{}, prefixEd25519Priv...), key.Seed()...))
}

// DecodeMultikey reads a publicKeyMultibase value: an ed25519.PublicKey or
// an *rsa.PublicKey. Other key types give ErrUnsupportedKey.
func DecodeMultikey(mb string) (crypto.PublicKey, error) {
	raw, err := decodeMultibase(mb)
	if err != nil {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(raw, prefixEd25519Pub):
		k := raw[len(prefixEd25519Pub):]
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("proof: Ed25519 Multikey of %d bytes, want %d", len(k), ed25519.PublicKeySize)
		}
		return ed25519.PublicKey(k), nil
	case bytes.HasPrefix(raw, prefixRSAPub):
		k, err := x509.ParsePKCS1PublicKey(raw[len(prefixRSAPub):])
		if err != nil {
			return nil, fmt.Errorf("proof: RSA Multikey: %w", err)
		}
		return k, nil
	}
	return nil, ErrUnsupportedKey
}

// DecodePublicKey reads the publicKeyMultibase of an Ed25519 key. An RSA
// (or other) Multikey gives an error wrapping ErrUnsupportedKey.
func DecodePublicKey(mb string) (ed25519.PublicKey, error) {
	k, err := DecodeMultikey(mb)
	if err != nil {
		return nil, err
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %T where an Ed25519 key is needed", ErrUnsupportedKey, k)
	}
	return pub, nil
}

// DecodePrivateKey reads the secretKeyMultibase of an Ed25519 private key.
func DecodePrivateKey(mb string) (ed25519.PrivateKey, error) {
	raw, err := decodeMultibase(mb)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(raw, prefixEd25519Priv) {
		return nil, ErrUnsupportedKey
	}
	seed := raw[len(prefixEd25519Priv):]
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("proof: Ed25519 secret key of %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// decodeMultibase reads multibase text in base58btc, the only base the
// Multikey and eddsa-jcs-2022 specifications use.
func decodeMultibase(mb string) ([]byte, error) {
	if mb == "" || mb[0] != 'z' {
		return nil, errors.New("proof: multibase value is not base58btc ('z')")
	}
	raw, err := decodeBase58(mb[1:])
	if err != nil {
		return nil, fmt.Errorf("proof: multibase: %w", err)
	}
	return raw, nil
}
