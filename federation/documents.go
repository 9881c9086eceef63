package federation

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strings"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/federation/proof"
	"github.com/tadamun/tadamun/storage"
)

// actorVocab is what the go-fed actor types (Organization, Person, Group,
// Service, Application) have in common that we set.
type actorVocab interface {
	extensible
	SetJSONLDId(vocab.JSONLDIdProperty)
	SetActivityStreamsPreferredUsername(vocab.ActivityStreamsPreferredUsernameProperty)
	SetActivityStreamsName(vocab.ActivityStreamsNameProperty)
	SetActivityStreamsSummary(vocab.ActivityStreamsSummaryProperty)
	SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
	SetActivityStreamsInbox(vocab.ActivityStreamsInboxProperty)
	SetActivityStreamsOutbox(vocab.ActivityStreamsOutboxProperty)
	SetActivityStreamsFollowers(vocab.ActivityStreamsFollowersProperty)
	SetActivityStreamsFollowing(vocab.ActivityStreamsFollowingProperty)
	SetActivityStreamsIcon(vocab.ActivityStreamsIconProperty)
	SetActivityStreamsImage(vocab.ActivityStreamsImageProperty)
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	SetTootDiscoverable(vocab.TootDiscoverableProperty)
	SetTootFeatured(vocab.TootFeaturedProperty)
	SetW3IDSecurityV1PublicKey(vocab.W3IDSecurityV1PublicKeyProperty)
}

func newActorVocab(typ string) actorVocab {
	switch typ {
	case storage.ActorPerson:
		return streams.NewActivityStreamsPerson()
	case storage.ActorGroup:
		return streams.NewActivityStreamsGroup()
	case storage.ActorService:
		return streams.NewActivityStreamsService()
	case storage.ActorApplication:
		return streams.NewActivityStreamsApplication()
	default:
		return streams.NewActivityStreamsOrganization()
	}
}

// ActorDocument is the ActivityStreams document of a local actor (or of the
// instance actor), shaped as Mastodon and its peers expect.
func (s *Service) ActorDocument(a *storage.Actor) ([]byte, error) {
	b := s.iri
	id, inbox, outbox := b.Actor(a.Username), b.ActorPart(a.Username, iri.Inbox), b.ActorPart(a.Username, iri.Outbox)
	followers, following := b.ActorPart(a.Username, iri.Followers), b.ActorPart(a.Username, iri.Following)
	keyID, profile := b.Key(a.Username), b.Profile(a.Username)
	if a.IsInstance {
		id, inbox, outbox = b.Instance(), b.InstanceInbox(), b.InstanceOutbox()
		followers, following, keyID, profile = "", "", b.InstanceKey(), b.Home()
	}
	v := newActorVocab(a.Type)
	v.SetJSONLDId(idProp(id))
	pu := streams.NewActivityStreamsPreferredUsernameProperty()
	pu.SetXMLSchemaString(a.Username)
	v.SetActivityStreamsPreferredUsername(pu)
	v.SetActivityStreamsName(nameProp(a.DisplayName))
	if a.Summary != "" {
		h, err := content.RenderMarkdown(a.Summary)
		if err != nil {
			return nil, err
		}
		v.SetActivityStreamsSummary(summaryProp(h))
	}
	v.SetActivityStreamsUrl(urlProp(profile))
	in := streams.NewActivityStreamsInboxProperty()
	in.SetIRI(mustIRI(inbox))
	v.SetActivityStreamsInbox(in)
	out := streams.NewActivityStreamsOutboxProperty()
	out.SetIRI(mustIRI(outbox))
	v.SetActivityStreamsOutbox(out)
	if followers != "" {
		fp := streams.NewActivityStreamsFollowersProperty()
		fp.SetIRI(mustIRI(followers))
		v.SetActivityStreamsFollowers(fp)
		gp := streams.NewActivityStreamsFollowingProperty()
		gp.SetIRI(mustIRI(following))
		v.SetActivityStreamsFollowing(gp)
		fe := streams.NewTootFeaturedProperty()
		fe.SetIRI(mustIRI(b.ActorPart(a.Username, iri.Featured)))
		v.SetTootFeatured(fe)
	}
	if a.AvatarPath != "" {
		v.SetActivityStreamsIcon(imageProp(streams.NewActivityStreamsIconProperty(), b.Media(a.AvatarPath)))
	}
	if a.HeaderPath != "" {
		v.SetActivityStreamsImage(imageProp(streams.NewActivityStreamsImageProperty(), b.Media(a.HeaderPath)))
	}
	v.SetActivityStreamsPublished(publishedProp(a.CreatedAt))
	d := streams.NewTootDiscoverableProperty()
	d.Set(a.Discoverable && !a.IsInstance)
	v.SetTootDiscoverable(d)
	key := streams.NewW3IDSecurityV1PublicKey()
	key.SetJSONLDId(idProp(keyID))
	owner := streams.NewW3IDSecurityV1OwnerProperty()
	owner.SetIRI(mustIRI(id))
	key.SetW3IDSecurityV1Owner(owner)
	pem := streams.NewW3IDSecurityV1PublicKeyPemProperty()
	pem.Set(a.PublicKeyPEM)
	key.SetW3IDSecurityV1PublicKeyPem(pem)
	kp := streams.NewW3IDSecurityV1PublicKeyProperty()
	kp.AppendW3IDSecurityV1PublicKey(key)
	v.SetW3IDSecurityV1PublicKey(kp)

	// Terms go-fed v1.0.0 has no type for.
	ext := map[string]any{
		"manuallyApprovesFollowers": a.ManuallyApprovesFollowers || a.IsInstance,
		"indexable":                 a.Discoverable && !a.IsInstance,
		"endpoints":                 map[string]string{"sharedInbox": b.Shared()},
	}
	if len(a.AlsoKnownAs) > 0 {
		ext["alsoKnownAs"] = a.AlsoKnownAs
	}
	if a.MovedTo != "" {
		ext["movedTo"] = a.MovedTo
	}
	if len(a.Fields) > 0 {
		var fields []map[string]string
		for _, f := range a.Fields {
			fields = append(fields, map[string]string{"type": "PropertyValue", "name": f.Name, "value": fieldValueHTML(f.Value)})
		}
		ext["attachment"] = fields
	}
	if a.ProofKeyPEM != "" {
		// The Ed25519 key of our object proofs (proofs.go), as a Multikey:
		// what FEP-8b32 verifiers, Fedify and Mastodon look up by the
		// proof's verificationMethod.
		k, err := parseProofKeyPEM(a.ProofKeyPEM)
		if err != nil {
			return nil, err
		}
		ext["assertionMethod"] = []proof.Multikey{proof.NewMultikey(s.proofKeyID(a), id, k.Public().(ed25519.PublicKey))}
	}
	extend(v, ext)
	doc, err := serialize(v)
	if err != nil || a.ProofKeyPEM == "" {
		return doc, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, fmt.Errorf("federation: actor document: %w", err)
	}
	return withContext(doc, top, dataIntegrityContext, multikeyContext)
}

