package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// errInsecureRemote is why a non-loopback address is refused with
// -insecure, whether or not -allow-remote is given: without verification
// anyone on the path can stand in for the server, and the figures would be
// theirs.
var errInsecureRemote = errors.New("not a loopback address, and -insecure (certificates not verified) is allowed only for loopback addresses, even with -allow-remote: give -ca FILE with the certificate that signed the server's instead")

// loadCA reads a PEM file of root certificates (a local CA's, or a
// self-signed server certificate) and gives the system's roots with them
// added. Blocks other than CERTIFICATE are skipped; a file with no
// certificate at all is an error, since trusting nothing new is surely not
// what was meant.
func loadCA(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-ca: %w", err)
	}
	if len(data) == 0 {
		return nil, fmt.Errorf("-ca %s: the file is empty; want PEM certificates (-----BEGIN CERTIFICATE-----)", path)
	}
	var certs []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("-ca %s: certificate %d: %w", path, len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("-ca %s: no certificate in it; want PEM certificates (-----BEGIN CERTIFICATE-----)", path)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		// Without system roots, the file's certificates alone are still
		// what a node on a local CA needs.
		pool = x509.NewCertPool()
	}
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// nodeTLS is how connections to the node are secured: the system's roots,
// or those of -ca, or with -insecure no verification at all. A -H Host
// header names the server for TLS too (SNI, and the name the certificate
// must be for), as it does for HTTP: a node behind Caddy or nginx is
// reached as https://127.0.0.1:8443 with -H 'Host: node.example'.
func nodeTLS(cfg config) *tls.Config {
	tc := &tls.Config{RootCAs: cfg.roots, InsecureSkipVerify: cfg.insecure, MinVersion: tls.VersionTLS12}
	for _, h := range cfg.headers {
		if h.name == "Host" {
			tc.ServerName = h.value
			if host, _, err := net.SplitHostPort(h.value); err == nil {
				tc.ServerName = host
			}
			tc.ServerName = strings.Trim(tc.ServerName, "[]")
		}
	}
	return tc
}

// isCertError reports whether err is a refused server certificate.
func isCertError(err error) bool {
	var ve *tls.CertificateVerificationError
	return errors.As(err, &ve)
}

// checkTrust GETs an https address once, before any measuring, so that a
// certificate the tool does not trust stops the run with a hint instead of
// being counted as thousands of failed requests. Other failures are left
// for the measurement to count.
func checkTrust(ctx context.Context, client *http.Client, addr string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", addr, err)
	}
	res, err := client.Do(req)
	if err != nil {
		if isCertError(err) {
			return fmt.Errorf("%s: %s; give -ca FILE with the certificate of the authority that signed it (for a self-signed server, its own certificate), or -insecure for a loopback address", addr, errorKind(err))
		}
		return nil
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return nil
}

// memoryCert makes the certificate the memory side serves https with: a
// fresh P-256 key, self-signed for 127.0.0.1, valid for a week, and a pool
// holding it alone for the memory side's client. Handshakes happen while
// warming up, so the key's type does not weigh on the figures; what a
// request costs is the record encryption, the same on both sides.
func memoryCert() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("baseline: key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("baseline: serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "tadamun-load memory side"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("baseline: certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("baseline: certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
