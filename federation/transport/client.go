package transport

import (
	"crypto/rsa"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"time"

	"github.com/tadamun/tadamun/federation/httpsig"
)

// Defaults for the zero values of Config.
const (
	// DefaultUserAgent is sent when Config.UserAgent is empty.
	DefaultUserAgent = "Tadamun (+https://github.com/tadamun/tadamun)"
	// DefaultTimeout bounds a whole request when Config.Timeout is zero.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxBody caps response bodies when Config.MaxBody is zero:
	// 1 MiB, far above any actor or note and far below what hurts.
	DefaultMaxBody = 1 << 20
	// DefaultMaxRedirects is how many redirects a GET follows when
	// Config.MaxRedirects is zero.
	DefaultMaxRedirects = 3
)

// Per-phase limits of the network transport.
const (
	connectTimeout        = 5 * time.Second
	tlsHandshakeTimeout   = 5 * time.Second
	responseHeaderTimeout = 10 * time.Second
	keepAlive             = 30 * time.Second
	idleConnTimeout       = 90 * time.Second
	maxIdleConnsPerHost   = 4
	// maxIdleConns is how many kept-alive connections the client holds
	// over all hosts. A fan-out reaches every follower's server about
	// once a minute or more; a pool smaller than the number of hosts would
	// close connections it needs again seconds later and pay a new TCP
	// and TLS handshake (itself public-key work) for each. An idle
	// connection costs some 30 KB.
	maxIdleConns      = 1024
	maxResponseHeader = 64 << 10
)

// Config configures a Client. The zero value is usable and safe: private
// addresses are refused.
type Config struct {
	// UserAgent is sent with every request, e.g.
	// "Tadamun/1.0 (+https://node.example/)". Many servers refuse requests
	// without a descriptive one; empty means DefaultUserAgent, but a node
	// should name itself.
	UserAgent string

	// Timeout bounds a whole request, redirects and reading the body
	// included. Zero means DefaultTimeout. Connecting and the TLS
	// handshake are further bounded at 5s each and waiting for response
	// headers at 10s.
	Timeout time.Duration

	// MaxBody is the most of a response body that is read; a larger one
	// fails with ErrTooLarge. Zero means DefaultMaxBody (1 MiB).
	MaxBody int64

	// AllowPrivate permits loopback, private and link-local destinations.
	// Only tests and local labs set it: on a public node it would let any
	// remote server make us request our own internal services.
	AllowPrivate bool

	// MaxRedirects is how many redirects a GET follows. Zero means
	// DefaultMaxRedirects; negative means none (the 3xx answer is then a
	// *StatusError). A POST never follows redirects.
	MaxRedirects int

	// Transport, when set, replaces the network: tests use it to serve
	// fixture documents for made-up hosts. The Client still refuses
	// literal private IP hosts and "localhost" names (unless AllowPrivate),
	// but it cannot see what else the transport connects to; keeping it
	// away from internal addresses is then the caller's responsibility.
	Transport http.RoundTripper

	// Now is the clock for Date headers and Retry-After dates. Nil means
	// time.Now.
	Now func() time.Time
}

// Signer is who signs a request: an actor's key and the id under which
// other servers find its public half (usually the actor IRI plus
// "#main-key").
type Signer struct {
	// KeyID is the keyId put in the Signature header.
	KeyID string
	// Key is the actor's private key.
	Key *rsa.PrivateKey
}

// signing admits as many RSA signatures at once as there are cores. A
// fan-out has many posts under way, and each starts with a signature of
// about a millisecond of CPU: run all at once, they preempt each other and
// share the caches, and every one takes longer; in turns of one per core,
// each runs through and the posts waiting on the network cost nothing.
var signing = make(chan struct{}, runtime.GOMAXPROCS(0))

