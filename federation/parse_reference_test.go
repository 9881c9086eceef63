package federation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// referenceDecodeJSON is the decoder the inbox used before decodeJSON
// became two passes: one token at a time through encoding/json's Decoder,
// building the map as it checks the keys. It is slower (it allocates for
// every token) and plainly right, so it stays here as the reference the
// faster one must agree with, document for document.
func referenceDecodeJSON(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	m, err := referenceDecodeObject(dec, 1, true)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the JSON object")
	}
	return m, nil
}

// referenceDecodeObject reads an object's members after its opening brace. fold
// says whether keys that differ only in case are refused, or only exact
// repeats.
func referenceDecodeObject(dec *json.Decoder, depth int, fold bool) (map[string]any, error) {
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
		v, err := referenceDecodeValue(dec, depth, fold && key != "@context")
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
}

// referenceDecodeValue reads one value of any kind.
func referenceDecodeValue(dec *json.Decoder, depth int, fold bool) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return referenceDecodeObject(dec, depth+1, fold)
		case '[':
			if depth+1 > maxJSONDepth {
				return nil, errors.New("JSON nested too deeply")
			}
			l := []any{}
			for dec.More() {
				e, err := referenceDecodeValue(dec, depth+1, fold)
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

// FuzzDecodeJSONMatchesReference: decodeJSON accepts exactly the documents
// the token-by-token reference accepts, and gives the same map.
func FuzzDecodeJSONMatchesReference(f *testing.F) {
	for _, s := range decodeSeeds() {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob("../../shared/fixtures/peers/*/*.json")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := decodeJSON(body)
		want, refErr := referenceDecodeJSON(body)
		if (err == nil) != (refErr == nil) {
			t.Fatalf("decodeJSON err %v, reference err %v, for %q", err, refErr, body)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decodeJSON %v, reference %v", got, want)
		}
		// Of a document that is not JSON at all, the reference (reading
		// as it goes) may report an ambiguity met before the syntax error;
		// both refuse it, and which reason is given does not matter.
		if json.Valid(body) && errors.Is(refErr, errAmbiguousJSON) != errors.Is(err, errAmbiguousJSON) {
			t.Fatalf("ambiguity: decodeJSON %v, reference %v", err, refErr)
		}
	})
}

// decodeSeeds are documents at the edges of what decodeJSON refuses.
func decodeSeeds() []string {
	many := func(n int, fold bool) string {
		var b strings.Builder
		b.WriteString("{")
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `"k%d":%d,`, i, i)
		}
		if fold {
			b.WriteString(`"K7":1}`)
		} else {
			b.WriteString(`"last":[{"a":1,"A":2}]}`)
		}
		return b.String()
	}
	return []string{
		`{}`, `[]`, `null`, `"s"`, `5`, `{"a":1} x`, `{"a":1}  `, ` {"a" : [ 1 , {"b":null} ] } `,
		`{"type":"Like","Type":"Follow"}`, `{"a":{"b":1,"b":2}}`, `{"a":[{"b":1},{"B":2}]}`,
		`{"@context":{"x":1,"X":2}}`, `{"@context":{"x":1,"x":2}}`, `{"@context":[{"ab":1}],"AB":1,"ab":2}`,
		`{"summary":1,"\u017fummary":2}`, `{"kind":1,"\u212Aind":2}`, `{"\u0074ype":1,"type":2}`,
		"{\"\xff\":1,\"\xfe\":2}", "{\"a\xff\":1}", `{"a\"b":1,"a\"B":2}`, `{"a\\":1,"A\\":2}`,
		strings.Repeat("[", 63) + strings.Repeat("]", 63),
		"{\"a\":" + strings.Repeat("[", 63) + strings.Repeat("]", 63) + "}",
		"{\"a\":" + strings.Repeat("[", 64) + strings.Repeat("]", 64) + "}",
		strings.Repeat(`{"a":`, 64) + "1" + strings.Repeat("}", 64),
		strings.Repeat(`{"a":`, 65) + "1" + strings.Repeat("}", 65),
		`{"n":1e400}`, `{"n":-0.5e-3,"t":true,"f":false}`, `{"s":"\ud800"}`,
		many(40, true), many(40, false), many(31, true), many(33, false), many(15, true), many(17, true), many(32, true), many(32, false),
		string(sigmaKeys(2000, 5)), `{"σς":1,"ΣΣ":2}`, `{"aσ":1,"Aς":2}`, `{"kK":1,"\u212Ak":2}`, `{"ſ":1,"S":2}`,
	}
}

