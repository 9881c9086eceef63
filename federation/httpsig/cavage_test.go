package httpsig

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// testNow is the fixed clock of the synthetic tests.
var testNow = time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
	otherKey    *rsa.PrivateKey
)

// testKeys returns two RSA 2048 keys, made once per test binary.
func testKeys(tb testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	tb.Helper()
	testKeyOnce.Do(func() {
		var err error
		if testKey, err = GenerateKey(); err != nil {
			panic(err)
		}
		if otherKey, err = GenerateKey(); err != nil {
			panic(err)
		}
	})
	return testKey, otherKey
}

const testKeyID = "https://sender.test/users/alice#main-key"

// wire sends req through the HTTP/1.1 wire format and reads it back as a
// server would, so tests see what an inbox sees (Host moved out of the
// header map, RequestURI set, header names canonicalized).
func wire(tb testing.TB, req *http.Request, body []byte) *http.Request {
	tb.Helper()
	if body != nil {
		req.ContentLength = int64(len(body))
		req.Body = readCloser{bytes.NewReader(body)}
	}
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	out, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// signedRequest builds a request to capture.test signed with Sign and
// returns it as the receiving server reads it.
func signedRequest(tb testing.TB, method, target string, body []byte) *http.Request {
	tb.Helper()
	key, _ := testKeys(tb)
	req, err := http.NewRequest(method, "https://capture.test"+target, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/activity+json")
	}
	if err := Sign(req, body, testKeyID, key, testNow); err != nil {
		tb.Fatal(err)
	}
	return wire(tb, req, body)
}

func testOptions() Options {
	return Options{Now: func() time.Time { return testNow }, RequireDigest: true}
}

func TestSignRoundTrip(t *testing.T) {
	key, other := testKeys(t)
	body := []byte(`{"type":"Follow","actor":"https://sender.test/users/alice"}`)
	tests := []struct {
		name, method, target string
		body                 []byte
		wantHeaders          string
	}{
		{"GET", http.MethodGet, "/users/cap", nil, "(request-target) host date"},
		{"GET with query", http.MethodGet, "/.well-known/webfinger?resource=acct%3Acap%40capture.test", nil, "(request-target) host date"},
		{"GET escaped path", http.MethodGet, "/tags/%D8%AA%D8%B6%D8%A7%D9%85%D9%86", nil, "(request-target) host date"},
		{"POST", http.MethodPost, "/users/cap/inbox", body, "(request-target) host date digest"},
		{"POST empty body", http.MethodPost, "/inbox", []byte{}, "(request-target) host date digest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := signedRequest(t, tc.method, tc.target, tc.body)
			if got := req.Header.Get("Date"); got != "Mon, 23 Nov 2026 20:00:00 GMT" {
				t.Errorf("Date = %q", got)
			}
			h := req.Header.Get("Signature")
			if !strings.HasPrefix(h, `keyId="`+testKeyID+`",algorithm="rsa-sha256",headers="`+tc.wantHeaders+`",signature="`) {
				t.Errorf("Signature header = %s", h)
			}
			if req.RequestURI != tc.target {
				t.Errorf("RequestURI = %q, want %q", req.RequestURI, tc.target)
			}
			sig, err := Parse(req, testOptions())
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if sig.KeyID != testKeyID || sig.Scheme != SchemeCavage || sig.Algorithm != "rsa-sha256" {
				t.Errorf("parsed %+v", sig)
			}
			if !sig.Created.Equal(testNow) {
				t.Errorf("Created = %v", sig.Created)
			}
			if err := sig.Verify(&key.PublicKey); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := sig.Verify(&other.PublicKey); !errors.Is(err, ErrBadSignature) {
				t.Errorf("Verify with another key = %v, want ErrBadSignature", err)
			}
			if tc.body != nil {
				if got, want := req.Header.Get("Digest"), digestHeader(tc.body); got != want {
					t.Errorf("Digest = %q, want %q", got, want)
				}
				if err := VerifyDigest(req.Header, tc.body); err != nil {
					t.Errorf("VerifyDigest: %v", err)
				}
			} else if req.Header.Get("Digest") != "" {
				t.Error("GET got a Digest header")
			}
		})
	}
}

