package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/web/cache"
	"github.com/tadamun/tadamun/web/feeds"
)

// feedHeader is what every feed answer carries beyond its validators. Feed
// readers poll every few minutes.
var feedHeader = http.Header{"Cache-Control": {"public, max-age=300"}}

// FeedSize is how many statements a feed carries.
const FeedSize = 50

// feedFormats maps a feed file name to its renderer and content type.
var feedFormats = map[string]struct {
	render func(feeds.Feed, []feeds.Item) ([]byte, error)
	ctype  string
}{
	iri.FeedRSS:  {feeds.RSS, feeds.RSSType},
	iri.FeedAtom: {feeds.Atom, feeds.AtomType},
	iri.FeedJSON: {feeds.JSON, feeds.JSONType},
}

func (s *Server) feedRoutes() {
	e := s.echo
	for name := range feedFormats {
		e.GET("/"+name, s.feed(name, s.nodeFeed))
		e.GET(iri.ProfilePrefix+":username/"+name, s.feed(name, s.actorFeed))
		e.GET(iri.TagsPrefix+":tag/"+name, s.feed(name, s.tagFeed))
		e.GET("/:lang/"+name, s.feed(name, s.languageFeed))
		e.GET(iri.PartnersPath+"/"+name, s.document("partners-feed", s.partnersRoute, s.partnersFeed(name)))
	}
}

// feedSource picks a feed's description and query from the request, and
// sets Self to the feed's canonical address in the format called name. That
// address names the normalised selection (tag lower-cased and in NFC, actor,
// language, format), so it is also the feed's cache key: /tags/Iraq and
// /tags/IRAQ are one feed and one cache entry.
type feedSource func(c echo.Context, name string) (feeds.Feed, storage.StatementQuery, error)

func (s *Server) nodeFeed(c echo.Context, name string) (feeds.Feed, storage.StatementQuery, error) {
	si, err := s.site(c.Request().Context())
	if err != nil {
		return feeds.Feed{}, storage.StatementQuery{}, err
	}
	desc := si.Description
	if desc == "" {
		desc = "Statements published on " + s.iri.Host()
	}
	return feeds.Feed{Title: si.Name, Description: desc, Link: s.iri.Home(),
		Self: s.iri.NodeFeed(name)}, storage.StatementQuery{}, nil
}

func (s *Server) actorFeed(c echo.Context, name string) (feeds.Feed, storage.StatementQuery, error) {
	a, err := s.store.ActorByUsername(c.Request().Context(), c.Param("username"))
	if err != nil {
		return feeds.Feed{}, storage.StatementQuery{}, notFoundOr(err, "No such account.")
	}
	if a.IsInstance {
		return feeds.Feed{}, storage.StatementQuery{}, echo.NewHTTPError(http.StatusNotFound, "No such account.")
	}
	f := feeds.Feed{Title: a.DisplayName, Description: a.Summary, Link: s.iri.Profile(a.Username), Author: a.DisplayName,
		Self: s.iri.ActorFeed(a.Username, name)}
	if len(a.Languages) == 1 {
		f.Language = a.Languages[0]
	}
	if a.AvatarPath != "" {
		f.Icon = s.iri.Media(a.AvatarPath)
	}
	return f, storage.StatementQuery{ActorID: a.ID}, nil
}

func (s *Server) tagFeed(c echo.Context, name string) (feeds.Feed, storage.StatementQuery, error) {
	tag := content.NormalizeTag(c.Param("tag"))
	if tag == "" {
		return feeds.Feed{}, storage.StatementQuery{}, echo.NewHTTPError(http.StatusNotFound, "No such hashtag.")
	}
	si, err := s.site(c.Request().Context())
	if err != nil {
		return feeds.Feed{}, storage.StatementQuery{}, err
	}
	return feeds.Feed{Title: "#" + tag + " · " + si.Name, Description: "Statements tagged #" + tag, Link: s.iri.Tag(tag),
		Self: s.iri.TagFeed(tag, name)}, storage.StatementQuery{Tag: tag}, nil
}

func (s *Server) languageFeed(c echo.Context, name string) (feeds.Feed, storage.StatementQuery, error) {
	lang, err := content.NormalizeLanguage(c.Param("lang"))
	if err != nil || lang != c.Param("lang") {
		return feeds.Feed{}, storage.StatementQuery{}, echo.NewHTTPError(http.StatusNotFound, "Not found.")
	}
	si, err := s.site(c.Request().Context())
	if err != nil {
		return feeds.Feed{}, storage.StatementQuery{}, err
	}
	return feeds.Feed{Title: si.Name + " (" + lang + ")", Link: s.iri.Language(lang), Language: lang,
		Self: s.iri.LanguageFeed(lang, name)}, storage.StatementQuery{Language: lang}, nil
}

