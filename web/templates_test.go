package web

import (
	"testing"

	"github.com/tadamun/tadamun/web/i18n"
)

// TestTemplatesHaveNoBareWords fails when a page template holds interface
// words that do not go through the translation function.
func TestTemplatesHaveNoBareWords(t *testing.T) {
	words, err := i18n.Untranslated(templateFS, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range words {
		t.Errorf("not translated: %s", w)
	}
}
