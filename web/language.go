package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/web/i18n"
)

// The interface language of a request is, in order:
//
//  1. the language its address names: /ar (the statements in Arabic) and
//     /@user/SLUG/ar (a statement's Arabic version), when that language is
//     shipped. A statement's own address (/@user/SLUG) names none, even
//     when the statement is written in a shipped language: it is the one
//     address every reader shares, and knowing its language would cost a
//     database read before the response cache can answer;
//  2. the reader's choice, the tadamun_lang cookie set by the picker at the
//     foot of every page (a plain form: no JavaScript);
//  3. the browser's Accept-Language, matched against the shipped
//     languages;
//  4. the node's default: Config.Language, else the node setting's
//     language when shipped, else English.
//
// The response cache keys pages on it (respcache.go), so it must cost
// next to nothing on a cached hit: no allocation for the address and the
// cookie, and a small memo of Accept-Language headers.

// languagePath is where the picker posts the reader's choice.
const languagePath = "/language"

// langCookie holds the reader's choice of interface language.
const langCookie = "tadamun_lang"

// langCookieAge is how long the choice is kept: a year, renewed by every
// new choice.
const langCookieAge = 365 * 24 * 60 * 60

// maxAcceptMemo bounds the memo of Accept-Language headers: browsers send
// a handful of distinct values, a crawler may send any; when full, the
// memo starts over.
const maxAcceptMemo = 256

// uiView is the interface in one language: its words and its page
// templates, parsed once at start with "t" bound to that language.
type uiView struct {
	ui    *i18n.UI
	pages map[string]*template.Template
}

// uiLanguages is what language selection needs, made once in New.
type uiLanguages struct {
	views   map[string]*uiView
	list    []i18n.Language         // for the picker, English first
	pickers map[string][]pickerLink // per current language, made once
	set     *i18n.Set               // matches Accept-Language (Set.MatchAccept)

	mu     sync.RWMutex
	accept map[string]string // Accept-Language header → shipped tag or ""
}

// newUILanguages parses the templates once per shipped language.
func newUILanguages(set *i18n.Set) (*uiLanguages, error) {
	l := &uiLanguages{views: map[string]*uiView{}, list: set.Languages(), accept: map[string]string{}, set: set}
	if len(l.list) == 0 {
		return nil, fmt.Errorf("web: no interface language")
	}
	for _, lang := range l.list {
		u := set.UI(lang.Tag)
		pages, err := parseTemplates(u)
		if err != nil {
			return nil, fmt.Errorf("web: templates in %s: %w", lang.Tag, err)
		}
		l.views[lang.Tag] = &uiView{ui: u, pages: pages}
	}
	l.pickers = map[string][]pickerLink{}
	for _, lang := range l.list {
		l.pickers[lang.Tag] = l.picker(lang.Tag)
	}
	return l, nil
}

// uiLanguage is the interface language of a request: from its address,
// then the reader's choice (a cookie), then Accept-Language, then the
// node's default.
func (s *Server) uiLanguage(c echo.Context) string {
	r := c.Request()
	if l := s.langs.fromPath(r.URL.Path); l != "" {
		return l
	}
	if l := s.langs.fromCookie(r.Header); l != "" {
		return l
	}
	if h := r.Header.Get("Accept-Language"); h != "" {
		if l := s.langs.fromAccept(h); l != "" {
			return l
		}
	}
	return s.defaultLanguage(r.Context())
}

// uiView is the interface of a request.
func (s *Server) uiView(c echo.Context) *uiView { return s.langs.views[s.uiLanguage(c)] }

// defaultLanguage is the node's interface language: the configured one,
// else the node setting when shipped, else English.
func (s *Server) defaultLanguage(ctx context.Context) string {
	if s.cfg.Language != "" {
		return s.cfg.Language // checked to be shipped in New
	}
	si, err := s.site(ctx)
	if err == nil && s.langs.views[si.Language] != nil {
		return si.Language
	}
	return "en"
}

