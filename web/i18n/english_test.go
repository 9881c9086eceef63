package i18n

import (
	"slices"
	"testing"
	"testing/fstest"
)

// TestEnglishLeft: the check finds the English phrases of untranslated
// messages on a page, entities decoded, between fmt verbs, each once; it
// passes over single words, messages translated as themselves, the texts
// it is told are content, and English pages.
func TestEnglishLeft(t *testing.T) {
	set, err := Load(fstest.MapFS{
		"en.json": {Data: []byte(`{"language":"en","name":"English","numerals":"latn","messages":{}}`)},
		"fr.json": {Data: []byte(`{"language":"fr","name":"Français","numerals":"latn","messages":{
			"Latest statements":"Derniers communiqués",
			"Iraqi Social Forum":"Iraqi Social Forum"}}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	var keys []Key
	for _, k := range []string{"Latest statements", "Iraqi Social Forum", "Read more here", "%d likes on %s today",
		"You don't have access", "Search", "Solidarity with Basra"} {
		keys = append(keys, Key{Text: k, Where: "test"})
	}
	page := `<html lang="fr"><h1>Derniers communiqués</h1><p>Iraqi Social Forum</p>
<a>Read more here</a><p>3 likes on Basra today</p><p>You don&#39;t have access</p><a>Read more here</a>
<button>Search</button><h2>Latest statements (from Basra)</h2><h2>Solidarity with Basra</h2></html>`

	for _, tc := range []struct {
		name, lang string
		texts      []string
		want       []string
	}{
		{"fr", "fr", nil, []string{"Latest statements", "Read more here", "likes on", "You don't have access", "Solidarity with Basra"}},
		{"fr with content", "fr", []string{"Latest statements (from Basra)", "Solidarity with Basra"},
			[]string{"Read more here", "likes on", "You don't have access"}},
		{"en", "en", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := EnglishLeft(set, keys, tc.lang, tc.texts...)(page)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
