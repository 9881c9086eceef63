package httpsig

import (
	"bytes"
	"net/http"
	"testing"
)

// benchBody is a typical Create{Note} size.
var benchBody = bytes.Repeat([]byte("x"), 2048)

func BenchmarkSign(b *testing.B) {
	key, _ := testKeys(b)
	req, err := http.NewRequest(http.MethodPost, "https://capture.test/users/cap/inbox", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		req.Header = http.Header{}
		if err := Sign(req, benchBody, testKeyID, key, testNow); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyCavage(b *testing.B) {
	key, _ := testKeys(b)
	req := signedRequest(b, http.MethodPost, "/users/cap/inbox", benchBody)
	opts := testOptions()
	b.ReportAllocs()
	for b.Loop() {
		sig, err := Parse(req, opts)
		if err != nil {
			b.Fatal(err)
		}
		if err := sig.Verify(&key.PublicKey); err != nil {
			b.Fatal(err)
		}
		if err := VerifyDigest(req.Header, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRFC9421(b *testing.B) {
	key, _ := testKeys(b)
	req := unsignedPost(b, benchBody)
	signRFC9421(b, req, "sig1", fediCovered, createdNow+`;keyid="`+testKeyID+`";alg="rsa-v1_5-sha256"`, rsaV15Signer(b, key))
	opts := testOptions()
	b.ReportAllocs()
	for b.Loop() {
		sig, err := Parse(req, opts)
		if err != nil {
			b.Fatal(err)
		}
		if err := sig.Verify(&key.PublicKey); err != nil {
			b.Fatal(err)
		}
		if err := VerifyDigest(req.Header, benchBody); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseRFC9421 isolates the structured-field parsing and base
// building from the RSA operation.
func BenchmarkParseRFC9421(b *testing.B) {
	key, _ := testKeys(b)
	req := unsignedPost(b, benchBody)
	signRFC9421(b, req, "sig1", fediCovered, createdNow+`;keyid="`+testKeyID+`"`, rsaV15Signer(b, key))
	opts := testOptions()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(req, opts); err != nil {
			b.Fatal(err)
		}
	}
}
