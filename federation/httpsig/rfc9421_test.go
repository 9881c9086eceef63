package httpsig

import (
	"bufio"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// RFC 9421 Appendix B.1.4 test-key-ed25519: the private key's seed and the
// public key, as printed in the RFC (JWK "d" and "x", and the SPKI PEM).
const (
	rfcEd25519Seed   = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU"
	rfcEd25519X      = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"
	rfcEd25519PubPEM = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=\n-----END PUBLIC KEY-----\n"
)

// RFC 9421 Appendix B.1.2 test-key-rsa-pss, public half.
const rfcRSAPSSPubPEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----
`

// rfcRequest is the example request of RFC 9421 Appendix B.2.
const rfcRequest = "POST /foo?param=Value&Pet=dog HTTP/1.1\r\n" +
	"Host: example.com\r\n" +
	"Date: Tue, 20 Apr 2021 02:07:55 GMT\r\n" +
	"Content-Type: application/json\r\n" +
	"Content-Digest: sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\r\n" +
	"Content-Length: 18\r\n" +
	"\r\n" +
	`{"hello": "world"}`

// rfcCreated is the created time of the Appendix B signatures.
const rfcCreated = 1618884473

func mustEd25519(tb testing.TB) (ed25519.PublicKey, ed25519.PrivateKey) {
	tb.Helper()
	seed, err := base64.RawURLEncoding.DecodeString(rfcEd25519Seed)
	if err != nil {
		tb.Fatal(err)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	x, _ := base64.RawURLEncoding.DecodeString(rfcEd25519X)
	if !priv.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(x)) {
		tb.Fatal("RFC 9421 ed25519 test key: seed and x disagree")
	}
	return priv.Public().(ed25519.PublicKey), priv
}

func rfcExampleRequest(tb testing.TB) *http.Request {
	tb.Helper()
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(rfcRequest)))
	if err != nil {
		tb.Fatal(err)
	}
	return req
}

func rfcOptions() Options {
	return Options{Now: func() time.Time { return time.Unix(rfcCreated, 0) }}
}

// TestRFC9421AppendixB26 verifies the RFC's Ed25519 example (B.2.6)
// through the public API, and checks the signature base against the one
// printed in the RFC.
func TestRFC9421AppendixB26(t *testing.T) {
	const (
		input     = `sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`
		signature = `sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:`
		base      = `"date": Tue, 20 Apr 2021 02:07:55 GMT` + "\n" +
			`"@method": POST` + "\n" +
			`"@path": /foo` + "\n" +
			`"@authority": example.com` + "\n" +
			`"content-type": application/json` + "\n" +
			`"content-length": 18` + "\n" +
			`"@signature-params": ("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519"`
	)
	req := rfcExampleRequest(t)
	req.Header.Set("Signature-Input", input)
	req.Header.Set("Signature", signature)
	sig, err := Parse(req, rfcOptions())
	if err != nil {
		t.Fatal(err)
	}
	if string(sig.base) != base {
		t.Fatalf("signature base:\n%s\nwant:\n%s", sig.base, base)
	}
	if sig.Label != "sig-b26" || sig.KeyID != "test-key-ed25519" || sig.Algorithm != "" || sig.Created.Unix() != rfcCreated {
		t.Errorf("parsed %+v", sig)
	}
	pub, err := ParsePublicKeyPEM(rfcEd25519PubPEM)
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.Verify(pub); err != nil {
		t.Fatalf("Verify: %v", err)
	}

	// Our test signer, given the same key and inputs, must reproduce the
	// RFC's signature byte for byte (Ed25519 is deterministic).
	_, priv := mustEd25519(t)
	fresh := rfcExampleRequest(t)
	signRFC9421(t, fresh, "sig-b26", []string{"date", "@method", "@path", "@authority", "content-type", "content-length"},
		fmt.Sprintf(`;created=%d;keyid="test-key-ed25519"`, rfcCreated), ed25519Signer(priv))
	if got := fresh.Header.Get("Signature-Input"); got != input {
		t.Errorf("test signer Signature-Input = %s", got)
	}
	if got := fresh.Header.Get("Signature"); got != signature {
		t.Errorf("test signer Signature = %s\nwant %s", got, signature)
	}

	// The RFC's Content-Digest is right for its body.
	if err := VerifyDigest(req.Header, []byte(`{"hello": "world"}`)); err != nil {
		t.Errorf("VerifyDigest: %v", err)
	}
}

// TestRFC9421AppendixB21 checks the RFC's minimal RSA-PSS example (B.2.1).
// It covers nothing but its own parameters, so Parse rightly refuses it;
// the signature base and RSA-PSS verification are checked directly.
func TestRFC9421AppendixB21(t *testing.T) {
	const (
		input     = `sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"`
		signature = `sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cOGdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8ssinQ98Xw9Q==:`
	)
	req := rfcExampleRequest(t)
	req.Header.Set("Signature-Input", input)
	req.Header.Set("Signature", signature)
	if _, err := Parse(req, rfcOptions()); !errors.Is(err, ErrCoverage) {
		t.Fatalf("Parse = %v, want ErrCoverage", err)
	}

	in, err := parseDictionary(input)
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := parseDictionary(signature)
	if err != nil {
		t.Fatal(err)
	}
	base, err := signatureBase(req, rfcOptions(), nil, in[0].raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"`; string(base) != want {
		t.Fatalf("base = %q", base)
	}
	pub, err := ParsePublicKeyPEM(rfcRSAPSSPubPEM)
	if err != nil {
		t.Fatal(err)
	}
	s := &Signature{Algorithm: "rsa-pss-sha512", alg: algRSAPSSSHA512, base: base, sig: sigs[0].value.bytes}
	if err := s.Verify(pub); err != nil {
		t.Fatalf("RSA-PSS verify: %v", err)
	}
	s.base = append(base, ' ')
	if err := s.Verify(pub); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("changed base: %v, want ErrBadSignature", err)
	}
}

