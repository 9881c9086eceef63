package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"
)

// Reading go-fed values: small accessors over its generated getters.

// iriValue is what go-fed's IRI-or-object property values have in common.
type iriValue interface {
	IsIRI() bool
	GetIRI() *url.URL
	GetType() vocab.Type
}

// iriOf returns the IRI of a property value: the IRI itself, or the id of an
// embedded object. "" when absent.
func iriOf(v iriValue) string {
	if v == nil {
		return ""
	}
	if v.IsIRI() && v.GetIRI() != nil {
		return v.GetIRI().String()
	}
	if t := v.GetType(); t != nil {
		if id := t.GetJSONLDId(); id != nil && id.Get() != nil {
			return id.Get().String()
		}
	}
	return ""
}

// iterable is a go-fed non-functional property (to, cc, object, url, ...).
type iterable[I any] interface {
	Len() int
	At(int) I
}

// iris returns the IRIs of every value of a non-functional property.
func iris[I iriValue](p iterable[I]) []string {
	if p == nil {
		return nil
	}
	var out []string
	for i := 0; i < p.Len(); i++ {
		if s := iriOf(p.At(i)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// first returns the first IRI of a non-functional property, or "".
func first[I iriValue](p iterable[I]) string {
	if l := iris[I](p); len(l) > 0 {
		return l[0]
	}
	return ""
}

// stringValue is a go-fed natural-language property value.
type stringValue interface {
	IsXMLSchemaString() bool
	GetXMLSchemaString() string
	IsRDFLangString() bool
	GetRDFLangString() map[string]string
}

// text returns a plain string value, or the first language's when only a map is given.
func text(v stringValue) string {
	if v == nil {
		return ""
	}
	if v.IsXMLSchemaString() {
		return v.GetXMLSchemaString()
	}
	if v.IsRDFLangString() {
		for _, s := range v.GetRDFLangString() {
			return s
		}
	}
	return ""
}

// firstText returns the first string value of a non-functional text property.
func firstText[I stringValue](p iterable[I]) string {
	if p == nil || p.Len() == 0 {
		return ""
	}
	return text(p.At(0))
}

// parseType runs go-fed's full parse of a JSON-LD document. It is the
// expensive part (hundreds of microseconds) and is kept off the inbox's
// request path. The document is decoded strictly (see decodeJSON), so
// go-fed reads exactly the keys the inbox checked.
func parseType(ctx context.Context, body []byte) (vocab.Type, map[string]any, error) {
	m, err := decodeJSON(body)
	if err != nil {
		return nil, nil, err
	}
	t, err := streams.ToType(ctx, m)
	if err != nil {
		return nil, m, fmt.Errorf("not ActivityStreams: %w", err)
	}
	return t, m, nil
}

// maxJSONDepth bounds the nesting of a decoded document. Real activities
// nest a handful of levels (activity, object, tag or attachment, url); the
// bound keeps a hostile document from costing a deep recursion.
const maxJSONDepth = 64

// errAmbiguousJSON marks a document with two keys in one object that are
// equal or differ only in case.
var errAmbiguousJSON = errors.New("JSON object has keys that repeat or differ only in case")

// decodeJSON decodes a JSON object into the map[string]any that go-fed
// reads, refusing any object (at any depth) in which two keys are equal or
// differ only in case. Go's struct decoding matches keys case-insensitively
// and lets the last of several win, while a map keeps each spelling apart:
// {"type":"Follow","Type":"Like"} would then be a Like to one reader and a
// Follow to the other. Refusing such documents gives every reader, here and
// in the worker, the same fields. Inside "@context" only exact repeats are
// refused: JSON-LD terms are case-sensitive, and real contexts define both
// a type and a property that differ only in case (Fedify's
// "QuoteAuthorization" and "quoteAuthorization"); nothing of ours reads a
// context with a case-insensitive decoder. Numbers decode as float64, as
// encoding/json gives them to go-fed.
//
// It runs on every inbox POST, so it is two cheap passes rather than one
// token at a time: encoding/json decodes the map (and refuses anything
// that is not one JSON object), then keyCheck walks the bytes once more to
// look at the keys and the depth, without building anything.
func decodeJSON(body []byte) (map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return nil, errors.New("not a JSON object")
		}
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if m == nil { // the document was null
		return nil, errors.New("not a JSON object")
	}
	k := keyCheck{b: body}
	if err := k.value(0, true); err != nil {
		return nil, err
	}
	return m, nil
}

// keyCheck walks a document that encoding/json has already accepted,
// refusing nesting deeper than maxJSONDepth and objects with ambiguous
// keys. The document being valid, it only has to tell the kinds of value
// apart and find where each ends.
type keyCheck struct {
	b    []byte
	i    int
	keys []walkedKey // the keys of the objects being walked, innermost last
}

// walkedKey is a key as it is compared. When case is folded, a key with
// anything beyond ASCII is folded once, as it is read (foldKey), and
// compared byte for byte; an ASCII key is kept as it is and compared with
// its letters upper-cased on the fly, which is what foldKey would make of
// it. (Comparing unfolded keys with bytes.EqualFold instead costs a walk
// through Unicode's fold orbits for every pair: a document of keys like
// "σσΣς…1", "ΣσςΣ…2" made that quadratic walk take 20 times as long as
// decoding it.)
type walkedKey struct {
	b      []byte
	folded bool
}

// pairwiseKeys is how many keys of one object are compared pair by pair;
// an object with more (an outsider may send one with a hundred thousand)
// is checked through a map of folded keys instead.
const pairwiseKeys = 32

func (k *keyCheck) space() {
	for k.i < len(k.b) {
		switch k.b[k.i] {
		case ' ', '\t', '\n', '\r':
			k.i++
		default:
			return
		}
	}
}

// value walks one value at depth (the depth of the object or array it is
// in). fold says whether keys that differ only in case are refused, or only
// exact repeats.
func (k *keyCheck) value(depth int, fold bool) error {
	k.space()
	if k.i >= len(k.b) {
		return errors.New("not JSON: unexpected end")
	}
	switch k.b[k.i] {
	case '{':
		if depth+1 > maxJSONDepth {
			return errors.New("JSON nested too deeply")
		}
		return k.object(depth+1, fold)
	case '[':
		if depth+1 > maxJSONDepth {
			return errors.New("JSON nested too deeply")
		}
		k.i++
		for {
			k.space()
			if k.b[k.i] == ']' {
				k.i++
				return nil
			}
			if k.b[k.i] == ',' {
				k.i++
			}
			if err := k.value(depth+1, fold); err != nil {
				return err
			}
		}
	case '"':
		k.str()
		return nil
	default: // a number, true, false or null: up to the next delimiter
		for k.i < len(k.b) {
			switch k.b[k.i] {
			case ',', ']', '}', ' ', '\t', '\n', '\r':
				return nil
			}
			k.i++
		}
		return nil
	}
}

// str skips a string, k.i on its opening quote, and returns its raw
// contents (escapes undecoded) and whether it has any escape.
func (k *keyCheck) str() (raw []byte, escaped bool) {
	k.i++
	start := k.i
	for {
		switch k.b[k.i] {
		case '\\':
			escaped = true
			k.i += 2
			continue
		case '"':
			raw = k.b[start:k.i]
			k.i++
			return raw, escaped
		}
		k.i++
	}
}

func (k *keyCheck) object(depth int, fold bool) error {
	k.i++
	base := len(k.keys)
	defer func() { k.keys = k.keys[:base] }()
	var many map[string]struct{} // past pairwiseKeys keys: each key, folded with fold
	for {
		k.space()
		switch k.b[k.i] {
		case '}':
			k.i++
			return nil
		case ',':
			k.i++
			k.space()
		}
		raw, escaped := k.str()
		key := raw
		// A key with escapes, or with bytes that are not UTF-8 (which
		// encoding/json turns into U+FFFD, so two such keys can meet), is
		// compared as decoded.
		if escaped || !utf8.Valid(raw) {
			var s string
			if err := json.Unmarshal(k.b[k.i-len(raw)-2:k.i], &s); err != nil {
				return fmt.Errorf("not JSON: %w", err)
			}
			key = []byte(s)
		}
		if many == nil && len(k.keys)-base == pairwiseKeys {
			many = make(map[string]struct{}, 4*pairwiseKeys)
			for _, other := range k.keys[base:] {
				many[mapKey(other.b, fold)] = struct{}{}
			}
		}
		if many != nil {
			mk := mapKey(key, fold)
			if _, dup := many[mk]; dup {
				return fmt.Errorf("%w: %q", errAmbiguousJSON, key)
			}
			many[mk] = struct{}{}
		} else {
			w := walkedKey{b: key}
			if fold && !ascii(key) {
				w = walkedKey{b: []byte(foldKey(string(key))), folded: true}
			}
			for _, other := range k.keys[base:] {
				if sameKey(w, other, fold) {
					return fmt.Errorf("%w: %q", errAmbiguousJSON, key)
				}
			}
			k.keys = append(k.keys, w)
		}
		k.space()
		k.i++ // the colon
		if err := k.value(depth, fold && string(key) != "@context"); err != nil {
			return err
		}
	}
}

// mapKey is a key as the map of a large object holds it: folded with fold.
func mapKey(key []byte, fold bool) string {
	if fold {
		return foldKey(string(key))
	}
	return string(key)
}

// sameKey says whether two keys of one object collide: equal, or with fold
// equal under Unicode's simple case folding (so "ſummary" and "summary"
// meet, as they do in encoding/json's matching of struct fields). Each
// comparison is linear in the keys' length.
func sameKey(a, b walkedKey, fold bool) bool {
	if !fold || (a.folded && b.folded) {
		return bytes.Equal(a.b, b.b)
	}
	if len(a.b) != len(b.b) {
		return false
	}
	if a.folded { // b is ASCII: upper-cased, it is what foldKey makes of it
		a, b = b, a
	}
	// a is ASCII; b is ASCII too, or folded.
	for i := range a.b {
		x, y := upperASCII(a.b[i]), b.b[i]
		if !b.folded {
			y = upperASCII(y)
		}
		if x != y {
			return false
		}
	}
	return true
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldKey maps a key to one spelling per case-insensitive class, with
// Unicode's simple case folding (so "ſummary" and "summary" meet, as they
// do in encoding/json's matching of struct fields).
func foldKey(k string) string {
	ascii := true
	for i := 0; i < len(k) && ascii; i++ {
		ascii = k[i] < utf8.RuneSelf
	}
	if ascii {
		// For an ASCII letter the least rune of its class is the upper-case
		// one (the others, like the Kelvin sign for k, are beyond ASCII).
		return strings.ToUpper(k)
	}
	var b strings.Builder
	b.Grow(len(k))
	for _, r := range k {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}

// maxIRILength bounds every IRI the inbox accepts and stores. Real ones are
// a few hundred bytes at most.
const maxIRILength = 2048

// validIRI reports whether raw is an absolute http or https URL with a host
// and no userinfo, short enough to store: the only kind of IRI the node
// keeps, so that every stored IRI can later be put in a document.
func validIRI(raw string) bool {
	if raw == "" || len(raw) > maxIRILength {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" || u.Hostname() == "" {
		return false
	}
	return u.Scheme == "https" || u.Scheme == "http"
}

// link keeps raw if it is a URL the node may put in a page or a document
// (see validIRI) and gives "" otherwise: a remote "url" or "icon" of
// javascript:, data: or a relative path is dropped when stored, not left for
// every template to neutralise.
func link(raw string) string {
	if validIRI(raw) {
		return raw
	}
	return ""
}

// Reading the decoded map: the shapes ActivityStreams allows for a value.

// stringOf reads "x" or ["x", ...] (the first counts).
func stringOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		if len(x) > 0 {
			return stringOf(x[0])
		}
	}
	return ""
}

// refOf reads an IRI given as "iri", {"id": "iri", ...} or a list of those
// (the first counts).
func refOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case map[string]any:
		id, _ := x["id"].(string)
		return id
	case []any:
		if len(x) > 0 {
			return refOf(x[0])
		}
	}
	return ""
}

// hostOf returns the lower-case host (with port) of an absolute URL, or "".
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Host)
}

// domainOf returns the lower-case host name, without port, of an absolute
// URL, or "": what a domain policy is about (a block of example.org covers
// example.org:8443 too).
func domainOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
}

// stripFragment removes "#..." from an IRI.
func stripFragment(raw string) string {
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		return raw[:i]
	}
	return raw
}
