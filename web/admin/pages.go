package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// actorSummary is one actor on the dashboard.
type actorSummary struct {
	Actor      *storage.Actor
	Statements int
	Followers  int
}

func (h *Handler) dashboard(c echo.Context) error {
	actors, err := h.actorsFor(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var rows []actorSummary
	for _, a := range actors {
		n, err := h.store.CountVisible(ctx, a.ID, h.cfg.Now())
		if err != nil {
			return fmt.Errorf("admin: dashboard: %w", err)
		}
		f, err := h.store.CountFollowers(ctx, a.ID)
		if err != nil {
			return fmt.Errorf("admin: dashboard: %w", err)
		}
		rows = append(rows, actorSummary{Actor: a, Statements: n, Followers: f})
	}
	return h.render(c, http.StatusOK, "dashboard", h.ui(c).T("Dashboard"), rows)
}

// actorPage is an actor's page in the admin interface. For now it shows
// the actor; the pages for its statements, followers and profile hang
// below it.
func (h *Handler) actorPage(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, "actor", a.Username, struct {
		Actor   *storage.Actor
		Profile string
	}{a, h.iri.Profile(a.Username)})
}

// accountData is the account page's content.
type accountData struct {
	Sessions []*storage.ListedSession
	Current  string // the id of this browser's session
}

func (h *Handler) account(c echo.Context) error {
	u := currentUser(c)
	list, err := h.store.ListSessions(c.Request().Context(), u.ID)
	if err != nil {
		return fmt.Errorf("admin: account: %w", err)
	}
	return h.render(c, http.StatusOK, "account", h.ui(c).T("Your account"),
		accountData{Sessions: list, Current: storage.SessionID(sessionToken(c))})
}

func (h *Handler) revokeSession(c echo.Context) error {
	u := currentUser(c)
	id := c.Param("id")
	err := h.store.RevokeSession(c.Request().Context(), u.ID, id)
	if errors.Is(err, storage.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "No such session.")
	}
	if err != nil {
		return err
	}
	if id == storage.SessionID(sessionToken(c)) {
		c.SetCookie(h.cookie(SessionCookie, "", -1))
		h.flash(c, "You are signed out.")
		return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminLogin)
	}
	h.flash(c, "The session is signed out.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminAccount)
}

// changePassword sets a new password and signs the user out everywhere
// but here: every session ends, and this browser gets a new one.
func (h *Handler) changePassword(c echo.Context) error {
	u := currentUser(c)
	current, next, again := c.FormValue("current"), c.FormValue("new"), c.FormValue("confirm")
	if !u.CheckPassword(current) {
		return echo.NewHTTPError(http.StatusBadRequest, "The current password is wrong.")
	}
	if next != again {
		return echo.NewHTTPError(http.StatusBadRequest, "The new password and its repetition differ.")
	}
	hash, err := hashPassword(next)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if err := h.store.SetPassword(ctx, u.ID, hash); err != nil {
		return err
	}
	u, err = h.store.UserByID(ctx, u.ID)
	if err != nil {
		return err
	}
	if err := h.startSession(c, u); err != nil {
		return err
	}
	h.log.InfoContext(ctx, "admin password changed", "user", u.Username)
	h.flash(c, "Your password is changed. Every other session is signed out.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminAccount)
}
