package httpsig

// A parser for the parts of RFC 8941 (Structured Field Values for HTTP)
// that RFC 9421 and RFC 9530 use: dictionaries whose members are items or
// inner lists, with parameters, and all bare item types. It follows the
// parsing algorithms of RFC 8941 §4.2 step by step; the section numbers
// below refer to it. Date and Display String items (RFC 9651) are not
// needed here and are rejected like any unknown character.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// sfKind is the type of a bare item.
type sfKind uint8

const (
	sfInteger sfKind = iota + 1
	sfDecimal
	sfString
	sfToken
	sfBytes
	sfBoolean
)

// sfBare is a bare item. Decimals are held as thousandths in integer (RFC
// 8941 decimals have at most three fractional digits), so they compare and
// re-serialize exactly.
type sfBare struct {
	kind    sfKind
	integer int64
	str     string
	bytes   []byte
	boolean bool
}

// sfParam is one parameter; order is kept because it is significant to
// serialization.
type sfParam struct {
	key   string
	value sfBare
}

// sfItem is a bare item with its parameters.
type sfItem struct {
	value  sfBare
	params []sfParam
}

// sfMember is one dictionary member: an item, or (inner set) an inner
// list. params belong to the item or to the inner list. raw is the member
// value exactly as it appeared in the field, from just after "=" to the end
// of its parameters.
type sfMember struct {
	key    string
	inner  bool
	value  sfBare
	list   []sfItem
	params []sfParam
	raw    string
}

// errSF is the root of structured-field parse errors.
var errSF = errors.New("structured field")

type sfParser struct {
	s string
	i int
}

func (p *sfParser) eof() bool { return p.i >= len(p.s) }

func (p *sfParser) fail(what string) error {
	if p.eof() {
		return fmt.Errorf("%w: %s at end of input", errSF, what)
	}
	return fmt.Errorf("%w: %s at offset %d (%q)", errSF, what, p.i, p.s[p.i])
}

func (p *sfParser) skipSP() {
	for !p.eof() && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *sfParser) skipOWS() {
	for !p.eof() && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// parseDictionary parses a Dictionary field value (§4.2.2), including the
// surrounding-space handling of §4.2. A repeated key overwrites the earlier
// value in place, as §4.2.2 says.
func parseDictionary(s string) ([]sfMember, error) {
	p := &sfParser{s: s}
	p.skipSP()
	var out []sfMember
	for !p.eof() {
		key, err := p.parseKey()
		if err != nil {
			return nil, err
		}
		m := sfMember{key: key}
		start := p.i
		if !p.eof() && p.s[p.i] == '=' {
			p.i++
			start = p.i
			if err := p.parseItemOrInnerList(&m); err != nil {
				return nil, err
			}
		} else {
			m.value = sfBare{kind: sfBoolean, boolean: true}
			if m.params, err = p.parseParams(); err != nil {
				return nil, err
			}
		}
		m.raw = p.s[start:p.i]
		replaced := false
		for i := range out {
			if out[i].key == key {
				out[i] = m
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, m)
		}
		p.skipOWS()
		if p.eof() {
			return out, nil
		}
		if p.s[p.i] != ',' {
			return nil, p.fail("expected ','")
		}
		p.i++
		p.skipOWS()
		if p.eof() {
			return nil, p.fail("trailing ','")
		}
	}
	return out, nil
}

// parseItemOrInnerList fills m with an inner list (§4.2.1.1) or an item
// (§4.2.3).
func (p *sfParser) parseItemOrInnerList(m *sfMember) error {
	var err error
	if !p.eof() && p.s[p.i] == '(' {
		m.inner = true
		m.list, m.params, err = p.parseInnerList()
		return err
	}
	if m.value, err = p.parseBareItem(); err != nil {
		return err
	}
	m.params, err = p.parseParams()
	return err
}

// parseInnerList parses an Inner List (§4.2.1.2).
func (p *sfParser) parseInnerList() ([]sfItem, []sfParam, error) {
	p.i++ // '('
	items := []sfItem{}
	for {
		p.skipSP()
		if p.eof() {
			return nil, nil, p.fail("unterminated inner list")
		}
		if p.s[p.i] == ')' {
			p.i++
			params, err := p.parseParams()
			return items, params, err
		}
		v, err := p.parseBareItem()
		if err != nil {
			return nil, nil, err
		}
		params, err := p.parseParams()
		if err != nil {
			return nil, nil, err
		}
		items = append(items, sfItem{value: v, params: params})
		if p.eof() || (p.s[p.i] != ' ' && p.s[p.i] != ')') {
			return nil, nil, p.fail("expected ' ' or ')' in inner list")
		}
	}
}

// parseParams parses Parameters (§4.2.3.2). A repeated key overwrites.
func (p *sfParser) parseParams() ([]sfParam, error) {
	var params []sfParam
	for !p.eof() && p.s[p.i] == ';' {
		p.i++
		p.skipSP()
		key, err := p.parseKey()
		if err != nil {
			return nil, err
		}
		v := sfBare{kind: sfBoolean, boolean: true}
		if !p.eof() && p.s[p.i] == '=' {
			p.i++
			if v, err = p.parseBareItem(); err != nil {
				return nil, err
			}
		}
		replaced := false
		for i := range params {
			if params[i].key == key {
				params[i].value = v
				replaced = true
				break
			}
		}
		if !replaced {
			params = append(params, sfParam{key: key, value: v})
		}
	}
	return params, nil
}

// parseKey parses a Key (§4.2.3.3): lcalpha or "*", then lcalpha, DIGIT,
// "_", "-", "." or "*".
func (p *sfParser) parseKey() (string, error) {
	if p.eof() || !(isLCAlpha(p.s[p.i]) || p.s[p.i] == '*') {
		return "", p.fail("expected key")
	}
	start := p.i
	for !p.eof() {
		c := p.s[p.i]
		if !isLCAlpha(c) && !isDigit(c) && c != '_' && c != '-' && c != '.' && c != '*' {
			break
		}
		p.i++
	}
	return p.s[start:p.i], nil
}

// parseBareItem parses a Bare Item (§4.2.3.1).
func (p *sfParser) parseBareItem() (sfBare, error) {
	if p.eof() {
		return sfBare{}, p.fail("expected item")
	}
	switch c := p.s[p.i]; {
	case c == '-' || isDigit(c):
		return p.parseNumber()
	case c == '"':
		return p.parseString()
	case isAlpha(c) || c == '*':
		return p.parseToken(), nil
	case c == ':':
		return p.parseByteSequence()
	case c == '?':
		return p.parseBoolean()
	}
	return sfBare{}, p.fail("unexpected character")
}

// parseNumber parses an Integer or Decimal (§4.2.4).
func (p *sfParser) parseNumber() (sfBare, error) {
	neg := false
	if p.s[p.i] == '-' {
		neg = true
		p.i++
	}
	if p.eof() || !isDigit(p.s[p.i]) {
		return sfBare{}, p.fail("expected digit")
	}
	start := p.i
	dot := -1
	for !p.eof() {
		c := p.s[p.i]
		if isDigit(c) {
			p.i++
		} else if c == '.' && dot < 0 {
			if p.i-start > 12 {
				return sfBare{}, p.fail("decimal with more than 12 integer digits")
			}
			dot = p.i
			p.i++
		} else {
			break
		}
		if dot < 0 && p.i-start > 15 {
			return sfBare{}, p.fail("integer with more than 15 digits")
		}
		if dot >= 0 && p.i-start > 16 {
			return sfBare{}, p.fail("decimal with more than 16 characters")
		}
	}
	num := p.s[start:p.i]
	if dot < 0 {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return sfBare{}, p.fail("bad integer")
		}
		if neg {
			n = -n
		}
		return sfBare{kind: sfInteger, integer: n}, nil
	}
	intPart, frac := num[:dot-start], num[dot-start+1:]
	if len(frac) == 0 || len(frac) > 3 {
		return sfBare{}, p.fail("decimal needs 1 to 3 fractional digits")
	}
	frac += strings.Repeat("0", 3-len(frac))
	n, err := strconv.ParseInt(intPart+frac, 10, 64)
	if err != nil {
		return sfBare{}, p.fail("bad decimal")
	}
	if neg {
		n = -n
	}
	return sfBare{kind: sfDecimal, integer: n}, nil
}