// rfcSigner signs a signature base.
type rfcSigner func(base []byte) []byte

func rsaV15Signer(tb testing.TB, k *rsa.PrivateKey) rfcSigner {
	return func(base []byte) []byte {
		sum := sha256.Sum256(base)
		sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
		if err != nil {
			tb.Fatal(err)
		}
		return sig
	}
}

func rsaPSSSigner(tb testing.TB, k *rsa.PrivateKey) rfcSigner {
	return func(base []byte) []byte {
		sum := sha512.Sum512(base)
		sig, err := rsa.SignPSS(rand.Reader, k, crypto.SHA512, sum[:], &rsa.PSSOptions{SaltLength: 64})
		if err != nil {
			tb.Fatal(err)
		}
		return sig
	}
}

func ed25519Signer(k ed25519.PrivateKey) rfcSigner {
	return func(base []byte) []byte { return ed25519.Sign(k, base) }
}

// signRFC9421 is a small RFC 9421 signer for tests. It works on a request
// as the server sees it and derives component values its own way, kept
// simple and separate from componentValue so the two can disagree when one
// is wrong. params is the serialized parameter list, e.g.
// `;created=1;keyid="k"`. It adds to any existing signature headers.
func signRFC9421(tb testing.TB, req *http.Request, label string, components []string, params string, sign rfcSigner) {
	tb.Helper()
	quoted := make([]string, len(components))
	for i, c := range components {
		quoted[i] = `"` + c + `"`
	}
	sigParams := "(" + strings.Join(quoted, " ") + ")" + params
	signRFC9421Raw(tb, req, label, components, sigParams, sign)
}

// signRFC9421Raw is signRFC9421 with the Signature-Input member value
// given verbatim.
func signRFC9421Raw(tb testing.TB, req *http.Request, label string, components []string, sigParams string, sign rfcSigner) {
	tb.Helper()
	path, query, _ := strings.Cut(req.RequestURI, "?")
	var b strings.Builder
	for _, c := range components {
		var v string
		switch c {
		case "@method":
			v = req.Method
		case "@target-uri":
			v = "https://" + req.Host + req.RequestURI
		case "@authority":
			v = strings.ToLower(req.Host)
		case "@scheme":
			v = "https"
		case "@request-target":
			v = req.RequestURI
		case "@path":
			v = path
		case "@query":
			v = "?" + query
		case "host":
			v = req.Host
		default:
			v = strings.Join(req.Header.Values(c), ", ")
		}
		fmt.Fprintf(&b, "%q: %s\n", c, v)
	}
	b.WriteString(`"@signature-params": ` + sigParams)
	sig := sign([]byte(b.String()))
	req.Header.Add("Signature-Input", label+"="+sigParams)
	req.Header.Add("Signature", label+"=:"+base64.StdEncoding.EncodeToString(sig)+":")
}

