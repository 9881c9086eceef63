package web

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestNegotiateEncoding reads Accept-Encoding as RFC 9110 §12.5.3 says,
// choosing among the forms an entry has.
func TestNegotiateEncoding(t *testing.T) {
	const br, gz, id = codingBrotli, codingGzip, ""
	for _, tc := range []struct {
		header []string // nil: no header at all
		want   string   // with both compressed forms
		gzOnly string   // with a gzip form only
		none   string   // with neither (a body too small to compress)
	}{
		{nil, id, id, id},
		{[]string{""}, id, id, id},
		{[]string{"gzip"}, gz, gz, id},
		{[]string{"GZIP"}, gz, gz, id},
		{[]string{"x-gzip"}, gz, gz, id},
		{[]string{"br"}, br, id, id},
		{[]string{"BR"}, br, id, id},
		{[]string{"deflate"}, id, id, id},
		{[]string{"deflate, br"}, br, id, id},
		{[]string{"gzip, deflate"}, gz, gz, id}, // what Chromium sends over plain HTTP
		{[]string{"gzip, deflate, br, zstd"}, br, gz, id},
		{[]string{"gzip, br"}, br, gz, id}, // equal weights: br first, whatever the order
		{[]string{"gzip", "br"}, br, gz, id},
		{[]string{"br;q=1.0, gzip;q=0.8, *;q=0.1"}, br, gz, id},
		{[]string{"br;q=0.5, gzip;q=0.8"}, gz, gz, id},
		{[]string{"br;q=0.8, gzip"}, gz, gz, id},
		{[]string{"br;q=0, gzip"}, gz, gz, id},
		{[]string{"br;q=0"}, id, id, id},
		{[]string{"gzip;q=0"}, id, id, id},
		{[]string{"gzip; q=0.000"}, id, id, id},
		{[]string{"gzip;q=0.001"}, gz, gz, id}, // the smallest weight still beats an unnamed identity
		{[]string{"gzip;q=0.5, identity"}, id, id, id},
		{[]string{"gzip, identity"}, gz, gz, id},
		{[]string{"identity"}, id, id, id},
		{[]string{"identity;q=0.5, br;q=0.6"}, br, id, id},
		{[]string{"*"}, br, gz, id},
		{[]string{"*;q=0.3, gzip;q=0.5"}, gz, gz, id},
		{[]string{"*;q=0.6, gzip;q=0.5"}, br, id, id}, // identity, unnamed, weighs as "*"
		{[]string{"*;q=0"}, id, id, id},               // everything refused: the readable answer
		{[]string{"*, gzip;q=0"}, br, id, id},
		{[]string{"*, br;q=0, gzip;q=0"}, id, id, id},
		{[]string{"identity;q=0, gzip;q=0.1"}, gz, gz, id},
		{[]string{"br;q=abc, gzip"}, gz, gz, id}, // a malformed weight drops its element
		{[]string{"br;q=2, gzip"}, gz, gz, id},
		{[]string{"br;q=NaN, gzip;q=0.2"}, gz, gz, id},
		{[]string{"br ; q=0.9 , gzip ; q=0.8"}, br, gz, id},
		{[]string{" , br"}, br, id, id},
	} {
		r, err := http.NewRequest(http.MethodGet, "/", nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range tc.header {
			r.Header.Add("Accept-Encoding", v)
		}
		for _, c := range []struct {
			br, gz bool
			want   string
		}{{true, true, tc.want}, {false, true, tc.gzOnly}, {false, false, tc.none}} {
			if got := negotiateEncoding(r, c.br, c.gz); got != c.want {
				t.Errorf("Accept-Encoding %q with br %v, gzip %v: %q, want %q", tc.header, c.br, c.gz, got, c.want)
			}
		}
	}
}

// TestNegotiateEncodingAllocates nothing: it runs on every cached answer.
func TestNegotiateEncodingAllocates(t *testing.T) {
	r, err := http.NewRequest(http.MethodGet, "/", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Accept-Encoding", "br;q=1.0, gzip;q=0.8, identity;q=0.5, *;q=0.1")
	if n := testing.AllocsPerRun(100, func() { negotiateEncoding(r, true, true) }); n != 0 {
		t.Errorf("%v allocations per negotiation", n)
	}
}

// TestEncodingETags keeps the validators of the three forms distinct and
// strong.
func TestEncodingETags(t *testing.T) {
	if got := gzipETag(`"abc"`); got != `"abc-gz"` {
		t.Errorf("gzipETag = %s", got)
	}
	if got := brotliETag(`"abc"`); got != `"abc-br"` {
		t.Errorf("brotliETag = %s", got)
	}
}

// TestSmallBodiesStayPlain: a body that compression would not shrink has
// no compressed form, for either coding; a real page does.
func TestSmallBodiesStayPlain(t *testing.T) {
	small := []byte(`{"a":1}`)
	if gzipped(small) != nil || brotlied(small) != nil {
		t.Error("a 7-byte body got a compressed form")
	}
	page := []byte("<!doctype html><title>x</title>" + string(make([]byte, 2000)))
	if gzipped(page) == nil || brotlied(page) == nil {
		t.Error("a compressible page got no compressed form")
	}
}

// TestResponseKeyParams: a cached response's key holds only the query
// parameters a cached handler reads, each by its first value, in a fixed
// order; anything else a client adds (tracking parameters, ?x=N on every
// request) meets the same entry.
func TestResponseKeyParams(t *testing.T) {
	key := func(target string) string {
		return responseKey("/@:username/:slug", httptest.NewRequest(http.MethodGet, target, nil), false)
	}
	plain := key("/@icssi/s")
	for _, same := range []string{"/@icssi/s?utm_source=x", "/@icssi/s?x=1&y=2", "/@icssi/s?", "/@icssi/s?fbclid=abc&utm_medium=social"} {
		if k := key(same); k != plain {
			t.Errorf("%s: key %q, want that of the address alone %q", same, k, plain)
		}
	}
	paged := key("/@icssi/s?page=2")
	for _, same := range []string{"/@icssi/s?utm=1&page=2", "/@icssi/s?page=2&page=3", "/@icssi/s?page=2&utm=9"} {
		if k := key(same); k != paged {
			t.Errorf("%s: key %q, want %q", same, k, paged)
		}
	}
	if paged == plain || key("/@icssi/s?page=3") == paged {
		t.Error("pages that differ share a key")
	}
	if key("/@icssi/s?before=a&page=true") != key("/@icssi/s?page=true&before=a") {
		t.Error("the order of the parameters changes the key")
	}
	if key("/@icssi/s?before=a%26page%3D2") == key("/@icssi/s?before=a&page=2") {
		t.Error("an escaped value reads as two parameters")
	}
}

// TestCompressedFormsExact: the compressed forms kept in the cache are
// exactly as large as they are long, so the cache's bound counts what
// they hold.
func TestCompressedFormsExact(t *testing.T) {
	body := bytes.Repeat([]byte("solidarity with the civil society of Iraq. "), 2000)
	for name, b := range map[string][]byte{"gzip": gzipped(body), "br": brotlied(body)} {
		if len(b) == 0 || cap(b) != len(b) {
			t.Errorf("%s: %d bytes in a buffer of %d", name, len(b), cap(b))
		}
	}
}