// feed serves one feed in one format, with validators and 304s.
//
// Rendered feeds are kept in a byte-bounded LRU cache under their canonical
// address. An entry records the version it was rendered from: how many
// statements the selection has, the newest change among them, and the
// newest change to any actor (items carry their actor's name, so a rename
// must reach every feed). Each request checks the version with three cheap
// queries; the statements are read and the feed rendered only when it
// moved, and the new rendering replaces the old one under the same key.
func (s *Server) feed(name string, source feedSource) echo.HandlerFunc {
	format := feedFormats[name]
	return func(c echo.Context) error {
		f, q, err := source(c, name)
		if err != nil {
			return err
		}
		q.VisibleAt, q.Limit = s.cfg.Now(), FeedSize
		ctx := c.Request().Context()
		// The version is read through the gate (respgate.go): requests
		// arriving together share one read, never one begun before them.
		stamp, err := s.gate.do(ctx, "feed:"+f.Self, func(ctx context.Context) (string, error) {
			count, modified, err := s.store.StatementsVersion(ctx, q)
			if err != nil {
				return "", err
			}
			actorsChanged, err := s.store.ActorsChanged(ctx)
			if err != nil {
				return "", err
			}
			newest := modified
			if actorsChanged.After(newest) {
				newest = actorsChanged
			}
			return strconv.Itoa(count) + "|" + modified.Format(time.RFC3339Nano) + "|" + actorsChanged.Format(time.RFC3339Nano) +
				"|" + newest.Format(time.RFC3339Nano), nil
		})
		if err != nil {
			return err
		}
		modified, err := time.Parse(time.RFC3339Nano, stamp[strings.LastIndexByte(stamp, '|')+1:])
		if err != nil {
			return err
		}
		// The feed's own title and description (node settings) are part of
		// the version, so a renamed site reaches the cached feeds too.
		version := stamp + "|" + f.Title + "|" + f.Description + "|" + f.Language
		e, ok := s.feeds.Get(f.Self)
		if !ok || e.Version != version {
			list, err := s.store.ListStatements(ctx, q)
			if err != nil {
				return err
			}
			f.Updated = modified
			items := make([]feeds.Item, 0, len(list))
			names := map[string]string{} // actor id: name, read once per rendering
			for _, st := range list {
				it, err := s.feedItem(ctx, st, names)
				if err != nil {
					return err
				}
				items = append(items, it)
			}
			body, err := format.render(f, items)
			if err != nil {
				return err
			}
			// Compressed once here, served many times (respcache.go).
			e = cache.Entry{Body: body, ContentType: format.ctype, ETag: etagOf(body), Modified: modified, Version: version,
				Gzip: gzipped(body), Header: feedHeader}
			s.feeds.Put(f.Self, e)
		}
		return serveEntry(c, e, "Accept-Encoding")
	}
}

func (s *Server) feedItem(ctx context.Context, st *storage.Statement, names map[string]string) (feeds.Item, error) {
	author, ok := names[st.ActorID]
	if !ok {
		var err error
		if author, err = s.displayName(ctx, st.ActorID, st.ActorUsername); err != nil {
			return feeds.Item{}, err
		}
		names[st.ActorID] = author
	}
	it := feeds.Item{
		ID:             s.iri.Statement(st.ActorUsername, st.ID),
		Title:          st.Title,
		Link:           s.iri.StatementPage(st.ActorUsername, st.Slug, ""),
		Summary:        st.Summary,
		ContentHTML:    st.BodyHTML,
		ContentWarning: st.ContentWarning,
		Language:       st.Language,
		Published:      *st.PublishedAt,
		Updated:        *st.PublishedAt,
		Author:         author,
	}
	if st.EditedAt != nil {
		it.Updated = *st.EditedAt
	}
	for _, t := range st.Tags {
		it.Categories = append(it.Categories, strings.TrimPrefix(t.Display, "#"))
	}
	for _, m := range st.Media {
		it.Images = append(it.Images, feeds.Image{URL: s.iri.Media(m.Path), Type: m.MediaType, Alt: m.AltText,
			Width: m.Width, Height: m.Height})
	}
	return it, nil
}

// displayName is an actor's name for feeds (read when a feed is rendered,
// which the feed cache makes rare).
func (s *Server) displayName(ctx context.Context, actorID, fallback string) (string, error) {
	a, err := s.store.ActorByID(ctx, actorID)
	if err != nil {
		return "", fmt.Errorf("web: feed author: %w", err)
	}
	if a.DisplayName == "" {
		return fallback, nil
	}
	return a.DisplayName, nil
}
