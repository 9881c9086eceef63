package i18n

import (
	"strings"
	"testing"
)

// TestMatchAccept: Accept-Language headers choose a shipped language only
// when they ask for it closely.
func TestMatchAccept(t *testing.T) {
	set, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ header, want string }{
		{"ar", "ar"},
		{"ar-IQ,ar;q=0.9,en;q=0.5", "ar"},
		{"de-DE,de;q=0.9,fr;q=0.5", "fr"},
		{"fr-CA", "fr"},
		{"ckb", "ckb"},
		{"ku-Arab-IQ", "ckb"},
		{"ku", "ku"},
		{"it-IT,en;q=0.1", "it"},
		{"de", ""},
		{"", ""},
		{"*", ""},
		{";;;not a header", ""},
		{strings.Repeat("de-DE;q=0.9,", 30) + "ar", ""}, // past MaxAcceptLength
	} {
		if got := set.MatchAccept(c.header); got != c.want {
			t.Errorf("MatchAccept(%.40q) = %q, want %q", c.header, got, c.want)
		}
	}
}
