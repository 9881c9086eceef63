package i18n

import (
	"strings"
	"sync"

	"golang.org/x/text/language"
)

// MaxAcceptLength is how much of an Accept-Language header is read: browsers
// send a few dozen bytes; a longer header is cut at its last whole entry.
const MaxAcceptLength = 200

// acceptMatcher is x/text's matcher over the shipped languages, in the
// order of Set.Languages.
type acceptMatcher struct {
	once    sync.Once
	tags    []string
	matcher language.Matcher
}

// MatchAccept returns the shipped language that an Accept-Language header
// asks for, or "" when it asks for none of them closely. A reader asking for
// German gets "", not whichever shipped language x/text finds least far:
// the caller falls back to its own default.
func (s *Set) MatchAccept(header string) string {
	m := &s.accept
	m.once.Do(func() {
		var tags []language.Tag
		for _, l := range s.langs {
			m.tags = append(m.tags, l.Tag)
			tags = append(tags, language.Make(l.Tag))
		}
		m.matcher = language.NewMatcher(tags)
	})
	if header == "" || len(m.tags) == 0 {
		return ""
	}
	if len(header) > MaxAcceptLength {
		header = header[:MaxAcceptLength]
		if i := strings.LastIndexByte(header, ','); i > 0 {
			header = header[:i]
		}
	}
	prefs, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(prefs) == 0 {
		return ""
	}
	for i, p := range prefs {
		// Sorani is also tagged ku-Arab (Kurdish in Arabic script); ku alone
		// is Kurmanji, in Latin letters. x/text knows no ku-Arab and would
		// fall back to Arabic, another language.
		if b, _ := p.Base(); b.String() == "ku" {
			if sc, conf := p.Script(); conf == language.Exact && sc.String() == "Arab" {
				prefs[i] = language.Make("ckb")
			}
		}
	}
	_, idx, conf := m.matcher.Match(prefs...)
	if conf < language.High || idx < 0 || idx >= len(m.tags) {
		return ""
	}
	return m.tags[idx]
}
