package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tadamun/tadamun/storage"
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

// requestIDMiddleware gives every request an id, answered in X-Request-Id
// and written in every log line about it. An id sent by a proxy in front is
// kept if it looks like one; anything else is replaced, so that log lines
// cannot be forged through the header.
func requestIDMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// The header maps are read and written with the canonical key
		// directly: this runs on every request, cached hits included.
		var id string
		if v := c.Request().Header[echo.HeaderXRequestID]; len(v) > 0 {
			id = v[0]
		}
		if !validRequestID(id) {
			id = storage.NewID()
		}
		c.Response().Header()[echo.HeaderXRequestID] = []string{id}
		return next(c)
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func requestID(c echo.Context) string {
	if v := c.Response().Header()[echo.HeaderXRequestID]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// accessLog writes one line per request, after it is answered.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			// Let the error handler write the response now so the status is known.
			c.Error(err)
		}
		req, res := c.Request(), c.Response()
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		ctx := req.Context()
		if !s.log.Enabled(ctx, level) {
			return nil // a node logging warnings only skips building the line
		}
		// LogAttrs with typed attributes: no map, no formatting before the
		// handler, and nothing boxed.
		s.log.LogAttrs(ctx, level, "request",
			slog.String("method", req.Method),
			slog.String("path", req.URL.Path),
			slog.Int("status", res.Status),
			slog.Int64("bytes", res.Size),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote_ip", c.RealIP()),
			slog.String("request_id", requestID(c)),
			slog.String("user_agent", req.UserAgent()),
		)
		return nil
	}
}

// httpMetrics counts requests by route and status and times them.
//
// The labelled children are kept once resolved: WithLabelValues hashes its
// labels and takes the vector's lock on every call, and the status code
// would be formatted anew each time. The keys are the vectors' own label
// values, so the memo holds no more series than the vectors do.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	counters sync.Map // counterKey -> prometheus.Counter
	timers   sync.Map // timerKey -> prometheus.Observer
}

type counterKey struct {
	method, route string
	code          int
}

type timerKey struct{ method, route string }

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tadamun_http_requests_total", Help: "HTTP requests answered, by route and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tadamun_http_request_duration_seconds", Help: "Time to answer HTTP requests, by route.",
			Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("web: register metrics: %w", err)
		}
	}
	return m, nil
}

// counter is the request counter of one method, route and status.
func (m *httpMetrics) counter(method, route string, code int) prometheus.Counter {
	k := counterKey{method, route, code}
	if v, ok := m.counters.Load(k); ok {
		return v.(prometheus.Counter)
	}
	ctr := m.requests.WithLabelValues(method, route, strconv.Itoa(code))
	m.counters.Store(k, ctr)
	return ctr
}

// timer is the duration histogram of one method and route.
func (m *httpMetrics) timer(method, route string) prometheus.Observer {
	k := timerKey{method, route}
	if v, ok := m.timers.Load(k); ok {
		return v.(prometheus.Observer)
	}
	obs := m.duration.WithLabelValues(method, route)
	m.timers.Store(k, obs)
	return obs
}

func (m *httpMetrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		status := c.Response().Status
		if err != nil {
			status = errorStatus(err)
		}
		route := c.Path() // the pattern, never the raw path: bounded label values
		if route == "" {
			route = "unmatched"
		}
		method := c.Request().Method
		m.counter(method, route, status).Inc()
		m.timer(method, route).Observe(time.Since(start).Seconds())
		return err
	}
}
