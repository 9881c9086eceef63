package admin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"golang.org/x/crypto/bcrypt"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// badSignIn is the one answer to a wrong user name or a wrong password, so
// that it does not tell which accounts exist.
const badSignIn = "Wrong user name or password."

// loginData is the sign-in form's content.
type loginData struct {
	Username string
	Error    string
	// Picker is where the sign-in page's language picker posts (the
	// public site's, sitePickerPath) and Back where it returns: always
	// the sign-in page, never an address taken from the request.
	Picker, Back string
}

// newLoginData is the sign-in form with its language picker.
func newLoginData(username, msg string) loginData {
	return loginData{Username: username, Error: msg, Picker: sitePickerPath, Back: iri.AdminPrefix + iri.AdminLogin}
}

func (h *Handler) loginForm(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, iri.AdminPrefix)
	}
	return h.render(c, http.StatusOK, "login", h.ui(c).T("Sign in"), newLoginData("", ""))
}

func (h *Handler) login(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("username"))
	password := c.FormValue("password")
	addr := c.RealIP()
	if len(name) > 64 || len(password) > 1024 {
		return echo.NewHTTPError(http.StatusBadRequest, "The user name or password is too long.")
	}
	wait, slow := h.throttle.check(name, addr)
	if wait > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		return echo.NewHTTPError(http.StatusTooManyRequests, "Too many failed sign-ins. Wait a while and try again.")
	}
	if slow > 0 {
		h.throttle.sleepFunc(slow)
	}
	var u *storage.User
	if storage.ValidUsername(name) { // anything else names nobody, and may not even be UTF-8
		var err error
		u, err = h.store.UserByUsername(c.Request().Context(), name)
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
	}
	ok := false
	if u == nil {
		// Spend the time a real comparison takes, so that timing does
		// not tell which names exist.
		_ = bcrypt.CompareHashAndPassword(h.dummy, []byte(password))
	} else {
		ok = u.CheckPassword(password) && u.DisabledAt == nil
	}
	if !ok {
		h.throttle.fail(name, addr)
		h.log.InfoContext(c.Request().Context(), "admin sign-in failed", "user", name, "address", addr)
		if !utf8.ValidString(name) {
			name = ""
		}
		return h.render(c, http.StatusUnauthorized, "login", h.ui(c).T("Sign in"), newLoginData(name, badSignIn))
	}
	h.throttle.succeed(name, addr)
	if _, err := h.store.DeleteExpiredSessions(c.Request().Context()); err != nil {
		return err
	}
	if err := h.startSession(c, u); err != nil {
		return err
	}
	h.log.InfoContext(c.Request().Context(), "admin sign-in", "user", u.Username, "address", addr)
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix)
}

func (h *Handler) logout(c echo.Context) error {
	if t := sessionToken(c); t != "" {
		if err := h.store.DeleteSession(c.Request().Context(), t); err != nil {
			return err
		}
	}
	c.SetCookie(h.cookie(SessionCookie, "", -1))
	h.flash(c, "You are signed out.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminLogin)
}
