package httpsig

import (
	"encoding/base64"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// The serializer below (RFC 8941 §4.1) exists only for tests: the package
// never needs to serialize, because it signs @signature-params verbatim.
// The fuzz target uses it to check that parse(serialize(parse(x)))
// equals parse(x).

func serializeDictionary(members []sfMember) string {
	var b strings.Builder
	for i, m := range members {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(m.key)
		switch {
		case m.inner:
			b.WriteByte('=')
			serializeInnerList(&b, m.list, m.params)
		case m.value.kind == sfBoolean && m.value.boolean:
			serializeParams(&b, m.params)
		default:
			b.WriteByte('=')
			serializeBare(&b, m.value)
			serializeParams(&b, m.params)
		}
	}
	return b.String()
}

func serializeInnerList(b *strings.Builder, items []sfItem, params []sfParam) {
	b.WriteByte('(')
	for i, it := range items {
		if i > 0 {
			b.WriteByte(' ')
		}
		serializeBare(b, it.value)
		serializeParams(b, it.params)
	}
	b.WriteByte(')')
	serializeParams(b, params)
}

func serializeParams(b *strings.Builder, params []sfParam) {
	for _, p := range params {
		b.WriteByte(';')
		b.WriteString(p.key)
		if p.value.kind == sfBoolean && p.value.boolean {
			continue
		}
		b.WriteByte('=')
		serializeBare(b, p.value)
	}
}

func serializeBare(b *strings.Builder, v sfBare) {
	switch v.kind {
	case sfInteger:
		b.WriteString(strconv.FormatInt(v.integer, 10))
	case sfDecimal:
		n := v.integer
		if n < 0 {
			b.WriteByte('-')
			n = -n
		}
		frac := strings.TrimRight(strconv.FormatInt(1000+n%1000, 10)[1:], "0")
		if frac == "" {
			frac = "0"
		}
		b.WriteString(strconv.FormatInt(n/1000, 10) + "." + frac)
	case sfString:
		b.WriteByte('"')
		for i := 0; i < len(v.str); i++ {
			if v.str[i] == '"' || v.str[i] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(v.str[i])
		}
		b.WriteByte('"')
	case sfToken:
		b.WriteString(v.str)
	case sfBytes:
		b.WriteString(":" + base64.StdEncoding.EncodeToString(v.bytes) + ":")
	case sfBoolean:
		if v.boolean {
			b.WriteString("?1")
		} else {
			b.WriteString("?0")
		}
	}
}

// stripRaw returns members without their raw text, for comparing parses
// of different spellings.
func stripRaw(ms []sfMember) []sfMember {
	out := make([]sfMember, len(ms))
	for i, m := range ms {
		m.raw = ""
		out[i] = m
	}
	return out
}

func TestParseDictionary(t *testing.T) {
	tok := func(s string) sfBare { return sfBare{kind: sfToken, str: s} }
	str := func(s string) sfBare { return sfBare{kind: sfString, str: s} }
	num := func(n int64) sfBare { return sfBare{kind: sfInteger, integer: n} }
	yes := sfBare{kind: sfBoolean, boolean: true}
	tests := []struct {
		in    string
		want  []sfMember
		canon string // serialization of the parse; "" means same as in
	}{
		{in: `a=?0, b, c;foo=bar`, want: []sfMember{
			{key: "a", value: sfBare{kind: sfBoolean}, raw: "?0"},
			{key: "b", value: yes},
			{key: "c", value: yes, params: []sfParam{{"foo", tok("bar")}}, raw: ";foo=bar"},
		}},
		{in: `rating=1.5, feelings=(joy sadness)`, want: []sfMember{
			{key: "rating", value: sfBare{kind: sfDecimal, integer: 1500}, raw: "1.5"},
			{key: "feelings", inner: true, list: []sfItem{{value: tok("joy")}, {value: tok("sadness")}}, raw: "(joy sadness)"},
		}},
		{in: `a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid`, want: []sfMember{
			{key: "a", inner: true, list: []sfItem{{value: num(1)}, {value: num(2)}}, raw: "(1 2)"},
			{key: "b", value: num(3), raw: "3"},
			{key: "c", value: num(4), params: []sfParam{{"aa", tok("bb")}}, raw: "4;aa=bb"},
			{key: "d", inner: true, list: []sfItem{{value: num(5)}, {value: num(6)}}, params: []sfParam{{"valid", yes}}, raw: "(5 6);valid"},
		}},
		{in: `sig1=("@method" "@target-uri" "content-digest");created=1795464794;keyid="https://a.test/u#k";alg="rsa-v1_5-sha256"`, want: []sfMember{
			{key: "sig1", inner: true, list: []sfItem{{value: str("@method")}, {value: str("@target-uri")}, {value: str("content-digest")}},
				params: []sfParam{{"created", num(1795464794)}, {"keyid", str("https://a.test/u#k")}, {"alg", str("rsa-v1_5-sha256")}},
				raw:    `("@method" "@target-uri" "content-digest");created=1795464794;keyid="https://a.test/u#k";alg="rsa-v1_5-sha256"`},
		}},
		{in: `x=:cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:`, want: []sfMember{
			{key: "x", value: sfBare{kind: sfBytes, bytes: []byte("pretend this is binary content.")}, raw: ":cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:"},
		}},
		{in: `x=:YQ:`, want: []sfMember{
			{key: "x", value: sfBare{kind: sfBytes, bytes: []byte("a")}, raw: ":YQ:"},
		}, canon: `x=:YQ==:`},
		{in: `s="hello \"world\" \\ ok"`, want: []sfMember{
			{key: "s", value: str(`hello "world" \ ok`), raw: `"hello \"world\" \\ ok"`},
		}},
		{in: `  a=-12, b=-0.250 ,	c=*tok:en/x  `, want: []sfMember{
			{key: "a", value: num(-12), raw: "-12"},
			{key: "b", value: sfBare{kind: sfDecimal, integer: -250}, raw: "-0.250"},
			{key: "c", value: tok("*tok:en/x"), raw: "*tok:en/x"},
		}, canon: `a=-12, b=-0.25, c=*tok:en/x`},
		{in: `a=1, b=2, a=3`, want: []sfMember{
			{key: "a", value: num(3), raw: "3"},
			{key: "b", value: num(2), raw: "2"},
		}, canon: `a=3, b=2`},
		{in: `a=( 1  2 );p=1;p=2`, want: []sfMember{
			{key: "a", inner: true, list: []sfItem{{value: num(1)}, {value: num(2)}}, params: []sfParam{{"p", num(2)}}, raw: "( 1  2 );p=1;p=2"},
		}, canon: `a=(1 2);p=2`},
		{in: `e=()`, want: []sfMember{{key: "e", inner: true, list: []sfItem{}, raw: "()"}}},
		{in: `n=999999999999999, d=999999999999.999`, want: []sfMember{
			{key: "n", value: num(999999999999999), raw: "999999999999999"},
			{key: "d", value: sfBare{kind: sfDecimal, integer: 999999999999999}, raw: "999999999999.999"},
		}},
		{in: ``, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseDictionary(tc.in)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
			canon := tc.canon
			if canon == "" {
				canon = tc.in
			}
			if s := serializeDictionary(got); s != canon {
				t.Errorf("serialized %q, want %q", s, canon)
			}
		})
	}
}

