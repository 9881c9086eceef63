package admin

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// Cookie names. All are HttpOnly, SameSite=Lax, Path=/admin, and Secure
// when the node is on https.
const (
	SessionCookie = "tadamun_session"
	// LoginCSRFCookie holds the pre-session CSRF token of the sign-in form
	// (double-submit: the form's field must equal it).
	LoginCSRFCookie = "tadamun_login_csrf"
	flashCookie     = "tadamun_flash"
)

// Context keys of what the session middleware finds.
const (
	ctxUser  = "admin.user"
	ctxToken = "admin.token"
)

// cookie returns a cookie with the admin interface's flags.
func (h *Handler) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: iri.AdminPrefix, MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode}
}

// contentSecurityPolicy lets admin pages load only the node's own styles,
// scripts and pictures, post forms only to the node, and be framed by
// nobody (clickjacking).
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// frame is the first middleware of every admin response: no-store, and
// errors rendered as admin error pages.
func (h *Handler) frame(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		hd := c.Response().Header()
		hd.Set("Cache-Control", "no-store")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		err := next(c)
		if err == nil || c.Response().Committed {
			return err
		}
		return h.renderError(c, err)
	}
}

// session finds the signed-in user from the session cookie, if any, and
// slides the session's expiry.
func (h *Handler) session(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(SessionCookie)
		if err != nil || ck.Value == "" || len(ck.Value) > 128 {
			return next(c)
		}
		ctx := c.Request().Context()
		u, err := h.store.UserBySession(ctx, ck.Value)
		if errors.Is(err, storage.ErrNotFound) {
			c.SetCookie(h.cookie(SessionCookie, "", -1))
			return next(c)
		}
		if err != nil {
			return err
		}
		if err := h.store.TouchSession(ctx, ck.Value, h.cfg.SessionTTL); err != nil {
			return err
		}
		// The cookie's lifetime slides with the session's.
		c.SetCookie(h.cookie(SessionCookie, ck.Value, int(h.cfg.SessionTTL/time.Second)))
		c.Set(ctxUser, u)
		c.Set(ctxToken, ck.Value)
		return next(c)
	}
}

// requireUser sends a visitor without a session to the sign-in page.
func (h *Handler) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) == nil {
			if m := c.Request().Method; m == http.MethodGet || m == http.MethodHead {
				return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminLogin)
			}
			return echo.NewHTTPError(http.StatusUnauthorized, "Sign in first.")
		}
		return next(c)
	}
}

// currentUser is the signed-in user, or nil.
func currentUser(c echo.Context) *storage.User {
	u, _ := c.Get(ctxUser).(*storage.User)
	return u
}

// sessionToken is the signed-in session's token, or "".
func sessionToken(c echo.Context) string {
	t, _ := c.Get(ctxToken).(string)
	return t
}

// startSession signs u in from this browser: any session the browser
// presented ends, and a new one (a new id) begins.
func (h *Handler) startSession(c echo.Context, u *storage.User) error {
	ctx := c.Request().Context()
	if ck, err := c.Cookie(SessionCookie); err == nil && ck.Value != "" && len(ck.Value) <= 128 {
		if err := h.store.DeleteSession(ctx, ck.Value); err != nil {
			return err
		}
	}
	token, err := h.store.CreateSession(ctx, u.ID, cleanUserAgent(c.Request().UserAgent()), h.cfg.SessionTTL)
	if err != nil {
		return err
	}
	c.SetCookie(h.cookie(SessionCookie, token, int(h.cfg.SessionTTL/time.Second)))
	c.SetCookie(h.cookie(LoginCSRFCookie, "", -1))
	c.Set(ctxUser, u)
	c.Set(ctxToken, token)
	return nil
}

// cleanUserAgent is a browser's User-Agent fit to store and show: valid
// UTF-8 (PostgreSQL refuses anything else), no control characters, at most
// 300 bytes.
func cleanUserAgent(ua string) string {
	if len(ua) > 300 {
		ua = ua[:300]
	}
	ua = strings.ToValidUTF8(ua, "")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, ua)
}

// randomToken returns 32 random bytes, base64url.
func randomToken() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// sessionCSRF is the CSRF token of a session: an HMAC keyed by the session
// token, so it needs no storage and dies with the session.
func sessionCSRF(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("tadamun admin csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
