package i18n

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
	"golang.org/x/text/message/catalog"
)

// The catalogue of one language is locales/TAG.json:
//
//	{"language": "ar", "name": "العربية", "numerals": "arab",
//	 "messages": {"Search": "بحث",
//	              "%d likes": {"zero": "…", "one": "…", "two": "…", "few": "%d …", "many": "%d …", "other": "%d …"}}}
//
// A message is a string, or for a message with a count an object of CLDR
// plural forms. Every file is checked when it is read, so that a mistake
// stops the node at start-up with the file and key named rather than
// showing a reader "%!d(MISSING)".

// Numerals a catalogue may choose: the digits the interface prints.
const (
	NumeralsLatin  = "latn" // 0123456789
	NumeralsArabic = "arab" // ٠١٢٣٤٥٦٧٨٩
)

// Language is one shipped interface language.
type Language struct {
	Tag      string // BCP 47, the file's name
	Name     string // in itself, for the language picker
	Numerals string // NumeralsLatin or NumeralsArabic
}

// Set is the interface languages read from a folder of catalogues: their
// words in one x/text catalogue, and one UI per language made once.
type Set struct {
	builder *catalog.Builder
	langs   []Language
	uis     map[string]*UI
	// keys holds, per language, the messages its catalogue gives.
	keys map[string]map[string]bool
	// accept matches Accept-Language headers (accept.go), made on first use.
	accept acceptMatcher
}

// file is a catalogue as written.
type file struct {
	Language string                     `json:"language"`
	Name     string                     `json:"name"`
	Numerals string                     `json:"numerals"`
	Messages map[string]json.RawMessage `json:"messages"`
}

// Load reads and checks every *.json catalogue at the root of fsys. English
// must be among them: it is the fallback for a message a catalogue lacks.
func Load(fsys fs.FS) (*Set, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	s := &Set{builder: catalog.NewBuilder(catalog.Fallback(language.English)), uis: map[string]*UI{},
		keys: map[string]map[string]bool{}}
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", n, err)
		}
		l, err := s.add(strings.TrimSuffix(path.Base(n), ".json"), b)
		if err != nil {
			return nil, fmt.Errorf("i18n: catalogue %s: %w", n, err)
		}
		s.langs = append(s.langs, l)
	}
	if s.keys["en"] == nil {
		return nil, fmt.Errorf("i18n: no English catalogue (en.json) among %v", names)
	}
	// English first (the language of the keys), then by tag.
	sort.Slice(s.langs, func(i, j int) bool {
		if (s.langs[i].Tag == "en") != (s.langs[j].Tag == "en") {
			return s.langs[i].Tag == "en"
		}
		return s.langs[i].Tag < s.langs[j].Tag
	})
	for _, l := range s.langs {
		s.uis[l.Tag] = newUI(s.builder, l)
	}
	return s, nil
}

// add checks one catalogue and puts its messages in the builder.
func (s *Set) add(tag string, b []byte) (Language, error) {
	var f file
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return Language{}, fmt.Errorf("not a catalogue: %w", err)
	}
	t, err := language.Parse(tag)
	if err != nil || t.String() != tag {
		return Language{}, fmt.Errorf("the file name must be a BCP 47 tag in its usual form (ar.json, ckb.json), not %q", tag)
	}
	if f.Language != tag {
		return Language{}, fmt.Errorf(`"language" is %q but the file is named for %q`, f.Language, tag)
	}
	if strings.TrimSpace(f.Name) == "" {
		return Language{}, fmt.Errorf(`"name" (the language's name in itself, for the picker) is empty`)
	}
	if f.Numerals != NumeralsLatin && f.Numerals != NumeralsArabic {
		return Language{}, fmt.Errorf(`"numerals" is %q: write "latn" (0-9) or "arab" (٠-٩)`, f.Numerals)
	}
	forms := pluralForms(t)
	keys := make(map[string]bool, len(f.Messages))
	msgKeys := make([]string, 0, len(f.Messages))
	for k := range f.Messages {
		msgKeys = append(msgKeys, k)
	}
	sort.Strings(msgKeys) // errors name the same key on every run
	for _, key := range msgKeys {
		raw := f.Messages[key]
		msg, err := parseMessage(key, raw, forms)
		if err != nil {
			return Language{}, fmt.Errorf("message %q: %w", key, err)
		}
		if err := s.builder.Set(t, key, msg); err != nil {
			return Language{}, fmt.Errorf("message %q: %w", key, err)
		}
		keys[key] = true
	}
	s.keys[tag] = keys
	return Language{Tag: tag, Name: f.Name, Numerals: f.Numerals}, nil
}

// pluralCategories are the forms a catalogue may give for a language.
type pluralCategories struct {
	required []string // the forms x/text chooses for whole numbers
	allowed  map[string]bool
}

// categoryNames are CLDR's plural categories in x/text's order of
// plural.Form.
var categoryNames = []string{"other", "zero", "one", "two", "few", "many"}

// newerMany lists languages where CLDR 38 added a "many" form (for
// millions: "1 million d'abonnés") that x/text's plural data predates.
// Catalogues may give it (translators follow current CLDR); x/text never
// chooses it, so such counts read in "other".
var newerMany = map[string]bool{"fr": true, "it": true, "es": true, "pt": true, "ca": true}

