package transport

import (
	"bytes"
	"context"
	"io"
	"net/http"
)

// Send makes one unsigned request through the guard, for protocols that
// are not ActivityPub (WebSub's verification of intent, its content
// distribution, hub pings): the URL is checked like every other, private
// addresses are refused at connect time unless Config.AllowPrivate, the
// whole exchange is bounded by the client's timeout, and redirects are
// not followed. header is added to the request (User-Agent is ours).
//
// Up to maxBody bytes of the answer are returned (at most 64 KiB; more
// is read and dropped, to reuse the connection). A 2xx answer is
// success; any other comes back with its Response and a *StatusError.
func (c *Client) Send(ctx context.Context, method, rawURL string, header http.Header, body []byte, maxBody int64) (*Response, []byte, error) {
	u, err := c.CheckURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := c.newRequest(ctx, method, u, rd)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.do(req, 0, nil)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	answer := io.LimitReader(resp.Body, maxAnswer)
	got, _ := io.ReadAll(io.LimitReader(answer, min(max(maxBody, 0), maxAnswer)))
	_, _ = io.Copy(io.Discard, answer)
	r := &Response{Status: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), c.now())}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return r, got, nil
	}
	return r, got, c.statusError(resp, sanitize(got))
}