func imageProp[P interface {
	AppendActivityStreamsImage(vocab.ActivityStreamsImage)
}](p P, u string) P {
	img := streams.NewActivityStreamsImage()
	img.SetActivityStreamsUrl(urlProp(u))
	p.AppendActivityStreamsImage(img)
	return p
}

// fieldValueHTML shows a profile field as Mastodon does: a URL becomes a link
// (with rel="me" so that the linked site can verify it), anything else is text.
func fieldValueHTML(v string) string {
	if u, err := url.Parse(v); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		e := html.EscapeString(v)
		return `<a href="` + e + `" rel="me nofollow noopener noreferrer" target="_blank">` + e + `</a>`
	}
	return html.EscapeString(v)
}

// objectType is how a statement federates: its own choice, else its actor's.
func objectType(st *storage.Statement, a *storage.Actor) string {
	if st.ObjectType != "" {
		return st.ObjectType
	}
	if a.ObjectType == "Article" {
		return "Article"
	}
	return "Note"
}

// statementVersion is one language version of a statement.
type statementVersion struct {
	lang, title, summary, body, cw, url string
}

func versions(st *storage.Statement, b iri.Builder) []statementVersion {
	out := []statementVersion{{st.Language, st.Title, st.Summary, st.BodyHTML, st.ContentWarning,
		b.StatementPage(st.ActorUsername, st.Slug, "")}}
	for _, tr := range st.Translations {
		out = append(out, statementVersion{tr.Language, tr.Title, tr.Summary, tr.BodyHTML, tr.ContentWarning,
			b.StatementPage(st.ActorUsername, st.Slug, tr.Language)})
	}
	return out
}

