package federation

import (
	"os"
	"path/filepath"
	"testing"
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
