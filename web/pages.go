package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/web/i18n"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageData is what every page template receives.
type pageData struct {
	Title       string
	SiteName    string // the node's name (node settings), or the domain
	SiteLang    string // the language of the node's name, if set
	Lang        string
	Dir         string
	Host        string
	Version     string
	Statements  []*storage.Statement
	Statement   *storage.Statement
	View        *statementView
	Actor       *storage.Actor
	Error       *errorPage
	Replies     []*storage.RemoteObject
	Counts      storage.Counts
	FormError   string
	Handle      string
	Query       string
	SummaryLang string
	Older       string
	Languages   []langLink
	Followers   int
	Partners    *partnerData

	// The interface language picker: the shipped languages and the page
	// to come back to once one is chosen.
	Picker []pickerLink
	Back   string

	// Head metadata: canonical address, description for previews,
	// alternate representations (feeds, ActivityStreams JSON), the
	// fediverse account credited, and when the content last changed.
	Canonical   string
	Description string
	OGType      string
	Image       string
	Creator     string
	Alternates  []alternate
	Modified    time.Time
	Tag         string

	// imagesSelfOnly narrows the page's Content-Security-Policy to pictures
	// from this node: pages showing partners' posts, which must never make a
	// reader's browser fetch from the partner's server.
	imagesSelfOnly bool
}

type alternate struct {
	Type, Href, Title, Lang string
}

type errorPage struct {
	Code      int
	Message   string
	RequestID string
}

// statementView is a statement shown in one of its languages.
type statementView struct {
	Lang, Dir, Title, Summary, ContentWarning string
	Body                                      template.HTML // sanitized when stored
	Languages                                 []langLink
}

type langLink struct {
	Lang, Dir, URL, Name string
	Current              bool
}

// languageName is a language's name in itself ("العربية", "کوردی"), for
// language menus; the code when it has none.
func languageName(lang string) string {
	tag, err := language.Parse(lang)
	if err != nil {
		return lang
	}
	if n := display.Self.Name(tag); n != "" {
		return n
	}
	return lang
}

var funcs = template.FuncMap{
	// safeRemote marks remote HTML as safe for the template: it was
	// sanitized (content.SanitizeRemote) before it was stored.
	"safeRemote": func(h string) template.HTML { return template.HTML(h) },
	"dir":        content.Direction,
	"iso":        func(t *time.Time) string { return t.UTC().Format(time.RFC3339) },
	// Links within the site, as paths built by iri like every address.
	"profilePath":   iri.ProfilePath,
	"followPath":    iri.RemoteFollowPath,
	"statementPath": func(username, slug string) string { return iri.StatementPath(username, slug, "") },
	"tagPath":       iri.TagPath,
	"mediaPath":     iri.MediaPath,
	"partnersPath":  func() string { return iri.PartnersPath },
}

// parseTemplates reads each page template together with the layout, with
// the interface words of u: "t" translates, "uiLang" and "uiDir" mark the
// elements that hold interface words, "date" and "num" write days and
// numbers in the interface language's manner and numerals.
func parseTemplates(u *i18n.UI) (map[string]*template.Template, error) {
	fm := template.FuncMap{"t": u.T, "uiLang": u.Lang, "uiDir": u.Dir, "num": u.Number,
		"date": func(t *time.Time) string { return u.Date(*t) }}
	for k, v := range funcs {
		fm[k] = v
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "partials" {
			continue
		}
		t, err := template.New("layout.html").Funcs(fm).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: parse template %s: %w", n, err)
		}
		out[base] = t
	}
	return out, nil
}

