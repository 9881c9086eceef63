package websub

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
)

// Signature is the X-Hub-Signature value for body under secret:
// "sha256=" and the hex HMAC-SHA256. WebSub §8 lets the hub pick among
// sha1, sha256, sha384 and sha512; sha256 is the one every subscriber
// library checks and sha1 is no longer safe.
func Signature(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Challenge is a fresh random hub.challenge: 32 hex digits, unguessable,
// so that only a subscriber that received our GET can echo it.
func Challenge() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// LinkHeader is the Link header naming hubs and the topic's own URL
// (WebSub §4: rel="hub" and rel="self").
func LinkHeader(hubs []string, self string) string {
	var b strings.Builder
	for _, h := range hubs {
		b.WriteString("<" + h + `>; rel="hub", `)
	}
	b.WriteString("<" + self + `>; rel="self"`)
	return b.String()
}

// withQuery appends query parameters to a callback URL that may already
// carry its own (WebSub §5.3: the hub MUST keep them).
func withQuery(callback string, q url.Values) string {
	sep := "?"
	if strings.Contains(callback, "?") {
		sep = "&"
	}
	return callback + sep + q.Encode()
}
