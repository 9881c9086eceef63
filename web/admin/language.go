package admin

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/web/i18n"
)

// The admin interface speaks the editor's language, chosen per request:
//
//  1. the signed-in user's own choice, kept with the user
//     (storage.User.Language, set by the picker at the foot of every admin
//     page: a form of buttons, no JavaScript, CSRF-protected);
//  2. the site's picker cookie (tadamun_lang), so that the sign-in page is
//     in the language the reader chose on the public site, or with the
//     sign-in page's own picker (which posts to the public one:
//     sitePickerPath);
//  3. the browser's Accept-Language, matched against the shipped
//     languages (i18n.Set.MatchAccept);
//  4. the node's default: Config.DefaultLanguage when given, else the
//     language the handler was built with.
//
// Every admin response is no-store, so no cache has to vary on any of it.
// The templates are parsed once per shipped language at start, "t", "date"
// and "num" bound to that language.

// languagePath is where the admin's picker posts (under /admin).
const languagePath = "/language"

// siteLangCookie is the public site's picker cookie (web/language.go's
// langCookie): read here, never set, so that choosing the admin's language
// leaves the public site as the reader chose it.
const siteLangCookie = "tadamun_lang"

// sitePickerPath is where the public site's picker posts (web/language.go's
// languagePath, outside /admin). Signed out there is no session to keep a
// choice with, and the admin's CSRF rule lets only the sign-in form be
// posted, so the sign-in page's picker posts there instead: all that
// endpoint does, for anyone, is set siteLangCookie and send the browser
// back to a path on this node.
const sitePickerPath = "/language"

// ctxView is the context key of the request's view, chosen once.
const ctxView = "admin.view"

// view is the admin interface in one language: its words and its pages.
type view struct {
	ui     *i18n.UI
	pages  map[string]*template.Template
	picker []languageChoice // the picker, this language marked
}

// languageChoice is one button of the picker.
type languageChoice struct {
	Tag, Name, Dir string
	Current        bool
}

// newViews parses the pages once per shipped language. def, the language
// the handler is built with, is among them even when it is not shipped
// (its own catalogue then).
func newViews(def *i18n.UI) (map[string]*view, error) {
	set, err := i18n.Shipped()
	if err != nil {
		return nil, fmt.Errorf("admin: message catalogues: %w", err)
	}
	uis := []*i18n.UI{}
	for _, l := range set.Languages() {
		if l.Tag != def.Lang() {
			uis = append(uis, set.UI(l.Tag))
		} else {
			uis = append(uis, def)
		}
	}
	if set.UI(def.Lang()) == nil {
		uis = append(uis, def)
	}
	views := make(map[string]*view, len(uis))
	for _, u := range uis {
		pages, err := parsePages(u)
		if err != nil {
			return nil, fmt.Errorf("admin: pages in %s: %w", u.Lang(), err)
		}
		views[u.Lang()] = &view{ui: u, pages: pages}
	}
	for tag, v := range views {
		for _, u := range uis {
			v.picker = append(v.picker, languageChoice{Tag: u.Lang(), Name: u.Name(), Dir: u.Dir(), Current: u.Lang() == tag})
		}
	}
	return views, nil
}

// view is the interface of this request, chosen on first use.
func (h *Handler) view(c echo.Context) *view {
	if v, ok := c.Get(ctxView).(*view); ok {
		return v
	}
	v := h.views[h.language(c)]
	c.Set(ctxView, v)
	return v
}

// ui is the request's interface language: every word the admin shows
// goes through it.
func (h *Handler) ui(c echo.Context) *i18n.UI { return h.view(c).ui }

// language is the request's interface language (see the top of this file).
func (h *Handler) language(c echo.Context) string {
	if u := currentUser(c); u != nil && h.views[u.Language] != nil {
		return u.Language
	}
	r := c.Request()
	if ck, err := r.Cookie(siteLangCookie); err == nil && h.views[ck.Value] != nil {
		return ck.Value
	}
	if l := h.langs.MatchAccept(r.Header.Get("Accept-Language")); l != "" && h.views[l] != nil {
		return l
	}
	if h.cfg.DefaultLanguage != nil {
		if l := h.cfg.DefaultLanguage(r.Context()); h.views[l] != nil {
			return l
		}
	}
	return h.def
}

// chooseLanguage is the picker's target: it keeps the signed-in user's
// choice with the user and sends them back to the admin page they were on,
// now in that language. "auto" forgets the choice: the browser's language
// decides again.
func (h *Handler) chooseLanguage(c echo.Context) error {
	u := currentUser(c)
	lang := c.FormValue("lang")
	if lang == "auto" {
		lang = ""
	} else if h.views[lang] == nil {
		return echo.NewHTTPError(http.StatusBadRequest, "No such interface language.")
	}
	ctx := c.Request().Context()
	if err := h.store.SetUserLanguage(ctx, u.ID, lang); err != nil {
		return fmt.Errorf("admin: language: %w", err)
	}
	h.log.InfoContext(ctx, "admin interface language chosen", "user", u.Username, "language", lang)
	return c.Redirect(http.StatusSeeOther, adminBack(c.FormValue("back")))
}

// adminBack is where the picker returns to: an admin page of this node,
// never another site (an open redirect would lend the node's name to
// anyone's link), and never the picker itself.
func adminBack(raw string) string {
	home := iri.AdminPrefix
	if raw == "" || strings.HasPrefix(raw, "//") || strings.ContainsAny(raw, "\\\r\n\t") {
		return home
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	if u.Path != home && !strings.HasPrefix(u.Path, home+"/") || strings.Contains(u.Path, "/..") ||
		u.Path == home+languagePath {
		return home
	}
	return u.RequestURI()
}