// startLanguage is the interface language of what answers no one reader
// in particular (the admin interface, the partners' feed): the configured
// one, else the node setting as the process starts, else English.
func (s *Server) startLanguage() string {
	if s.cfg.Language != "" {
		return s.cfg.Language
	}
	if s.store == nil { // a server built only for its route table
		return "en"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := s.store.NodeSettings(ctx)
	if err != nil {
		s.log.Warn("node settings unavailable: the admin interface is in English", "err", err)
		return "en"
	}
	if l := s.langs.shipped(n.Language); l != "" {
		return l
	}
	return "en"
}

// shipped returns the tag as the views know it (no new string), or "".
func (l *uiLanguages) shipped(tag string) string {
	if v := l.views[tag]; v != nil {
		return v.ui.Lang()
	}
	return ""
}

// fromPath is the language an address names: "/ar" or
// "/@user/slug/ar".
func (l *uiLanguages) fromPath(p string) string {
	if len(p) < 2 || p[0] != '/' {
		return ""
	}
	rest := p[1:]
	if !strings.HasPrefix(p, iri.ProfilePrefix) {
		if strings.IndexByte(rest, '/') >= 0 {
			return ""
		}
		return l.shipped(rest)
	}
	// /@user/slug/lang: exactly three segments.
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(rest[i+1:], '/')
	if j < 0 {
		return ""
	}
	last := rest[i+1+j+1:]
	if strings.IndexByte(last, '/') >= 0 {
		return ""
	}
	return l.shipped(last)
}

// fromCookie reads the reader's choice from the Cookie headers without
// parsing every cookie (net/http's Cookie allocates them all).
func (l *uiLanguages) fromCookie(h http.Header) string {
	for _, line := range h["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && name == langCookie {
				return l.shipped(strings.Trim(value, `"`))
			}
		}
	}
	return ""
}

// fromAccept matches an Accept-Language header against the shipped
// languages, through the memo.
func (l *uiLanguages) fromAccept(h string) string {
	l.mu.RLock()
	tag, ok := l.accept[h]
	l.mu.RUnlock()
	if ok {
		return tag
	}
	tag = l.match(h)
	l.mu.Lock()
	if len(l.accept) >= maxAcceptMemo {
		clear(l.accept)
	}
	l.accept[h] = tag
	l.mu.Unlock()
	return tag
}

// match is fromAccept without the memo: the catalogues' own matching
// (i18n.Set.MatchAccept), where only a close match counts and ku-Arab is
// Sorani.
func (l *uiLanguages) match(h string) string { return l.set.MatchAccept(h) }

// shippedTags are the shipped languages' tags, in the catalogues' order.
func (l *uiLanguages) shippedTags() []string {
	out := make([]string, 0, len(l.list))
	for _, lang := range l.list {
		out = append(out, lang.Tag)
	}
	return out
}

// chooseLanguage is the picker's target: it keeps the reader's choice in a
// cookie and sends them back to the page they were on. It works without
// JavaScript: the picker is a form of buttons.
func (s *Server) chooseLanguage(c echo.Context) error {
	lang := s.langs.shipped(c.FormValue("lang"))
	if lang == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "No such interface language.")
	}
	c.SetCookie(&http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: langCookieAge,
		Expires: time.Now().Add(langCookieAge * time.Second), HttpOnly: true,
		Secure: s.iri.Scheme() == "https", SameSite: http.SameSiteLaxMode})
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Redirect(http.StatusSeeOther, s.langs.back(c.FormValue("back")))
}

// back is where the picker returns to: a path on this node, never another
// site (an open redirect would lend the node's name to anyone's link). An
// address that names a language would show that language again, whatever
// the choice, so the reader goes to the same page without it: /ar to the
// home page, /@user/slug/ar to the statement's own address.
func (l *uiLanguages) back(raw string) string {
	if raw == "" || raw[0] != '/' || strings.HasPrefix(raw, "//") || strings.ContainsAny(raw, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	if l.fromPath(u.Path) != "" {
		u.Path = u.Path[:strings.LastIndexByte(u.Path, '/')]
		if u.Path == "" {
			u.Path = "/"
		}
		u.RawPath = ""
	}
	return u.RequestURI()
}

// pickerLink is one language of the picker.
type pickerLink struct {
	Tag, Name, Dir string
	Current        bool
}

// picker lists the shipped languages, the current one marked (made once
// per language in newUILanguages: pages read l.pickers).
func (l *uiLanguages) picker(current string) []pickerLink {
	out := make([]pickerLink, 0, len(l.list))
	for _, lang := range l.list {
		out = append(out, pickerLink{Tag: lang.Tag, Name: lang.Name, Dir: l.views[lang.Tag].ui.Dir(), Current: lang.Tag == current})
	}
	return out
}
