package web

import (
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tadamun/tadamun/web/cache"
)

// MetricsAccess says who may read /metrics. Metrics show request rates,
// routes, error counts and runtime details: useful to an attacker probing
// the node, so they are not public by default.
type MetricsAccess string

// The ways /metrics can be served.
const (
	// MetricsLoopback serves /metrics to clients connecting from the same
	// machine, directly: a request that carries a proxy's forwarding headers
	// is refused even from loopback, because a reverse proxy on the same
	// machine connects from loopback on behalf of anyone on the internet.
	MetricsLoopback MetricsAccess = "loopback"
	// MetricsOff answers /metrics 404.
	MetricsOff MetricsAccess = "off"
	// MetricsBearer serves /metrics to requests with
	// "Authorization: Bearer <Config.MetricsToken>", from anywhere.
	MetricsBearer MetricsAccess = "token"
)

// minMetricsToken is the shortest bearer token accepted: guessable tokens
// are no protection.
const minMetricsToken = 16

// guardMetrics wraps the /metrics handler in the access rule.
func guardMetrics(access MetricsAccess, token string) (func(echo.HandlerFunc) echo.HandlerFunc, error) {
	switch access {
	case MetricsOff:
		return func(echo.HandlerFunc) echo.HandlerFunc {
			return func(echo.Context) error { return echo.ErrNotFound }
		}, nil
	case "", MetricsLoopback:
		return func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				if !directFromLoopback(c.Request()) {
					return echo.NewHTTPError(http.StatusForbidden, "Metrics are served to this machine only.")
				}
				return next(c)
			}
		}, nil
	case MetricsBearer:
		if len(token) < minMetricsToken {
			return nil, fmt.Errorf("web: metrics token must be at least %d characters", minMetricsToken)
		}
		want := []byte("Bearer " + token)
		return func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				got := []byte(c.Request().Header.Get("Authorization"))
				if subtle.ConstantTimeCompare(got, want) != 1 {
					c.Response().Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
					return echo.NewHTTPError(http.StatusUnauthorized, "Metrics need a bearer token.")
				}
				return next(c)
			}
		}, nil
	default:
		return nil, fmt.Errorf("web: metrics access %q: want off, loopback or token", access)
	}
}

// directFromLoopback reports whether the peer is a loopback address and the
// request was not forwarded by a proxy. The peer is the TCP connection's,
// never a header's.
func directFromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if ip == nil || !ip.IsLoopback() {
		return false
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip", "X-Forwarded-Host"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	return true
}

// registerCache exports a cache's size and counters, labelled with its name.
func registerCache(reg prometheus.Registerer, name string, c *cache.LRU) error {
	labels := prometheus.Labels{"cache": name}
	collectors := []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tadamun_cache_bytes", ConstLabels: labels,
			Help: "Bytes held by a response cache, per-entry overhead included."},
			func() float64 { return float64(c.Stats().Bytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tadamun_cache_max_bytes", ConstLabels: labels,
			Help: "The bound of a response cache in bytes."},
			func() float64 { return float64(c.Stats().MaxBytes) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tadamun_cache_entries", ConstLabels: labels,
			Help: "Entries in a response cache."},
			func() float64 { return float64(c.Stats().Entries) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tadamun_cache_hits_total", ConstLabels: labels,
			Help: "Lookups that found an entry (current or not)."},
			func() float64 { return float64(c.Stats().Hits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tadamun_cache_misses_total", ConstLabels: labels,
			Help: "Lookups that found no entry."},
			func() float64 { return float64(c.Stats().Misses) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tadamun_cache_evictions_total", ConstLabels: labels,
			Help: "Entries evicted to stay within the bound."},
			func() float64 { return float64(c.Stats().Evictions) }),
	}
	for _, col := range collectors {
		if err := reg.Register(col); err != nil {
			return fmt.Errorf("web: register %s cache metrics: %w", name, err)
		}
	}
	return nil
}
