package federation

import (
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
)

// maxTags bounds the hashtags one statement carries (front matter and
// text together); more are left as plain text.
const maxTags = 30

// linkHashtags links the hashtags written in a statement's rendered text
// (or a translation's) to their tag pages, and adds them to the
// statement's tags: a tag in the text is federated as a Hashtag, listed on
// the tag page and matched by partners' relay policies, just like one in
// the front matter.
func (s *Service) linkHashtags(st *storage.Statement, bodyHTML string) string {
	linked, names := content.LinkHashtags(bodyHTML, s.iri.Tag)
	for _, display := range names {
		addTag(st, display)
	}
	return linked
}

// addTag adds a hashtag to st unless it is there (by its normalised name)
// or st has maxTags already.
func addTag(st *storage.Statement, display string) {
	name := content.NormalizeTag(display)
	if name == "" || len(st.Tags) >= maxTags {
		return
	}
	for _, t := range st.Tags {
		if t.Name == name {
			return
		}
	}
	st.Tags = append(st.Tags, storage.Tag{Name: name, Display: display})
}
