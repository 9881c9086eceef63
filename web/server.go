package web

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/web/admin"
	"github.com/tadamun/tadamun/web/cache"
	"github.com/tadamun/tadamun/web/i18n"
)

// Config is what the web layer needs.
type Config struct {
	// TrustedProxies are the networks whose X-Forwarded-For and
	// X-Forwarded-Proto headers are believed. Empty: none, the peer address is
	// the client.
	TrustedProxies []*net.IPNet
	// BodyLimit caps request bodies in bytes (413 beyond); 0 means 1 MiB.
	BodyLimit int64
	// Version is shown in NodeInfo and the page footer.
	Version string
	Logger  *slog.Logger
	// Metrics is where request metrics are registered and what /metrics
	// serves. Nil gets a fresh registry.
	Metrics *prometheus.Registry
	// Now is the clock for visibility of scheduled statements; nil means time.Now.
	Now func() time.Time
	// RateLimit is how many requests per second one client address may make
	// (bursts of twice that pass); 0 turns the limit off.
	RateLimit float64
	// ResponseCacheBytes bounds the memory of rendered pages, documents
	// and feeds kept for reuse, with their gzip forms (respcache.go); 0
	// means DefaultResponseCacheBytes.
	ResponseCacheBytes int64
	// FeedCacheBytes bounds the memory of rendered feeds kept for reuse; 0
	// means DefaultFeedCacheBytes.
	FeedCacheBytes int64
	// MetricsAccess says who may read /metrics; "" means MetricsLoopback.
	MetricsAccess MetricsAccess
	// MetricsToken is the bearer token /metrics asks for under MetricsToken.
	MetricsToken string
}

// DefaultFeedCacheBytes is the feed cache's bound when none is configured.
const DefaultFeedCacheBytes = 32 << 20

// Server holds the echo instance and what its handlers use.
type Server struct {
	echo  *echo.Echo
	store Store
	fed   *federation.Service
	iri   iri.Builder
	log   *slog.Logger
	pages map[string]*template.Template
	ui    *i18n.UI // the interface's words
	cfg   Config
	feeds *cache.LRU
	// responses is the rendered-response cache (respcache.go).
	responses *cache.LRU
	gate      versionGate // shares version reads between requests (respgate.go)
	// siteCache keeps the node settings for a few seconds (site.go).
	siteCache siteCache
}

