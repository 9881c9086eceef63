package feeds

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

const nsXMLTest = "http://www.w3.org/XML/1998/namespace"

// wellFormed decodes the whole document with encoding/xml in strict mode and
// checks that it declares UTF-8 and that every prefix is bound to a
// namespace (the decoder leaves an unbound prefix as the name's Space).
func wellFormed(t *testing.T, out []byte) {
	t.Helper()
	if !bytes.HasPrefix(out, []byte(`<?xml version="1.0" encoding="UTF-8"?>`)) {
		t.Errorf("no UTF-8 XML declaration: %.60s", out)
	}
	d := xml.NewDecoder(bytes.NewReader(out))
	d.Strict = true
	elements := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, out)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		elements++
		names := []xml.Name{start.Name}
		for _, a := range start.Attr {
			if a.Name.Space != "xmlns" && !(a.Name.Space == "" && a.Name.Local == "xmlns") {
				names = append(names, a.Name)
			}
		}
		for _, n := range names {
			if n.Space != "" && !strings.Contains(n.Space, "://") {
				t.Errorf("<%s:%s>: prefix %q is not bound to a namespace", n.Space, n.Local, n.Space)
			}
		}
	}
	if elements == 0 {
		t.Fatal("no elements")
	}
}

func TestWellFormed(t *testing.T) {
	for _, r := range renders {
		if r.name == "json" {
			continue
		}
		t.Run(r.name, func(t *testing.T) {
			out, err := r.fn(fixture(r.self))
			if err != nil {
				t.Fatal(err)
			}
			wellFormed(t, out)
			out, err = r.fn(emptyFixture(r.self), nil)
			if err != nil {
				t.Fatal(err)
			}
			wellFormed(t, out)
		})
	}
}

// TestAtomStructure checks with encoding/xml what gofeed does not report:
// the Atom namespace, xml:lang on the feed and on every entry, and the
// summary and content types.
func TestAtomStructure(t *testing.T) {
	type text struct {
		Type string `xml:"type,attr"`
		Text string `xml:",chardata"`
	}
	type entry struct {
		Lang      string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		ID        string `xml:"http://www.w3.org/2005/Atom id"`
		Published string `xml:"http://www.w3.org/2005/Atom published"`
		Updated   string `xml:"http://www.w3.org/2005/Atom updated"`
		Summary   text   `xml:"http://www.w3.org/2005/Atom summary"`
		Content   text   `xml:"http://www.w3.org/2005/Atom content"`
	}
	var doc struct {
		XMLName xml.Name
		Lang    string  `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
		Entries []entry `xml:"http://www.w3.org/2005/Atom entry"`
	}
	f, items := fixture("https://node.example/@icssi/feed.atom")
	f.Language = "en"
	out, err := Atom(f, items)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.XMLName != (xml.Name{Space: nsAtom, Local: "feed"}) {
		t.Errorf("root = %v, want {%s}feed", doc.XMLName, nsAtom)
	}
	eq(t, "feed xml:lang", doc.Lang, "en")
	if len(doc.Entries) != len(items) {
		t.Fatalf("%d entries, want %d", len(doc.Entries), len(items))
	}
	for n, e := range doc.Entries {
		want := items[n]
		eq(t, "entry xml:lang", e.Lang, want.Language)
		eq(t, "entry id", e.ID, want.ID)
		eq(t, "published", e.Published, instant(want.Published).Format("2006-01-02T15:04:05Z"))
		eq(t, "updated", e.Updated, instant(want.Updated).Format("2006-01-02T15:04:05Z"))
		eq(t, "summary type", e.Summary.Type, "text")
		eq(t, "content type", e.Content.Type, "html")
	}
}

// TestRSSStructure checks that the RSS extension elements are in the
// namespaces readers look for, not merely behind familiar prefixes.
func TestRSSStructure(t *testing.T) {
	f, items := fixture("https://node.example/@icssi/feed.rss")
	out, err := RSS(f, items)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[xml.Name]int{}
	d := xml.NewDecoder(bytes.NewReader(out))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := tok.(xml.StartElement); ok {
			seen[s.Name]++
			if s.Name == (xml.Name{Local: "guid"}) && attr(s, "isPermaLink") != "false" {
				t.Error(`guid without isPermaLink="false"`)
			}
			if s.Name == (xml.Name{Space: nsAtom, Local: "link"}) && (attr(s, "rel") != "self" || attr(s, "href") != f.Self) {
				t.Errorf("atom:link = %v, want rel=self to %s", s.Attr, f.Self)
			}
			if s.Name == (xml.Name{Local: "rss"}) && attr(s, "version") != "2.0" {
				t.Error("rss version is not 2.0")
			}
		}
	}
	want := map[xml.Name]int{
		{Local: "item"}:                        len(items),
		{Local: "guid"}:                        len(items),
		{Space: nsContent, Local: "encoded"}:   len(items),
		{Space: nsDC, Local: "language"}:       len(items),
		{Space: nsDC, Local: "creator"}:        len(items) + 1,
		{Space: nsAtom, Local: "link"}:         1,
		{Space: nsAtom, Local: "updated"}:      1,
		{Local: "enclosure"}:                   1,
		{Space: nsMedia, Local: "content"}:     2,
		{Space: nsMedia, Local: "description"}: 2,
		{Local: "author"}:                      0,
		{Local: "managingEditor"}:              0,
	}
	for name, n := range want {
		if seen[name] != n {
			t.Errorf("%d <{%s}%s>, want %d", seen[name], name.Space, name.Local, n)
		}
	}
}

func attr(s xml.StartElement, local string) string {
	for _, a := range s.Attr {
		if a.Name.Local == local && (a.Name.Space == "" || a.Name.Space == nsXMLTest) {
			return a.Value
		}
	}
	return ""
}