// pluralForms finds the categories of a language by asking x/text's CLDR
// rules which form each of a range of whole numbers takes; the interface
// only ever counts whole things.
func pluralForms(t language.Tag) pluralCategories {
	seen := map[plural.Form]bool{}
	for i := 0; i <= 1000; i++ {
		seen[plural.Cardinal.MatchPlural(t, i, 0, 0, 0, 0)] = true
	}
	seen[plural.Cardinal.MatchPlural(t, 1000000, 0, 0, 0, 0)] = true
	c := pluralCategories{allowed: map[string]bool{}}
	for f, name := range categoryNames {
		if seen[plural.Form(f)] {
			c.required = append(c.required, name)
			c.allowed[name] = true
		}
	}
	base, _ := t.Base()
	if newerMany[base.String()] {
		c.allowed["many"] = true
	}
	return c
}

// parseMessage checks one message of a catalogue against its key and returns
// it for the builder: a string, or the plural forms as an x/text select
// on the key's count.
func parseMessage(key string, raw json.RawMessage, forms pluralCategories) (catalog.Message, error) {
	want, err := verbs(key)
	if err != nil {
		return nil, fmt.Errorf("the key: %w", err)
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		if err := sameVerbs(want, str, 0); err != nil {
			return nil, err
		}
		return catalog.String(str), nil
	}
	var byForm map[string]string
	if err := json.Unmarshal(raw, &byForm); err != nil {
		return nil, fmt.Errorf("is neither a string nor an object of plural forms")
	}
	count := 0
	for arg, verb := range want {
		if verb == 'd' && (count == 0 || arg < count) {
			count = arg
		}
	}
	if count == 0 {
		return nil, fmt.Errorf("has plural forms but its key has no count (%%d)")
	}
	var cases []any
	for _, name := range forms.required {
		if _, ok := byForm[name]; !ok {
			return nil, fmt.Errorf("lacks the plural form %q (this language has %s)", name, strings.Join(forms.required, ", "))
		}
	}
	// Forms in x/text's order; "other" last, as the catch-all.
	for _, name := range []string{"zero", "one", "two", "few", "many", "other"} {
		text, ok := byForm[name]
		if !ok {
			continue
		}
		if err := sameVerbs(want, text, count); err != nil {
			return nil, fmt.Errorf("form %q: %w", name, err)
		}
		if !slices.Contains(forms.required, name) {
			continue // a newer CLDR form x/text cannot select (newerMany)
		}
		cases = append(cases, name, text)
	}
	for name := range byForm {
		if !forms.allowed[name] {
			return nil, fmt.Errorf("has the plural form %q, which this language does not have (it has %s)", name, strings.Join(forms.required, ", "))
		}
	}
	return plural.Selectf(count, "%d", cases...), nil
}

// verb matches one fmt verb: flags, an optional [n] argument index, width,
// precision and the verb letter ("%%" is a per cent sign).
var verb = regexp.MustCompile(`%[-+# 0]*(?:\[(\d+)\])?[-+# 0]*\d*(?:\.\d+)?([a-zA-Z%])`)

// verbs maps each argument (1-based) a format uses to its verb letter.
func verbs(format string) (map[int]byte, error) {
	out := map[int]byte{}
	next := 1
	for _, m := range verb.FindAllStringSubmatch(format, -1) {
		if m[2] == "%" {
			continue
		}
		arg := next
		if m[1] != "" {
			n, err := strconv.Atoi(m[1])
			if err != nil || n < 1 {
				return nil, fmt.Errorf("bad argument index in %q", m[0])
			}
			arg = n
		}
		if v, ok := out[arg]; ok && v != m[2][0] {
			return nil, fmt.Errorf("argument %d is used as %%%c and as %%%c", arg, v, m[2][0])
		}
		out[arg] = m[2][0]
		next = arg + 1
	}
	return out, nil
}

// sameVerbs checks that a translation uses every argument of its key with
// the key's verb, and no other; the count of a plural form (count) may be
// left out ("إعجاب واحد").
func sameVerbs(want map[int]byte, text string, count int) error {
	got, err := verbs(text)
	if err != nil {
		return err
	}
	for arg, v := range want {
		g, ok := got[arg]
		switch {
		case !ok && arg == count:
		case !ok:
			return fmt.Errorf("does not use argument %d (%%%c of the key; write %%[%d]%c to place it)", arg, v, arg, v)
		case g != v:
			return fmt.Errorf("uses argument %d as %%%c, the key as %%%c", arg, g, v)
		}
	}
	for arg := range got {
		if _, ok := want[arg]; !ok {
			return fmt.Errorf("uses argument %d, which the key does not have", arg)
		}
	}
	return nil
}

// Languages are the shipped interface languages, English first.
func (s *Set) Languages() []Language { return slices.Clone(s.langs) }

// UI is the interface in tag, made once; nil when tag is not shipped.
func (s *Set) UI(tag string) *UI { return s.uis[tag] }

// Has reports whether the catalogue of tag gives key.
func (s *Set) Has(tag, key string) bool { return s.keys[tag][key] }
