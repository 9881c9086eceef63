package transport

import (
	"context"
	"fmt"
	"net/netip"
	"syscall"
)

// A blockedRange is a range of addresses we never connect to, with the
// reason given in errors.
type blockedRange struct {
	prefix netip.Prefix
	why    string
}

// blockedV4 lists the IPv4 ranges that are not globally reachable
// (IANA IPv4 Special-Purpose Address Registry, RFC 6890 and successors).
// Everything else in IPv4 is public unicast.
var blockedV4 = []blockedRange{
	{netip.MustParsePrefix("0.0.0.0/8"), "this-network"}, // 0.0.0.0 reaches the local host on Linux
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared CGNAT"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"}, // includes cloud metadata, 169.254.169.254
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay anycast"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"}, // includes broadcast, 255.255.255.255
}

var (
	// globalUnicast6 is the only IPv6 space assigned for public unicast
	// (RFC 4291 §2.4). IPv6 is judged by allowing this block, minus the
	// exceptions below, rather than by listing what is bad: loopback,
	// unspecified, IPv4-compatible, unique-local (fc00::/7), link-local
	// (fe80::/10), site-local, multicast (ff00::/8), discard-only
	// (100::/64), local-use NAT64 (64:ff9b:1::/48) and anything assigned
	// in future all lie outside it.
	globalUnicast6 = netip.MustParsePrefix("2000::/3")

	// nat64 is the well-known NAT64 prefix (RFC 6052): the last 32 bits
	// are an IPv4 address that a NAT64 gateway on our network will
	// connect to for us, so that address decides.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")

	// sixToFour is 6to4 (RFC 3056): bits 16-47 are the IPv4 address of the
	// tunnel end point, so that address decides.
	sixToFour = netip.MustParsePrefix("2002::/16")

	// blockedV6 are the exceptions inside globalUnicast6.
	blockedV6 = []blockedRange{
		{netip.MustParsePrefix("2001::/32"), "Teredo"}, // embeds an obfuscated IPv4 address; no fediverse server lives there
		{netip.MustParsePrefix("2001:2::/48"), "benchmarking"},
		{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
		{netip.MustParsePrefix("3fff::/20"), "documentation"},
	}

	// namedV6 only names the commonest non-public IPv6 ranges for error
	// messages; anything outside globalUnicast6 is refused regardless.
	namedV6 = []blockedRange{
		{netip.MustParsePrefix("fc00::/7"), "unique-local"},
		{netip.MustParsePrefix("fe80::/10"), "link-local"},
		{netip.MustParsePrefix("fec0::/10"), "site-local"},
		{netip.MustParsePrefix("ff00::/8"), "multicast"},
		{netip.MustParsePrefix("::/96"), "IPv4-compatible"},
	}
)

// nonPublic returns why addr is not a public Internet address, or "" if it
// is one. IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) are judged as the
// IPv4 address they carry; so are NAT64 and 6to4 addresses.
func nonPublic(addr netip.Addr) string {
	if !addr.IsValid() {
		return "invalid"
	}
	addr = addr.WithZone("").Unmap()
	if addr.Is4() {
		for _, r := range blockedV4 {
			if r.prefix.Contains(addr) {
				return r.why
			}
		}
		return ""
	}
	switch {
	case addr.IsUnspecified():
		return "unspecified"
	case addr.IsLoopback():
		return "loopback"
	case nat64.Contains(addr):
		b := addr.As16()
		if why := nonPublic(netip.AddrFrom4([4]byte(b[12:16]))); why != "" {
			return "NAT64 of " + why
		}
		return ""
	case !globalUnicast6.Contains(addr):
		for _, r := range namedV6 {
			if r.prefix.Contains(addr) {
				return r.why
			}
		}
		return "not global unicast"
	case sixToFour.Contains(addr):
		b := addr.As16()
		if why := nonPublic(netip.AddrFrom4([4]byte(b[2:6]))); why != "" {
			return "6to4 of " + why
		}
		return ""
	}
	for _, r := range blockedV6 {
		if r.prefix.Contains(addr) {
			return r.why
		}
	}
	return ""
}

// refuseNonPublic is the dial-time policy when Config.AllowPrivate is off.
func refuseNonPublic(ap netip.AddrPort) error {
	if why := nonPublic(ap.Addr()); why != "" {
		return fmt.Errorf("%w: %s is %s", ErrPrivateAddress, ap, why)
	}
	return nil
}

// control is the dialer's ControlContext hook. It runs after DNS
// resolution, once per address tried, just before the socket connects, so
// it sees the address that would really be reached, whatever name, DNS
// answer or redirect led there. address is "ip:port".
func (c *Client) control(_ context.Context, network, address string, _ syscall.RawConn) error {
	if c.dialGuard == nil {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Fail closed: an address we cannot read is one we cannot vouch for.
		return fmt.Errorf("%w: cannot read %s address %q: %v", ErrPrivateAddress, network, address, err)
	}
	return c.dialGuard(ap)
}
