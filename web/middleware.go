package web

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/web/admin"
)

// headKey marks, in the echo context, a request that came as HEAD.
const headKey = "web.head"

// headAsGet routes HEAD like GET: every page, feed, document and probe that
// answers GET answers HEAD too (RFC 9110 §9.3.2), as monitors, link checkers
// and feed readers send it. It runs before routing; restoreHead gives the
// handler the true method back, and net/http drops the body written for a
// HEAD request while keeping its headers.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r := c.Request(); r.Method == http.MethodHead {
			r.Method = http.MethodGet
			c.Set(headKey, true)
		}
		return next(c)
	}
}

// restoreHead runs after routing and undoes headAsGet, so that logs,
// metrics and the error handler see HEAD.
func restoreHead(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if head, _ := c.Get(headKey).(bool); head {
			c.Request().Method = http.MethodHead
		}
		return next(c)
	}
}

// bodyLimit caps request bodies at limit bytes. A declared Content-Length
// over it is refused at once; a body without one (Transfer-Encoding:
// chunked) is cut by http.MaxBytesReader, whose *http.MaxBytesError the
// error handler answers 413. echo's own BodyLimit returns its 413 as a read
// error that handlers reading the body report as 400.
func bodyLimit(limit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			limit := max(limit, admin.UploadLimit(c.Path())) // routes taking images have a cap of their own
			if r.ContentLength > limit {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The request body is too large.")
			}
			if r.Body != nil && r.Body != http.NoBody {
				// The underlying writer, so that net/http closes the
				// connection after answering rather than reading the rest.
				r.Body = http.MaxBytesReader(c.Response().Writer, r.Body, limit)
			}
			return next(c)
		}
	}
}
