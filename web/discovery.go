package web

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// feedAlternates are the <link rel=alternate> of a page's feeds; feed is
// the iri builder of that page's feed for a file name (iri.Builder.NodeFeed,
// ActorFeed, TagFeed or LanguageFeed, bound to the page).
func (s *Server) feedAlternates(feed func(name string) string, title string) []alternate {
	return []alternate{
		{Type: "application/rss+xml", Href: feed(iri.FeedRSS), Title: title + " (RSS)"},
		{Type: "application/atom+xml", Href: feed(iri.FeedAtom), Title: title + " (Atom)"},
		{Type: "application/feed+json", Href: feed(iri.FeedJSON), Title: title + " (JSON Feed)"},
	}
}

// newest is when the newest of the statements changed, for Last-Modified.
func newest(list []*storage.Statement) time.Time {
	var t time.Time
	for _, st := range list {
		if st.UpdatedAt.After(t) {
			t = st.UpdatedAt
		}
	}
	return t
}

// tagPage lists the visible statements with a hashtag.
func (s *Server) tagPage(c echo.Context) error {
	tag := content.NormalizeTag(c.Param("tag"))
	if tag == "" {
		return echo.NewHTTPError(http.StatusNotFound, "No such hashtag.")
	}
	list, err := s.store.ListStatements(c.Request().Context(), storage.StatementQuery{VisibleAt: s.cfg.Now(), Tag: tag, Limit: 50})
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "list", pageData{Title: "#" + tag, Lang: "", Statements: list, Tag: tag,
		Canonical: s.iri.Tag(tag), Modified: newest(list),
		Alternates: s.feedAlternates(func(n string) string { return s.iri.TagFeed(tag, n) }, "#"+tag)})
}

// languagePage lists the visible statements written in, or translated
// into, a language: /ar, /ckb, /en.
func (s *Server) languagePage(c echo.Context) error {
	lang, err := content.NormalizeLanguage(c.Param("lang"))
	if err != nil || lang != c.Param("lang") {
		return echo.NewHTTPError(http.StatusNotFound, "Not found.")
	}
	list, err := s.store.ListStatements(c.Request().Context(), storage.StatementQuery{VisibleAt: s.cfg.Now(), Language: lang, Limit: 50})
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "list", pageData{Title: lang, Lang: lang, Statements: list,
		Canonical: s.iri.Language(lang), Modified: newest(list),
		Alternates: s.feedAlternates(func(n string) string { return s.iri.LanguageFeed(lang, n) }, lang)})
}

// robots allows everything and points at the sitemap.
func (s *Server) robots(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=86400")
	return c.String(http.StatusOK, "User-agent: *\nAllow: /\nDisallow: "+iri.SharedInbox+"\n\nSitemap: "+s.iri.Sitemap()+"\n")
}

func (s *Server) favicon(c echo.Context) error {
	return c.Redirect(http.StatusMovedPermanently, "/static/favicon.svg")
}

// sitemap lists the public pages: home, actors, and every visible statement
// with its translations as alternates (sitemaps.org, with xhtml:link).
func (s *Server) sitemap(c echo.Context) error {
	ctx := c.Request().Context()
	type link struct {
		Rel      string `xml:"rel,attr"`
		Hreflang string `xml:"hreflang,attr"`
		Href     string `xml:"href,attr"`
	}
	type url struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod,omitempty"`
		Links   []link `xml:"xhtml:link"`
	}
	doc := struct {
		XMLName xml.Name `xml:"urlset"`
		NS      string   `xml:"xmlns,attr"`
		XHTML   string   `xml:"xmlns:xhtml,attr"`
		URLs    []url    `xml:"url"`
	}{NS: "http://www.sitemaps.org/schemas/sitemap/0.9", XHTML: "http://www.w3.org/1999/xhtml"}
	doc.URLs = append(doc.URLs, url{Loc: s.iri.Home()}, url{Loc: s.iri.Partners()})
	actors, err := s.store.ListActors(ctx)
	if err != nil {
		return err
	}
	for _, a := range actors {
		doc.URLs = append(doc.URLs, url{Loc: s.iri.Profile(a.Username)})
	}
	var modified time.Time
	q := storage.StatementQuery{VisibleAt: s.cfg.Now(), Limit: 200}
	for n := 0; n < 50000; {
		list, err := s.store.ListStatements(ctx, q)
		if err != nil {
			return err
		}
		for _, st := range list {
			u := url{Loc: s.iri.StatementPage(st.ActorUsername, st.Slug, ""), LastMod: st.UpdatedAt.UTC().Format(time.RFC3339)}
			if len(st.Translations) > 0 {
				u.Links = append(u.Links, link{Rel: "alternate", Hreflang: st.Language, Href: u.Loc})
				for _, tr := range st.Translations {
					u.Links = append(u.Links, link{Rel: "alternate", Hreflang: tr.Language,
						Href: s.iri.StatementPage(st.ActorUsername, st.Slug, tr.Language)})
				}
			}
			doc.URLs = append(doc.URLs, u)
			if st.UpdatedAt.After(modified) {
				modified = st.UpdatedAt
			}
		}
		n += len(list)
		if len(list) < q.Limit {
			break
		}
		last := list[len(list)-1]
		q.Before = &storage.Cursor{PublishedAt: *last.PublishedAt, ID: last.ID}
	}
	out, err := xml.Marshal(doc)
	if err != nil {
		return err
	}
	return serveCached(c, "application/xml; charset=utf-8", append([]byte(xml.Header), out...), modified)
}

// maxQuery is the longest search, in characters (not bytes: an Arabic or
// Kurdish letter takes two bytes, and must not halve the limit).
const maxQuery = 200

// search finds statements by words in any of their languages, a page of
// pageSize at a time (?page=N).
func (s *Server) search(c echo.Context) error {
	raw := c.QueryParam("q")
	// PostgreSQL cannot hold NUL in text and either database would fail on
	// invalid UTF-8: such a query is the reader's mistake, not an outage.
	if !utf8.ValidString(raw) || strings.IndexFunc(raw, func(r rune) bool {
		return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
	}) >= 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "The search must be plain text.")
	}
	q := strings.TrimSpace(raw)
	if utf8.RuneCountInString(q) > maxQuery {
		return httpErrorf(http.StatusBadRequest, "The search is too long: at most %d characters.", maxQuery)
	}
	page, err := parsePage(c.QueryParam("page"))
	if err != nil {
		return err
	}
	var list []*storage.Statement
	if q != "" {
		if list, err = s.store.SearchStatements(c.Request().Context(), q, s.cfg.Now(), pageSize, (page-1)*pageSize); err != nil {
			return err
		}
	}
	next := ""
	if len(list) == pageSize && page < maxPage {
		next = "/search?" + url.Values{"q": {q}, "page": {strconv.Itoa(page + 1)}}.Encode()
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, "search", pageData{Title: s.ui.T("Search"), Query: q, Statements: list, Older: next})
}
