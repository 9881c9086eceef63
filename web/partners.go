package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/federation/websub"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/web/cache"
	"github.com/tadamun/tadamun/web/feeds"
)

// The partner network as readers see it (issue 9): /partners lists the
// accounts our actors follow and their latest public posts, and
// /partners/feed.rss|atom|json carry the same posts.
//
// Nothing on these pages makes a reader's browser contact a partner's
// server: pictures are our own processed copies (LocalPath, under the media
// directory), a picture we hold no copy of is a link to the original post,
// and partners' avatars are not hot-linked but drawn as an initial. The
// page's Content-Security-Policy allows pictures from this node only, so a
// mistake here would show as a broken image rather than a request to the
// partner.

// partnerPageSize is how many posts /partners shows at a time.
const partnerPageSize = 40

// partnerCard is one partner in the list at the top of /partners.
type partnerCard struct {
	Name    string // display name, else the username
	Handle  string // @user@host
	URL     string // the profile on the partner's server
	Initial string // stands in for the avatar
}

// partnerPost is a partner's post as the page and the feeds show it.
type partnerPost struct {
	*storage.RemoteObject
	AuthorName   string
	AuthorHandle string
	AuthorURL    string
	Dir          string
	At           *time.Time                 // published, else first seen
	Original     string                     // the post's page on its server, else its id
	Images       []storage.RemoteAttachment // with a local copy
	Elsewhere    int                        // attachments shown only at the original
}

// partnerData is the content of /partners.
type partnerData struct {
	Partners []partnerCard
	Posts    []partnerPost
}

// partners serves /partners: the partners and their latest posts, newest
// first, paged by ?before= like the home page.
func (s *Server) partners(c echo.Context) error {
	ctx := c.Request().Context()
	var before *storage.Cursor
	if b := c.QueryParam(iri.BeforeParam); b != "" {
		cur, ok := parsePageCursor(b)
		if !ok {
			return echo.NewHTTPError(http.StatusBadRequest, "Bad page.")
		}
		before = cur
	}
	list, err := s.store.ListPartners(ctx)
	if err != nil {
		return err
	}
	objs, err := s.store.PartnerPosts(ctx, "", before, partnerPageSize)
	if err != nil {
		return err
	}
	d := &partnerData{}
	var modified time.Time
	for _, r := range list {
		d.Partners = append(d.Partners, partnerCard{Name: partnerName(r), Handle: r.Handle(), URL: partnerURL(r),
			Initial: initial(partnerName(r))})
		if r.UpdatedAt.After(modified) {
			modified = r.UpdatedAt
		}
	}
	for _, o := range objs {
		p := s.partnerPost(o)
		d.Posts = append(d.Posts, p)
		if o.UpdatedAt.After(modified) {
			modified = o.UpdatedAt
		}
	}
	older := ""
	if len(objs) == partnerPageSize {
		last := d.Posts[len(d.Posts)-1]
		older = iri.PartnersPath + "?" + iri.BeforeParam + "=" + strconv.FormatInt(last.At.UnixMicro(), 10) + "_" + last.ID
	}
	si, err := s.site(ctx)
	if err != nil {
		return err
	}
	ui := s.uiView(c).ui
	title := ui.T("Partners")
	return s.render(c, http.StatusOK, "partners", pageData{Title: title, Partners: d, Older: older, Modified: modified,
		Canonical: s.iri.Partners(), Description: ui.T("The organisations %s follows, and their latest posts.", si.Name),
		Alternates: s.feedAlternates(s.iri.PartnersFeed, title+" · "+si.Name), imagesSelfOnly: true})
}

// partnerPost prepares a stored post for the page and the feeds.
func (s *Server) partnerPost(o *storage.RemoteObject) partnerPost {
	at := o.CreatedAt
	if o.PublishedAt != nil {
		at = *o.PublishedAt
	}
	p := partnerPost{RemoteObject: o, Dir: content.Direction(o.Language), At: &at}
	switch {
	case webURL(o.URL):
		p.Original = o.URL
	case webURL(o.IRI):
		p.Original = o.IRI
	}
	if a := o.Author; a != nil {
		p.AuthorName, p.AuthorHandle, p.AuthorURL = partnerName(a), a.Handle(), partnerURL(a)
	}
	for _, m := range o.Attachments {
		if m.LocalPath != "" && safeMediaPath(m.LocalPath) {
			p.Images = append(p.Images, m)
		} else {
			p.Elsewhere++
		}
	}
	return p
}

