package admin

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/storage"
)

// requireAdmin lets only admins through; editors get 403.
func (h *Handler) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := currentUser(c)
		if u == nil {
			return echo.NewHTTPError(http.StatusUnauthorized, "Sign in first.")
		}
		if u.Role != storage.RoleAdmin {
			return echo.NewHTTPError(http.StatusForbidden, "Only an admin may do this.")
		}
		return next(c)
	}
}

// actorFor returns the local actor named username if the signed-in user may
// work on it: admins on every actor, editors on those they are given. An
// unknown actor is a 404, another's actor a 403.
func (h *Handler) actorFor(c echo.Context, username string) (*storage.Actor, error) {
	u := currentUser(c)
	if u == nil {
		return nil, echo.NewHTTPError(http.StatusUnauthorized, "Sign in first.")
	}
	ctx := c.Request().Context()
	a, err := h.store.ActorByUsername(ctx, username)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && a.IsInstance) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such actor.")
	}
	if err != nil {
		return nil, fmt.Errorf("admin: actor %q: %w", username, err)
	}
	if u.Role == storage.RoleAdmin {
		return a, nil
	}
	ids, err := h.store.UserActors(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("admin: actors of %s: %w", u.Username, err)
	}
	if !slices.Contains(ids, a.ID) {
		return nil, echo.NewHTTPError(http.StatusForbidden, "You do not work on this actor.")
	}
	return a, nil
}

// actorsFor returns the actors the signed-in user may work on.
func (h *Handler) actorsFor(c echo.Context) ([]*storage.Actor, error) {
	u := currentUser(c)
	ctx := c.Request().Context()
	all, err := h.store.ListActors(ctx)
	if err != nil {
		return nil, fmt.Errorf("admin: actors: %w", err)
	}
	all = slices.DeleteFunc(all, func(a *storage.Actor) bool { return a.IsInstance })
	if u.Role == storage.RoleAdmin {
		return all, nil
	}
	ids, err := h.store.UserActors(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("admin: actors of %s: %w", u.Username, err)
	}
	var out []*storage.Actor
	for _, a := range all {
		if slices.Contains(ids, a.ID) {
			out = append(out, a)
		}
	}
	return out, nil
}