// render executes a page into a buffer first, so a template error becomes a
// clean 500 instead of half a page.
//
// The page is in the request's interface language (language.go): its
// template set, and <html lang dir>. What the page shows of statements and
// replies carries its own lang and dir.
func (s *Server) render(c echo.Context, code int, page string, d pageData) error {
	v := s.uiView(c)
	t, ok := v.pages[page]
	if !ok {
		return fmt.Errorf("web: no template %q", page)
	}
	d.Host = s.iri.Host()
	d.Version = s.cfg.Version
	si, err := s.site(c.Request().Context())
	if err != nil {
		// Error pages are rendered here too, often because the database is
		// unwell: show the domain rather than fail a second time.
		s.log.WarnContext(c.Request().Context(), "node settings unavailable", slog.Any("error", err))
		si = site{Name: s.iri.Host()}
	}
	d.SiteName, d.SiteLang = si.Name, si.Language
	d.Lang, d.Dir = v.ui.Lang(), v.ui.Dir()
	d.Picker, d.Back = s.langs.pickers[d.Lang], c.Request().URL.RequestURI()
	if d.Canonical == "" {
		d.Canonical = s.iri.Base() + c.Request().URL.Path
	}
	if d.OGType == "" {
		d.OGType = "website"
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	h := c.Response().Header()
	formTargets := "'self' https:"
	if s.iri.Scheme() == "http" {
		formTargets += " http:" // a local test network: readers' servers are plain HTTP too
	}
	imgs := "'self' https: data:"
	if d.imagesSelfOnly {
		imgs = "'self' data:"
	}
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src "+imgs+"; form-action "+
		formTargets+"; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	if code != http.StatusOK {
		return c.HTMLBlob(code, buf.Bytes())
	}
	return serveCached(c, "text/html; charset=utf-8", buf.Bytes(), d.Modified)
}

// serveCached answers a GET with validators: a strong ETag from the bytes
// and Last-Modified when the content's time is known; a conditional request
// that matches gets 304 with no body. Pages and feeds go through it.
func serveCached(c echo.Context, contentType string, body []byte, modified time.Time) error {
	return serveBody(c, contentType, body, etagOf(body), modified)
}

// etagOf is the strong validator of a response body.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// serveBody is serveCached with the ETag already known (kept with a cached
// body, so it is not hashed again on every request).
func serveBody(c echo.Context, contentType string, body []byte, etag string, modified time.Time) error {
	h := c.Response().Header()
	h.Set("ETag", etag)
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "public, max-age=60")
	}
	if !modified.IsZero() {
		h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	}
	if notModified(c.Request(), etag, modified) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, contentType, body)
}

// notModified applies RFC 9110 §13.2.2: If-None-Match wins over
// If-Modified-Since.
func notModified(r *http.Request, etag string, modified time.Time) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == etag || t == "*" {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && !modified.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !modified.UTC().Truncate(time.Second).After(t) {
			return true
		}
	}
	return false
}

func (s *Server) static(c echo.Context) error {
	p := "static/" + strings.TrimPrefix(c.Param("*"), "/")
	b, err := staticFS.ReadFile(p)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such file.")
	}
	ct := "application/octet-stream"
	switch {
	case strings.HasSuffix(p, ".css"):
		ct = "text/css; charset=utf-8"
	case strings.HasSuffix(p, ".svg"):
		ct = "image/svg+xml"
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, ct, b)
}

// home lists the latest visible statements of every actor.
func (s *Server) home(c echo.Context) error {
	q := storage.StatementQuery{VisibleAt: s.cfg.Now(), Limit: pageSize}
	if b := c.QueryParam("before"); b != "" {
		cur, ok := parsePageCursor(b)
		if !ok {
			return echo.NewHTTPError(http.StatusBadRequest, "Bad page.")
		}
		q.Before = cur
	}
	list, err := s.store.ListStatements(c.Request().Context(), q)
	if err != nil {
		return err
	}
	langs, err := s.store.Languages(c.Request().Context(), s.cfg.Now())
	if err != nil {
		return err
	}
	var links []langLink
	for _, l := range langs {
		links = append(links, langLink{Lang: l, Dir: content.Direction(l), URL: iri.LanguagePath(l), Name: languageName(l)})
	}
	si, err := s.site(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "home", pageData{Title: si.Name, Description: si.Description, Statements: list,
		Modified: newest(list), Canonical: s.iri.Home(), Alternates: s.feedAlternates(s.iri.NodeFeed, si.Name),
		Older: olderLink("/", list), Languages: links})
}