// partnerName is how a partner is named: its display name, else its
// username.
func partnerName(r *storage.RemoteActor) string {
	if n := strings.TrimSpace(r.DisplayName); n != "" {
		return n
	}
	return r.Username
}

// partnerURL is the partner's profile page (its url), else its id.
func partnerURL(r *storage.RemoteActor) string {
	if webURL(r.URL) {
		return r.URL
	}
	if webURL(r.IRI) {
		return r.IRI
	}
	return ""
}

// webURL reports whether s is an http(s) address. Templates neutralise
// other schemes by themselves; feeds write addresses as text, so they take
// only these (federation keeps only these too: this is the second lock).
func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// initial is the first letter of a name, in upper case: the stand-in for a
// partner's avatar.
func initial(name string) string {
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return string(unicode.ToUpper(r))
		}
	}
	return "?"
}

// partnersFeed serves /partners/feed.rss|atom|json: the partners' latest
// posts, each attributed to its author and in its author's language, with
// the validators and the cache of the other feeds.
func (s *Server) partnersFeed(name string) echo.HandlerFunc {
	return func(c echo.Context) error {
		e, err := s.partnersFeedEntry(c.Request().Context(), name)
		if err != nil {
			return err
		}
		h := c.Response().Header()
		for k, v := range e.Header {
			h[k] = v[:len(v):len(v)] // an Add by anyone later copies rather than writes into the cached slice
		}
		return serveBody(c, e.ContentType, e.Body, e.ETag, e.Modified)
	}
}

// partnersFeedEntry is the partners' feed in the format called name, from
// the feed cache when current. The rendering is keyed on the feed's address
// and versioned with PartnerVersion, which moves with any partner post,
// profile or follow. Like the node's own feeds it is a WebSub topic: it
// names the hubs and itself, in the body and in Link headers, and the
// pushes to its subscribers send these bytes (websub.go, watchPartners).
func (s *Server) partnersFeedEntry(ctx context.Context, name string) (cache.Entry, error) {
	format := feedFormats[name]
	f, err := s.partnersFeedOf(ctx, name)
	if err != nil {
		return cache.Entry{}, err
	}
	pv, err := s.store.PartnerVersion(ctx)
	if err != nil {
		return cache.Entry{}, err
	}
	version := pv + "|" + f.Title + "|" + f.Description + "|" + strings.Join(f.Hubs, " ")
	if e, ok := s.feeds.Get(f.Self); ok && e.Version == version {
		return e, nil
	}
	items, modified, err := s.partnerItems(ctx)
	if err != nil {
		return cache.Entry{}, err
	}
	f.Updated = modified
	body, err := format.render(f, items)
	if err != nil {
		return cache.Entry{}, err
	}
	header := http.Header{"Cache-Control": feedHeader["Cache-Control"]}
	if len(f.Hubs) > 0 {
		// WebSub §4: discovery by Link headers as well as in the body.
		header["Link"] = []string{websub.LinkHeader(f.Hubs, f.Self)}
	}
	e := cache.Entry{Body: body, ContentType: format.ctype, ETag: etagOf(body), Modified: modified, Version: version,
		Header: header}
	s.feeds.Put(f.Self, e)
	return e, nil
}

// partnersFeedOf describes the partners' feed in the format called name.
func (s *Server) partnersFeedOf(ctx context.Context, name string) (feeds.Feed, error) {
	si, err := s.site(ctx)
	if err != nil {
		return feeds.Feed{}, err
	}
	return feeds.Feed{Title: s.ui.T("Partners") + " · " + si.Name,
		Description: s.ui.T("The organisations %s follows, and their latest posts.", si.Name),
		Link:        s.iri.Partners(), Self: s.iri.PartnersFeed(name), Hubs: s.websubHubs()}, nil
}

// partnersTopic reads a WebSub topic as one of the partners' feeds: the
// format's name, and whether raw is exactly such a feed's address.
func (s *Server) partnersTopic(raw string) (string, bool) {
	for name := range feedFormats {
		if raw == s.iri.PartnersFeed(name) {
			return name, true
		}
	}
	return "", false
}

