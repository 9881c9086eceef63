package web

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/time/rate"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/iri"
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
	// and WebFinger answers kept for reuse, with their gzip and brotli
	// forms (respcache.go); 0 means DefaultResponseCacheBytes, and a
	// negative bound keeps nothing (every request renders).
	ResponseCacheBytes int64
	// FeedCacheBytes bounds the memory of rendered feeds kept for reuse,
	// with their compressed forms; 0 means DefaultFeedCacheBytes, and a
	// negative bound keeps nothing.
	FeedCacheBytes int64
	// MetricsAccess says who may read /metrics; "" means MetricsLoopback.
	MetricsAccess MetricsAccess
	// MetricsToken is the bearer token /metrics asks for under MetricsToken.
	MetricsToken string
	// Language is the interface language when neither the address, the
	// reader's choice nor Accept-Language names a shipped one; "" means the
	// node setting, then English.
	Language string
	// WebSub is the feeds' push to feed readers (websub.go).
	WebSub WebSubConfig
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
	// langs holds the interface in every shipped language and chooses one
	// per request (language.go).
	langs *uiLanguages
	// ui is the node's configured interface language, for what does not
	// answer one reader (the partners' feed).
	ui    *i18n.UI
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
	set, err := i18n.Shipped()
	if err != nil {
		return nil, fmt.Errorf("web: message catalogues: %w", err)
	}
	langs, err := newUILanguages(set)
	if err != nil {
		return nil, err
	}
	if cfg.Language != "" && langs.shipped(cfg.Language) == "" {
		return nil, fmt.Errorf("web: the interface language %q is not shipped: choose one of %s, or add web/i18n/locales/%s.json",
			cfg.Language, strings.Join(langs.shippedTags(), ", "), cfg.Language)
	}
	s := &Server{echo: echo.New(), store: store, fed: fed, iri: fed.IRI(), log: cfg.Logger, langs: langs, cfg: cfg,
		feeds: cache.New(cfg.FeedCacheBytes), responses: cache.New(cfg.ResponseCacheBytes)}
	s.ui = langs.views[s.startLanguage()].ui
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
	adm, err := admin.New(admin.Config{Logger: cfg.Logger, Now: cfg.Now, DefaultLanguage: s.defaultLanguage}, store, fed, s.ui)
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
	e.GET("/", s.legacyQuery(s.page("home", s.listsRoute, s.home)))
	e.GET("/robots.txt", s.robots)
	e.GET("/favicon.ico", s.favicon)
	e.GET(iri.SitemapPath, s.sitemap)
	e.GET("/search", s.search)
	e.POST(languagePath, s.chooseLanguage)
	e.GET(iri.PartnersPath, s.page("partners", s.partnersRoute, s.partners))
	s.websubRoutes(e)
	adm.Register(e.Group(iri.AdminPrefix)) // the admin interface's own table: web/admin.Register
	e.GET(iri.TagsPrefix+":tag", s.page("tag", s.listsRoute, s.tagPage))
	e.GET("/:lang", s.page("language", s.listsRoute, s.languagePage))
	e.GET(iri.ProfilePrefix+":username", s.negotiated("profile", s.profileRoute, s.profile))
	e.GET(iri.ProfilePrefix+":username/"+iri.Follow, s.remoteFollow) // reserved as a slug: iri.ActorPages
	e.GET(iri.ProfilePrefix+":username/:slug", s.negotiated("statement", s.statementRoute, s.statementPage))
	e.GET(iri.ProfilePrefix+":username/:slug/:lang", s.negotiated("statement", s.statementRoute, s.statementPage))
}

// Shutdown is for tests that run the echo server directly.
func (s *Server) Shutdown(ctx context.Context) error { return s.echo.Shutdown(ctx) }