// unsignedPost is a POST to capture.test with Date and Content-Digest, as
// the server reads it.
func unsignedPost(tb testing.TB, body []byte) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, "https://capture.test/users/cap/inbox?page=1", nil)
	if err != nil {
		tb.Fatal(err)
	}
	sum := sha256.Sum256(body)
	req.Header.Set("Date", testNow.Format(http.TimeFormat))
	req.Header.Set("Content-Type", "application/activity+json")
	req.Header.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":")
	return wire(tb, req, body)
}

var (
	fediCovered = []string{"@method", "@target-uri", "@authority", "host", "date", "content-digest"}
	createdNow  = fmt.Sprintf(";created=%d", testNow.Unix())
)

func TestRFC9421(t *testing.T) {
	rsaKey, _ := testKeys(t)
	edPub, edPriv := mustEd25519(t)
	body := []byte(`{"type":"Create"}`)
	kid := `;keyid="` + testKeyID + `"`

	tests := []struct {
		name       string
		components []string
		params     string
		signer     rfcSigner
		pub        crypto.PublicKey
		wantErr    error  // from Parse
		wantAlg    string // Algorithm reported
	}{
		{"rsa-v1_5-sha256", fediCovered, `;alg="rsa-v1_5-sha256"` + kid + createdNow, rsaV15Signer(t, rsaKey), &rsaKey.PublicKey, nil, "rsa-v1_5-sha256"},
		{"rsa-pss-sha512", fediCovered, `;alg="rsa-pss-sha512"` + kid + createdNow, rsaPSSSigner(t, rsaKey), &rsaKey.PublicKey, nil, "rsa-pss-sha512"},
		{"ed25519", fediCovered, createdNow + kid + `;alg="ed25519"`, ed25519Signer(edPriv), edPub, nil, "ed25519"},
		{"no alg, RSA key", fediCovered, createdNow + kid, rsaV15Signer(t, rsaKey), &rsaKey.PublicKey, nil, ""},
		{"no alg, Ed25519 key", fediCovered, createdNow + kid, ed25519Signer(edPriv), edPub, nil, ""},
		{"authority and path", []string{"@method", "@authority", "@path", "@query", "content-digest"}, createdNow + kid, rsaV15Signer(t, rsaKey), &rsaKey.PublicKey, nil, ""},
		{"scheme and request-target", []string{"@method", "@scheme", "@target-uri", "@request-target", "content-digest", "content-type"}, createdNow + kid, rsaV15Signer(t, rsaKey), &rsaKey.PublicKey, nil, ""},
		{"nonce, tag and expires", fediCovered, createdNow + kid + fmt.Sprintf(`;expires=%d;nonce="abc";tag="x"`, testNow.Unix()+60), rsaV15Signer(t, rsaKey), &rsaKey.PublicKey, nil, ""},
		{"duplicate component (Fedify quirk)", []string{"@method", "@target-uri", "@authority", "content-digest", "content-digest"}, createdNow + kid, rsaV15Signer(t, rsaKey), &rsaKey.PublicKey, nil, ""},

		{"hmac-sha256", fediCovered, `;alg="hmac-sha256"` + kid + createdNow, rsaV15Signer(t, rsaKey), nil, ErrUnsupported, ""},
		{"ecdsa-p256-sha256", fediCovered, `;alg="ecdsa-p256-sha256"` + kid + createdNow, rsaV15Signer(t, rsaKey), nil, ErrUnsupported, ""},
		{"alg not a string", fediCovered, `;alg=ed25519` + kid + createdNow, rsaV15Signer(t, rsaKey), nil, ErrMalformed, ""},
		{"keyid missing", fediCovered, createdNow, rsaV15Signer(t, rsaKey), nil, ErrMalformed, ""},
		{"keyid not a string", fediCovered, createdNow + ";keyid=k", rsaV15Signer(t, rsaKey), nil, ErrMalformed, ""},
		{"created missing", fediCovered, kid, rsaV15Signer(t, rsaKey), nil, ErrMalformed, ""},
		{"created not an integer", fediCovered, kid + `;created="1"`, rsaV15Signer(t, rsaKey), nil, ErrMalformed, ""},
		{"created stale", fediCovered, kid + fmt.Sprintf(";created=%d", testNow.Unix()-3601), rsaV15Signer(t, rsaKey), nil, ErrExpired, ""},
		{"created future", fediCovered, kid + fmt.Sprintf(";created=%d", testNow.Unix()+3601), rsaV15Signer(t, rsaKey), nil, ErrExpired, ""},
		{"expired", fediCovered, kid + createdNow + fmt.Sprintf(";expires=%d", testNow.Unix()-1), rsaV15Signer(t, rsaKey), nil, ErrExpired, ""},
		{"no @method", []string{"@target-uri", "content-digest"}, createdNow + kid, rsaV15Signer(t, rsaKey), nil, ErrCoverage, ""},
		{"no target", []string{"@method", "@authority", "content-digest"}, createdNow + kid, rsaV15Signer(t, rsaKey), nil, ErrCoverage, ""},
		{"path without authority", []string{"@method", "@path", "content-digest"}, createdNow + kid, rsaV15Signer(t, rsaKey), nil, ErrCoverage, ""},
		{"no content-digest on POST", []string{"@method", "@target-uri", "date"}, createdNow + kid, rsaV15Signer(t, rsaKey), nil, ErrCoverage, ""},
		{"uppercase field", []string{"@method", "@target-uri", "content-digest", "Date"}, createdNow + kid, rsaV15Signer(t, rsaKey), nil, ErrMalformed, ""},
		{"field not in request", []string{"@method", "@target-uri", "content-digest", "x-missing"}, createdNow + kid, rsaV15Signer(t, rsaKey), nil, ErrMalformed, ""},
		{"@status on a request", []string{"@method", "@target-uri", "content-digest", "@status"}, createdNow + kid, rsaV15Signer(t, rsaKey), nil, ErrUnsupported, ""},
		{"@signature-params covered", []string{"@method", "@target-uri", "content-digest", "@signature-params"}, createdNow + kid, rsaV15Signer(t, rsaKey), nil, ErrMalformed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := unsignedPost(t, body)
			signRFC9421(t, req, "sig1", tc.components, tc.params, tc.signer)
			sig, err := Parse(req, testOptions())
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Parse error = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if sig.Scheme != SchemeRFC9421 || sig.Label != "sig1" || sig.KeyID != testKeyID || sig.Algorithm != tc.wantAlg {
				t.Errorf("parsed %+v", sig)
			}
			if !slices.Equal(sig.Covered, tc.components) {
				t.Errorf("Covered = %q", sig.Covered)
			}
			if err := sig.Verify(tc.pub); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := VerifyDigest(req.Header, body); err != nil {
				t.Fatalf("VerifyDigest: %v", err)
			}
		})
	}
}

