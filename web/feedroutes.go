package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/web/feeds"
)

// FeedSize is how many statements a feed carries.
const FeedSize = 50

// feedFormats maps a feed file name to its renderer and content type.
var feedFormats = map[string]struct {
	render func(feeds.Feed, []feeds.Item) ([]byte, error)
	ctype  string
}{
	"feed.rss":  {feeds.RSS, feeds.RSSType},
	"feed.atom": {feeds.Atom, feeds.AtomType},
	"feed.json": {feeds.JSON, feeds.JSONType},
}

func (s *Server) feedRoutes() {
	e := s.echo
	for name := range feedFormats {
		e.GET("/"+name, s.feed(name, s.nodeFeed))
		e.GET(iri.ProfilePrefix+":username/"+name, s.feed(name, s.actorFeed))
		e.GET(iri.TagsPrefix+":tag/"+name, s.feed(name, s.tagFeed))
		e.GET("/:lang/"+name, s.feed(name, s.languageFeed))
	}
}

// feedSource picks a feed's description and query from the request.
type feedSource func(c echo.Context) (feeds.Feed, storage.StatementQuery, error)

func (s *Server) nodeFeed(c echo.Context) (feeds.Feed, storage.StatementQuery, error) {
	return feeds.Feed{Title: s.iri.Host(), Description: "Statements published on " + s.iri.Host(), Link: s.iri.Base() + "/"},
		storage.StatementQuery{}, nil
}

func (s *Server) actorFeed(c echo.Context) (feeds.Feed, storage.StatementQuery, error) {
	a, err := s.store.ActorByUsername(c.Request().Context(), c.Param("username"))
	if err != nil || a.IsInstance {
		return feeds.Feed{}, storage.StatementQuery{}, echo.NewHTTPError(http.StatusNotFound, "No such account.").SetInternal(err)
	}
	f := feeds.Feed{Title: a.DisplayName, Description: a.Summary, Link: s.iri.Profile(a.Username), Author: a.DisplayName}
	if len(a.Languages) == 1 {
		f.Language = a.Languages[0]
	}
	if a.AvatarPath != "" {
		f.Icon = s.iri.Media(a.AvatarPath)
	}
	return f, storage.StatementQuery{ActorID: a.ID}, nil
}

func (s *Server) tagFeed(c echo.Context) (feeds.Feed, storage.StatementQuery, error) {
	tag := content.NormalizeTag(c.Param("tag"))
	if tag == "" {
		return feeds.Feed{}, storage.StatementQuery{}, echo.NewHTTPError(http.StatusNotFound, "No such hashtag.")
	}
	return feeds.Feed{Title: "#" + tag + " · " + s.iri.Host(), Description: "Statements tagged #" + tag, Link: s.iri.Tag(tag)},
		storage.StatementQuery{Tag: tag}, nil
}

func (s *Server) languageFeed(c echo.Context) (feeds.Feed, storage.StatementQuery, error) {
	lang, err := content.NormalizeLanguage(c.Param("lang"))
	if err != nil || lang != c.Param("lang") {
		return feeds.Feed{}, storage.StatementQuery{}, echo.NewHTTPError(http.StatusNotFound, "Not found.")
	}
	return feeds.Feed{Title: s.iri.Host() + " (" + lang + ")", Link: s.iri.Base() + "/" + lang, Language: lang},
		storage.StatementQuery{Language: lang}, nil
}

// feedCache keeps rendered feeds while nothing in them changed: the key is
// the feed's address and the newest change among its statements.
type feedCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (fc *feedCache) get(key string) ([]byte, bool) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	b, ok := fc.m[key]
	return b, ok
}

func (fc *feedCache) put(key string, b []byte) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if fc.m == nil || len(fc.m) > 1000 {
		fc.m = map[string][]byte{}
	}
	fc.m[key] = b
}

// feed serves one feed in one format, with validators and 304s.
func (s *Server) feed(name string, source feedSource) echo.HandlerFunc {
	format := feedFormats[name]
	return func(c echo.Context) error {
		f, q, err := source(c)
		if err != nil {
			return err
		}
		q.VisibleAt, q.Limit = s.cfg.Now(), FeedSize
		ctx := c.Request().Context()
		// The cache is checked with two cheap queries; the statements are
		// read and the feed rendered only when something changed.
		count, modified, err := s.store.StatementsVersion(ctx, q)
		if err != nil {
			return err
		}
		key := c.Request().URL.Path + "|" + modified.Format(time.RFC3339Nano) + "|" + strconv.Itoa(count)
		body, ok := s.feeds.get(key)
		if !ok {
			list, err := s.store.ListStatements(ctx, q)
			if err != nil {
				return err
			}
			f.Self = s.iri.Base() + c.Request().URL.Path
			f.Updated = modified
			items := make([]feeds.Item, 0, len(list))
			for _, st := range list {
				items = append(items, s.feedItem(ctx, st))
			}
			if body, err = format.render(f, items); err != nil {
				return err
			}
			s.feeds.put(key, body)
		}
		c.Response().Header().Set("Cache-Control", "public, max-age=300")
		return serveCached(c, format.ctype, body, modified)
	}
}

func (s *Server) feedItem(ctx context.Context, st *storage.Statement) feeds.Item {
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
		Author:         s.displayName(ctx, st.ActorID, st.ActorUsername),
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
	return it
}

// displayName is an actor's name for feeds (read when a feed is rendered,
// which the feed cache makes rare).
func (s *Server) displayName(ctx context.Context, actorID, fallback string) string {
	if a, err := s.store.ActorByID(ctx, actorID); err == nil && a.DisplayName != "" {
		return a.DisplayName
	}
	return fallback
}
