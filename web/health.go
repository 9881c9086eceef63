package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz answers 200 while the process runs: for liveness probes, which
// must not restart a node because its database is briefly away.
func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok\n")
}

// readyz answers 200 when the node can serve: the database answers and its
// schema is the one this binary expects. Otherwise 503 with the reason, so
// a load balancer sends traffic elsewhere.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 3*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready: database", "err", err)
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	st, err := s.store.MigrationStatus(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "not ready: migrations", "err", err)
		return c.String(http.StatusServiceUnavailable, "cannot read schema version\n")
	}
	if !st.Current() {
		return c.String(http.StatusServiceUnavailable, "database schema not current: run 'tadamun migrate'\n")
	}
	return c.String(http.StatusOK, "ready\n")
}
