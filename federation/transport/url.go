package transport

import (
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// CheckURL validates a remote URL before anything is stored, fetched or
// delivered to: it must be an absolute http or https URL with a host, no
// userinfo (https://good.example@evil.example/ reads as one host and goes
// to another), a valid port, and a host that is either an IP address or a
// plausible DNS name. Numeric hosts that are not plain dotted-quad or IPv6
// (http://2130706433/, http://127.1/) are refused as ErrBadURL, since some
// resolvers read them as IP addresses and others as names.
//
// Unless Config.AllowPrivate is set, a literal IP host must be a public
// address and "localhost" names are refused (ErrPrivateAddress). Names
// that merely resolve to private addresses are caught later, when
// connecting.
//
// A fragment is allowed (key ids have one) and never sent.
func (c *Client) CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadURL, err)
	}
	if err := c.checkURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

func (c *Client) checkURL(u *url.URL) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: %s: %s", ErrBadURL, u.Redacted(), why)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		// url.Parse lowercases the scheme, so "HTTPS:" is fine.
		return bad("scheme must be http or https")
	case u.Opaque != "":
		return bad("not a hierarchical URL")
	case u.User != nil:
		return bad("userinfo not allowed")
	case u.Host == "" || u.Hostname() == "":
		return bad("no host")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return bad("invalid port")
		}
	}
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil {
		if addr.Zone() != "" {
			return bad("IPv6 zone not allowed")
		}
		if !c.allowPrivate {
			if why := nonPublic(addr); why != "" {
				return fmt.Errorf("%w: %s: %s is %s", ErrPrivateAddress, u.Redacted(), addr, why)
			}
		}
		return nil
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if why := badHostname(name); why != "" {
		return bad(why)
	}
	if !c.allowPrivate && (name == "localhost" || strings.HasSuffix(name, ".localhost")) {
		// RFC 6761 §6.3: localhost names always mean the loopback interface.
		return fmt.Errorf("%w: %s: localhost", ErrPrivateAddress, u.Redacted())
	}
	return nil
}

// badHostname says what is wrong with a lowercased DNS name without its
// trailing dot, or "" if nothing is. Letters outside ASCII are allowed for
// internationalized names, which net/http converts to punycode.
func badHostname(name string) string {
	if name == "" || len(name) > 253 {
		return "invalid host name length"
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 {
			return "empty or overlong host name label"
		}
		for _, r := range l {
			ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r >= 0x80
			if !ok {
				return fmt.Sprintf("character %q in host name", r)
			}
		}
	}
	// No top-level domain is numeric, so a name ending in a number is an
	// IPv4 address in one of inet_aton's shorthand forms (127.1, 0x7f.1,
	// 2130706433), which resolvers disagree about.
	last := labels[len(labels)-1]
	if isDigits(last) || len(last) > 2 && last[:2] == "0x" && isHex(last[2:]) {
		return "numeric host that is not a plain IP address"
	}
	return ""
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// canonical is u in a form for comparing document ids with URLs: scheme
// and host lowercased, default port dropped, empty path as "/", with or
// without the fragment.
func canonical(u *url.URL, fragment bool) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(u.Scheme))
	b.WriteString("://")
	b.WriteString(authority(u))
	if p := u.EscapedPath(); p != "" {
		b.WriteString(p)
	} else {
		b.WriteByte('/')
	}
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteByte('?')
		b.WriteString(u.RawQuery)
	}
	if fragment && u.Fragment != "" {
		b.WriteByte('#')
		b.WriteString(u.EscapedFragment())
	}
	return b.String()
}

// authority is u's lowercased host with its port, unless the port is the
// scheme's default.
func authority(u *url.URL) string {
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	port := u.Port()
	if port == "" || u.Scheme == "https" && port == "443" || u.Scheme == "http" && port == "80" {
		return host
	}
	return host + ":" + port
}
