package web

import (
	"net/http"
	"path/filepath"
	"strings"

	"github.com/labstack/echo/v4"

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
