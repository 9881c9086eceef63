package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDecodeEnvelope(t *testing.T) {
	cases := []struct {
		name, body string
		ok         bool
		want       envelope
	}{
		{"strings", `{"id":"https://a.test/1","type":"Like","actor":"https://a.test/u","object":"https://b.test/n"}`, true,
			envelope{ID: "https://a.test/1", Type: "Like", Actor: "https://a.test/u", Object: "https://b.test/n"}},
		{"embedded", `{"id":"https://a.test/1","type":["Create"],"actor":{"id":"https://a.test/u"},"object":{"id":"https://a.test/n","type":"Note","attributedTo":["https://a.test/u"]}}`, true,
			envelope{ID: "https://a.test/1", Type: "Create", Actor: "https://a.test/u", Object: "https://a.test/n", ObjectType: "Note", ObjectAuthor: "https://a.test/u", ObjectEmbedded: true}},
		{"actor list", `{"id":"https://a.test/1","type":"Follow","actor":["https://a.test/u"],"object":"https://b.test/u"}`, true,
			envelope{ID: "https://a.test/1", Type: "Follow", Actor: "https://a.test/u", Object: "https://b.test/u"}},
		{"no id", `{"type":"Follow","actor":"https://a.test/u"}`, false, envelope{}},
		{"relative id", `{"id":"/1","type":"Follow","actor":"https://a.test/u"}`, false, envelope{}},
		{"no type", `{"id":"https://a.test/1","actor":"https://a.test/u"}`, false, envelope{}},
		{"no actor", `{"id":"https://a.test/1","type":"Follow"}`, false, envelope{}},
		{"array", `[1,2]`, false, envelope{}},
		{"truncated", `{"id":"https://a.test/1",`, false, envelope{}},
		{"number type", `{"id":"https://a.test/1","type":5,"actor":"https://a.test/u"}`, false, envelope{}},
		// Keys that differ only in case, or repeat, are read one way by a
		// struct decoder (case-insensitive, last wins) and another by the
		// map go-fed reads (exact keys): such a document is refused.
		{"duplicate type", `{"id":"https://a.test/1","type":"Like","type":"Follow","actor":"https://a.test/u","object":"https://b.test/u"}`, false, envelope{}},
		{"case-variant type", `{"id":"https://a.test/1","type":"Follow","actor":"https://a.test/u","object":"https://b.test/u","Type":"Like"}`, false, envelope{}},
		{"case-variant object", `{"id":"https://a.test/1","type":"Follow","actor":"https://a.test/u","object":"https://b.test/u","OBJECT":"https://b.test/v"}`, false, envelope{}},
		{"case-variant inside the object", `{"id":"https://a.test/1","type":"Create","actor":"https://a.test/u","object":{"id":"https://a.test/n","type":"Note","content":"a","Content":"b"}}`, false, envelope{}},
		{"long s folds to s", `{"id":"https://a.test/1","type":"Create","actor":"https://a.test/u","object":{"id":"https://a.test/n","type":"Note","summary":"a","\u017fummary":"b"}}`, false, envelope{}},
		{"Kelvin sign folds to k", `{"id":"https://a.test/1","type":"Create","actor":"https://a.test/u","object":{"id":"https://a.test/n","type":"Note","kind":"a","\u212Aind":"b"}}`, false, envelope{}},
		{"duplicate in a list", `{"id":"https://a.test/1","type":"Flag","actor":"https://a.test/u","object":["https://b.test/u",{"id":"https://b.test/s/1","id":"https://b.test/s/2"}]}`, false, envelope{}},
		{"case variants in @context are JSON-LD terms", `{"@context":["https://www.w3.org/ns/activitystreams",{"QuoteAuthorization":"https://w3id.org/fep/044f#QuoteAuthorization","quoteAuthorization":{"@id":"https://w3id.org/fep/044f#quoteAuthorization","@type":"@id"}}],"id":"https://a.test/1","type":"Like","actor":"https://a.test/u","object":"https://b.test/n"}`, true,
			envelope{ID: "https://a.test/1", Type: "Like", Actor: "https://a.test/u", Object: "https://b.test/n"}},
		{"duplicate in @context", `{"@context":{"as":"https://www.w3.org/ns/activitystreams","as":"https://evil.test/ns"},"id":"https://a.test/1","type":"Like","actor":"https://a.test/u","object":"https://b.test/n"}`, false, envelope{}},
		{"trailing data", `{"id":"https://a.test/1","type":"Like","actor":"https://a.test/u","object":"https://b.test/n"} {}`, false, envelope{}},
		// Object ids must be absolute http(s) URLs: anything else would be
		// stored and later fail to build the collections it appears in.
		{"urn object", `{"id":"https://a.test/1","type":"Like","actor":"https://a.test/u","object":"urn:x"}`, false, envelope{}},
		{"ftp object", `{"id":"https://a.test/1","type":"Like","actor":"https://a.test/u","object":"ftp://b.test/n"}`, false, envelope{}},
		{"relative object", `{"id":"https://a.test/1","type":"Like","actor":"https://a.test/u","object":"/n/1"}`, false, envelope{}},
		{"embedded urn object", `{"id":"https://a.test/1","type":"Announce","actor":"https://a.test/u","object":{"id":"urn:x","type":"Note"}}`, false, envelope{}},
		{"bad second object", `{"id":"https://a.test/1","type":"Flag","actor":"https://a.test/u","object":["https://b.test/u","javascript:alert(1)"]}`, false, envelope{}},
		{"ftp id", `{"id":"ftp://a.test/1","type":"Like","actor":"https://a.test/u","object":"https://b.test/n"}`, false, envelope{}},
		{"ftp actor", `{"id":"https://a.test/1","type":"Like","actor":"ftp://a.test/u","object":"https://b.test/n"}`, false, envelope{}},
		{"userinfo actor", `{"id":"https://a.test/1","type":"Like","actor":"https://a.test@b.test/u","object":"https://b.test/n"}`, false, envelope{}},
		{"overlong object", `{"id":"https://a.test/1","type":"Like","actor":"https://a.test/u","object":"https://b.test/` + strings.Repeat("n", 5000) + `"}`, false, envelope{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, err := decodeEnvelope([]byte(c.body))
			if (err == nil) != c.ok {
				t.Fatalf("err = %v, want ok=%v", err, c.ok)
			}
			if c.ok && *e != c.want {
				t.Fatalf("got %+v, want %+v", *e, c.want)
			}
		})
	}
}

