package httpsig

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// rfc9421Algs maps the RFC 9421 §6.2.2 algorithm names we accept.
// hmac-sha256 needs a shared secret and the ecdsa algorithms are not used
// by any ActivityPub server; they get ErrUnsupported.
var rfc9421Algs = map[string]verifyAlg{
	"rsa-v1_5-sha256": algRSAPKCS1SHA256,
	"rsa-pss-sha512":  algRSAPSSSHA512,
	"ed25519":         algEd25519,
}

// parseRFC9421 reads RFC 9421 Signature-Input and Signature dictionaries and
// returns the first signature, in Signature-Input order, that meets our
// policy. A request can carry several signatures (for example one added by
// a proxy); a signature we cannot use is skipped rather than fatal, and if
// none is usable the first one's reason is returned.
func parseRFC9421(req *http.Request, opts Options) (*Signature, error) {
	inputs, err := parseDictionary(strings.Join(req.Header.Values("Signature-Input"), ", "))
	if err != nil {
		return nil, fmt.Errorf("%w: Signature-Input: %w", ErrMalformed, err)
	}
	if len(inputs) == 0 {
		return nil, fmt.Errorf("%w: empty Signature-Input", ErrMalformed)
	}
	sigs, err := parseDictionary(strings.Join(req.Header.Values("Signature"), ", "))
	if err != nil {
		return nil, fmt.Errorf("%w: Signature: %w", ErrMalformed, err)
	}
	var first error
	for _, in := range inputs {
		s, err := rfc9421Candidate(req, opts, in, sigs)
		if err == nil {
			return s, nil
		}
		if first == nil {
			first = fmt.Errorf("%w (signature %q)", err, in.key)
		}
	}
	return nil, first
}

// rfc9421Candidate checks one Signature-Input member and, if acceptable,
// builds its signature base.
func rfc9421Candidate(req *http.Request, opts Options, in sfMember, sigs []sfMember) (*Signature, error) {
	if !in.inner {
		return nil, fmt.Errorf("%w: Signature-Input member is not an inner list", ErrMalformed)
	}
	s := &Signature{Scheme: SchemeRFC9421, Label: in.key}
	for _, m := range sigs {
		if m.key == in.key {
			if m.inner || m.value.kind != sfBytes || len(m.value.bytes) == 0 {
				return nil, fmt.Errorf("%w: Signature member is not a byte sequence", ErrMalformed)
			}
			s.sig = m.value.bytes
		}
	}
	if s.sig == nil {
		return nil, fmt.Errorf("%w: no Signature member for label", ErrMalformed)
	}

	var hasCreated bool
	for _, prm := range in.params {
		v := prm.value
		switch prm.key {
		case "created", "expires":
			if v.kind != sfInteger || v.integer < 0 {
				return nil, fmt.Errorf("%w: %s is not a non-negative integer", ErrMalformed, prm.key)
			}
			if prm.key == "created" {
				s.Created, hasCreated = time.Unix(v.integer, 0), true
			} else {
				s.Expires = time.Unix(v.integer, 0)
			}
		case "keyid", "alg":
			if v.kind != sfString {
				return nil, fmt.Errorf("%w: %s is not a string", ErrMalformed, prm.key)
			}
			if prm.key == "keyid" {
				s.KeyID = v.str
			} else {
				s.Algorithm = v.str
			}
		}
		// nonce and tag are for application profiles we do not use;
		// unknown parameters are ignored, as §2.3 allows.
	}
	if s.KeyID == "" {
		return nil, fmt.Errorf("%w: keyid missing", ErrMalformed)
	}
	if s.Algorithm != "" {
		alg, ok := rfc9421Algs[s.Algorithm]
		if !ok {
			return nil, fmt.Errorf("%w: alg %q", ErrUnsupported, s.Algorithm)
		}
		s.alg = alg
	}

	s.Covered = make([]string, 0, len(in.list))
	for _, it := range in.list {
		if it.value.kind != sfString {
			return nil, fmt.Errorf("%w: covered component is not a string", ErrMalformed)
		}
		if len(it.params) > 0 {
			// ;sf, ;key, ;bs, ;req, ;tr and ;name change how a value is
			// derived. No fediverse signer uses them.
			return nil, fmt.Errorf("%w: parameters on component %q", ErrUnsupported, it.value.str)
		}
		s.Covered = append(s.Covered, it.value.str)
	}

	// Policy, as for draft-cavage: bound to the method and the full
	// target (either @target-uri, or @authority plus @path), to the body
	// when there is one, and to a time.
	if !s.Covers("@method") {
		return nil, fmt.Errorf("%w: @method not signed", ErrCoverage)
	}
	if !s.Covers("@target-uri") && !(s.Covers("@authority") && s.Covers("@path")) {
		return nil, fmt.Errorf("%w: neither @target-uri nor @authority and @path signed", ErrCoverage)
	}
	if opts.needsDigest(req) && !s.Covers("content-digest") {
		return nil, fmt.Errorf("%w: content-digest not signed", ErrCoverage)
	}
	if !hasCreated {
		return nil, fmt.Errorf("%w: created missing", ErrMalformed)
	}
	if err := opts.checkCreated("created", s.Created); err != nil {
		return nil, err
	}
	if !s.Expires.IsZero() {
		if err := opts.checkExpires(s.Expires); err != nil {
			return nil, err
		}
	}

	base, err := signatureBase(req, opts, s.Covered, in.raw)
	if err != nil {
		return nil, err
	}
	s.base = base
	return s, nil
}

