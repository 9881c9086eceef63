package web

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation"
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
	return c.File(filepath.Join(s.fed.MediaDir(), id, name))
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
	return c.File(filepath.Join(s.fed.MediaDir(), "actors", id, name))
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
	full := filepath.Join(s.fed.MediaDir(), filepath.FromSlash(p))
	f, err := os.Open(full)
	if err != nil {
		return notFound
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return notFound
	}
	head := make([]byte, 512)
	n, _ := f.Read(head)
	ctype := http.DetectContentType(head[:n])
	if !partnerImageTypes[ctype] {
		return notFound
	}
	if _, err := f.Seek(0, 0); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "public, max-age=86400")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(c.Response(), c.Request(), "", st.ModTime(), f)
	return nil
}