// FuzzDecodeEnvelope: the inbox's request-path decoder never panics, and
// whatever it accepts has an absolute id, a type and an absolute actor.
func FuzzDecodeEnvelope(f *testing.F) {
	files, _ := filepath.Glob("../../shared/fixtures/peers/*/*.http")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		if i := indexBody(b); i >= 0 {
			f.Add(b[i:])
		}
	}
	f.Add([]byte(`{"id":"https://a.test/1","type":"Follow","actor":"https://a.test/u","object":"https://b.test/u"}`))
	f.Add([]byte(`{"id":"https://a.test/1","type":["Create"],"actor":[{"id":"https://a.test/u"}],"object":{"id":"x","attributedTo":[]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := decodeEnvelope(body)
		if err != nil {
			return
		}
		if e.Type == "" || hostOf(e.ID) == "" || hostOf(e.Actor) == "" {
			t.Fatalf("accepted %q as %+v", body, e)
		}
	})
}

func indexBody(b []byte) int {
	for i := 0; i+3 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' && b[i+2] == '\r' && b[i+3] == '\n' {
			return i + 4
		}
	}
	return -1
}

// BenchmarkDecodeActivity: the inbox's strict decoding of a real Create
// (Fedify's, with its long @context), against encoding/json decoding the
// same bytes into a map, which is what go-fed was given before.
func BenchmarkDecodeActivity(b *testing.B) {
	raw, err := os.ReadFile("../../shared/fixtures/peers/fedify/08-create-note-public.http")
	if err != nil {
		b.Skip(err)
	}
	body := raw[indexBody(raw):]
	b.Run("strict", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, _, err := decodeActivity(body); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding/json map", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var m map[string]any
			if err := json.Unmarshal(body, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestBoundedCache: the caches of failed keys and of the follow form's
// look-ups hold at most their bound, oldest out first, and forget entries
// at their TTL on the caller's clock.
func TestBoundedCache(t *testing.T) {
	now := time.Date(2026, 11, 30, 20, 0, 0, 0, time.UTC)
	c := newBoundedCache[string](4, time.Minute)
	for i := 0; i < 1000; i++ {
		c.put(fmt.Sprint(i), "v", now)
		if c.len() > 4 {
			t.Fatalf("%d entries after %d puts, bound 4", c.len(), i+1)
		}
	}
	if _, ok := c.get("995", now); ok {
		t.Fatal("the oldest entry was kept past the bound")
	}
	if _, ok := c.get("999", now.Add(59*time.Second)); !ok {
		t.Fatal("the newest entry was lost before its TTL")
	}
	if _, ok := c.get("999", now.Add(time.Minute)); ok {
		t.Fatal("an entry outlived its TTL")
	}
	// The service's caches are built with their bounds.
	s := New(Config{}, nil)
	if s.keyFailures.max != keyFailureEntries || s.keyFailures.ttl != keyFailureTTL ||
		s.subscribes.max != subscribeEntries || s.subscribes.ttl != subscribeTTL {
		t.Fatal("a cache of the service is built without its bounds")
	}
}

// TestFetchLimiter: slots are capped per host and overall; a caller that
// finds none free within its wait gets ErrBusy, and a release lets the
// next one in.
func TestFetchLimiter(t *testing.T) {
	ctx := context.Background()
	l := newFetchLimiter(3, 2)
	var releases []func()
	for _, h := range []string{"a.test", "a.test", "b.test"} {
		r, err := l.acquire(ctx, h, time.Second)
		if err != nil {
			t.Fatalf("%s: %v", h, err)
		}
		releases = append(releases, r)
	}
	for _, h := range []string{"a.test", "c.test"} { // per host, then overall
		if _, err := l.acquire(ctx, h, 20*time.Millisecond); !errors.Is(err, ErrBusy) {
			t.Fatalf("%s: %v, want ErrBusy", h, err)
		}
	}
	got := make(chan error, 1)
	go func() {
		r, err := l.acquire(ctx, "a.test", 5*time.Second)
		if err == nil {
			r()
		}
		got <- err
	}()
	releases[0]()
	releases[0]() // a second call of one release changes nothing
	if err := <-got; err != nil {
		t.Fatalf("after a release: %v", err)
	}
	releases[1]()
	releases[2]()
	if l.total != 0 || len(l.hosts) != 0 {
		t.Fatalf("after every release: total %d, hosts %v", l.total, l.hosts)
	}
}
