package web

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/mediastore"
	"github.com/tadamun/tadamun/storage"
)

// media serves a statement's image, only while its statement is visible.
func (s *Server) media(c echo.Context) error {
	notFound := echo.NewHTTPError(http.StatusNotFound, "No such file.")
	p := c.Param("*")
	if rest, ok := strings.CutPrefix(p, "actors/"); ok {
		return s.actorMedia(c, rest)
	}
	if strings.HasPrefix(p, partnerMediaPrefix) {
		return s.partnerMedia(c, p)
	}
	id, name, ok := strings.Cut(p, "/")
	if !ok || !storage.ValidID(id) || name == "" || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, ".") {
		return notFound
	}
	ctx := c.Request().Context()
	m, err := s.store.MediaByPath(ctx, p)
	if err != nil {
		return notFoundOr(err, "No such file.")
	}
	st, err := s.store.StatementByID(ctx, m.StatementID)
	if err != nil {
		return notFoundOr(err, "No such file.")
	}
	if !st.VisibleAt(s.cfg.Now()) {
		return notFound
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Type", m.MediaType)
	return s.serveStored(c, p)
}

// serveStored answers with the stored object under key, from the media
// store (a directory, or an S3 bucket the node reads and streams through
// itself: readers' addresses never reach the bucket, and the visibility
// checks above cannot be bypassed by a bucket URL). http.ServeContent
// answers ranges and If-Modified-Since. The caller has set the headers.
func (s *Server) serveStored(c echo.Context, key string) error {
	st := s.fed.Media()
	if st == nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such file.")
	}
	err := mediastore.Serve(c.Response(), c.Request(), st, key)
	if err != nil {
		// Nothing was written: no cache may keep the error page.
		c.Response().Header().Del("Cache-Control")
	}
	if errors.Is(err, mediastore.ErrNotFound) || errors.Is(err, mediastore.ErrInvalidKey) {
		return echo.NewHTTPError(http.StatusNotFound, "No such file.")
	}
	return err
}

// actorMedia serves an actor's avatar or header: actors/<id>/<file>, only
// the file the actor's profile names.
func (s *Server) actorMedia(c echo.Context, rest string) error {
	notFound := echo.NewHTTPError(http.StatusNotFound, "No such file.")
	id, name, ok := strings.Cut(rest, "/")
	if !ok || !storage.ValidID(id) {
		return notFound
	}
	a, err := s.store.ActorByID(c.Request().Context(), id)
	if err != nil {
		return notFoundOr(err, "No such file.")
	}
	if a.IsInstance {
		return notFound
	}
	want := "actors/" + id + "/" + name
	if name == "" || (a.AvatarPath != want && a.HeaderPath != want) {
		return notFound
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return s.serveStored(c, want)
}

// partnerMediaPrefix starts the media paths of our processed copies of
// partners' pictures (federation's partner media folder).
const partnerMediaPrefix = federation.PartnerMediaFolder + "/"

// safeMediaPath reports whether a stored local path is one the media route
// serves: below the partners' folder, plain segments only.
func safeMediaPath(p string) bool {
	rest, ok := strings.CutPrefix(p, partnerMediaPrefix)
	if !ok || rest == "" || len(p) > 512 {
		return false
	}
	for _, seg := range strings.Split(rest, "/") {
		if seg == "" || strings.HasPrefix(seg, ".") || strings.ContainsAny(seg, `\`+"\x00") || !utf8.ValidString(seg) {
			return false
		}
	}
	return true
}

// partnerImageTypes are the types a partner picture may be served as: the
// image processing re-encodes to JPEG or PNG.
var partnerImageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

// partnerMedia serves our processed copy of a partner's picture
// (media/partners/...). Only pictures are served, with the type read from
// the file itself, so a file of another kind in that folder is never
// handed out as something a browser would run.
func (s *Server) partnerMedia(c echo.Context, p string) error {
	notFound := echo.NewHTTPError(http.StatusNotFound, "No such file.")
	if !safeMediaPath(p) {
		return notFound
	}
	store := s.fed.Media()
	if store == nil {
		return notFound
	}
	f, info, err := store.Get(c.Request().Context(), p)
	if errors.Is(err, mediastore.ErrNotFound) || errors.Is(err, mediastore.ErrInvalidKey) {
		return notFound
	}
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return err
	}
	ctype := http.DetectContentType(head[:n])
	if !partnerImageTypes[ctype] {
		return notFound
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Response(), c.Request(), "", info.ModTime, f)
	return nil
}
