package federation

import (
	"testing"

	"github.com/tadamun/tadamun/storage"
)

// TestGoldenImageAttachment: an image federates as an Image attachment
// with its alt text as name, its size, and the BlurHash Mastodon paints
// while it loads.
func TestGoldenImageAttachment(t *testing.T) {
	s, a, st := docFixtures()
	st.Translations = nil
	st.Media = []storage.Media{{Path: st.ID + "/1.jpg", MediaType: "image/jpeg", AltText: "People demonstrating in Oslo",
		Width: 2560, Height: 1920, Blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj"}}
	doc, err := s.StatementDocument(st, a, 0)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "note-image.json", doc)
}