// TestSignSigningString pins the exact signing string, independently of
// Parse, against a hand-written expectation.
func TestSignSigningString(t *testing.T) {
	key, _ := testKeys(t)
	body := []byte(`{}`)
	req, err := http.NewRequest(http.MethodPost, "https://capture.test/users/cap/inbox?x=%20y", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Sign(req, body, testKeyID, key, testNow); err != nil {
		t.Fatal(err)
	}
	want := "(request-target): post /users/cap/inbox?x=%20y\n" +
		"host: capture.test\n" +
		"date: Mon, 23 Nov 2026 20:00:00 GMT\n" +
		"digest: SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o="
	h := req.Header.Get("Signature")
	i := strings.Index(h, `signature="`)
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(h[i+len(`signature="`):], `"`))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(want))
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Fatalf("signature is not over the expected signing string: %v", err)
	}
}

func TestSignKeepsDateAndHost(t *testing.T) {
	key, _ := testKeys(t)
	req, _ := http.NewRequest(http.MethodGet, "https://10.0.0.1/users/cap", nil)
	req.Host = "capture.test"
	req.Header.Set("Date", "Mon, 23 Nov 2026 19:59:59 GMT")
	if err := Sign(req, nil, testKeyID, key, testNow); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Get("Date"); got != "Mon, 23 Nov 2026 19:59:59 GMT" {
		t.Errorf("Date overwritten: %q", got)
	}
	in := wire(t, req, nil)
	if in.Host != "capture.test" {
		t.Fatalf("Host = %q", in.Host)
	}
	sig, err := Parse(in, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.Verify(&key.PublicKey); err != nil {
		t.Fatal(err)
	}
}

func TestSignErrors(t *testing.T) {
	key, _ := testKeys(t)
	good, _ := http.NewRequest(http.MethodGet, "https://capture.test/", nil)
	noHost := &http.Request{Method: http.MethodGet, URL: &url.URL{Path: "/"}, Header: http.Header{}}
	tests := []struct {
		name  string
		req   *http.Request
		keyID string
		key   *rsa.PrivateKey
	}{
		{"nil request", nil, testKeyID, key},
		{"nil key", good, testKeyID, nil},
		{"empty keyId", good, "", key},
		{"quote in keyId", good, `a"b`, key},
		{"no host", noHost, testKeyID, key},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Sign(tc.req, nil, tc.keyID, tc.key, testNow)
			if err == nil || !strings.HasPrefix(err.Error(), "httpsig: ") {
				t.Fatalf("Sign = %v, want an httpsig error", err)
			}
		})
	}
}

