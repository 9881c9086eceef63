package web

import (
	"errors"
	"fmt"
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
	case errors.As(err, new(*http.MaxBytesError)):
		// A body cut by the size limit (http.MaxBytesReader), whoever read it.
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusInternalServerError
	}
}

// notFoundOr is the answer to a failed lookup: 404 with msg when the thing
// does not exist, and err itself otherwise, which the error handler answers
// 500 and logs. Telling the two apart matters: a 404 says "gone" to a reader,
// a monitor and a remote server (which may drop a follow on it), while a
// broken database must show up as an outage.
func notFoundOr(err error, msg string) error {
	if errors.Is(err, storage.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, msg).SetInternal(err)
	}
	return fmt.Errorf("web: %w", err)
}

// handleError is the one place errors become responses. Clients see a safe
// text for the status; the cause goes to the log, with the request id that
// the client also gets, so a report can be matched to its log line.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code := errorStatus(err)
	if code == http.StatusNotFound && s.legacyRedirect(c) {
		return // an imported statement's old address (redirects.go)
	}
	msg := http.StatusText(code)
	var data *uiText
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if m, ok := he.Message.(string); ok && code < 500 {
			msg = m
		}
		if m, ok := he.Message.(uiText); ok && code < 500 {
			msg, data = m.String(), &m
		}
		if he.Internal != nil {
			err = he.Internal
		}
	}
	if code >= 500 {
		s.log.ErrorContext(c.Request().Context(), "request failed", "err", err, "status", code,
			"path", c.Request().URL.Path, "request_id", requestID(c))
	}
	// HEAD gets the same answer as GET; net/http leaves out the body.
	var werr error
	switch {
	case wantsJSON(c.Request()):
		werr = c.JSON(code, map[string]string{"error": msg, "request_id": requestID(c)})
	default:
		// The messages of HTTP errors are interface words too (the
		// English text is the key); JSON clients get them untranslated.
		ui := s.uiView(c).ui
		text := ui.Message(msg)
		if data != nil {
			text = ui.T(data.key, data.args...)
		}
		werr = s.render(c, code, "error", pageData{Title: ui.T(http.StatusText(code)), Error: &errorPage{
			Code: code, Message: text, RequestID: requestID(c)}})
	}
	if werr != nil {
		s.log.ErrorContext(c.Request().Context(), "write error response", "err", werr)
	}
}

// uiText is an error message with data in it (a number, a name), kept as
// its message key and arguments so that the error page can translate it;
// JSON clients get it filled in, in English.
type uiText struct {
	key  string
	args []any
}

func (m uiText) String() string { return fmt.Sprintf(m.key, m.args...) }

// httpErrorf is echo.NewHTTPError for a message with data: the page shows
// it in the reader's interface language.
func httpErrorf(code int, key string, args ...any) *echo.HTTPError {
	return echo.NewHTTPError(code, uiText{key: key, args: args})
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
