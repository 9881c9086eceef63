package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/storage"
)

// errorStatus is the status an error returned by a handler will be answered with.
func errorStatus(err error) int {
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		return he.Code
	case errors.Is(err, storage.ErrNotFound):
		return http.StatusNotFound
	default:
		return http.StatusInternalServerError
	}
}

// handleError is the one place errors become responses. Clients see a safe
// text for the status; the cause goes to the log, with the request id that
// the client also gets, so a report can be matched to its log line.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := errorStatus(err)
	msg := http.StatusText(code)
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if m, ok := he.Message.(string); ok && code < 500 {
			msg = m
		}
		if he.Internal != nil {
			err = he.Internal
		}
	}
	if code >= 500 {
		s.log.ErrorContext(c.Request().Context(), "request failed", "err", err, "status", code,
			"path", c.Request().URL.Path, "request_id", requestID(c))
	}
	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(code)
	case wantsJSON(c.Request()):
		werr = c.JSON(code, map[string]string{"error": msg, "request_id": requestID(c)})
	default:
		werr = s.render(c, code, "error", pageData{Title: http.StatusText(code), Error: &errorPage{
			Code: code, Message: msg, RequestID: requestID(c)}})
	}
	if werr != nil {
		s.log.ErrorContext(c.Request().Context(), "write error response", "err", werr)
	}
}

// wantsJSON reports whether the client prefers JSON (API and ActivityPub
// clients, servers posting JSON to an inbox) over HTML.
func wantsJSON(r *http.Request) bool {
	a := r.Header.Get("Accept")
	if strings.Contains(a, "text/html") {
		return false
	}
	return strings.Contains(a, "json") || strings.Contains(r.Header.Get("Content-Type"), "json")
}
