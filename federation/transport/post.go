package transport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ContentTypeActivity is the Content-Type of deliveries. ActivityPub §7
// names application/ld+json with the ActivityStreams profile and asks
// servers to treat application/activity+json as the same; the latter is
// what Mastodon sends and every server takes.
const ContentTypeActivity = "application/activity+json"

// maxAnswer is how much of an inbox's answer Post reads. Reading the
// answer lets the connection be reused; bounding it stops a peer from
// streaming to us forever.
const maxAnswer = 64 << 10

// Response is an inbox's answer to a delivery.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// RetryAfter is the parsed Retry-After header (delta-seconds or
	// HTTP-date), zero when absent; capped at MaxRetryAfter.
	RetryAfter time.Duration
}

// Post delivers an activity: a POST of body to inbox with Content-Type
// application/activity+json, signed by signer with a Digest of the body
// covered by the signature. Redirects are not followed: a signed POST is
// bound to its target, and an inbox that moves says so in the actor
// document, not with a 3xx.
//
// Up to 64 KiB of the answer is read and discarded. A 2xx answer is
// success. Any other status returns the Response together with a
// *StatusError, whose Permanent method tells the delivery worker whether
// to retry. Failures before an answer (refused address, timeout, DNS,
// TLS) return a nil Response and an error; they are worth retrying, except
// ErrBadURL and ErrPrivateAddress.
func (c *Client) Post(ctx context.Context, inbox string, body []byte, signer *Signer) (*Response, error) {
	u, err := c.CheckURL(inbox)
	if err != nil {
		return nil, err
	}
	if signer == nil {
		return nil, fmt.Errorf("transport: POST %s: no signer: inboxes refuse unsigned deliveries", u.Redacted())
	}
	if body == nil {
		body = []byte{} // Sign adds the Digest only for a non-nil body.
	}
	req, err := c.newRequest(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", ContentTypeActivity)
	req.Header.Set("Accept", AcceptActivity)
	if err := signer.sign(req, body, c.now()); err != nil {
		return nil, err
	}
	resp, err := c.do(req, 0, signer)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	answer := io.LimitReader(resp.Body, maxAnswer)
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	var snippet string
	if !ok {
		snippet = readSnippet(answer) // for the error; an accepted answer's body says nothing we keep
	}
	// The status has been received, and it alone decides the outcome;
	// failing to read the rest of the answer changes nothing.
	_, _ = io.Copy(io.Discard, answer)

	r := &Response{Status: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now())}
	if ok {
		return r, nil
	}
	return r, c.statusError(resp, snippet)
}
