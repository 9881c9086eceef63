package httpsig

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Sign signs an outbound request with draft-cavage-http-signatures-12, in
// the shape Mastodon sends and every ActivityPub server accepts:
//
//	Signature: keyId="<keyID>",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="<base64>"
//
// It sets Date from now if the request has none and, when body is non-nil,
// a "Digest: SHA-256=<base64>" header; body must be exactly the bytes
// req.Body will send (Sign does not read or set req.Body). A GET passes a
// nil body and signs "(request-target) host date". The signature is
// RSASSA-PKCS1-v1_5 over SHA-256.
//
// The host signed is req.Host, or req.URL.Host when req.Host is empty, which
// is what net/http will send. Call Sign last: any later change to the URL,
// Host, Date or body invalidates the signature.
func Sign(req *http.Request, body []byte, keyID string, key *rsa.PrivateKey, now time.Time) error {
	if req == nil || req.URL == nil {
		return errors.New("httpsig: sign: request without URL")
	}
	if key == nil {
		return fmt.Errorf("httpsig: sign: %w: nil private key", ErrInvalidKey)
	}
	if keyID == "" || strings.ContainsAny(keyID, "\"\\\r\n") {
		return fmt.Errorf("httpsig: sign: unusable keyId %q", keyID)
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if host == "" {
		return errors.New("httpsig: sign: request has no host")
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	date := req.Header.Get("Date")
	if date == "" {
		date = now.UTC().Format(http.TimeFormat)
		req.Header.Set("Date", date)
	}

	headers := "(request-target) host date"
	var b strings.Builder
	b.WriteString("(request-target): ")
	b.WriteString(strings.ToLower(method))
	b.WriteByte(' ')
	b.WriteString(req.URL.RequestURI())
	b.WriteString("\nhost: ")
	b.WriteString(host)
	b.WriteString("\ndate: ")
	b.WriteString(date)
	if body != nil {
		digest := digestHeader(body)
		req.Header.Set("Digest", digest)
		headers += " digest"
		b.WriteString("\ndigest: ")
		b.WriteString(digest)
	}

	sum := sha256.Sum256([]byte(b.String()))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		return fmt.Errorf("httpsig: sign: %w", err)
	}
	req.Header.Set("Signature", `keyId="`+keyID+`",algorithm="rsa-sha256",headers="`+headers+
		`",signature="`+base64.StdEncoding.EncodeToString(sig)+`"`)
	return nil
}
