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
	// Languages is the language picker, the current one marked; Back is
	// the page it returns to (this one).
	Languages []languageChoice
	Back      string
	Data      any
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
	v := h.view(c)
	t, ok := v.pages[name]
	if !ok {
		return fmt.Errorf("admin: no template %q", name)
	}
	token, err := h.csrfToken(c)
	if err != nil {
		return fmt.Errorf("admin: csrf token: %w", err)
	}
	p := Page{Title: title, User: currentUser(c), CSRF: token, Flash: h.takeFlash(c),
		Lang: v.ui.Lang(), Dir: v.ui.Dir(), Prefix: iri.AdminPrefix, Languages: v.picker,
		Back: h.backHere(c), Data: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return fmt.Errorf("admin: render %s: %w", name, err)
	}
	return c.HTMLBlob(code, buf.Bytes())
}

// backHere is where the picker of this page returns: the page itself when
// it was got with GET; a page answering a POST (a refused form) has no
// address to return to, so the dashboard.
func (h *Handler) backHere(c echo.Context) string {
	if r := c.Request(); r.Method == http.MethodGet || r.Method == http.MethodHead {
		return r.URL.RequestURI()
	}
	return iri.AdminPrefix
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
		msg = h.errorText(c, he)
	case errors.Is(err, storage.ErrNotFound):
		code = http.StatusNotFound
	}
	if code >= 500 {
		return err
	}
	ui := h.ui(c)
	if msg == "" {
		msg = ui.T(http.StatusText(code))
	}
	if rerr := h.render(c, code, "error", ui.T(http.StatusText(code)),
		errorData{Code: code, Message: msg}); rerr != nil {
		return rerr
	}
	return nil
}

// uiText is an error message with data in it (a number), kept as its
// message key and arguments so that the page translates it into the
// request's language, with the plural form the number takes there.
type uiText struct {
	key  string
	args []any
}

// String is the message in English, for logs.
func (m uiText) String() string { return fmt.Sprintf(m.key, m.args...) }

// httpErrorf is echo.NewHTTPError for a message with data: key is the
// English text with its verbs, as in the catalogues.
func httpErrorf(code int, key string, args ...any) *echo.HTTPError {
	return echo.NewHTTPError(code, uiText{key: key, args: args})
}

// errorText is the message of he in the request's language: a fixed
// English sentence through the catalogue, a uiText with its data; "" for
// anything else (the status text is shown instead).
func (h *Handler) errorText(c echo.Context, he *echo.HTTPError) string {
	switch m := he.Message.(type) {
	case uiText:
		return h.ui(c).T(m.key, m.args...)
	case string:
		return h.ui(c).Message(m)
	}
	return ""
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
	return h.ui(c).Message(string(b))
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
