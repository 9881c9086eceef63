package httpsig

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

func TestPrivateKeyPEM(t *testing.T) {
	key, _ := testKeys(t)
	if key.N.BitLen() != KeyBits {
		t.Fatalf("GenerateKey made %d bits", key.N.BitLen())
	}
	s, err := MarshalPrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, "-----BEGIN PRIVATE KEY-----\n") {
		t.Fatalf("not PKCS #8: %.40s", s)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	for name, in := range map[string]string{
		"PKCS #8":         s,
		"PKCS #1":         pkcs1,
		"CRLF and spaces": "\r\n  " + strings.ReplaceAll(s, "\n", "\r\n") + "  \r\n",
	} {
		t.Run(name, func(t *testing.T) {
			got, err := ParsePrivateKeyPEM(in)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(key) {
				t.Fatal("parsed a different key")
			}
		})
	}
	if _, err := MarshalPrivateKeyPEM(nil); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Marshal(nil) = %v", err)
	}
}

func TestParsePrivateKeyPEMErrors(t *testing.T) {
	_, edPriv := mustEd25519(t)
	edDER, err := x509.MarshalPKCS8PrivateKey(edPriv)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := testKeys(t)
	pubPEM, _ := MarshalPublicKeyPEM(&key.PublicKey)
	for name, in := range map[string]string{
		"empty":       "",
		"garbage":     "not a key",
		"Ed25519":     string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER})),
		"public key":  pubPEM,
		"bad PKCS #8": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("x")})),
		"bad PKCS #1": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("x")})),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParsePrivateKeyPEM(in); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("err = %v, want ErrInvalidKey", err)
			}
		})
	}
}

func TestPublicKeyPEM(t *testing.T) {
	key, _ := testKeys(t)
	edPub, _ := mustEd25519(t)
	rsaPEM, err := MarshalPublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	edPEM, err := MarshalPublicKeyPEM(edPub)
	if err != nil {
		t.Fatal(err)
	}
	if edPEM != rfcEd25519PubPEM {
		t.Errorf("Ed25519 PEM = %q, want the RFC 9421 text", edPEM)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&key.PublicKey)}))
	tests := []struct {
		name, in string
		want     interface{ Equal(crypto.PublicKey) bool }
	}{
		{"PKIX RSA", rsaPEM, &key.PublicKey},
		{"PKCS #1 RSA", pkcs1, &key.PublicKey},
		{"PKIX Ed25519", edPEM, edPub},
		{"RFC 9421 RSA-PSS test key", rfcRSAPSSPubPEM, nil},
		{"surrounding whitespace", "\n\n   " + rsaPEM + "\n\t ", &key.PublicKey},
		{"CRLF", strings.ReplaceAll(rsaPEM, "\n", "\r\n"), &key.PublicKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePublicKeyPEM(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if tc.want != nil && !tc.want.Equal(got) {
				t.Fatalf("parsed a different key: %T", got)
			}
			if _, ok := got.(*rsa.PublicKey); !ok {
				if _, ok := got.(ed25519.PublicKey); !ok {
					t.Fatalf("returned %T", got)
				}
			}
		})
	}
}

func TestParsePublicKeyPEMErrors(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]string{
		"empty":       "",
		"garbage":     "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----",
		"ECDSA":       string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER})),
		"certificate": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ecDER})),
		"bad PKIX":    string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte("x")})),
		"bad PKCS #1": string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: []byte("x")})),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParsePublicKeyPEM(in); !errors.Is(err, ErrInvalidKey) {
				t.Fatalf("err = %v, want ErrInvalidKey", err)
			}
		})
	}
	if _, err := MarshalPublicKeyPEM(&ec.PublicKey); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("MarshalPublicKeyPEM(ECDSA) = %v, want ErrInvalidKey", err)
	}
}