// TestCavageTampering changes each signed part of a signed POST in turn;
// every change must be refused.
func TestCavageTampering(t *testing.T) {
	key, _ := testKeys(t)
	body := []byte(`{"type":"Create"}`)
	tests := []struct {
		name    string
		tamper  func(*http.Request) []byte
		wantErr error
	}{
		{"method", func(r *http.Request) []byte { r.Method = http.MethodPut; return body }, ErrBadSignature},
		{"path", func(r *http.Request) []byte { r.RequestURI = "/users/bob/inbox"; return body }, ErrBadSignature},
		{"query", func(r *http.Request) []byte { r.RequestURI += "?x=1"; return body }, ErrBadSignature},
		{"host", func(r *http.Request) []byte { r.Host = "other.test"; return body }, ErrBadSignature},
		{"date", func(r *http.Request) []byte {
			r.Header.Set("Date", "Mon, 23 Nov 2026 20:00:01 GMT")
			return body
		}, ErrBadSignature},
		{"digest header", func(r *http.Request) []byte {
			b := []byte(`{"type":"Delete"}`)
			r.Header.Set("Digest", digestHeader(b))
			return b
		}, ErrBadSignature},
		{"body", func(r *http.Request) []byte { return []byte(`{"type":"Delete"}`) }, ErrDigest},
		{"signature bytes", func(r *http.Request) []byte {
			h := r.Header.Get("Signature")
			i := strings.Index(h, `signature="`) + len(`signature="`)
			c := byte('A')
			if h[i] == 'A' {
				c = 'B'
			}
			r.Header.Set("Signature", h[:i]+string(c)+h[i+1:])
			return body
		}, ErrBadSignature},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := signedRequest(t, http.MethodPost, "/users/cap/inbox", body)
			got := tc.tamper(req)
			sig, err := Parse(req, testOptions())
			if err == nil {
				err = sig.Verify(&key.PublicKey)
			}
			if err == nil {
				err = VerifyDigest(req.Header, got)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// cavageRequest builds an inbound request by hand with the given Signature
// header, for policy tests that never reach the crypto.
func cavageRequest(t testing.TB, method, sigHeader string, extra map[string]string) *http.Request {
	t.Helper()
	var b strings.Builder
	b.WriteString(method + " /inbox HTTP/1.1\r\nHost: capture.test\r\n")
	b.WriteString("Date: Mon, 23 Nov 2026 20:00:00 GMT\r\n")
	b.WriteString("Digest: SHA-256=RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=\r\n")
	for k, v := range extra {
		b.WriteString(k + ": " + v + "\r\n")
	}
	if sigHeader != "" {
		b.WriteString("Signature: " + sigHeader + "\r\n")
	}
	if method == http.MethodPost {
		b.WriteString("Content-Length: 2\r\n\r\n{}")
	} else {
		b.WriteString("\r\n")
	}
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(b.String())))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestCavagePolicy(t *testing.T) {
	const sigB64 = "c2lnbmF0dXJl" // "signature"; these tests stop before crypto
	tests := []struct {
		name, method, header string
		extra                map[string]string
		wantErr              error
	}{
		{"acceptable", "POST", `keyId="k",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="` + sigB64 + `"`, nil, nil},
		{"hs2019", "POST", `keyId="k",algorithm="hs2019",headers="(request-target) host date digest",signature="` + sigB64 + `"`, nil, nil},
		{"no algorithm", "POST", `keyId="k",headers="(request-target) host date digest",signature="` + sigB64 + `"`, nil, nil},
		{"algorithm case", "POST", `keyId="k",algorithm="RSA-SHA256",headers="(request-target) host date digest",signature="` + sigB64 + `"`, nil, nil},
		{"spaces after commas", "POST", `keyId="k", algorithm="rsa-sha256", headers="(request-target) host date digest", signature="` + sigB64 + `"`, nil, nil},
		{"GET without digest", "GET", `keyId="k",algorithm="rsa-sha256",headers="(request-target) host date",signature="` + sigB64 + `"`, nil, nil},
		{"(created) instead of date", "GET", `keyId="k",algorithm="hs2019",created=1795464000,headers="(request-target) host (created)",signature="` + sigB64 + `"`, nil, nil},

		{"hmac-sha256", "POST", `keyId="k",algorithm="hmac-sha256",headers="(request-target) host date digest",signature="` + sigB64 + `"`, nil, ErrUnsupported},
		{"rsa-sha1", "POST", `keyId="k",algorithm="rsa-sha1",headers="(request-target) host date digest",signature="` + sigB64 + `"`, nil, ErrUnsupported},
		{"ecdsa-sha256", "POST", `keyId="k",algorithm="ecdsa-sha256",headers="(request-target) host date digest",signature="` + sigB64 + `"`, nil, ErrUnsupported},
		{"keyId missing", "POST", `algorithm="rsa-sha256",headers="(request-target) host date digest",signature="` + sigB64 + `"`, nil, ErrMalformed},
		{"keyId empty", "POST", `keyId="",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="` + sigB64 + `"`, nil, ErrMalformed},
		{"signature missing", "POST", `keyId="k",algorithm="rsa-sha256",headers="(request-target) host date digest"`, nil, ErrMalformed},
		{"signature not base64", "POST", `keyId="k",headers="(request-target) host date digest",signature="***"`, nil, ErrMalformed},
		{"unterminated quote", "POST", `keyId="k,headers="(request-target) host date digest",signature="` + sigB64, nil, ErrMalformed},
		{"repeated parameter", "POST", `keyId="k",keyId="j",headers="(request-target) host date digest",signature="` + sigB64 + `"`, nil, ErrMalformed},
		{"garbage", "POST", `this is not a signature`, nil, ErrMalformed},
		{"empty headers", "POST", `keyId="k",headers="",signature="` + sigB64 + `"`, nil, ErrMalformed},
		{"headers absent means date only", "GET", `keyId="k",signature="` + sigB64 + `"`, nil, ErrCoverage},
		{"no (request-target)", "POST", `keyId="k",headers="host date digest",signature="` + sigB64 + `"`, nil, ErrCoverage},
		{"no host", "POST", `keyId="k",headers="(request-target) date digest",signature="` + sigB64 + `"`, nil, ErrCoverage},
		{"no date", "POST", `keyId="k",headers="(request-target) host digest",signature="` + sigB64 + `"`, nil, ErrCoverage},
		{"no digest on POST", "POST", `keyId="k",headers="(request-target) host date",signature="` + sigB64 + `"`, nil, ErrCoverage},
		{"(created) with rsa-sha256", "GET", `keyId="k",algorithm="rsa-sha256",created=1795464000,headers="(request-target) host (created)",signature="` + sigB64 + `"`, nil, ErrMalformed},
		{"(created) without created", "GET", `keyId="k",headers="(request-target) host (created)",signature="` + sigB64 + `"`, nil, ErrMalformed},
		{"stale (created)", "GET", `keyId="k",created=1795450000,headers="(request-target) host (created)",signature="` + sigB64 + `"`, nil, ErrExpired},
		{"(expires) passed", "GET", `keyId="k",expires=1795463999,headers="(request-target) host date (expires)",signature="` + sigB64 + `"`, nil, ErrExpired},
		{"unsigned expires passed", "GET", `keyId="k",expires=1795463999,headers="(request-target) host date",signature="` + sigB64 + `"`, nil, ErrExpired},
		{"unsigned created not a number", "GET", `keyId="k",created=soon,headers="(request-target) host date",signature="` + sigB64 + `"`, nil, ErrMalformed},
		{"(expires) ahead", "GET", `keyId="k",expires=1795464060,headers="(request-target) host date (expires)",signature="` + sigB64 + `"`, nil, nil},
		{"unknown pseudo-header", "GET", `keyId="k",headers="(request-target) host date (nonce)",signature="` + sigB64 + `"`, nil, ErrUnsupported},
		{"signed header absent", "GET", `keyId="k",headers="(request-target) host date content-type",signature="` + sigB64 + `"`, nil, ErrMalformed},
		{"signed header present", "GET", `keyId="k",headers="(request-target) host date accept",signature="` + sigB64 + `"`, map[string]string{"Accept": "application/activity+json"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := cavageRequest(t, tc.method, tc.header, tc.extra)
			_, err := Parse(req, testOptions())
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Parse error = %v, want %v", err, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "httpsig: ") {
				t.Errorf("error %q lacks the httpsig: prefix", err)
			}
		})
	}
}

func TestCavageDate(t *testing.T) {
	const header = `keyId="k",headers="(request-target) host date",signature="c2ln"`
	tests := []struct {
		date    string
		wantErr error
	}{
		{"Mon, 23 Nov 2026 20:00:00 GMT", nil},
		{"Mon, 23 Nov 2026 19:00:00 GMT", nil}, // exactly MaxSkew old
		{"Mon, 23 Nov 2026 18:59:59 GMT", ErrExpired},
		{"Mon, 23 Nov 2026 21:00:00 GMT", nil},
		{"Mon, 23 Nov 2026 21:00:01 GMT", ErrExpired},
		{"Mon, 23 Nov 2026 22:00:00 +0200", nil},
		{"Mon, 23 Nov 2026 20:00:00 UTC", nil},
		{"Mon, 23 Nov 2026 20:00:00 PST", ErrMalformed},
		{"Monday, 23-Nov-26 20:00:00 GMT", nil},
		{"Mon Nov 23 20:00:00 2026", nil},
		{"2026-11-23T20:00:00Z", ErrMalformed},
		{"yesterday", ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.date, func(t *testing.T) {
			req := cavageRequest(t, "GET", header, nil)
			req.Header.Set("Date", tc.date)
			_, err := Parse(req, testOptions())
			if tc.wantErr == nil && err != nil || tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Fatalf("Parse error = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// TestCavageStaleSigned signs correctly but at the wrong time: a valid
// signature with an old or future Date must still be refused.
func TestCavageStaleSigned(t *testing.T) {
	key, _ := testKeys(t)
	for _, shift := range []time.Duration{-61 * time.Minute, 61 * time.Minute, -24 * time.Hour} {
		req, _ := http.NewRequest(http.MethodGet, "https://capture.test/users/cap", nil)
		if err := Sign(req, nil, testKeyID, key, testNow.Add(shift)); err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(wire(t, req, nil), testOptions()); !errors.Is(err, ErrExpired) {
			t.Errorf("signed %v from now: Parse error = %v, want ErrExpired", shift, err)
		}
	}
	// A wider MaxSkew lets the day-old one through.
	req, _ := http.NewRequest(http.MethodGet, "https://capture.test/users/cap", nil)
	if err := Sign(req, nil, testKeyID, key, testNow.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	opts.MaxSkew = 25 * time.Hour
	if _, err := Parse(wire(t, req, nil), opts); err != nil {
		t.Errorf("with MaxSkew 25h: %v", err)
	}
}

func TestCavageAuthorizationHeader(t *testing.T) {
	key, _ := testKeys(t)
	req := signedRequest(t, http.MethodGet, "/users/cap", nil)
	req.Header.Set("Authorization", "Signature "+req.Header.Get("Signature"))
	req.Header.Del("Signature")
	sig, err := Parse(req, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.Verify(&key.PublicKey); err != nil {
		t.Fatal(err)
	}

	req.Header.Set("Authorization", "Bearer abc")
	if _, err := Parse(req, testOptions()); !errors.Is(err, ErrNoSignature) {
		t.Errorf("Bearer auth: %v, want ErrNoSignature", err)
	}
}

func TestCavageOptions(t *testing.T) {
	key, _ := testKeys(t)
	req := signedRequest(t, http.MethodGet, "/users/cap", nil)

	// A proxy rewrote Host to the backend's name; Options.Host restores
	// the public authority the sender signed.
	req.Host = "backend:8080"
	sig, err := Parse(req, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.Verify(&key.PublicKey); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("rewritten Host verified: %v", err)
	}
	opts := testOptions()
	opts.Host = "capture.test"
	if sig, err = Parse(req, opts); err != nil {
		t.Fatal(err)
	}
	if err := sig.Verify(&key.PublicKey); err != nil {
		t.Fatalf("with Options.Host: %v", err)
	}
}

func TestCavageMultipleHeaderValues(t *testing.T) {
	key, _ := testKeys(t)
	req := cavageRequest(t, "GET", "", map[string]string{"X-A": " one "})
	req.Header.Add("X-A", "two")
	signing := "(request-target): get /inbox\nhost: capture.test\ndate: Mon, 23 Nov 2026 20:00:00 GMT\nx-a: one, two"
	sum := sha256.Sum256([]byte(signing))
	raw, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Signature", `keyId="k",headers="(request-target) host date x-a",signature="`+base64.StdEncoding.EncodeToString(raw)+`"`)
	sig, err := Parse(req, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.Verify(&key.PublicKey); err != nil {
		t.Fatal(err)
	}
}

func TestParseNoSignature(t *testing.T) {
	req := cavageRequest(t, "GET", "", nil)
	if _, err := Parse(req, testOptions()); !errors.Is(err, ErrNoSignature) {
		t.Fatalf("Parse = %v, want ErrNoSignature", err)
	}
	if _, err := Parse(nil, testOptions()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("Parse(nil) = %v, want ErrMalformed", err)
	}
	req.Header.Add("Signature", `keyId="a"`)
	req.Header.Add("Signature", `keyId="b"`)
	if _, err := Parse(req, testOptions()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("two Signature headers: %v, want ErrMalformed", err)
	}
}

func TestVerifyKeyMismatch(t *testing.T) {
	key, _ := testKeys(t)
	req := signedRequest(t, http.MethodGet, "/users/cap", nil)
	sig, err := Parse(req, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	edPub, _ := mustEd25519(t)
	if err := sig.Verify(edPub); !errors.Is(err, ErrBadSignature) {
		t.Errorf("rsa-sha256 with Ed25519 key: %v, want ErrBadSignature", err)
	}
	if err := sig.Verify(key); !errors.Is(err, ErrBadSignature) {
		t.Errorf("private key instead of public: %v, want ErrBadSignature", err)
	}
	var empty *Signature
	if err := empty.Verify(&key.PublicKey); !errors.Is(err, ErrMalformed) {
		t.Errorf("nil Signature: %v", err)
	}
	// hs2019: the key type decides, and an unknown type is unsupported.
	sig.alg, sig.Algorithm = algByKey, "hs2019"
	if err := sig.Verify("not a key"); !errors.Is(err, ErrUnsupported) {
		t.Errorf("hs2019 with a string key: %v, want ErrUnsupported", err)
	}
	if err := sig.Verify(&key.PublicKey); err != nil {
		t.Errorf("hs2019 with the RSA key: %v", err)
	}
}

func TestRequestTarget(t *testing.T) {
	tests := []struct {
		name, raw, want string
	}{
		{"origin form kept raw", "GET /a%2Fb?q=%20 HTTP/1.1\r\nHost: capture.test\r\n\r\n", "/a%2Fb?q=%20"},
		{"absolute form reduced", "GET https://capture.test/users/cap?x=1 HTTP/1.1\r\nHost: capture.test\r\n\r\n", "/users/cap?x=1"},
		{"asterisk form", "OPTIONS * HTTP/1.1\r\nHost: capture.test\r\n\r\n", "*"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(tc.raw)))
			if err != nil {
				t.Fatal(err)
			}
			if got := requestTarget(req); got != tc.want {
				t.Fatalf("requestTarget = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestParseClientSideRequest: Parse also works on a request built for
// sending (no RequestURI, Host only in the URL), as a transport test or a
// loopback check might use it.
func TestParseClientSideRequest(t *testing.T) {
	key, _ := testKeys(t)
	req, err := http.NewRequest(http.MethodGet, "https://capture.test/users/cap?a=%2F", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Sign(req, nil, testKeyID, key, testNow); err != nil {
		t.Fatal(err)
	}
	req.Host = ""
	sig, err := Parse(req, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.Verify(&key.PublicKey); err != nil {
		t.Fatal(err)
	}
	if want := "(request-target): get /users/cap?a=%2F\nhost: capture.test\ndate: Mon, 23 Nov 2026 20:00:00 GMT"; string(sig.base) != want {
		t.Fatalf("signing string %q", sig.base)
	}
}
