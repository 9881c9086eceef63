package web

import "github.com/labstack/echo/v4"

// uiLanguage is the interface language of a request: from its address,
// then the reader's choice (a cookie), then Accept-Language, then the
// node's default.
func (s *Server) uiLanguage(c echo.Context) string { return "" }
