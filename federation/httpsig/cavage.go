package httpsig

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// cavageParams are the parameters of a draft-cavage Signature header.
type cavageParams struct {
	keyID      string
	algorithm  string
	headers    []string
	signature  string
	created    string
	expires    string
	hasCreated bool
	hasExpires bool
}

// parseCavage reads a draft-cavage-http-signatures-12 signature (the value
// of a Signature header, or of an Authorization header after "Signature ")
// and checks it against our policy.
func parseCavage(req *http.Request, value string, opts Options) (*Signature, error) {
	p, err := parseCavageParams(value)
	if err != nil {
		return nil, err
	}
	if p.keyID == "" {
		return nil, fmt.Errorf("%w: keyId missing", ErrMalformed)
	}
	if p.signature == "" {
		return nil, fmt.Errorf("%w: signature parameter missing", ErrMalformed)
	}

	// In cavage-12, hs2019 means "the algorithm follows from the key", and
	// GoToSocial sends it for plain RSASSA-PKCS1-v1_5 SHA-256 signatures
	// (fixtures gotosocial/*). Of the deprecated names only rsa-sha256 is
	// in use between servers (Mastodon, snac, honk, Fedify); hmac-sha256
	// needs a shared secret no peer has, and rsa-sha1 is broken.
	alg := strings.ToLower(p.algorithm)
	s := &Signature{Scheme: SchemeCavage, KeyID: p.keyID, Algorithm: alg, Covered: p.headers}
	switch alg {
	case "", "hs2019":
		s.alg = algByKey
	case "rsa-sha256":
		s.alg = algRSAPKCS1SHA256
	default:
		return nil, fmt.Errorf("%w: algorithm %q", ErrUnsupported, p.algorithm)
	}

	s.sig, err = decodeBase64(p.signature)
	if err != nil || len(s.sig) == 0 {
		return nil, fmt.Errorf("%w: signature is not base64", ErrMalformed)
	}

	// cavage-12 §2.1.6: (created) and (expires) are only defined for
	// hs2019; with a named legacy algorithm they are an error.
	pseudoOK := alg == "" || alg == "hs2019"
	if p.hasCreated {
		t, err := parseUnix(p.created)
		if err != nil {
			return nil, fmt.Errorf("%w: created: %w", ErrMalformed, err)
		}
		s.Created = t
	}
	if p.hasExpires {
		t, err := parseUnix(p.expires)
		if err != nil {
			return nil, fmt.Errorf("%w: expires: %w", ErrMalformed, err)
		}
		s.Expires = t
	}
	if (s.Covers("(created)") || s.Covers("(expires)")) && !pseudoOK {
		return nil, fmt.Errorf("%w: (created)/(expires) with algorithm %q", ErrMalformed, alg)
	}
	if s.Covers("(created)") && !p.hasCreated {
		return nil, fmt.Errorf("%w: (created) signed but created parameter missing", ErrMalformed)
	}
	if s.Covers("(expires)") && !p.hasExpires {
		return nil, fmt.Errorf("%w: (expires) signed but expires parameter missing", ErrMalformed)
	}

	// What the signature must cover to be bound to this request: the
	// method and path, the host (or it could be replayed to another
	// server), a signing time (or it could be replayed forever) and, for
	// requests with content, the body digest.
	if !s.Covers("(request-target)") {
		return nil, fmt.Errorf("%w: (request-target) not signed", ErrCoverage)
	}
	if !s.Covers("host") {
		return nil, fmt.Errorf("%w: host not signed", ErrCoverage)
	}
	if !s.Covers("date") && !s.Covers("(created)") {
		return nil, fmt.Errorf("%w: neither date nor (created) signed", ErrCoverage)
	}
	if opts.needsDigest(req) && !s.Covers("digest") {
		return nil, fmt.Errorf("%w: digest not signed", ErrCoverage)
	}

	base, err := cavageSigningString(req, opts, p)
	if err != nil {
		return nil, err
	}
	s.base = []byte(base)

	// Freshness is judged from signed times only: an unsigned Date or
	// created could be rewritten by anyone replaying the request.
	if s.Covers("(created)") {
		if err := opts.checkCreated("created", s.Created); err != nil {
			return nil, err
		}
	}
	if s.Covers("date") {
		d, err := parseHTTPDate(req.Header.Get("Date"))
		if err != nil {
			return nil, fmt.Errorf("%w: Date header: %w", ErrMalformed, err)
		}
		if err := opts.checkCreated("Date", d); err != nil {
			return nil, err
		}
		if !s.Covers("(created)") {
			s.Created = d
		}
	}
	// An expires parameter is honoured even when (expires) is not signed:
	// refusing on unsigned data only makes us stricter, and a sender that
	// set it meant it.
	if p.hasExpires {
		if err := opts.checkExpires(s.Expires); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// cavageSigningString builds the string a draft-cavage signature is over
// (cavage-12 §2.3): one "name: value" line per covered header, in the order
// listed, joined by "\n" with no trailing newline.
func cavageSigningString(req *http.Request, opts Options, p cavageParams) (string, error) {
	var b strings.Builder
	for i, name := range p.headers {
		var v string
		switch name {
		case "(request-target)":
			v = strings.ToLower(req.Method) + " " + requestTarget(req)
		case "(created)":
			v = p.created
		case "(expires)":
			v = p.expires
		default:
			if strings.HasPrefix(name, "(") {
				return "", fmt.Errorf("%w: unknown pseudo-header %s", ErrUnsupported, name)
			}
			var ok bool
			v, ok = fieldValue(req, opts, name)
			if !ok {
				// cavage-12 §2.3: a listed header missing from the
				// message is an error, not an empty line.
				return "", fmt.Errorf("%w: signed header %s not in request", ErrMalformed, name)
			}
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(name)
		b.WriteString(": ")
		b.WriteString(v)
	}
	return b.String(), nil
}

// parseCavageParams splits `name="value",name=value,...`. Names are matched
// case-insensitively; values are quoted strings (a backslash escapes the
// next character, which no known signer needs but the grammar allows) or,
// for created and expires, bare integers. Unknown parameters are ignored;
// a repeated one is an error, since which copy counts would be a guess.
func parseCavageParams(s string) (cavageParams, error) {
	var p cavageParams
	seen := make(map[string]bool, 6)
	hasHeaders := false
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == ',') {
			i++
		}
		if i == len(s) {
			break
		}
		start := i
		for i < len(s) && isParamNameChar(s[i]) {
			i++
		}
		if i == start || i == len(s) || s[i] != '=' {
			return p, fmt.Errorf("%w: bad parameter at offset %d", ErrMalformed, start)
		}
		name := strings.ToLower(s[start:i])
		i++
		var val string
		if i < len(s) && s[i] == '"' {
			i++
			var b strings.Builder
			closed := false
			for i < len(s) {
				c := s[i]
				i++
				if c == '\\' && i < len(s) {
					b.WriteByte(s[i])
					i++
					continue
				}
				if c == '"' {
					closed = true
					break
				}
				b.WriteByte(c)
			}
			if !closed {
				return p, fmt.Errorf("%w: unterminated value for %s", ErrMalformed, name)
			}
			val = b.String()
		} else {
			vs := i
			for i < len(s) && s[i] != ',' && s[i] != ' ' && s[i] != '\t' {
				i++
			}
			val = s[vs:i]
		}
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i < len(s) && s[i] != ',' {
			return p, fmt.Errorf("%w: expected ',' at offset %d", ErrMalformed, i)
		}
		if seen[name] {
			return p, fmt.Errorf("%w: parameter %s repeated", ErrMalformed, name)
		}
		seen[name] = true
		switch name {
		case "keyid":
			p.keyID = val
		case "algorithm":
			p.algorithm = val
		case "headers":
			hasHeaders = true
			p.headers = strings.Fields(strings.ToLower(val))
		case "signature":
			p.signature = val
		case "created":
			p.created, p.hasCreated = val, true
		case "expires":
			p.expires, p.hasExpires = val, true
		}
	}
	if !hasHeaders {
		// cavage-12 §2.1.6: when headers is absent only Date is signed.
		// Our coverage policy will then reject it, with a clear reason.
		p.headers = []string{"date"}
	}
	if len(p.headers) == 0 {
		return p, fmt.Errorf("%w: empty headers parameter", ErrMalformed)
	}
	return p, nil
}

func isParamNameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// decodeBase64 accepts standard base64 with or without padding.
func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// parseUnix reads an integer Unix time in seconds, as cavage-12 §2.1.4
// specifies for created and expires.
func parseUnix(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("not a Unix time: %q", s)
	}
	return time.Unix(n, 0), nil
}

// httpDateLayouts are the Date formats accepted: IMF-fixdate (what every
// peer sends), the two obsolete forms RFC 9110 §5.6.7 requires recipients
// to accept, and RFC 1123 variants with a numeric zone, "UTC", or a
// one-digit day. Zone abbreviations other than GMT/UTC are not accepted:
// Go would silently read them as UTC.
var httpDateLayouts = []string{
	http.TimeFormat,
	"Mon, 02 Jan 2006 15:04:05 UTC",
	time.RFC1123Z,
	"Mon, 2 Jan 2006 15:04:05 GMT",
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Monday, 02-Jan-06 15:04:05 GMT", // RFC 850
	time.ANSIC,
}

// parseHTTPDate parses a Date header value.
func parseHTTPDate(s string) (time.Time, error) {
	s = trimOWS(s)
	for _, layout := range httpDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognized date %q", s)
}
