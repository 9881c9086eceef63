package federation

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

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
// request path.
func parseType(ctx context.Context, body []byte) (vocab.Type, map[string]any, error) {
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, nil, fmt.Errorf("not a JSON object: %w", err)
	}
	t, err := streams.ToType(ctx, m)
	if err != nil {
		return nil, m, fmt.Errorf("not ActivityStreams: %w", err)
	}
	return t, m, nil
}

// hostOf returns the lower-case host (with port) of an absolute URL, or "".
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Host)
}

// stripFragment removes "#..." from an IRI.
func stripFragment(raw string) string {
	if i := strings.IndexByte(raw, '#'); i >= 0 {
		return raw[:i]
	}
	return raw
}
