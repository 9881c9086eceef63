package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
func decodeJSON(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	m, err := decodeObject(dec, 1, true)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON object")
	}
	return m, nil
}

// decodeObject reads an object's members after its opening brace. fold
// says whether keys that differ only in case are refused, or only exact
// repeats.
func decodeObject(dec *json.Decoder, depth int, fold bool) (map[string]any, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("JSON nested too deeply")
	}
	m := map[string]any{}
	folded := map[string]bool{}
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not JSON: %w", err)
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			return m, nil
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("not JSON: object key is not a string")
		}
		f := key
		if fold {
			f = foldKey(key)
		}
		if folded[f] {
			return nil, fmt.Errorf("%w: %q", errAmbiguousJSON, key)
		}
		folded[f] = true
		v, err := decodeValue(dec, depth, fold && key != "@context")
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
}

// decodeValue reads one value of any kind.
func decodeValue(dec *json.Decoder, depth int, fold bool) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return decodeObject(dec, depth+1, fold)
		case '[':
			if depth+1 > maxJSONDepth {
				return nil, errors.New("JSON nested too deeply")
			}
			l := []any{}
			for dec.More() {
				e, err := decodeValue(dec, depth+1, fold)
				if err != nil {
					return nil, err
				}
				l = append(l, e)
			}
			if _, err := dec.Token(); err != nil { // the closing bracket
				return nil, fmt.Errorf("not JSON: %w", err)
			}
			return l, nil
		}
		return nil, fmt.Errorf("not JSON: unexpected %v", v)
	default: // string, float64, bool or nil
		return v, nil
	}
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
