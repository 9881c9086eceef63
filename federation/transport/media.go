package transport

import (
	"context"
	"fmt"
	"io"
	"mime"
)

// Media is a file fetched by FetchMedia.
type Media struct {
	// Body is the raw file, at most the maxBytes given.
	Body []byte
	// ContentType is the media type it was served as, lowercased and
	// without parameters ("" if none was given). Nothing should trust it:
	// callers sniff the bytes.
	ContentType string
}

// FetchMedia fetches a file that is not an ActivityStreams document (an
// image attached to a remote post) through the same guard as every other
// request: the URL and every redirect are checked, private addresses are
// refused at connect time, the whole request is bounded by the client's
// timeout. Its body is capped at maxBytes rather than the client's MaxBody
// (which is sized for JSON documents); a larger body fails with ErrTooLarge
// after reading at most maxBytes+1 bytes. accept is the Accept header;
// signer, if not nil, signs the request (servers in authorized-fetch mode
// may ask it of media too).
func (c *Client) FetchMedia(ctx context.Context, rawURL, accept string, maxBytes int64, signer *Signer) (*Media, error) {
	u, err := c.CheckURL(rawURL)
	if err != nil {
		return nil, err
	}
	if accept == "" {
		accept = "*/*"
	}
	resp, err := c.get(ctx, u, accept, signer)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	where := "GET " + resp.Request.URL.Redacted()
	if resp.ContentLength > maxBytes {
		return nil, fmt.Errorf("%w: %s: Content-Length %d, limit %d", ErrTooLarge, where, resp.ContentLength, maxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("transport: %s: read body: %w", where, err)
	}
	if int64(len(body)) > maxBytes {
		return nil, fmt.Errorf("%w: %s: more than %d bytes", ErrTooLarge, where, maxBytes)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return &Media{Body: body, ContentType: mt}, nil
}
