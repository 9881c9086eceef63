package i18n

import (
	"html"
	"regexp"
	"slices"
	"strings"
)

// fmtVerb matches a fmt verb in a message (%d, %[2]s, %%), where the data
// goes: the words between two verbs are what a page shows of the message.
var fmtVerb = regexp.MustCompile(`%(?:\[\d+\])?[-+# 0]*\d*(?:\.\d+)?[a-zA-Z%]`)

// EnglishLeft returns a check for pages whose interface is in lang: given
// a page (HTML as served), it lists the English phrases of keys the page
// still shows, each once, in the order of keys. A phrase is the text of a
// message between its fmt verbs, two words or more; one word alone is too
// often also a name or a word of the page's content to tell. A message
// without verbs that the lang catalogue translates as its English (a name)
// is not counted. The page's entities are decoded first, then each of
// texts (content the page was given to show, not interface text) is taken
// out. For English the check finds nothing.
func EnglishLeft(set *Set, keys []Key, lang string, texts ...string) func(page string) []string {
	if lang == "en" {
		return func(string) []string { return nil }
	}
	ui := set.UI(lang)
	var phrases []string
	for _, k := range keys {
		if !strings.Contains(k.Text, "%") && set.Has(lang, k.Text) && ui.T(k.Text) == k.Text {
			continue
		}
		for _, part := range fmtVerb.Split(k.Text, -1) {
			if part = strings.TrimSpace(part); len(strings.Fields(part)) >= 2 {
				phrases = append(phrases, part)
			}
		}
	}
	return func(page string) []string {
		text := html.UnescapeString(page)
		for _, c := range texts {
			text = strings.ReplaceAll(text, c, "")
		}
		var out []string
		for _, p := range phrases {
			if strings.Contains(text, p) && !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
		return out
	}
}
