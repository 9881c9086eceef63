package federation

import (
	"context"
	"regexp"
	"strings"

	"github.com/tadamun/tadamun/storage"
)

// mentionRE finds @user@host in Markdown: not inside an e-mail address or a
// URL (no word character, @, / or . right before it). host may carry a port.
var mentionRE = regexp.MustCompile(`(?:^|[^\w@/.])@([\w.-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?|localhost:\d+)`)

// resolveMentions looks up every @user@host a text mentions (WebFinger,
// then the actor). An account that cannot be found is left as plain text and
// logged: a typo should not stop a statement from going out.
func (s *Service) resolveMentions(ctx context.Context, text string) []storage.Mention {
	var out []storage.Mention
	seen := map[string]bool{}
	for _, m := range mentionRE.FindAllStringSubmatch(text, -1) {
		handle := "@" + m[1] + "@" + strings.ToLower(m[2])
		if seen[handle] || strings.EqualFold(m[2], s.iri.Host()) {
			continue
		}
		seen[handle] = true
		r, err := s.Lookup(ctx, handle)
		if err != nil {
			s.log.WarnContext(ctx, "mention not found: left as text", "mention", handle, "err", err)
			continue
		}
		out = append(out, storage.Mention{ActorIRI: r.IRI, Handle: handle, Inbox: r.Inbox})
	}
	return out
}

// linkMentions turns resolved mentions in Markdown into links to the
// accounts, as Mastodon shows them.
func linkMentions(md string, mentions []storage.Mention) string {
	if len(mentions) == 0 {
		return md
	}
	byHandle := map[string]string{}
	for _, m := range mentions {
		byHandle[strings.ToLower(m.Handle)] = m.ActorIRI
	}
	return mentionRE.ReplaceAllStringFunc(md, func(match string) string {
		i := strings.Index(match, "@")
		prefix, handle := match[:i], match[i:]
		iri, ok := byHandle[strings.ToLower(handle)]
		if !ok {
			return match
		}
		user := strings.SplitN(handle[1:], "@", 2)[0]
		return prefix + "[@" + user + "](" + iri + ")"
	})
}

func mentionInboxes(ms []storage.Mention) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Inbox)
	}
	return out
}