// noteHTML is the text of a statement federated as a Note: Mastodon shows a
// Note in full, so the title leads as a bold paragraph and a link to the
// statement page closes it, followed by its hashtags.
func noteHTML(v statementVersion, tags []storage.Tag, b iri.Builder) string {
	var sb strings.Builder
	sb.WriteString("<p><strong>" + html.EscapeString(v.title) + "</strong></p>")
	if v.summary != "" {
		sb.WriteString("<p>" + html.EscapeString(v.summary) + "</p>")
	}
	sb.WriteString(v.body)
	sb.WriteString("<p>" + readableLink(v.url) + "</p>")
	sb.WriteString(tagsHTML(tags, b, v.body))
	return sb.String()
}

// readableLink is a link to u whose text is the address as a reader would
// type it, decoded and shortened (node.example/@icssi/نقف-معاً…), in
// Mastodon's markup: the scheme and the tail are in "invisible" spans and
// the shown part in an "ellipsis" one, so Mastodon shows the short form and
// a server that drops the classes shows the whole address, still decoded.
func readableLink(u string) string {
	scheme, visible, rest := content.ReadableURL(u, 30)
	var sb strings.Builder
	sb.WriteString(`<a href="` + html.EscapeString(u) + `" translate="no"><span class="invisible">` +
		html.EscapeString(scheme) + `</span>`)
	if rest == "" {
		sb.WriteString(`<span>` + html.EscapeString(visible) + `</span>`)
	} else {
		sb.WriteString(`<span class="ellipsis">` + html.EscapeString(visible) + `</span><span class="invisible">` +
			html.EscapeString(rest) + `</span>`)
	}
	sb.WriteString(`</a>`)
	return sb.String()
}

// tagsHTML is the closing line of hashtags: those of the statement that its
// text (body) does not already link.
func tagsHTML(tags []storage.Tag, b iri.Builder, body string) string {
	var parts []string
	for _, t := range tags {
		href := html.EscapeString(b.Tag(t.Name))
		if strings.Contains(body, `<a href="`+href+`" class="mention hashtag"`) {
			continue
		}
		parts = append(parts, `<a href="`+href+`" class="mention hashtag" rel="tag">#<span>`+
			html.EscapeString(t.Display)+`</span></a>`)
	}
	if len(parts) == 0 {
		return ""
	}
	return "<p>" + strings.Join(parts, " ") + "</p>"
}

// StatementDocument is the statement's Note or Article served on its own.
func (s *Service) StatementDocument(st *storage.Statement, a *storage.Actor, replies int) ([]byte, error) {
	return serialize(s.statementVocab(st, a, replies))
}

type objectVocab interface {
	extensible
	SetJSONLDId(vocab.JSONLDIdProperty)
	SetActivityStreamsAttributedTo(vocab.ActivityStreamsAttributedToProperty)
	SetActivityStreamsTo(vocab.ActivityStreamsToProperty)
	SetActivityStreamsCc(vocab.ActivityStreamsCcProperty)
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	SetActivityStreamsUpdated(vocab.ActivityStreamsUpdatedProperty)
	SetActivityStreamsUrl(vocab.ActivityStreamsUrlProperty)
	SetActivityStreamsName(vocab.ActivityStreamsNameProperty)
	SetActivityStreamsSummary(vocab.ActivityStreamsSummaryProperty)
	SetActivityStreamsContent(vocab.ActivityStreamsContentProperty)
	SetActivityStreamsReplies(vocab.ActivityStreamsRepliesProperty)
	SetActivityStreamsInReplyTo(vocab.ActivityStreamsInReplyToProperty)
	SetActivityStreamsAttachment(vocab.ActivityStreamsAttachmentProperty)
}

