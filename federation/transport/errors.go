package transport

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sentinel errors; test for them with errors.Is.
var (
	// ErrPrivateAddress means the destination is not a public Internet
	// address (loopback, private, link-local, ...) and Config.AllowPrivate
	// is off. It is returned both by CheckURL, for literal IP hosts and
	// "localhost" names, and at connect time, for whatever address a name
	// resolved to.
	ErrPrivateAddress = errors.New("transport: refused non-public address")

	// ErrBadURL means a URL is not one we will fetch or deliver to: not
	// absolute http or https, no host, userinfo in it, an invalid port or
	// an ambiguous numeric host.
	ErrBadURL = errors.New("transport: unacceptable URL")

	// ErrRedirect means a redirect was not followed: too many hops, or a
	// downgrade from https to http.
	ErrRedirect = errors.New("transport: redirect refused")

	// ErrTooLarge means the response body is larger than Config.MaxBody.
	ErrTooLarge = errors.New("transport: response body too large")

	// ErrContentType means a fetched document is not served as
	// ActivityStreams JSON (application/activity+json, application/ld+json
	// or application/json).
	ErrContentType = errors.New("transport: unacceptable content type")

	// ErrMalformed means a fetched body is not what was asked for: not a
	// JSON object where a document was expected, or not JSON at all.
	ErrMalformed = errors.New("transport: malformed document")

	// ErrIDMismatch means a fetched document does not name itself by the
	// URL it was fetched from (or the URL it was finally fetched from after
	// redirects), or names a host other than the one that served it, or
	// has no usable "id". Accepting it would let one server speak for
	// another.
	ErrIDMismatch = errors.New("transport: document id does not match its URL")

	// ErrGone means the server answered 410 Gone: the object or actor was
	// deleted. Matched by a *StatusError with Code 410.
	ErrGone = errors.New("transport: gone")

	// ErrNotFound means the server answered 404 Not Found. Matched by a
	// *StatusError with Code 404.
	ErrNotFound = errors.New("transport: not found")

	// ErrForbidden means the server answered 401 or 403: it refuses us,
	// typically because it requires a signed fetch, blocks our domain, or
	// the object is not public. Matched by a *StatusError with Code 401 or
	// 403.
	ErrForbidden = errors.New("transport: forbidden")
)

// StatusError is a response with a status the caller did not ask for: any
// non-200 answer to a fetch, any non-2xx answer to a delivery.
type StatusError struct {
	// Method and URL are the request that got the answer (for redirects
	// followed by a fetch, the last one).
	Method, URL string
	// Code is the HTTP status code.
	Code int
	// RetryAfter is the server's Retry-After, as a duration from the time
	// of the answer; zero when absent or unreadable. It is capped at
	// MaxRetryAfter.
	RetryAfter time.Duration
	// Body is the start of the answer (at most 200 bytes), with control
	// characters and invalid UTF-8 replaced and whitespace collapsed, so it
	// is safe to log.
	Body string
}

// Error describes the answer, e.g.
// "transport: POST https://x.example/inbox: 503 Service Unavailable (retry after 2m0s): busy".
func (e *StatusError) Error() string {
	s := fmt.Sprintf("transport: %s %s: %d %s", e.Method, e.URL, e.Code, http.StatusText(e.Code))
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %s)", e.RetryAfter)
	}
	if e.Body != "" {
		s += ": " + e.Body
	}
	return s
}

// Unwrap lets errors.Is match the sentinel for the statuses that have one:
// ErrNotFound (404), ErrGone (410) and ErrForbidden (401, 403).
func (e *StatusError) Unwrap() error {
	switch e.Code {
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusGone:
		return ErrGone
	case http.StatusUnauthorized, http.StatusForbidden:
		return ErrForbidden
	}
	return nil
}

// Permanent reports whether repeating the same request cannot be expected
// to succeed: a 4xx answer, other than 408 Request Timeout and 429 Too Many
// Requests, which ask to come back later. 410 Gone is permanent. 5xx and
// anything else may be temporary.
func (e *StatusError) Permanent() bool {
	if e.Code == http.StatusRequestTimeout || e.Code == http.StatusTooManyRequests {
		return false
	}
	return e.Code >= 400 && e.Code < 500
}
