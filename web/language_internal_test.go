package web

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/tadamun/tadamun/web/i18n"
)

func testLanguages(t testing.TB) *uiLanguages {
	t.Helper()
	set, err := i18n.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	l, err := newUILanguages(set)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestLanguageFromPath: only /LANG and /@user/slug/LANG name a language,
// and only a shipped one.
func TestLanguageFromPath(t *testing.T) {
	l := testLanguages(t)
	for path, want := range map[string]string{
		"/ar": "ar", "/ckb": "ckb", "/de": "", "/": "", "": "", "/search": "", "/ar/x": "",
		"/@icssi/slug/ku": "ku", "/@icssi/slug": "", "/@icssi/slug/de": "", "/@icssi/slug/ar/x": "",
		"/@icssi": "", "/tags/ar": "", "/admin/ar": "", "/@icssi/ar": "",
	} {
		if got := l.fromPath(path); got != want {
			t.Errorf("fromPath(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestLanguageSelectionAllocates: choosing the language of a request that
// the cache answers costs no allocation (address, cookie, a known
// Accept-Language header), and the memo of headers stays bounded.
func TestLanguageSelectionAllocates(t *testing.T) {
	l := testLanguages(t)
	h := http.Header{"Cookie": {"session=abc; tadamun_lang=ckb; other=1"}}
	accept := "fr-CA,fr;q=0.9,en;q=0.5"
	if got := l.fromAccept(accept); got != "fr" {
		t.Fatalf("fromAccept = %q", got)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if l.fromPath("/@icssi/some-statement/ar") != "ar" || l.fromCookie(h) != "ckb" || l.fromAccept(accept) != "fr" ||
			l.fromPath("/@icssi/some-statement") != "" {
			panic("wrong language")
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per selection, want 0", allocs)
	}
	for i := 0; i < 3*maxAcceptMemo; i++ {
		l.fromAccept(fmt.Sprintf("x-%d", i))
	}
	if n := len(l.accept); n > maxAcceptMemo {
		t.Errorf("the memo holds %d headers, bound %d", n, maxAcceptMemo)
	}
	long := ""
	for i := 0; i < 100; i++ {
		long += "de-DE;q=0.5,"
	}
	if got := l.match(long + "fr"); got != "" {
		t.Errorf("a header past %d bytes is read only that far: %q", i18n.MaxAcceptLength, got)
	}
}

// BenchmarkUILanguage is the per-request cost of choosing the interface
// language on a cached page (a browser's Accept-Language, no cookie).
func BenchmarkUILanguage(b *testing.B) {
	l := testLanguages(b)
	h := http.Header{"Cookie": {"session=abc"}}
	accept := "ar-IQ,ar;q=0.9,en-US;q=0.8,en;q=0.7"
	b.ReportAllocs()
	for b.Loop() {
		if l.fromPath("/@icssi/some-statement") == "" && l.fromCookie(h) == "" {
			l.fromAccept(accept)
		}
	}
}
