package transport

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxRetryAfter caps StatusError.RetryAfter and Response.RetryAfter. A peer
// asking for more is asking us to give up, which is the delivery worker's
// decision to make; the cap also keeps absurd values from overflowing a
// time.Duration.
const MaxRetryAfter = 7 * 24 * time.Hour

const (
	// snippetMax is the longest StatusError.Body.
	snippetMax = 200
	// snippetRead is how much of an error answer is looked at to make the
	// snippet: enough to skip leading whitespace and markup noise.
	snippetRead = 1024
)

// parseRetryAfter reads a Retry-After header (RFC 9110 §10.2.3), either
// delta-seconds ("120") or an HTTP-date, relative to now. Anything else,
// and dates in the past, give zero.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if isDigits(v) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(MaxRetryAfter/time.Second) {
			// Only overflow can fail here: too many digits.
			return MaxRetryAfter
		}
		return time.Duration(n) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	if d < 0 {
		return 0
	}
	// Round up: "retry after 1.5s" must not become an earlier retry.
	d = (d + time.Second - 1).Truncate(time.Second)
	return min(d, MaxRetryAfter)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// readSnippet reads up to snippetRead bytes of r and makes them loggable:
// control characters and invalid UTF-8 become spaces, runs of white space
// collapse to one, and the result is cut to snippetMax bytes on a rune
// boundary. Peers put anything in error bodies, including terminal escape
// sequences and forged log lines.
func readSnippet(r io.Reader) string {
	buf := make([]byte, snippetRead)
	n, _ := io.ReadFull(r, buf) // A short or failed read still gives a usable snippet.
	return sanitize(buf[:n])
}

func sanitize(b []byte) string {
	var sb strings.Builder
	space := false
	for len(b) > 0 && sb.Len() < snippetMax {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			space = sb.Len() > 0
			continue
		}
		add := utf8.RuneLen(r)
		if space {
			add++
		}
		if sb.Len()+add > snippetMax {
			break
		}
		if space {
			sb.WriteByte(' ')
			space = false
		}
		sb.WriteRune(r)
	}
	return sb.String()
}