// pageSize is how many statements a list page shows.
const pageSize = 20

// maxPage is the highest page number served. Numbered pages are an OFFSET
// in SQL; a bound keeps the multiplication from overflowing and the
// database from skipping millions of rows for one anonymous request.
const maxPage = 10000

// parsePage reads a ?page= number: absent is 1; anything but a whole
// number from 1 to maxPage is a bad request.
func parsePage(v string) (int, error) {
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPage {
		return 0, httpErrorf(http.StatusBadRequest, "Bad page number: pages are 1 to %d.", maxPage)
	}
	return n, nil
}

// olderLink is the address of the next page of a list, "" when this page is
// the last.
func olderLink(path string, list []*storage.Statement) string {
	if len(list) < pageSize {
		return ""
	}
	last := list[len(list)-1]
	return path + "?before=" + strconv.FormatInt(last.PublishedAt.UnixMicro(), 10) + "_" + last.ID
}

func parsePageCursor(s string) (*storage.Cursor, bool) {
	us, id, ok := strings.Cut(s, "_")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || !storage.ValidID(id) {
		return nil, false
	}
	return &storage.Cursor{PublishedAt: time.UnixMicro(n).UTC(), ID: id}, true
}

// profile shows an actor and its latest statements.
func (s *Server) profile(c echo.Context) error {
	if negotiate(c) {
		return s.actorJSON(c)
	}
	ctx := c.Request().Context()
	a, err := s.store.ActorByUsername(ctx, c.Param("username"))
	if err != nil {
		return notFoundOr(err, "No such account on this node.")
	}
	if a.IsInstance {
		return echo.NewHTTPError(http.StatusNotFound, "No such account on this node.")
	}
	list, err := s.store.ListStatements(ctx, storage.StatementQuery{VisibleAt: s.cfg.Now(), ActorID: a.ID, Limit: 50})
	if err != nil {
		return err
	}
	// Pinned statements first, each group newest first.
	sort.SliceStable(list, func(i, j int) bool { return list[i].Pinned && !list[j].Pinned })
	followers, err := s.store.CountFollowers(ctx, a.ID)
	if err != nil {
		return err
	}
	// The page's own words are English; the actor's summary is marked with
	// the actor's first language so that it reads in its own direction.
	summaryLang := ""
	if len(a.Languages) > 0 {
		summaryLang = a.Languages[0]
	}
	handle := "@" + a.Username + "@" + s.iri.Host()
	alts := append(s.feedAlternates(func(n string) string { return s.iri.ActorFeed(a.Username, n) }, a.DisplayName),
		alternate{Type: "application/activity+json", Href: s.iri.Actor(a.Username)})
	modified := newest(list)
	if a.UpdatedAt.After(modified) {
		modified = a.UpdatedAt
	}
	return s.render(c, http.StatusOK, "profile", pageData{Title: a.DisplayName, SummaryLang: summaryLang, Actor: a, Statements: list,
		Handle: handle, Creator: handle, OGType: "profile", Canonical: s.iri.Profile(a.Username),
		Description: a.Summary, Alternates: alts, Modified: modified, Followers: followers})
}