// partnersFingerprint is a digest of what the partners' feed says, and its
// addresses in every format: the WebSub watch's view of it (websub.go). As
// for the own feeds (hub.fingerprint) it is taken from the Atom rendering
// without the feed's <updated> time, which a partner's profile refreshed
// with nothing new in it would move.
func (s *Server) partnersFingerprint(ctx context.Context) (string, []string, error) {
	f, err := s.partnersFeedOf(ctx, iri.FeedAtom)
	if err != nil {
		return "", nil, err
	}
	items, _, err := s.partnerItems(ctx)
	if err != nil {
		return "", nil, err
	}
	body, err := feeds.Atom(f, items)
	if err != nil {
		return "", nil, err
	}
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:]), []string{s.iri.PartnersFeed(iri.FeedRSS), s.iri.PartnersFeed(iri.FeedAtom),
		s.iri.PartnersFeed(iri.FeedJSON)}, nil
}

// partnerItems reads the partners' latest posts as feed items, and the
// newest change among them.
func (s *Server) partnerItems(ctx context.Context) ([]feeds.Item, time.Time, error) {
	objs, err := s.store.PartnerPosts(ctx, "", nil, FeedSize)
	if err != nil {
		return nil, time.Time{}, err
	}
	items := make([]feeds.Item, 0, len(objs))
	var modified time.Time
	for _, o := range objs {
		p := s.partnerPost(o)
		it := feeds.Item{
			ID:             o.IRI,
			Title:          partnerTitle(o),
			Link:           p.Original,
			ContentHTML:    p.feedHTML(s),
			ContentWarning: o.Summary,
			Language:       o.Language,
			Published:      *p.At,
			Updated:        *p.At,
			Author:         p.AuthorName,
			AuthorURL:      p.AuthorURL,
			Categories:     o.Tags,
		}
		if o.EditedAt != nil && o.EditedAt.After(*p.At) {
			it.Updated = *o.EditedAt
		}
		for _, m := range p.Images {
			it.Images = append(it.Images, feeds.Image{URL: s.iri.Media(m.LocalPath), Type: m.MediaType, Alt: m.Alt,
				Width: m.Width, Height: m.Height})
		}
		items = append(items, it)
		if o.UpdatedAt.After(modified) {
			modified = o.UpdatedAt
		}
		// Items carry their author's name: a renamed partner changes the
		// feed, and Last-Modified must move with it.
		if o.Author != nil && o.Author.UpdatedAt.After(modified) {
			modified = o.Author.UpdatedAt
		}
	}
	return items, modified, nil
}

// partnerTitleRunes bounds a feed title made from a post's text.
const partnerTitleRunes = 80

// partnerTitle is a feed item's title: the post's name (Articles have
// one), else its content warning (the title must not show what the warning
// hides), else the start of its text. Notes have no title, and readers list
// untitled items badly.
func partnerTitle(o *storage.RemoteObject) string {
	if t := strings.TrimSpace(o.Name); t != "" {
		return t
	}
	if o.Summary != "" {
		return o.Summary
	}
	t := strings.Join(strings.Fields(content.PlainText(o.ContentHTML)), " ")
	if r := []rune(t); len(r) > partnerTitleRunes {
		t = strings.TrimSpace(string(r[:partnerTitleRunes])) + "…"
	}
	return t
}

// feedHTML is a post's content for feeds: a line naming its author with
// their handle, the sanitized HTML, and a link to the original for media we
// hold no copy of.
//
// The handle is written here rather than in the item's author, which
// carries the name alone (with the profile as Atom's uri and JSON Feed's
// url): feed readers parse "text (text@host)" in an author as an e-mail
// address and a name, and a fediverse handle looks like one.
func (p partnerPost) feedHTML(s *Server) string {
	var b bytes.Buffer
	b.WriteString(`<p>`)
	if p.AuthorURL != "" {
		b.WriteString(`<a href="` + escapeAttr(p.AuthorURL) + `">` + escapeAttr(p.AuthorName) + `</a>`)
	} else {
		b.WriteString(escapeAttr(p.AuthorName))
	}
	b.WriteString(` <bdi>` + escapeAttr(p.AuthorHandle) + `</bdi></p>`)
	b.WriteString(p.ContentHTML)
	if p.Elsewhere > 0 && p.Original != "" {
		b.WriteString(`<p><a href="` + escapeAttr(p.Original) + `">` + escapeAttr(s.ui.T("Media at the original")) + `</a></p>`)
	}
	return b.String()
}

var attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")

func escapeAttr(s string) string { return attrEscaper.Replace(s) }