// parseString parses a String (§4.2.5): printable ASCII, with "\"" and
// "\\" as the only escapes.
func (p *sfParser) parseString() (sfBare, error) {
	p.i++ // '"'
	var b strings.Builder
	for !p.eof() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if p.eof() {
				return sfBare{}, p.fail("unterminated escape")
			}
			next := p.s[p.i]
			if next != '"' && next != '\\' {
				return sfBare{}, p.fail("bad escape")
			}
			b.WriteByte(next)
			p.i++
		case c == '"':
			return sfBare{kind: sfString, str: b.String()}, nil
		case c < 0x20 || c > 0x7e:
			p.i--
			return sfBare{}, p.fail("non-printable character in string")
		default:
			b.WriteByte(c)
		}
	}
	return sfBare{}, p.fail("unterminated string")
}

// parseToken parses a Token (§4.2.6); the caller has checked the first
// character.
func (p *sfParser) parseToken() sfBare {
	start := p.i
	p.i++
	for !p.eof() && (isTChar(p.s[p.i]) || p.s[p.i] == ':' || p.s[p.i] == '/') {
		p.i++
	}
	return sfBare{kind: sfToken, str: p.s[start:p.i]}
}

// parseByteSequence parses a Byte Sequence (§4.2.7). Missing "=" padding
// is tolerated, as the section recommends.
func (p *sfParser) parseByteSequence() (sfBare, error) {
	p.i++ // ':'
	start := p.i
	for !p.eof() && p.s[p.i] != ':' {
		c := p.s[p.i]
		if !isAlpha(c) && !isDigit(c) && c != '+' && c != '/' && c != '=' {
			return sfBare{}, p.fail("bad character in byte sequence")
		}
		p.i++
	}
	if p.eof() {
		return sfBare{}, p.fail("unterminated byte sequence")
	}
	enc := p.s[start:p.i]
	p.i++ // ':'
	b, err := decodeBase64(enc)
	if err != nil {
		return sfBare{}, fmt.Errorf("%w: bad base64 in byte sequence at offset %d", errSF, start)
	}
	return sfBare{kind: sfBytes, bytes: b}, nil
}

// parseBoolean parses a Boolean (§4.2.8).
func (p *sfParser) parseBoolean() (sfBare, error) {
	p.i++ // '?'
	if p.eof() || (p.s[p.i] != '0' && p.s[p.i] != '1') {
		return sfBare{}, p.fail("expected ?0 or ?1")
	}
	v := p.s[p.i] == '1'
	p.i++
	return sfBare{kind: sfBoolean, boolean: v}, nil
}

func isLCAlpha(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlpha(c byte) bool   { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool   { return c >= '0' && c <= '9' }

// isTChar reports whether c is a tchar (RFC 9110 §5.6.2).
func isTChar(c byte) bool {
	if isAlpha(c) || isDigit(c) {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
