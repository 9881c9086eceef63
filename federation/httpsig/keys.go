package httpsig

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
)

// KeyBits is the size of the RSA keys GenerateKey makes: what Mastodon and
// every other ActivityPub server use, and what all of them can verify.
const KeyBits = 2048

// GenerateKey makes a new RSA key for an actor.
func GenerateKey() (*rsa.PrivateKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return nil, fmt.Errorf("httpsig: generate key: %w", err)
	}
	return k, nil
}

// MarshalPrivateKeyPEM encodes an RSA private key as a PKCS #8
// "PRIVATE KEY" PEM block, for storage.
func MarshalPrivateKeyPEM(key *rsa.PrivateKey) (string, error) {
	if key == nil {
		return "", fmt.Errorf("%w: nil private key", ErrInvalidKey)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("%w: marshal private key: %w", ErrInvalidKey, err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// ParsePrivateKeyPEM decodes an RSA private key from a PKCS #8
// "PRIVATE KEY" or PKCS #1 "RSA PRIVATE KEY" PEM block (older servers and
// openssl genrsa write the latter).
func ParsePrivateKeyPEM(s string) (*rsa.PrivateKey, error) {
	block, err := decodePEM(s)
	if err != nil {
		return nil, err
	}
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: PKCS #8: %w", ErrInvalidKey, err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("%w: private key is %T, not RSA", ErrInvalidKey, k)
		}
		return rk, nil
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: PKCS #1: %w", ErrInvalidKey, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("%w: PEM block %q is not a private key", ErrInvalidKey, block.Type)
}

// MarshalPublicKeyPEM encodes a public key (*rsa.PublicKey or
// ed25519.PublicKey) as a PKIX "PUBLIC KEY" PEM block, the form actors
// publish in publicKey.publicKeyPem.
func MarshalPublicKeyPEM(pub crypto.PublicKey) (string, error) {
	switch pub.(type) {
	case *rsa.PublicKey, ed25519.PublicKey:
	default:
		return "", fmt.Errorf("%w: public key type %T", ErrInvalidKey, pub)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: marshal public key: %w", ErrInvalidKey, err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), nil
}

// ParsePublicKeyPEM decodes the publicKeyPem of an actor: a PKIX
// "PUBLIC KEY" block (RSA or Ed25519) or a PKCS #1 "RSA PUBLIC KEY" block.
// Surrounding whitespace and CRLF line ends are tolerated. It returns an
// *rsa.PublicKey or an ed25519.PublicKey, ready for Signature.Verify.
func ParsePublicKeyPEM(s string) (crypto.PublicKey, error) {
	block, err := decodePEM(s)
	if err != nil {
		return nil, err
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: PKIX: %w", ErrInvalidKey, err)
		}
		switch k := k.(type) {
		case *rsa.PublicKey, ed25519.PublicKey:
			return k, nil
		default:
			return nil, fmt.Errorf("%w: public key is %T, not RSA or Ed25519", ErrInvalidKey, k)
		}
	case "RSA PUBLIC KEY":
		k, err := x509.ParsePKCS1PublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: PKCS #1: %w", ErrInvalidKey, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("%w: PEM block %q is not a public key", ErrInvalidKey, block.Type)
}

// decodePEM finds the first PEM block in s.
func decodePEM(s string) (*pem.Block, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n")
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found", ErrInvalidKey)
	}
	return block, nil
}