// TestRFC9421ParamsVerbatim: the @signature-params line is the member as
// sent, so a signer with unusual (but valid) spacing still verifies, and
// a signature whose parameters were edited in transit does not.
func TestRFC9421ParamsVerbatim(t *testing.T) {
	rsaKey, _ := testKeys(t)
	req := unsignedPost(t, []byte(`{}`))
	signRFC9421Raw(t, req, "sig1", []string{"@method", "@target-uri", "content-digest"},
		`(  "@method" "@target-uri"   "content-digest" );created=`+fmt.Sprint(testNow.Unix())+`;keyid="k"`, rsaV15Signer(t, rsaKey))
	sig, err := Parse(req, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.Verify(&rsaKey.PublicKey); err != nil {
		t.Fatalf("Verify: %v", err)
	}

	// Moving created by a second keeps it fresh but breaks the signature.
	req.Header.Set("Signature-Input", strings.Replace(req.Header.Get("Signature-Input"),
		fmt.Sprint(testNow.Unix()), fmt.Sprint(testNow.Unix()+1), 1))
	if sig, err = Parse(req, testOptions()); err != nil {
		t.Fatal(err)
	}
	if err := sig.Verify(&rsaKey.PublicKey); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("edited params: %v, want ErrBadSignature", err)
	}
}