func TestParseDictionaryErrors(t *testing.T) {
	for _, in := range []string{
		`a=`, `a=1,`, `a=1, `, `,a=1`, `A=1`, `1a=1`, `a=1 b=2`, `a=1;`, `a=1;B=2`,
		`a=(1`, `a=(1 2`, `a=(1,2)`, `a=(1)x`,
		`a=1.2345`, `a=1.`, `a=1234567890123456`, `a=1234567890123.1`, `a=-`, `a=--1`, `a=1..2`,
		`a="abc`, `a="\x"`, `a="\`, "a=\"\x01\"", "a=\"\xc3\xa9\"",
		`a=:ab$:`, `a=:abc`, `a=:a:`,
		`a=?2`, `a=?`, `a=@1`, `a=%"x"`, `a=#`,
		"\ta=1", "a=1,\v b=2",
	} {
		t.Run(in, func(t *testing.T) {
			if got, err := parseDictionary(in); err == nil {
				t.Fatalf("parsed %+v, want an error", got)
			}
		})
	}
}

// FuzzParseStructuredField checks that the parser never panics, that what
// it accepts survives a serialize/parse round trip unchanged, that
// serialization is then stable, and that each member's raw text parses back
// to that member.
func FuzzParseStructuredField(f *testing.F) {
	for _, s := range []string{
		`sig1=("@method" "@target-uri" "@authority" "host" "date" "content-digest");alg="rsa-v1_5-sha256";keyid="https://fedify-a.test/users/probe#main-key";created=1795464794`,
		`sig1=:XzVkAnffU3ifXPLPQ1ZsQgQgXCKZ+Uy5Pvhe9Clhtc9Bt4QCzjVl6LQXOEpX1pbnlOXxyu6pN7JFZJCm6Us4g==:`,
		`sha-256=:6/SwEYnSBIJ3IZP/EevzMxOvRf4d+dKA3PMO7HO2qCM=:, sha-512=:YQ:`,
		`a=?0, b, c;foo=bar`, `rating=1.5, feelings=(joy sadness)`, `a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid`,
		`s="x\"y\\z"`, `t=*a:b/c`, `n=-999999999999999, d=-1.001`, `e=()`, `a=( 1  2 );p`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := parseDictionary(s)
		if err != nil {
			return
		}
		for _, m := range ms {
			if !strings.Contains(s, m.raw) {
				t.Fatalf("raw %q of %q not in input", m.raw, m.key)
			}
			member := m.key + "=" + m.raw
			if m.raw == "" || m.raw[0] == ';' {
				member = m.key + m.raw // bare key: boolean true, no "="
			}
			again, err := parseDictionary(member)
			if err != nil || len(again) != 1 || !reflect.DeepEqual(stripRaw(again)[0], stripRaw([]sfMember{m})[0]) {
				t.Fatalf("raw %q of %q reparses as %+v, %v", m.raw, m.key, again, err)
			}
		}
		ser := serializeDictionary(ms)
		back, err := parseDictionary(ser)
		if err != nil {
			t.Fatalf("serialization %q of %q does not parse: %v", ser, s, err)
		}
		if !reflect.DeepEqual(stripRaw(back), stripRaw(ms)) {
			t.Fatalf("round trip of %q via %q:\n got %+v\nwant %+v", s, ser, back, ms)
		}
		if again := serializeDictionary(back); again != ser {
			t.Fatalf("serialization unstable: %q then %q", ser, again)
		}
	})
}