func (s *Service) statementVocab(st *storage.Statement, a *storage.Actor, replies int) objectVocab {
	b := s.iri
	kind := objectType(st, a)
	var v objectVocab
	if kind == "Article" {
		v = streams.NewActivityStreamsArticle()
	} else {
		v = streams.NewActivityStreamsNote()
	}
	v.SetJSONLDId(idProp(b.Statement(a.Username, st.ID)))
	v.SetActivityStreamsAttributedTo(attributedToProp(b.Actor(a.Username)))
	v.SetActivityStreamsTo(toProp(PublicAddress))
	cc := []string{b.ActorPart(a.Username, iri.Followers)}
	for _, m := range st.Mentions {
		cc = append(cc, m.ActorIRI)
	}
	v.SetActivityStreamsCc(ccProp(cc...))
	if st.PublishedAt != nil {
		v.SetActivityStreamsPublished(publishedProp(*st.PublishedAt))
	}
	if st.EditedAt != nil {
		v.SetActivityStreamsUpdated(updatedProp(*st.EditedAt))
	}
	vs := versions(st, b)
	v.SetActivityStreamsUrl(urlProp(vs[0].url))
	if len(st.Media) > 0 {
		att := streams.NewActivityStreamsAttachmentProperty()
		for _, m := range st.Media {
			img := streams.NewActivityStreamsImage()
			img.SetActivityStreamsUrl(urlProp(b.Media(m.Path)))
			mt := streams.NewActivityStreamsMediaTypeProperty()
			mt.Set(m.MediaType)
			img.SetActivityStreamsMediaType(mt)
			img.SetActivityStreamsName(nameProp(m.AltText)) // the alt text, as Mastodon reads it
			if m.Width > 0 && m.Height > 0 {
				w := streams.NewActivityStreamsWidthProperty()
				w.Set(m.Width)
				img.SetActivityStreamsWidth(w)
				h := streams.NewActivityStreamsHeightProperty()
				h.Set(m.Height)
				img.SetActivityStreamsHeight(h)
			}
			if m.Blurhash != "" {
				// Mastodon's term (toot:blurhash, "blurhash" in the
				// @context): it paints the hash while the image loads and
				// behind a content warning. go-fed has no type for it.
				extend(img, map[string]any{"blurhash": m.Blurhash})
			}
			att.AppendActivityStreamsImage(img)
		}
		v.SetActivityStreamsAttachment(att)
	}
	if st.InReplyTo != "" {
		r := streams.NewActivityStreamsInReplyToProperty()
		r.AppendIRI(mustIRI(st.InReplyTo))
		v.SetActivityStreamsInReplyTo(r)
	}

	contentMap := map[string]string{}
	for _, ver := range vs {
		if kind == "Article" {
			contentMap[ver.lang] = ver.body + tagsHTML(st.Tags, b, ver.body)
		} else {
			contentMap[ver.lang] = noteHTML(ver, st.Tags, b)
		}
	}
	cp := streams.NewActivityStreamsContentProperty()
	cp.AppendXMLSchemaString(contentMap[st.Language])
	v.SetActivityStreamsContent(cp)
	// go-fed v1.0.0 folds language maps into the property itself (giving
	// "content": ["...", {...}]), which Mastodon and its peers do not read:
	// they expect a plain "content" beside a "contentMap". So the maps are
	// extension properties of ours.
	ext := map[string]any{"sensitive": st.ContentWarning != "", "contentMap": contentMap}
	if kind == "Article" {
		names := map[string]string{}
		for _, ver := range vs {
			names[ver.lang] = ver.title
		}
		v.SetActivityStreamsName(nameProp(st.Title))
		ext["nameMap"] = names
	}
	// summary: the content warning when there is one (Mastodon shows it as
	// the warning in front of the text); otherwise an Article's lead.
	summaries := map[string]string{}
	for _, ver := range vs {
		switch {
		case ver.cw != "":
			summaries[ver.lang] = ver.cw
		case st.ContentWarning != "":
			summaries[ver.lang] = st.ContentWarning
		case kind == "Article" && ver.summary != "":
			summaries[ver.lang] = ver.summary
		}
	}
	if sum, ok := summaries[st.Language]; ok {
		v.SetActivityStreamsSummary(summaryProp(sum))
		if len(summaries) > 1 {
			ext["summaryMap"] = summaries
		}
	}

	rc := streams.NewActivityStreamsCollection()
	rc.SetJSONLDId(idProp(b.StatementReplies(a.Username, st.ID)))
	rc.SetActivityStreamsTotalItems(totalItemsProp(replies))
	first := streams.NewActivityStreamsFirstProperty()
	first.SetIRI(mustIRI(iri.Page(b.StatementReplies(a.Username, st.ID), 1)))
	rc.SetActivityStreamsFirst(first)
	rp := streams.NewActivityStreamsRepliesProperty()
	rp.SetActivityStreamsCollection(rc)
	v.SetActivityStreamsReplies(rp)

	// Hashtag is not a go-fed type, and a tag array mixes it with Mention:
	// the tag array is our own JSON.
	var tags []map[string]string
	for _, t := range st.Tags {
		tags = append(tags, map[string]string{"type": "Hashtag", "href": b.Tag(t.Name), "name": "#" + t.Display})
	}
	for _, m := range st.Mentions {
		tags = append(tags, map[string]string{"type": "Mention", "href": m.ActorIRI, "name": m.Handle})
	}
	if len(tags) > 0 {
		ext["tag"] = tags
	}
	extend(v, ext)
	return v
}
