package admin

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
	"github.com/tadamun/tadamun/web/i18n"
)

// Page is what every admin template gets as its dot: the frame's parts
// (title, user, CSRF token, flash, interface language) and the page's own
// content in Data.
type Page struct {
	Title string
	User  *storage.User
	// CSRF is the token forms carry: {{template "csrf" $}} writes the field.
	CSRF  string
	Flash string
	Lang  string
	Dir   string
	// Prefix is where the admin interface lives (/admin).
	Prefix string
	Data   any
}

// errorData is the content of an error page.
type errorData struct {
	Code    int
	Message string
}

// parsePages parses the layout with each page template.
func parsePages(ui *i18n.UI) (map[string]*template.Template, error) {
	// Days in the interface language's CLDR long format and numerals,
	// with the UTC time: editors compare them with logs and schedules.
	funcs := template.FuncMap{
		"t":    ui.T,
		"date": func(t time.Time) string { return ui.DateTime(t) },
		"num":  ui.Number,
	}
	base, err := template.New("layout").Funcs(funcs).ParseFS(files, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("admin: layout: %w", err)
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("admin: templates: %w", err)
	}
	pages := make(map[string]*template.Template)
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(files, n)
		if err != nil {
			return nil, fmt.Errorf("admin: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes the page named name (templates/NAME.html inside the
// layout) with status code. It is the one way admin pages are written.
func (h *Handler) render(c echo.Context, code int, name, title string, data any) error {
	t, ok := h.pages[name]
	if !ok {
		return fmt.Errorf("admin: no template %q", name)
	}
	token, err := h.csrfToken(c)
	if err != nil {
		return fmt.Errorf("admin: csrf token: %w", err)
	}
	p := Page{Title: title, User: currentUser(c), CSRF: token, Flash: h.takeFlash(c),
		Lang: h.ui.Lang(), Dir: h.ui.Dir(), Prefix: iri.AdminPrefix, Data: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("admin: render %s: %w", name, err)
	}
	return c.HTMLBlob(code, buf.Bytes())
}

// renderError answers err with the admin error page for client errors and
// hands server errors (500) to the node's error handler, which logs them.
func (h *Handler) renderError(c echo.Context, err error) error {
	code := http.StatusInternalServerError
	msg := ""
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		code = he.Code
		if m, ok := he.Message.(string); ok {
			msg = m
		}
	case errors.Is(err, storage.ErrNotFound):
		code = http.StatusNotFound
	}
	if code >= 500 {
		return err
	}
	if msg == "" {
		msg = http.StatusText(code)
	}
	if rerr := h.render(c, code, "error", h.ui.T(http.StatusText(code)),
		errorData{Code: code, Message: h.ui.Message(msg)}); rerr != nil {
		return rerr
	}
	return nil
}

// flash keeps a message (an English interface text, translated when shown)
// for the next page this browser gets: after a POST, redirect, and the
// page shows it (POST-redirect-GET).
func (h *Handler) flash(c echo.Context, msg string) {
	c.SetCookie(h.cookie(flashCookie, base64.RawURLEncoding.EncodeToString([]byte(msg)), 60))
}

// takeFlash returns the kept message, translated, and forgets it.
func (h *Handler) takeFlash(c echo.Context) string {
	ck, err := c.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	c.SetCookie(h.cookie(flashCookie, "", -1))
	b, err := base64.RawURLEncoding.DecodeString(ck.Value)
	if err != nil || len(b) > 500 {
		return ""
	}
	return h.ui.Message(string(b))
}

// static serves the admin interface's CSS.
func (h *Handler) static(c echo.Context) error {
	name := c.Param("*")
	b, err := fs.ReadFile(files, "static/"+name)
	if err != nil || strings.Contains(name, "/") {
		return echo.NewHTTPError(http.StatusNotFound, "Not Found")
	}
	ct := "application/octet-stream"
	switch path.Ext(name) {
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".js":
		ct = "text/javascript; charset=utf-8"
	}
	return c.Blob(http.StatusOK, ct, b)
}
