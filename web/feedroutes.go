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
	"github.com/tadamun/tadamun/federation/websub"
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
		e.GET("/"+name, s.feed(name, func(echo.Context) selection { return selection{kind: selNode} }))
		e.GET(iri.ProfilePrefix+":username/"+name, s.feed(name, func(c echo.Context) selection {
			return selection{kind: selActor, arg: c.Param("username")}
		}))
		e.GET(iri.TagsPrefix+":tag/"+name, s.feed(name, func(c echo.Context) selection {
			return selection{kind: selTag, arg: c.Param("tag")}
		}))
		e.GET("/:lang/"+name, s.feed(name, func(c echo.Context) selection {
			return selection{kind: selLang, arg: c.Param("lang")}
		}))
		e.GET(iri.PartnersPath+"/"+name, s.document("partners-feed", s.partnersRoute, s.partnersFeed(name)))
	}
}

// selection is which statements a feed carries, whatever its format: the
// node's, an actor's, a tag's or a language's. Feeds of one selection in
// the three formats carry the same content, so WebSub watches selections
// and pushes each of their formats.
type selection struct {
	kind string // one of the sel constants
	arg  string // username, tag or language as requested; "" for the node
}

// Kinds of selection.
const (
	selNode  = "node"
	selActor = "actor"
	selTag   = "tag"
	selLang  = "lang"
)

// key names the selection in websub_topics: "node", "actor:NAME", ...
func (sel selection) key() string {
	if sel.kind == selNode {
		return selNode
	}
	return sel.kind + ":" + sel.arg
}

// parseSelection reads a key back.
func parseSelection(key string) (selection, bool) {
	if key == selNode {
		return selection{kind: selNode}, true
	}
	kind, arg, ok := strings.Cut(key, ":")
	if !ok || arg == "" || kind != selActor && kind != selTag && kind != selLang {
		return selection{}, false
	}
	return selection{kind: kind, arg: arg}, true
}

// feedOf describes a selection's feed in the format called name and gives
// its query. Its Self is the feed's canonical address: it names the
// normalised selection (tag lower-cased and in NFC, actor, language,
// format), so it is also the feed's cache key and its WebSub topic:
// /tags/Iraq and /tags/IRAQ are one feed and one cache entry.
func (s *Server) feedOf(ctx context.Context, sel selection, name string) (feeds.Feed, storage.StatementQuery, error) {
	var f feeds.Feed
	var q storage.StatementQuery
	var err error
	switch sel.kind {
	case selNode:
		f, q, err = s.nodeFeed(ctx, name)
	case selActor:
		f, q, err = s.actorFeed(ctx, sel.arg, name)
	case selTag:
		f, q, err = s.tagFeed(ctx, sel.arg, name)
	case selLang:
		f, q, err = s.languageFeed(ctx, sel.arg, name)
	default:
		err = echo.NewHTTPError(http.StatusNotFound, "Not found.")
	}
	f.Hubs = s.websubHubs()
	return f, q, err
}