// signatureBase builds the RFC 9421 §2.5 signature base: one
// `"component": value` line per covered component, then the
// "@signature-params" line.
//
// The @signature-params value is the Signature-Input member exactly as
// received rather than a re-serialization of what we parsed. For any
// correct signer the two are identical, because signers send the same
// serialization they signed; where a signer's serialization is unusual
// (extra spaces inside the list, ";sf=?1" for ";sf", a decimal with a
// trailing zero), the received text is what it signed. The received text
// carries no more authority than the parsed form: it is the same bytes.
//
// Duplicate components: RFC 9421 §2.5 says a repeated component identifier
// is an error. Fedify 2.3.6 repeats "content-digest" when it answers an
// Accept-Signature challenge (fixture fedify/30), and its signature is over
// a base with that line twice. We accept exact repeats and emit the line
// once per listing. This is safe: the repeated line is computed from the
// same request data, so the signature binds exactly the same message as
// with a single copy, and nothing an attacker controls is added. Rejecting
// it would only break a peer that did what our challenge asked.
func signatureBase(req *http.Request, opts Options, covered []string, params string) ([]byte, error) {
	var b strings.Builder
	for _, name := range covered {
		v, err := componentValue(req, opts, name)
		if err != nil {
			return nil, err
		}
		b.WriteByte('"')
		b.WriteString(name)
		b.WriteString(`": `)
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteString(`"@signature-params": `)
	b.WriteString(params)
	return []byte(b.String()), nil
}

// componentValue derives one covered component of a request (RFC 9421
// §2.1 for fields, §2.2 for derived components).
func componentValue(req *http.Request, opts Options, name string) (string, error) {
	scheme := opts.scheme()
	target := requestTarget(req)
	switch name {
	case "@method":
		return req.Method, nil
	case "@target-uri":
		// The target as the sender addressed it: never with a fragment,
		// since fragments are not sent. Fedify signs keyId fetches with
		// the fragment included (fixture fedify/06); those fail here, as
		// they must.
		return scheme + "://" + normalizeAuthority(opts.host(req), scheme) + target, nil
	case "@authority":
		return normalizeAuthority(opts.host(req), scheme), nil
	case "@scheme":
		return scheme, nil
	case "@request-target":
		return target, nil
	case "@path":
		path, _, _ := splitTarget(target)
		return path, nil
	case "@query":
		_, query, _ := splitTarget(target)
		return "?" + query, nil
	case "@signature-params":
		return "", fmt.Errorf("%w: @signature-params cannot be covered", ErrMalformed)
	}
	if strings.HasPrefix(name, "@") {
		// @query-param needs a name parameter (rejected earlier); @status
		// exists only on responses.
		return "", fmt.Errorf("%w: component %q", ErrUnsupported, name)
	}
	if name == "" || !isFieldName(name) {
		return "", fmt.Errorf("%w: bad component name %q", ErrMalformed, name)
	}
	v, ok := fieldValue(req, opts, name)
	if !ok {
		return "", fmt.Errorf("%w: signed field %s not in request", ErrMalformed, name)
	}
	return v, nil
}

// isFieldName reports whether name is a lowercase field name (a token with
// no uppercase letters), as RFC 9421 §2.1 requires component names to be.
func isFieldName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isTChar(c) || (c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}
