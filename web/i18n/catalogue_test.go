package i18n

import (
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// TestCataloguesComplete fails for every message the interface uses (its
// templates and Go code, Keys) that a shipped catalogue lacks, listed per
// language. Translators run it to find what is left:
//
//	go test ./web/i18n -run TestCataloguesComplete -v
func TestCataloguesComplete(t *testing.T) {
	set, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := Keys("..", "../admin")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 100 {
		t.Fatalf("the extractor found only %d messages: is it looking in web/ and web/admin/?", len(keys))
	}
	for _, l := range set.Languages() {
		if l.Tag == "en" {
			continue // the keys are the English
		}
		t.Run(l.Tag, func(t *testing.T) {
			var missing []string
			for _, k := range keys {
				if !set.Has(l.Tag, k.Text) {
					missing = append(missing, k.Text+"\t("+k.Where+")")
				}
			}
			if len(missing) > 0 {
				t.Errorf("%s.json lacks %d of %d messages:\n%s", l.Tag, len(missing), len(keys), strings.Join(missing, "\n"))
			}
		})
	}
}

// TestShippedLanguages: the six languages the issue asks for are shipped,
// each with its name and numerals.
func TestShippedLanguages(t *testing.T) {
	set, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"en": NumeralsLatin, "ar": NumeralsArabic, "ckb": NumeralsArabic, "ku": NumeralsLatin,
		"fr": NumeralsLatin, "it": NumeralsLatin}
	got := map[string]string{}
	for _, l := range set.Languages() {
		got[l.Tag] = l.Numerals
	}
	for tag, num := range want {
		if got[tag] != num {
			t.Errorf("%s: numerals %q, want %q (missing catalogue?)", tag, got[tag], num)
		}
	}
	if set.Languages()[0].Tag != "en" {
		t.Error("English is not first")
	}
}

