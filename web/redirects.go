package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/archive"
	"github.com/tadamun/tadamun/storage"
)

// Old addresses of imported statements (tadamun import): an organisation
// that points its old domain at the node keeps its links working. Each
// imported post's old path and WordPress id are stored with the statement
// it became (storage.ImportedPost); an unknown path that was one of them,
// or the home page asked with WordPress's ?p= or ?page_id= of one, answers
// 301 to the statement's page in the language the old address showed.

// importTargets is what the redirects read; *storage.Store has it. It is
// asked of the store at run time so that a store without imports (a test
// double) simply never redirects.
type importTargets interface {
	ImportTargetByPath(ctx context.Context, path string) (*storage.ImportTarget, error)
	ImportTargetByPostID(ctx context.Context, id int64) (*storage.ImportTarget, error)
}

// maxLegacyPath bounds the path looked up: longer ones were never a
// WordPress address and are not worth a query.
const maxLegacyPath = 2048

// legacyRedirect answers a request for an unknown path with 301 to the
// statement imported from it, and reports whether it did.
func (s *Server) legacyRedirect(c echo.Context) bool {
	r := c.Request()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	it, ok := s.store.(importTargets)
	if !ok || len(r.URL.EscapedPath()) > maxLegacyPath {
		return false
	}
	path := archive.NormalizePath(r.URL.EscapedPath())
	if path == "" {
		return false
	}
	t, err := it.ImportTargetByPath(r.Context(), path)
	if err != nil {
		if !errors.Is(err, storage.ErrNotFound) {
			s.log.WarnContext(r.Context(), "old address lookup failed", "path", path, "err", err)
		}
		return false
	}
	return s.redirectTo(c, t) == nil
}

// legacyQuery wraps the home page: WordPress's query addresses (/?p=123,
// /?page_id=45) of imported posts are redirected before it runs. The
// common request, with no query or none of these, costs no store read.
// (?attachment_id= addressed an image's own page on WordPress; the image
// now belongs to its statement, and there is nothing to send it to.)
func (s *Server) legacyQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.URL.RawQuery == "" {
			return next(c)
		}
		q := r.URL.Query()
		raw := q.Get("p")
		if raw == "" {
			raw = q.Get("page_id")
		}
		if raw == "" {
			return next(c)
		}
		id, err := strconv.ParseInt(raw, 10, 64)
		it, ok := s.store.(importTargets)
		if err != nil || id <= 0 || !ok {
			return next(c)
		}
		t, err := it.ImportTargetByPostID(r.Context(), id)
		if errors.Is(err, storage.ErrNotFound) {
			return next(c) // not one of ours: the home page, as without the query
		}
		if err != nil {
			return err
		}
		return s.redirectTo(c, t)
	}
}

// redirectTo answers 301 to an imported statement's page: the translation
// the old address showed, or the primary text.
func (s *Server) redirectTo(c echo.Context, t *storage.ImportTarget) error {
	lang := t.Language
	if lang == t.Primary {
		lang = ""
	}
	return c.Redirect(http.StatusMovedPermanently, s.iri.StatementPage(t.Username, t.Slug, lang))
}
