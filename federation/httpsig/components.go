package httpsig

import (
	"net/http"
	"strings"
)

// requestTarget is the request-target exactly as it appeared on the request
// line: path and query, still percent-encoded. Signers sign the bytes they
// sent, so decoding and re-encoding (as url.URL does for paths like
// /a%2Fb) would break signatures. On the server, req.RequestURI holds the
// raw form; on the client (Sign) the Go transport writes
// req.URL.RequestURI(), so that is what gets signed. An absolute-form
// target (only sent to proxies) is reduced to its path and query, as
// Mastodon does.
func requestTarget(req *http.Request) string {
	if u := req.RequestURI; u != "" && u[0] == '/' {
		return u
	}
	if req.URL == nil {
		return req.RequestURI
	}
	return req.URL.RequestURI()
}

// splitTarget splits a request-target into path and raw query. hasQuery
// tells "/x?" (empty query) from "/x".
func splitTarget(target string) (path, query string, hasQuery bool) {
	path, query, hasQuery = strings.Cut(target, "?")
	if path == "" {
		path = "/"
	}
	return path, query, hasQuery
}

// normalizeAuthority lowercases a host[:port] and drops the scheme's
// default port, as RFC 9421 §2.2.3 (via RFC 9110 §4.2.3) asks for
// @authority.
func normalizeAuthority(host, scheme string) string {
	host = strings.ToLower(host)
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	return host
}

// fieldValue is the value of a header field for a signing string or
// signature base: every field line's value with surrounding whitespace
// removed, joined with ", " in message order (draft-cavage §2.3,
// RFC 9421 §2.1). The Host field lives outside req.Header in Go and is
// answered from Options. ok is false if the request has no such field.
func fieldValue(req *http.Request, opts Options, name string) (string, bool) {
	if name == "host" {
		h := opts.host(req)
		return h, h != ""
	}
	vals := req.Header.Values(name)
	if len(vals) == 0 {
		return "", false
	}
	if len(vals) == 1 {
		return trimOWS(vals[0]), true
	}
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(trimOWS(v))
	}
	return b.String(), true
}

// trimOWS removes optional whitespace (SP and HTAB, RFC 9110 §5.6.3) from
// both ends. strings.TrimSpace would also eat Unicode spaces such as a
// trailing U+00A0, changing what the sender signed.
func trimOWS(s string) string {
	for s != "" && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for s != "" && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
