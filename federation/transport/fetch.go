package transport

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// AcceptActivity is the Accept header of Fetch: the two media types
// ActivityPub §3.2 names for ActivityStreams documents.
const AcceptActivity = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`

// activityTypes are the Content-Types a fetched document may have, with
// any parameters. application/json is not an ActivityStreams type, but
// some servers serve their documents as plain JSON.
var activityTypes = map[string]bool{
	"application/activity+json": true,
	"application/ld+json":       true,
	"application/json":          true,
}

// Document is an ActivityStreams document fetched and checked by Fetch.
type Document struct {
	// ID is the document's top-level "id", as written in it.
	ID string
	// Body is the raw JSON, at most Config.MaxBody bytes.
	Body []byte
	// ContentType is the media type it was served as, lowercased and
	// without parameters, e.g. "application/activity+json".
	ContentType string
}

// Fetch dereferences an ActivityStreams object: a GET with the
// ActivityStreams Accept header, signed by signer (nil for an unsigned
// request), following up to Config.MaxRedirects redirects.
//
// The answer must be 200 OK (404, 410, 401 and 403 give a *StatusError
// matching ErrNotFound, ErrGone and ErrForbidden), served as
// application/activity+json, application/ld+json or application/json
// (else ErrContentType), at most Config.MaxBody bytes (else ErrTooLarge),
// and a JSON object (else ErrMalformed). Its top-level "id" must be the
// requested URL (with or without the URL's fragment) or, after redirects,
// the final URL; and in either case the id's host must be the host that
// served it. Otherwise the result is ErrIDMismatch: a document is only
// authoritative on its own origin.
func (c *Client) Fetch(ctx context.Context, rawURL string, signer *Signer) (*Document, error) {
	u, err := c.CheckURL(rawURL)
	if err != nil {
		return nil, err
	}
	resp, err := c.get(ctx, u, AcceptActivity, signer)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	final := resp.Request.URL

	mediaType, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || !activityTypes[mediaType] {
		return nil, fmt.Errorf("%w: GET %s: %q", ErrContentType, final.Redacted(), resp.Header.Get("Content-Type"))
	}
	body, err := c.readBody(resp)
	if err != nil {
		return nil, err
	}
	id, err := documentID(body, "GET "+final.Redacted())
	if err != nil {
		return nil, err
	}
	if err := checkID(id, u, final); err != nil {
		return nil, fmt.Errorf("%w: GET %s: %s", ErrIDMismatch, final.Redacted(), err)
	}
	return &Document{ID: id, Body: body, ContentType: mediaType}, nil
}

// FetchJSON fetches a JSON document that is not ActivityStreams, or not
// checked as such: WebFinger (Accept: application/jrd+json,
// application/json), NodeInfo, a key document. It is a GET like Fetch,
// signed when signer is set, with the same redirect rules, status handling
// and size cap; the body must be valid JSON (else ErrMalformed), but its
// Content-Type and id are not checked. An empty accept means
// application/json.
func (c *Client) FetchJSON(ctx context.Context, rawURL, accept string, signer *Signer) ([]byte, error) {
	u, err := c.CheckURL(rawURL)
	if err != nil {
		return nil, err
	}
	if accept == "" {
		accept = "application/json"
	}
	resp, err := c.get(ctx, u, accept, signer)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := c.readBody(resp)
	if err != nil {
		return nil, err
	}
	if !json.Valid(body) {
		return nil, fmt.Errorf("%w: GET %s: not JSON", ErrMalformed, resp.Request.URL.Redacted())
	}
	return body, nil
}

// get sends the GET and returns the response if it is 200 OK. Any other
// status is read into a *StatusError and the response closed.
func (c *Client) get(ctx context.Context, u *url.URL, accept string, signer *Signer) (*http.Response, error) {
	req, err := c.newRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", accept)
	if signer != nil {
		if err := signer.sign(req, nil, c.now()); err != nil {
			return nil, err
		}
	}
	resp, err := c.do(req, c.maxRedirects, signer)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, c.statusError(resp, readSnippet(resp.Body))
	}
	return resp, nil
}

// newRequest makes a request to u (without its fragment, which is never
// sent) with our User-Agent.
func (c *Client) newRequest(ctx context.Context, method string, u *url.URL, body io.Reader) (*http.Request, error) {
	target := *u
	target.Fragment, target.RawFragment = "", ""
	req, err := http.NewRequestWithContext(ctx, method, target.String(), body)
	if err != nil {
		return nil, fmt.Errorf("transport: %s %s: %w", method, target.Redacted(), err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	return req, nil
}

// statusError describes an unwanted answer.
func (c *Client) statusError(resp *http.Response, snippet string) *StatusError {
	return &StatusError{
		Method:     resp.Request.Method,
		URL:        resp.Request.URL.Redacted(),
		Code:       resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now()),
		Body:       snippet,
	}
}

// readBody reads the whole body, refusing more than maxBody bytes. It
// reads at most maxBody+1 bytes, so an endless body costs no more than a
// large one.
func (c *Client) readBody(resp *http.Response) ([]byte, error) {
	where := resp.Request.Method + " " + resp.Request.URL.Redacted()
	if resp.ContentLength > c.maxBody {
		return nil, fmt.Errorf("%w: %s: Content-Length %d, limit %d", ErrTooLarge, where, resp.ContentLength, c.maxBody)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("transport: %s: read body: %w", where, err)
	}
	if int64(len(body)) > c.maxBody {
		return nil, fmt.Errorf("%w: %s: more than %d bytes", ErrTooLarge, where, c.maxBody)
	}
	return body, nil
}

// checkID says why a document's id cannot stand for a document fetched as
// requested and served from final, or returns nil.
func checkID(id string, requested, final *url.URL) error {
	iu, err := url.Parse(id)
	if err != nil || iu.Scheme != "http" && iu.Scheme != "https" || iu.Host == "" || iu.User != nil || iu.Opaque != "" {
		return fmt.Errorf("id %q is not an http(s) URL", id)
	}
	if authority(iu) != authority(final) {
		return fmt.Errorf("id %q is not on %s, which served it", id, authority(final))
	}
	want := canonical(iu, true)
	for _, u := range []*url.URL{requested, final} {
		if want == canonical(u, true) || want == canonical(u, false) {
			return nil
		}
	}
	return fmt.Errorf("id %q is neither %s nor %s", id, requested.Redacted(), final.Redacted())
}