// New builds the server and its route table.
func New(cfg Config, store Store, fed *federation.Service) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.BodyLimit == 0 {
		cfg.BodyLimit = 1 << 20
	}
	if cfg.Metrics == nil {
		cfg.Metrics = prometheus.NewRegistry()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ResponseCacheBytes == 0 {
		cfg.ResponseCacheBytes = DefaultResponseCacheBytes
	}
	if cfg.FeedCacheBytes == 0 {
		cfg.FeedCacheBytes = DefaultFeedCacheBytes
	}
	metricsGuard, err := guardMetrics(cfg.MetricsAccess, cfg.MetricsToken)
	if err != nil {
		return nil, err
	}
	cat, err := i18n.Catalogues()
	if err != nil {
		return nil, fmt.Errorf("web: message catalogues: %w", err)
	}
	// The interface is in English until the catalogues of issue 11 arrive;
	// everything already goes through ui.T.
	u := i18n.New(cat, "en")
	pages, err := parseTemplates(u)
	if err != nil {
		return nil, err
	}
	s := &Server{echo: echo.New(), store: store, fed: fed, iri: fed.IRI(), log: cfg.Logger, pages: pages, ui: u, cfg: cfg,
		feeds: cache.New(cfg.FeedCacheBytes), responses: cache.New(cfg.ResponseCacheBytes)}
	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	if len(cfg.TrustedProxies) > 0 {
		var opts []echo.TrustOption
		for _, n := range cfg.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		// Only addresses in the trusted ranges may speak for the client; the
		// defaults (loopback, private ranges) are switched off so that an
		// untrusted private peer cannot either.
		opts = append(opts, echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false))
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	m, err := newHTTPMetrics(cfg.Metrics)
	if err != nil {
		return nil, err
	}
	if err := registerCache(cfg.Metrics, "feeds", s.feeds); err != nil {
		return nil, err
	}
	if err := registerCache(cfg.Metrics, "responses", s.responses); err != nil {
		return nil, err
	}
	e.Pre(headAsGet)
	e.Use(restoreHead)
	e.Use(requestIDMiddleware)
	e.Use(s.accessLog)
	e.Use(m.middleware)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisablePrintStack: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.ErrorContext(c.Request().Context(), "panic in handler", "err", err, "request_id", requestID(c),
				"stack", string(stack))
			return err
		},
	}))
	e.Use(bodyLimit(cfg.BodyLimit))
	if cfg.RateLimit > 0 {
		e.Use(middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
			Skipper: func(c echo.Context) bool {
				p := c.Request().URL.Path
				return p == "/healthz" || p == "/readyz" || p == "/metrics"
			},
			Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
				Rate: rate.Limit(cfg.RateLimit), Burst: int(2 * cfg.RateLimit), ExpiresIn: 3 * time.Minute}),
			IdentifierExtractor: func(c echo.Context) (string, error) { return c.RealIP(), nil },
			DenyHandler: func(c echo.Context, _ string, _ error) error {
				c.Response().Header().Set("Retry-After", "1")
				return echo.NewHTTPError(http.StatusTooManyRequests, "Too many requests: slow down.")
			},
		}))
	}
	adm, err := admin.New(admin.Config{Logger: cfg.Logger, Now: cfg.Now}, store, fed, u)
	if err != nil {
		return nil, err
	}
	s.routes(adm, metricsGuard(echo.WrapHandler(promhttp.HandlerFor(cfg.Metrics, promhttp.HandlerOpts{Registry: cfg.Metrics}))))
	return s, nil
}

// Handler returns the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.echo }

// routes is the one route table of the node.
func (s *Server) routes(adm *admin.Handler, metrics echo.HandlerFunc) {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", metrics)
	e.GET("/static/*", s.static)
	e.GET(iri.MediaPrefix+"*", s.media)
	s.wellKnownRoutes()
	s.activityRoutes()
	s.feedRoutes()
	e.GET("/", s.page("home", s.listsRoute, s.home))
	e.GET("/robots.txt", s.robots)
	e.GET("/favicon.ico", s.favicon)
	e.GET(iri.SitemapPath, s.sitemap)
	e.GET("/search", s.search)
	e.GET(iri.PartnersPath, s.page("partners", s.partnersRoute, s.partners))
	adm.Register(e.Group(iri.AdminPrefix)) // the admin interface's own table: web/admin.Register
	e.GET(iri.TagsPrefix+":tag", s.page("tag", s.listsRoute, s.tagPage))
	e.GET("/:lang", s.page("language", s.listsRoute, s.languagePage))
	e.GET(iri.ProfilePrefix+":username", s.negotiated("profile", s.profileRoute, s.profile))
	e.GET(iri.ProfilePrefix+":username/"+iri.Follow, s.remoteFollow) // reserved as a slug: iri.ActorPages
	e.GET(iri.ProfilePrefix+":username/:slug", s.negotiated("statement", s.statementRoute, s.statementPage))
	e.GET(iri.ProfilePrefix+":username/:slug/:lang", s.negotiated("statement", s.statementRoute, s.statementPage))
}

// requestIDMiddleware gives every request an id, answered in X-Request-Id
// and written in every log line about it. An id sent by a proxy in front is
// kept if it looks like one; anything else is replaced, so that log lines
// cannot be forged through the header.
func requestIDMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !validRequestID(id) {
			id = storage.NewID()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
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
	return c.Response().Header().Get(echo.HeaderXRequestID)
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
		s.log.LogAttrs(req.Context(), level, "request",
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

// Shutdown is for tests that run the echo server directly.
func (s *Server) Shutdown(ctx context.Context) error { return s.echo.Shutdown(ctx) }
