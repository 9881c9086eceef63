package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
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
// the validators and the cache of the other feeds. The cached rendering is
// keyed on the feed's address and versioned with PartnerVersion, which
// moves with any partner post, profile or follow.
func (s *Server) partnersFeed(name string) echo.HandlerFunc {
	format := feedFormats[name]
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		si, err := s.site(ctx)
		if err != nil {
			return err
		}
		f := feeds.Feed{Title: s.ui.T("Partners") + " · " + si.Name,
			Description: s.ui.T("The organisations %s follows, and their latest posts.", si.Name),
			Link:        s.iri.Partners(), Self: s.iri.PartnersFeed(name)}
		pv, err := s.store.PartnerVersion(ctx)
		if err != nil {
			return err
		}
		version := pv + "|" + f.Title + "|" + f.Description
		e, ok := s.feeds.Get(f.Self)
		if !ok || e.Version != version {
			if e, err = s.renderPartnersFeed(ctx, f, format.render, format.ctype, version); err != nil {
				return err
			}
			s.feeds.Put(f.Self, e)
		}
		c.Response().Header().Set("Cache-Control", "public, max-age=300")
		return serveBody(c, e.ContentType, e.Body, e.ETag, e.Modified)
	}
}

func (s *Server) renderPartnersFeed(ctx context.Context, f feeds.Feed, render func(feeds.Feed, []feeds.Item) ([]byte, error),
	ctype, version string) (cache.Entry, error) {
	objs, err := s.store.PartnerPosts(ctx, "", nil, FeedSize)
	if err != nil {
		return cache.Entry{}, err
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
	f.Updated = modified
	body, err := render(f, items)
	if err != nil {
		return cache.Entry{}, err
	}
	return cache.Entry{Body: body, ContentType: ctype, ETag: etagOf(body), Modified: modified, Version: version}, nil
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