// remoteFollow takes a reader's address (you@your.server) from the profile's
// form and sends them to their own server's follow page for this actor.
func (s *Server) remoteFollow(c echo.Context) error {
	ctx := c.Request().Context()
	a, err := s.store.ActorByUsername(ctx, c.Param("username"))
	if err != nil {
		return notFoundOr(err, "No such account on this node.")
	}
	if a.IsInstance {
		return echo.NewHTTPError(http.StatusNotFound, "No such account on this node.")
	}
	to, err := s.fed.SubscribeURL(ctx, c.FormValue("address"), a.Username)
	if errors.Is(err, federation.ErrBusy) {
		// Not the reader's fault: the node is at its cap of remote look-ups.
		c.Response().Header().Set("Retry-After", "30")
		return echo.NewHTTPError(http.StatusServiceUnavailable, "Too many look-ups at the moment; try again in a minute.").SetInternal(err)
	}
	if err != nil {
		msg := "That address could not be used: write it as you@your.server."
		if errors.Is(err, federation.ErrInvalid) {
			msg = strings.TrimPrefix(err.Error(), federation.ErrInvalid.Error()+": ")
		}
		list, lerr := s.store.ListStatements(ctx, storage.StatementQuery{VisibleAt: s.cfg.Now(), ActorID: a.ID, Limit: 20})
		if lerr != nil {
			return lerr
		}
		return s.render(c, http.StatusBadRequest, "profile", pageData{Title: a.DisplayName, Actor: a, Statements: list,
			Handle: "@" + a.Username + "@" + s.iri.Host(), FormError: s.uiView(c).ui.Message(msg)})
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// statementPage shows one statement, in its primary language or in the
// translation named by :lang. Deleted statements answer 410 Gone; scheduled
// ones 404 until their time, exactly as if they did not exist.
func (s *Server) statementPage(c echo.Context) error {
	ctx := c.Request().Context()
	notFound := echo.NewHTTPError(http.StatusNotFound, "No such statement.")
	a, err := s.store.ActorByUsername(ctx, c.Param("username"))
	if err != nil {
		return notFoundOr(err, "No such statement.")
	}
	st, err := s.store.StatementBySlug(ctx, a.ID, c.Param("slug"))
	if err != nil {
		return notFoundOr(err, "No such statement.")
	}
	if !st.VisibleAt(s.cfg.Now()) && st.State != storage.StateDeleted {
		return notFound
	}
	if negotiate(c) {
		return s.statementJSON(c, st, a)
	}
	if st.State == storage.StateDeleted {
		return echo.NewHTTPError(http.StatusGone, "This statement has been deleted.")
	}
	v, ok := s.view(st, c.Param("lang"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "This statement has no translation into that language.")
	}
	replies, err := s.store.ListReplies(ctx, st.ID, storage.ModerationApproved, 200)
	if err != nil {
		return err
	}
	counts, err := s.store.InteractionCounts(ctx, st.ID)
	if err != nil {
		return err
	}
	d := pageData{Title: v.Title, Lang: v.Lang, Actor: a, Statement: st, View: v, Replies: replies, Counts: counts,
		Creator: "@" + a.Username + "@" + s.iri.Host(), OGType: "article", Description: v.Summary,
		Canonical:  s.iri.StatementPage(a.Username, st.Slug, c.Param("lang")),
		Alternates: []alternate{{Type: "application/activity+json", Href: s.iri.Statement(a.Username, st.ID)}},
		Modified:   st.UpdatedAt}
	if v.ContentWarning != "" {
		d.Description = v.ContentWarning // a preview must not show what the warning hides
	}
	if len(st.Media) > 0 && v.ContentWarning == "" {
		d.Image = s.iri.Media(st.Media[0].Path)
	}
	return s.render(c, http.StatusOK, "statement", d)
}

// view picks the language version of a statement; "" is the primary one.
func (s *Server) view(st *storage.Statement, lang string) (*statementView, bool) {
	v := &statementView{Lang: st.Language, Title: st.Title, Summary: st.Summary, ContentWarning: st.ContentWarning,
		Body: template.HTML(st.BodyHTML)}
	found := lang == "" || lang == st.Language
	for _, tr := range st.Translations {
		if tr.Language == lang {
			v = &statementView{Lang: tr.Language, Title: tr.Title, Summary: tr.Summary, ContentWarning: tr.ContentWarning,
				Body: template.HTML(tr.BodyHTML)}
			found = true
		}
	}
	v.Dir = content.Direction(v.Lang)
	v.Languages = append(v.Languages, langLink{Lang: st.Language, Dir: content.Direction(st.Language),
		URL: s.iri.StatementPage(st.ActorUsername, st.Slug, ""), Current: v.Lang == st.Language})
	for _, tr := range st.Translations {
		v.Languages = append(v.Languages, langLink{Lang: tr.Language, Dir: content.Direction(tr.Language),
			URL: s.iri.StatementPage(st.ActorUsername, st.Slug, tr.Language), Current: v.Lang == tr.Language})
	}
	return v, found
}