// TestDecodeJSONEdges runs the seeds through both decoders without the
// fuzzer, so that plain go test checks them.
func TestDecodeJSONEdges(t *testing.T) {
	for _, s := range decodeSeeds() {
		got, err := decodeJSON([]byte(s))
		want, refErr := referenceDecodeJSON([]byte(s))
		if (err == nil) != (refErr == nil) || (err == nil && !reflect.DeepEqual(got, want)) ||
			json.Valid([]byte(s)) && errors.Is(err, errAmbiguousJSON) != errors.Is(refErr, errAmbiguousJSON) {
			t.Errorf("%.80q: decodeJSON (%v, %v), reference (%v, %v)", s, got, err, want, refErr)
		}
	}
}

// TestDecodeJSONManyKeys: an object of 100,000 keys is checked in linear
// time, and a case-variant repeat among them is still found.
func TestDecodeJSONManyKeys(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 100000; i++ {
		fmt.Fprintf(&b, `"key%d":0,`, i)
	}
	b.WriteString(`"KEY99999":1}`)
	if _, err := decodeJSON([]byte(b.String())); !errors.Is(err, errAmbiguousJSON) {
		t.Fatalf("err = %v, want the ambiguity", err)
	}
}

// sigmaKeys is a hostile document of about size bytes: objects of 32
// distinct keys, each a random run of σ, Σ and ς (one fold orbit) with
// its own ending, so that no two keys collide but every comparison of two
// unfolded keys walks Unicode's fold orbits to the end.
func sigmaKeys(size, runes int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	variants := []string{"σ", "Σ", "ς"}
	var b strings.Builder
	b.WriteString(`{"a":[`)
	for o := 0; b.Len() < size; o++ {
		if o > 0 {
			b.WriteString(",")
		}
		b.WriteString("{")
		for i := 0; i < 32; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"`)
			for j := 0; j < runes; j++ {
				b.WriteString(variants[r.IntN(3)])
			}
			fmt.Fprintf(&b, `%02d":0`, i)
		}
		b.WriteString("}")
	}
	b.WriteString("]}")
	return []byte(b.String())
}

// BenchmarkDecodeJSON compares the inbox's decoder with the reference and
// with encoding/json alone, on a Create of a Note as Mastodon sends it and
// on a hostile megabyte of keys that differ but fold alike (sigmaKeys):
// the decoder must stay within a small factor of encoding/json on both.
func BenchmarkDecodeJSON(b *testing.B) {
	create := []byte(`{"@context":["https://www.w3.org/ns/activitystreams",{"ostatus":"http://ostatus.org#","atomUri":"ostatus:atomUri","inReplyToAtomUri":"ostatus:inReplyToAtomUri","conversation":"ostatus:conversation","sensitive":"as:sensitive","toot":"http://joinmastodon.org/ns#","votersCount":"toot:votersCount","Hashtag":"as:Hashtag"}],"id":"https://mastodon.example/users/alice/statuses/1/activity","type":"Create","actor":"https://mastodon.example/users/alice","published":"2026-11-30T12:00:00Z","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://mastodon.example/users/alice/followers","https://node.example/users/icssi"],"object":{"id":"https://mastodon.example/users/alice/statuses/1","type":"Note","summary":null,"inReplyTo":"https://node.example/users/icssi/statements/01","published":"2026-11-30T12:00:00Z","url":"https://mastodon.example/@alice/1","attributedTo":"https://mastodon.example/users/alice","to":["https://www.w3.org/ns/activitystreams#Public"],"cc":["https://mastodon.example/users/alice/followers"],"sensitive":false,"atomUri":"https://mastodon.example/users/alice/statuses/1","conversation":"tag:mastodon.example,2026-11-30:objectId=1:objectType=Conversation","content":"<p>We stand with you. <a href=\"https://mastodon.example/tags/solidarity\" class=\"mention hashtag\" rel=\"tag\">#<span>solidarity</span></a></p>","contentMap":{"en":"<p>We stand with you.</p>"},"attachment":[],"tag":[{"type":"Hashtag","href":"https://mastodon.example/tags/solidarity","name":"#solidarity"}],"replies":{"id":"https://mastodon.example/users/alice/statuses/1/replies","type":"Collection","first":{"type":"CollectionPage","next":"https://mastodon.example/users/alice/statuses/1/replies?only_other_accounts=true&page=true","partOf":"https://mastodon.example/users/alice/statuses/1/replies","items":[]}}}}`)
	plain := func(body []byte) (map[string]any, error) {
		var m map[string]any
		return m, json.Unmarshal(body, &m)
	}
	for _, doc := range []struct {
		name string
		body []byte
	}{{"create", create}, {"sigma-keys", sigmaKeys(1<<20, 30)}} {
		for _, c := range []struct {
			name string
			f    func([]byte) (map[string]any, error)
		}{{"two-pass", decodeJSON}, {"reference", referenceDecodeJSON}, {"encoding-json", plain}} {
			b.Run(doc.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(doc.body)))
				for b.Loop() {
					if _, err := c.f(doc.body); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