func TestRFC9421Tampering(t *testing.T) {
	rsaKey, _ := testKeys(t)
	body := []byte(`{"type":"Like"}`)
	tests := []struct {
		name    string
		tamper  func(*http.Request)
		wantErr error
	}{
		{"method", func(r *http.Request) { r.Method = http.MethodPut }, ErrBadSignature},
		{"path", func(r *http.Request) { r.RequestURI = "/users/bob/inbox?page=1" }, ErrBadSignature},
		{"query", func(r *http.Request) { r.RequestURI = "/users/cap/inbox?page=2" }, ErrBadSignature},
		{"host", func(r *http.Request) { r.Host = "other.test" }, ErrBadSignature},
		{"date", func(r *http.Request) { r.Header.Set("Date", testNow.Add(time.Second).Format(http.TimeFormat)) }, ErrBadSignature},
		{"content-digest", func(r *http.Request) {
			r.Header.Set("Content-Digest", "sha-256=:RBNvo1WzZ4oRRq0W9+hknpT7T8If536DEMBg9hyq/4o=:")
		}, ErrBadSignature},
		{"signed field removed", func(r *http.Request) { r.Header.Del("Date") }, ErrMalformed},
		{"signature bytes", func(r *http.Request) {
			r.Header.Set("Signature", "sig1=:"+base64.StdEncoding.EncodeToString(make([]byte, 256))+":")
		}, ErrBadSignature},
		{"signature label", func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "sig1=", "sig2=", 1))
		}, ErrMalformed},
		{"signature not bytes", func(r *http.Request) { r.Header.Set("Signature", `sig1="abc"`) }, ErrMalformed},
		{"broken Signature-Input", func(r *http.Request) { r.Header.Set("Signature-Input", `sig1=("@method"`) }, ErrMalformed},
		{"broken Signature", func(r *http.Request) { r.Header.Set("Signature", `sig1=:abc`) }, ErrMalformed},
		{"item, not inner list", func(r *http.Request) { r.Header.Set("Signature-Input", `sig1="@method"`) }, ErrMalformed},
		{"empty Signature-Input", func(r *http.Request) { r.Header.Set("Signature-Input", ` `) }, ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := unsignedPost(t, body)
			signRFC9421(t, req, "sig1", fediCovered, createdNow+`;keyid="k"`, rsaV15Signer(t, rsaKey))
			tc.tamper(req)
			sig, err := Parse(req, testOptions())
			if err == nil {
				err = sig.Verify(&rsaKey.PublicKey)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error = %v, want %v", err, tc.wantErr)
			}
		})
	}
}

// TestRFC9421MultipleSignatures: the first acceptable signature is used;
// unusable ones before it are skipped.
func TestRFC9421MultipleSignatures(t *testing.T) {
	rsaKey, other := testKeys(t)
	edPub, edPriv := mustEd25519(t)
	req := unsignedPost(t, []byte(`{}`))
	signRFC9421(t, req, "proxy", []string{"@method", "@target-uri", "content-digest"}, createdNow+`;keyid="p";alg="hmac-sha256"`, rsaV15Signer(t, other))
	signRFC9421(t, req, "thin", []string{"@method", "@target-uri"}, createdNow+`;keyid="t"`, rsaV15Signer(t, other))
	signRFC9421(t, req, "ed", fediCovered, createdNow+`;keyid="e"`, ed25519Signer(edPriv))
	signRFC9421(t, req, "rsa", fediCovered, createdNow+`;keyid="r"`, rsaV15Signer(t, rsaKey))
	if n := len(req.Header.Values("Signature-Input")); n != 4 {
		t.Fatalf("%d Signature-Input lines", n)
	}
	sig, err := Parse(req, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if sig.Label != "ed" || sig.KeyID != "e" {
		t.Fatalf("picked %q (%s), want ed", sig.Label, sig.KeyID)
	}
	if err := sig.Verify(edPub); err != nil {
		t.Fatal(err)
	}

	// With none acceptable, the first one's reason is given.
	req = unsignedPost(t, []byte(`{}`))
	signRFC9421(t, req, "proxy", []string{"@method", "@target-uri", "content-digest"}, createdNow+`;keyid="p";alg="hmac-sha256"`, rsaV15Signer(t, other))
	signRFC9421(t, req, "thin", []string{"@method", "@target-uri"}, createdNow+`;keyid="t"`, rsaV15Signer(t, other))
	_, err = Parse(req, testOptions())
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `"proxy"`) {
		t.Fatalf("Parse = %v, want ErrUnsupported naming proxy", err)
	}
}

