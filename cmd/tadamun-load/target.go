package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// headerFlag collects repeated -H "Name: value" flags, in order.
type headerFlag []header

type header struct{ name, value string }

func (h *headerFlag) String() string {
	var parts []string
	for _, x := range *h {
		parts = append(parts, x.name+": "+x.value)
	}
	return strings.Join(parts, ", ")
}

// Set parses one "Name: value". The name is a token (RFC 9110: no spaces,
// separators or control characters) and is put in canonical form; the
// value has its surrounding spaces removed and may be empty.
func (h *headerFlag) Set(s string) error {
	x, err := parseHeader(s)
	if err != nil {
		return err
	}
	*h = append(*h, x)
	return nil
}

func parseHeader(s string) (header, error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return header{}, fmt.Errorf("header %q: want \"Name: value\"", s)
	}
	if name == "" || !isToken(name) {
		return header{}, fmt.Errorf("header %q: %q is not a header name", s, name)
	}
	value = strings.TrimSpace(value)
	if strings.ContainsAny(value, "\r\n\x00") {
		return header{}, fmt.Errorf("header %q: a value cannot hold a line break or NUL", s)
	}
	return header{textproto.CanonicalMIMEHeaderKey(name), value}, nil
}

// isToken reports whether s is an HTTP token (RFC 9110, section 5.6.2).
func isToken(s string) bool {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-.^_`|~", r):
		default:
			return false
		}
	}
	return true
}

// apply sets the headers on a request; Host sets the request's host.
func (h headerFlag) apply(req *http.Request) {
	for _, x := range h {
		if x.name == "Host" {
			req.Host = x.value
			continue
		}
		req.Header.Add(x.name, x.value)
	}
}

// errRemote is why a non-loopback address is refused without -allow-remote.
var errRemote = errors.New("not a loopback address; a load tool aimed at someone else's server is a denial of service: give -allow-remote if the server is yours")

// checkTarget parses a URL to measure and, when refuse is not nil, refuses
// one whose host is not a loopback address or a name that resolves only to
// loopback addresses, wrapping refuse (errRemote, or errInsecureRemote):
// see config.refusal. (The dialler checks again on every connection, so a
// name that resolves elsewhere later is still refused.)
func checkTarget(ctx context.Context, raw string, refuse error) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%s: want an http:// or https:// address", raw)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("%s: no host", raw)
	}
	if refuse == nil {
		return u, nil
	}
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return nil, fmt.Errorf("%s: %s is %w", raw, host, refuse)
		}
		return u, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", raw, err)
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return nil, fmt.Errorf("%s: %s resolves to %s, which is %w", raw, host, a.IP, refuse)
		}
	}
	return u, nil
}

// loopbackOnly gives a dialler's Control function that refuses to connect
// anywhere but a loopback address, with why as the reason.
func loopbackOnly(why error) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("dial %s: %w", address, why)
		}
		return nil
	}
}

// newTransport is a transport of a run: HTTP/1.1 with keep-alive, up to
// conns idle connections per host, bodies left compressed as they came
// (so transfer is counted as on the wire), no proxy from the environment
// (the figures would be the proxy's), TLS as tc says, and, when refuse is
// not nil, connections to loopback addresses only (refuse is the reason
// given for any other).
func newTransport(conns int, refuse error, tc *tls.Config) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if refuse != nil {
		d.Control = loopbackOnly(refuse)
	}
	return &http.Transport{
		Proxy:               nil,
		DialContext:         d.DialContext,
		TLSClientConfig:     tc,
		DisableCompression:  true,
		MaxIdleConns:        0,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   false,
		// A non-nil empty map keeps HTTP/2 off over TLS: every side is
		// measured over HTTP/1.1 connections, as wrk does.
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
}