// sign signs req with s; body is the exact body sent, nil for a GET.
func (s *Signer) sign(req *http.Request, body []byte, now time.Time) error {
	select {
	case signing <- struct{}{}:
	case <-req.Context().Done():
		return fmt.Errorf("transport: %s %s: %w", req.Method, req.URL.Redacted(), req.Context().Err())
	}
	// Yield once before signing. A slot freed by another post wakes this
	// one at the front of its core's queue, so without the yield a core
	// goes from signature to signature while the short tasks queued
	// behind them (reading an answer, a claim or a settle of the delivery
	// queue, an inbox POST) wait up to the scheduler's 10 ms slice each
	// time they block: in a fan-out of 1,000 POSTs a claim took up to
	// 100 ms, the posts ran short of rows, and the cores stood idle
	// (BenchmarkFanOutRatio's busy-ratio, 0.96 before, 0.99 after).
	runtime.Gosched()
	err := httpsig.Sign(req, body, s.KeyID, s.Key, now)
	<-signing
	if err != nil {
		return fmt.Errorf("transport: %s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	return nil
}

// Client is the node's outbound HTTP client. It is safe for concurrent use
// and should be shared: it keeps connections alive between requests to the
// same server.
type Client struct {
	userAgent    string
	timeout      time.Duration
	maxBody      int64
	allowPrivate bool
	maxRedirects int
	now          func() time.Time
	rt           http.RoundTripper

	// dialGuard decides, at connect time, whether an address may be
	// reached; nil allows everything (AllowPrivate). Tests replace it to
	// let one loopback server through and no other.
	dialGuard func(netip.AddrPort) error
}

// New makes a Client from cfg, filling in defaults.
func New(cfg Config) *Client {
	c := &Client{
		userAgent:    cfg.UserAgent,
		timeout:      cfg.Timeout,
		maxBody:      cfg.MaxBody,
		allowPrivate: cfg.AllowPrivate,
		maxRedirects: cfg.MaxRedirects,
		now:          cfg.Now,
		rt:           cfg.Transport,
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxBody <= 0 {
		c.maxBody = DefaultMaxBody
	}
	switch {
	case c.maxRedirects == 0:
		c.maxRedirects = DefaultMaxRedirects
	case c.maxRedirects < 0:
		c.maxRedirects = 0
	}
	if c.now == nil {
		c.now = time.Now
	}
	if !c.allowPrivate {
		c.dialGuard = refuseNonPublic
	}
	if c.rt == nil {
		c.rt = c.newTransport()
	}
	return c
}

// newTransport builds the network transport, with the address guard in
// its dialer.
func (c *Client) newTransport() *http.Transport {
	d := &net.Dialer{
		Timeout:        connectTimeout,
		KeepAlive:      keepAlive,
		ControlContext: c.control,
	}
	return &http.Transport{
		// No proxy, not even from the environment: a proxy would connect
		// on our behalf, out of the guard's sight.
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ResponseHeaderTimeout:  responseHeaderTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           maxIdleConns,
		MaxIdleConnsPerHost:    maxIdleConnsPerHost,
		IdleConnTimeout:        idleConnTimeout,
		MaxResponseHeaderBytes: maxResponseHeader,
	}
}

// CloseIdleConnections closes the kept-alive connections that are not in
// use, for shutdown and tests.
func (c *Client) CloseIdleConnections() {
	if t, ok := c.rt.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

// do sends req through a net/http client made for this one call.
// redirects is how many redirects to follow (0 for none, as for POST);
// every hop is checked like the first URL and, when signer is set, signed
// afresh, since a signature covers the host and path it was made for.
//
// The returned response's Request is the last request sent, as approved
// here: a test RoundTripper need not set Response.Request, and the id
// check must not be fooled about which URL a document came from.
func (c *Client) do(req *http.Request, redirects int, signer *Signer) (*http.Response, error) {
	last := req
	hc := &http.Client{
		Transport: c.rt,
		Timeout:   c.timeout,
		CheckRedirect: func(next *http.Request, via []*http.Request) error {
			if redirects <= 0 {
				return http.ErrUseLastResponse
			}
			if len(via) > redirects {
				return fmt.Errorf("%w: more than %d redirects", ErrRedirect, redirects)
			}
			if err := c.checkURL(next.URL); err != nil {
				return err
			}
			if prev := via[len(via)-1]; prev.URL.Scheme == "https" && next.URL.Scheme != "https" {
				return fmt.Errorf("%w: from %s down to %s", ErrRedirect, prev.URL.Redacted(), next.URL.Redacted())
			}
			// net/http copied the first request's headers, Signature and
			// Date included; neither is valid for the new target.
			next.Header.Del("Referer")
			if signer != nil {
				next.Header.Del("Signature")
				next.Header.Del("Date")
				if err := signer.sign(next, nil, c.now()); err != nil {
					return err
				}
			}
			last = next
			return nil
		},
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	resp.Request = last
	return resp, nil
}