// testCatalogues is an English and an Arabic catalogue made for the tests,
// independent of the shipped translations.
func testCatalogues(t *testing.T, numerals string) *Set {
	t.Helper()
	s, err := Load(fstest.MapFS{
		"en.json": {Data: []byte(`{"language":"en","name":"English","numerals":"latn","messages":{
			"%d likes":{"one":"%d like","other":"%d likes"}}}`)},
		"ar.json": {Data: []byte(`{"language":"ar","name":"العربية","numerals":"` + numerals + `","messages":{
			"Search":"بحث",
			"%d likes":{"zero":"لا إعجابات","one":"إعجاب واحد","two":"إعجابان","few":"%d إعجابات","many":"%d إعجابًا","other":"%d إعجاب"},
			"%[1]s has %[2]d followers":{"zero":"لا متابعين لـ%[1]s","one":"لـ%[1]s متابع واحد","two":"لـ%[1]s متابعان","few":"لـ%[1]s %[2]d متابعين","many":"لـ%[1]s %[2]d متابعًا","other":"لـ%[1]s %[2]d متابع"}}}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestArabicPlurals: Arabic's six CLDR forms are six different strings;
// a form without the number prints cleanly; counts use the catalogue's
// numerals.
func TestArabicPlurals(t *testing.T) {
	u := testCatalogues(t, NumeralsArabic).UI("ar")
	want := map[int]string{0: "لا إعجابات", 1: "إعجاب واحد", 2: "إعجابان", 3: "٣ إعجابات", 11: "١١ إعجابًا", 100: "١٠٠ إعجاب"}
	seen := map[string]bool{}
	for n, w := range want {
		got := u.T("%d likes", n)
		if got != w {
			t.Errorf("T(%%d likes, %d) = %q, want %q", n, got, w)
		}
		if strings.Contains(got, "%!") {
			t.Errorf("T(%%d likes, %d) = %q: fmt complains", n, got)
		}
		seen[got] = true
	}
	if len(seen) != 6 {
		t.Errorf("%d different strings for six forms", len(seen))
	}
	if got := u.T("%d likes", 1000); got != "١٬٠٠٠ إعجاب" {
		t.Errorf("1000 = %q", got)
	}
	// The count is the second argument: the form is chosen by it.
	if got := u.T("%[1]s has %[2]d followers", "ICSSI", 1); got != "لـICSSI متابع واحد" {
		t.Errorf("reordered count = %q", got)
	}
	if got := u.T("%[1]s has %[2]d followers", "ICSSI", 12); got != "لـICSSI ١٢ متابعًا" {
		t.Errorf("reordered count 12 = %q", got)
	}
	latin := testCatalogues(t, NumeralsLatin).UI("ar")
	if got := latin.T("%d likes", 11); got != "11 إعجابًا" {
		t.Errorf("Latin numerals: %q", got)
	}
	if got := u.T("Nothing here yet."); got != "Nothing here yet." {
		t.Errorf("a message the catalogue lacks falls back to its English key, got %q", got)
	}
}

// TestDates: each language's CLDR long date, its month names, its numerals.
func TestDates(t *testing.T) {
	day := time.Date(2026, 11, 20, 23, 30, 0, 0, time.FixedZone("Baghdad", 3*3600)) // 20:30 UTC
	for _, c := range []struct{ lang, numerals, want string }{
		{"ar", NumeralsArabic, "٢٠ تشرين الثاني ٢٠٢٦"},
		{"ar", NumeralsLatin, "20 تشرين الثاني 2026"},
		{"ckb", NumeralsArabic, "٢٠ی تشرینی دووەمی ٢٠٢٦"},
		{"ku", NumeralsLatin, "20 sermawezê 2026"},
		{"fr", NumeralsLatin, "20 novembre 2026"},
		{"it", NumeralsLatin, "20 novembre 2026"},
		{"en", NumeralsLatin, "20 November 2026"},
		{"sv", NumeralsLatin, "2026-11-20"}, // no CLDR locale listed: ISO
	} {
		u := newUI(nil, Language{Tag: c.lang, Name: c.lang, Numerals: c.numerals})
		if got := u.Date(day); got != c.want {
			t.Errorf("%s/%s: %q, want %q", c.lang, c.numerals, got, c.want)
		}
	}
	u := newUI(nil, Language{Tag: "ar", Numerals: NumeralsArabic})
	if got := u.DateTime(day); got != "٢٠ تشرين الثاني ٢٠٢٦ ٢٠:٣٠ UTC" {
		t.Errorf("DateTime = %q", got)
	}
}

// TestLoadRejects: a catalogue with a mistake stops the start with its file
// and key named.
func TestLoadRejects(t *testing.T) {
	en := `{"language":"en","name":"English","numerals":"latn","messages":{}}`
	for _, c := range []struct{ name, file, body, want string }{
		{"tag", "ar.json", `{"language":"fr","name":"x","numerals":"latn","messages":{}}`, `"language" is "fr"`},
		{"file name", "Arabic.json", `{"language":"Arabic","name":"x","numerals":"latn","messages":{}}`, "BCP 47"},
		{"numerals", "ar.json", `{"language":"ar","name":"x","numerals":"roman","messages":{}}`, "numerals"},
		{"no name", "ar.json", `{"language":"ar","name":"","numerals":"arab","messages":{}}`, `"name"`},
		{"unknown field", "ar.json", `{"language":"ar","name":"x","numerals":"arab","mesages":{}}`, "unknown field"},
		{"lost verb", "fr.json", `{"language":"fr","name":"x","numerals":"latn","messages":{"Hello %s":"Bonjour"}}`,
			`message "Hello %s": does not use argument 1`},
		{"wrong verb", "fr.json", `{"language":"fr","name":"x","numerals":"latn","messages":{"Hello %s":"Bonjour %d"}}`,
			`uses argument 1 as %d`},
		{"extra verb", "fr.json", `{"language":"fr","name":"x","numerals":"latn","messages":{"Hello":"Bonjour %s"}}`,
			`argument 1, which the key does not have`},
		{"missing form", "ar.json", `{"language":"ar","name":"x","numerals":"arab","messages":{"%d likes":{"one":"a","other":"%d b"}}}`,
			`message "%d likes": lacks the plural form "zero"`},
		{"foreign form", "fr.json", `{"language":"fr","name":"x","numerals":"latn","messages":{"%d likes":{"one":"%d a","few":"%d b","other":"%d c"}}}`,
			`plural form "few"`},
		{"plural without count", "fr.json", `{"language":"fr","name":"x","numerals":"latn","messages":{"Likes":{"one":"a","other":"b"}}}`,
			"no count"},
		{"form loses another verb", "fr.json", `{"language":"fr","name":"x","numerals":"latn","messages":{"%[1]s: %[2]d likes":{"one":"%[1]s: un","other":"%[2]d"}}}`,
			`form "other": does not use argument 1`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(fstest.MapFS{"en.json": {Data: []byte(en)}, c.file: {Data: []byte(c.body)}})
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.file) {
				t.Errorf("err = %v, want one naming %s and saying %q", err, c.file, c.want)
			}
		})
	}
	// French's CLDR "many" (millions) is accepted though x/text never
	// chooses it; "other" serves.
	s, err := Load(fstest.MapFS{"en.json": {Data: []byte(en)}, "fr.json": {Data: []byte(
		`{"language":"fr","name":"Français","numerals":"latn","messages":{"%d likes":{"one":"%d j'aime","many":"%d de j'aime","other":"%d j'aime"}}}`)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.UI("fr").T("%d likes", 2000000); got != "2\u00a0000\u00a0000 j'aime" {
		t.Errorf("French millions = %q", got)
	}
	if _, err := Load(fstest.MapFS{"fr.json": {Data: []byte(`{"language":"fr","name":"x","numerals":"latn","messages":{}}`)}}); err == nil {
		t.Error("a set without English loaded")
	}
}

// TestKeys: the extractor finds messages in templates and Go code.
func TestKeys(t *testing.T) {
	keys, err := Keys("..", "../admin")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, k := range keys {
		have[k.Text] = true
	}
	for _, want := range []string{
		"Latest statements",           // {{t "…"}} in a template
		"%d likes",                    // with an argument
		"No such statement.",          // echo.NewHTTPError in Go
		"Interface language",          // the picker
		"The statement is published.", // an admin notice (flash)
		"Not Found",                   // an error page's title
		"draft",                       // a state named at run time
	} {
		if !have[want] {
			t.Errorf("the extractor missed %q", want)
		}
	}
}

// TestShippedPlurals: every message with a count, in every shipped
// language, prints cleanly for the counts that pick each form (no
// "%!d(MISSING)" or "%!(EXTRA"), and the shipped Arabic gives six
// different phrases for 0, 1, 2, 3, 11 and 100 likes.
func TestShippedPlurals(t *testing.T) {
	set, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := Keys("..", "../admin")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range set.Languages() {
		u := set.UI(l.Tag)
		for _, k := range keys {
			args, ok := sampleArgs(k.Text)
			if !ok {
				continue
			}
			for _, n := range []int{0, 1, 2, 3, 11, 100, 1000000} {
				for i := range args {
					if _, isInt := args[i].(int); isInt {
						args[i] = n
					}
				}
				if got := u.T(k.Text, args...); strings.Contains(got, "%!") {
					t.Errorf("%s: %q with %d = %q", l.Tag, k.Text, n, got)
				}
			}
		}
	}
	ar := set.UI("ar")
	seen := map[string]bool{}
	for _, n := range []int{0, 1, 2, 3, 11, 100} {
		seen[ar.T("%d likes", n)] = true
	}
	if len(seen) != 6 {
		t.Errorf("shipped Arabic: %d different phrases for 0, 1, 2, 3, 11, 100 likes: %v", len(seen), seen)
	}
}

// sampleArgs makes arguments for a key's verbs (a number for %d, a word
// for the others); false when the key has none.
func sampleArgs(key string) ([]any, bool) {
	v, err := verbs(key)
	if err != nil || len(v) == 0 {
		return nil, false
	}
	n := 0
	for arg := range v {
		n = max(n, arg)
	}
	args := make([]any, n)
	for i := range args {
		if v[i+1] == 'd' {
			args[i] = 0
		} else {
			args[i] = "x"
		}
	}
	return args, true
}
