package web

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

// Content codings of cached responses (RFC 9110 §8.4).
//
// Every cached response is compressed once when it is stored, with gzip and
// with brotli, and served many times in the form each client reads best. The
// identity bytes are kept too: ActivityPub servers, WebFinger clients and
// HEAD requests often ask for no coding at all, and decoding for them on
// every request would spend, during a rush, exactly the CPU the cache is
// there to save. All three forms count against the cache's byte bound
// (web/cache), so memory stays bounded whatever the mix.

// brotliQuality is the brotli level of the stored form. Measured on this
// node's own output (best of 40 runs; README, "Compressed responses"): on
// the statement page (6.2 KB) quality 5 takes 0.3 ms and is 12% smaller
// than gzip at its best level; on a 50-item Atom feed of distinct prose
// (112 KB) 3.6 ms, 6% smaller. Qualities 6 to 9 gain under 2% more for up
// to 2.4 times the time; quality 11 gains 12 to 18% more but costs 12 ms on
// the page and 200 ms on the feed, paid by the request that misses, and by
// each of the concurrent misses of a rush.
const brotliQuality = 5

// Coding names as they appear in Content-Encoding.
const (
	codingBrotli = "br"
	codingGzip   = "gzip"
)

// gzipped compresses a body once, at the best level (it is made once per
// version and served many times). Nil when gzip would not make it smaller.
func gzipped(body []byte) []byte {
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(body); err != nil {
		return nil
	}
	if err := zw.Close(); err != nil {
		return nil
	}
	return smaller(&buf, body)
}

func brotlied(body []byte) []byte {
	var buf bytes.Buffer
	bw := brotliWriters.Get().(*brotli.Writer)
	defer brotliWriters.Put(bw)
	bw.Reset(&buf)
	if _, err := bw.Write(body); err != nil {
		return nil
	}
	if err := bw.Close(); err != nil {
		return nil
	}
	return smaller(&buf, body)
}

// The compressors are kept for reuse: each holds about a megabyte of
// tables and windows, which every cache miss allocated and dropped before.
var (
	gzipWriters = sync.Pool{New: func() any {
		zw, _ := gzip.NewWriterLevel(nil, gzip.BestCompression) // a valid level: no error
		return zw
	}}
	brotliWriters = sync.Pool{New: func() any { return brotli.NewWriterLevel(nil, brotliQuality) }}
)

// smaller returns the compressed form, copied to its exact size (the
// buffer's spare capacity would otherwise sit in the cache uncounted), or
// nil when it is no smaller than body.
func smaller(buf *bytes.Buffer, body []byte) []byte {
	if buf.Len() >= len(body) {
		return nil
	}
	out := make([]byte, buf.Len())
	copy(out, buf.Bytes())
	return out
}

func gzipETag(etag string) string { return strings.TrimSuffix(etag, `"`) + `-gz"` }

func brotliETag(etag string) string { return strings.TrimSuffix(etag, `"`) + `-br"` }

// identityLast is the weight of the identity coding when Accept-Encoding
// does not name it (nor "*"): acceptable (RFC 9110 §12.5.3), but below any
// weight a client can write (three decimals at most), so that a listed
// coding is preferred to it.
const identityLast = 0.0001

// negotiateEncoding chooses the coding of a response from Accept-Encoding
// (RFC 9110 §12.5.3), among the forms that exist: br when hasBrotli, gzip
// when hasGzip, and the identity bytes always. It returns codingBrotli,
// codingGzip or "" for identity.
//
//   - No Accept-Encoding (or an empty one): identity, the safe answer to a
//     client that said nothing.
//   - Each coding gets its own weight, else the weight of "*", else none
//     (not acceptable); x-gzip is gzip. Identity not named gets the weight
//     of "*" when there is one, else identityLast.
//   - The highest weight above zero wins; on equal weights br is preferred
//     to gzip, and either to identity.
//   - When nothing available is acceptable (identity refused with
//     "identity;q=0" or "*;q=0", and no acceptable compressed form), the
//     identity bytes are sent: RFC 9110 §12.1 lets a server disregard the
//     negotiation rather than answer 406, and a readable answer serves the
//     client better than none.
//
// It runs on every cached answer, so it walks the header without
// allocating. An element with a malformed weight is ignored.
func negotiateEncoding(r *http.Request, hasBrotli, hasGzip bool) string {
	const unset = -1.0
	qBr, qGz, qID, qStar := unset, unset, unset, unset
	for _, v := range r.Header.Values("Accept-Encoding") {
		for v != "" {
			var part string
			part, v, _ = strings.Cut(v, ",")
			name, params, _ := strings.Cut(part, ";")
			name = strings.TrimSpace(name)
			q, ok := weight(params)
			if !ok || name == "" {
				continue
			}
			switch {
			case strings.EqualFold(name, codingBrotli):
				qBr = max(qBr, q)
			case strings.EqualFold(name, codingGzip), strings.EqualFold(name, "x-gzip"):
				qGz = max(qGz, q)
			case strings.EqualFold(name, "identity"):
				qID = max(qID, q)
			case name == "*":
				qStar = max(qStar, q)
			}
		}
	}
	if qBr == unset && qGz == unset && qID == unset && qStar == unset {
		return "" // no header, an empty one, or only codings we do not make
	}
	if qBr == unset {
		qBr = qStar
	}
	if qGz == unset {
		qGz = qStar
	}
	if qID == unset {
		qID = identityLast
		if qStar != unset {
			qID = qStar
		}
	}
	coding, best := "", qID
	if hasGzip && qGz > 0 && qGz >= best {
		coding, best = codingGzip, qGz
	}
	if hasBrotli && qBr > 0 && qBr >= best {
		coding = codingBrotli
	}
	return coding
}

// weight reads the q parameter of one Accept-Encoding element: 1 when
// absent, false when it is not a number from 0 to 1.
func weight(params string) (float64, bool) {
	q := 1.0
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil || !(f >= 0 && f <= 1) { // NaN fails both
			return 0, false
		}
		q = f
	}
	return q, true
}