func (s *Server) nodeFeed(ctx context.Context, name string) (feeds.Feed, storage.StatementQuery, error) {
	si, err := s.site(ctx)
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

func (s *Server) actorFeed(ctx context.Context, username, name string) (feeds.Feed, storage.StatementQuery, error) {
	a, err := s.store.ActorByUsername(ctx, username)
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

func (s *Server) tagFeed(ctx context.Context, tag, name string) (feeds.Feed, storage.StatementQuery, error) {
	tag = content.NormalizeTag(tag)
	if tag == "" {
		return feeds.Feed{}, storage.StatementQuery{}, echo.NewHTTPError(http.StatusNotFound, "No such hashtag.")
	}
	si, err := s.site(ctx)
	if err != nil {
		return feeds.Feed{}, storage.StatementQuery{}, err
	}
	return feeds.Feed{Title: "#" + tag + " · " + si.Name, Description: "Statements tagged #" + tag, Link: s.iri.Tag(tag),
		Self: s.iri.TagFeed(tag, name)}, storage.StatementQuery{Tag: tag}, nil
}

func (s *Server) languageFeed(ctx context.Context, param, name string) (feeds.Feed, storage.StatementQuery, error) {
	lang, err := content.NormalizeLanguage(param)
	if err != nil || lang != param {
		return feeds.Feed{}, storage.StatementQuery{}, echo.NewHTTPError(http.StatusNotFound, "Not found.")
	}
	si, err := s.site(ctx)
	if err != nil {
		return feeds.Feed{}, storage.StatementQuery{}, err
	}
	return feeds.Feed{Title: si.Name + " (" + lang + ")", Link: s.iri.Language(lang), Language: lang,
		Self: s.iri.LanguageFeed(lang, name)}, storage.StatementQuery{Language: lang}, nil
}

// feed serves one feed in one format, with validators and 304s.
func (s *Server) feed(name string, pick func(echo.Context) selection) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		f, q, err := s.feedOf(ctx, pick(c), name)
		if err != nil {
			return err
		}
		e, err := s.feedEntry(ctx, f, q, name)
		if err != nil {
			return err
		}
		return serveEntry(c, e, "Accept-Encoding")
	}
}

// feedEntry is the rendered feed f of query q in the format called name,
// from the cache when it is current. The WebSub pushes send the same
// bytes (websub.go).
//
// Rendered feeds are kept in a byte-bounded LRU cache under their canonical
// address. An entry records the version it was rendered from: how many
// statements the selection has, the newest change among them, and the
// newest change to any actor (items carry their actor's name, so a rename
// must reach every feed). Each request checks the version with three cheap
// queries; the statements are read and the feed rendered only when it
// moved, and the new rendering replaces the old one under the same key.
func (s *Server) feedEntry(ctx context.Context, f feeds.Feed, q storage.StatementQuery, name string) (cache.Entry, error) {
	format := feedFormats[name]
	q.VisibleAt, q.Limit = s.cfg.Now(), FeedSize
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
		return cache.Entry{}, err
	}
	modified, err := time.Parse(time.RFC3339Nano, stamp[strings.LastIndexByte(stamp, '|')+1:])
	if err != nil {
		return cache.Entry{}, err
	}
	// The feed's own title and description (node settings) are part of
	// the version, so a renamed site reaches the cached feeds too; so are
	// its hubs, which the configuration may change.
	version := stamp + "|" + f.Title + "|" + f.Description + "|" + f.Language + "|" + strings.Join(f.Hubs, " ")
	e, ok := s.feeds.Get(f.Self)
	if ok && e.Version == version {
		return e, nil
	}
	items, err := s.feedItems(ctx, q)
	if err != nil {
		return cache.Entry{}, err
	}
	f.Updated = modified
	body, err := format.render(f, items)
	if err != nil {
		return cache.Entry{}, err
	}
	header := feedHeader
	if len(f.Hubs) > 0 {
		// WebSub §4: discovery by Link headers as well as in the body.
		header = http.Header{"Cache-Control": feedHeader["Cache-Control"], "Link": {websub.LinkHeader(f.Hubs, f.Self)}}
	}
	e = cache.Entry{Body: body, ContentType: format.ctype, ETag: etagOf(body), Modified: modified, Version: version, Header: header}
	// A feed with nothing in it (any well-formed tag or language has one)
	// is cheap to render and is not kept: otherwise anyone could fill the
	// cache with empty feeds of made-up tags and push the real ones out.
	if len(items) == 0 {
		return e, nil
	}
	// Compressed once here, served many times (respcache.go).
	e.Gzip, e.Brotli = gzipped(body), brotlied(body)
	s.feeds.Put(f.Self, e)
	return e, nil
}

// feedItems reads and converts the statements of q.
func (s *Server) feedItems(ctx context.Context, q storage.StatementQuery) ([]feeds.Item, error) {
	list, err := s.store.ListStatements(ctx, q)
	if err != nil {
		return nil, err
	}
	items := make([]feeds.Item, 0, len(list))
	names := map[string]string{} // actor id: name, read once per rendering
	for _, st := range list {
		it, err := s.feedItem(ctx, st, names)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
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