// TestRFC9421PreferredOverCavage: with both formats present, RFC 9421 is
// read.
func TestRFC9421PreferredOverCavage(t *testing.T) {
	rsaKey, _ := testKeys(t)
	req := signedRequest(t, http.MethodGet, "/users/cap", nil)
	req.Header.Set("Authorization", "Signature "+req.Header.Get("Signature"))
	req.Header.Del("Signature")
	signRFC9421(t, req, "sig1", []string{"@method", "@target-uri", "date"}, createdNow+`;keyid="k"`, rsaV15Signer(t, rsaKey))
	sig, err := Parse(req, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	if sig.Scheme != SchemeRFC9421 {
		t.Fatalf("Scheme = %s", sig.Scheme)
	}
	if err := sig.Verify(&rsaKey.PublicKey); err != nil {
		t.Fatal(err)
	}
}

func TestRFC9421Authority(t *testing.T) {
	rsaKey, _ := testKeys(t)
	tests := []struct {
		name, host string
		opts       Options
		want       string
	}{
		{"lowercased", "Capture.TEST", Options{}, "capture.test"},
		{"default port dropped", "capture.test:443", Options{}, "capture.test"},
		{"other port kept", "capture.test:8443", Options{}, "capture.test:8443"},
		{"http default port", "capture.test:80", Options{Scheme: "HTTP"}, "capture.test"},
		{"override", "backend:8080", Options{Host: "capture.test"}, "capture.test"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := unsignedPost(t, []byte(`{}`))
			req.Host = tc.host
			tc.opts.Now = testOptions().Now
			if got, _ := componentValue(req, tc.opts, "@authority"); got != tc.want {
				t.Errorf("@authority = %q, want %q", got, tc.want)
			}
			scheme := tc.opts.scheme()
			if got, _ := componentValue(req, tc.opts, "@target-uri"); got != scheme+"://"+tc.want+"/users/cap/inbox?page=1" {
				t.Errorf("@target-uri = %q", got)
			}
			// A signature made for the public authority verifies.
			pub := unsignedPost(t, []byte(`{}`))
			signRFC9421(t, pub, "sig1", []string{"@method", "@authority", "@path", "content-digest"}, createdNow+`;keyid="k"`, rsaV15Signer(t, rsaKey))
			pub.Host = tc.host
			if tc.want != "capture.test" {
				return
			}
			sig, err := Parse(pub, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := sig.Verify(&rsaKey.PublicKey); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestRFC9421DerivedComponents(t *testing.T) {
	tests := []struct {
		target, component, want string
	}{
		{"/foo?param=Value&Pet=dog", "@path", "/foo"},
		{"/foo?param=Value&Pet=dog", "@query", "?param=Value&Pet=dog"},
		{"/foo", "@query", "?"},
		{"/a%2Fb/c%20d?x=%41", "@path", "/a%2Fb/c%20d"},
		{"/a%2Fb/c%20d?x=%41", "@query", "?x=%41"},
		{"/a%2Fb/c%20d?x=%41", "@request-target", "/a%2Fb/c%20d?x=%41"},
		{"/a%2Fb/c%20d?x=%41", "@target-uri", "https://capture.test/a%2Fb/c%20d?x=%41"},
		{"/", "@scheme", "https"},
		{"/", "@method", "GET"},
	}
	for _, tc := range tests {
		t.Run(tc.target+" "+tc.component, func(t *testing.T) {
			raw := "GET " + tc.target + " HTTP/1.1\r\nHost: capture.test\r\n\r\n"
			req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := componentValue(req, Options{}, tc.component)
			if err != nil || got != tc.want {
				t.Fatalf("%s = %q, %v; want %q", tc.component, got, err, tc.want)
			}
		})
	}
}
