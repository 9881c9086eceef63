package web

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/iri"
)

// WebFinger (RFC 7033) as Mastodon uses it: acct:user@host, or the actor's
// URL, gives the actor's ActivityPub id.
func (s *Server) webfinger(c echo.Context) error {
	res := c.QueryParam("resource")
	if res == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "resource parameter is required")
	}
	username := ""
	switch {
	case strings.HasPrefix(res, "acct:"):
		user, host, ok := strings.Cut(strings.TrimPrefix(res, "acct:"), "@")
		if !ok || !strings.EqualFold(host, s.iri.Host()) {
			return echo.NewHTTPError(http.StatusNotFound, "no such account on this server")
		}
		username = strings.ToLower(strings.TrimPrefix(user, "@"))
	default:
		if u, ok := s.iri.ParseActor(res); ok {
			username = u
		} else if u, ok := strings.CutPrefix(res, s.iri.Profile("")); ok {
			username = u
		}
	}
	if res == s.iri.Instance() || username == s.iri.Host() {
		return s.jrd(c, map[string]any{
			"subject": "acct:" + s.iri.Host() + "@" + s.iri.Host(),
			"aliases": []string{s.iri.Instance()},
			"links": []map[string]string{
				{"rel": "self", "type": "application/activity+json", "href": s.iri.Instance()},
			},
		})
	}
	a, err := s.store.ActorByUsername(c.Request().Context(), username)
	if err != nil {
		return notFoundOr(err, "no such account on this server")
	}
	if a.IsInstance {
		return echo.NewHTTPError(http.StatusNotFound, "no such account on this server")
	}
	// No OStatus subscribe template: it would send people to a page where
	// an editor of this node follows someone, and none exists until the
	// admin interface brings it (remote following is `tadamun follow`).
	return s.jrd(c, map[string]any{
		"subject": "acct:" + a.Username + "@" + s.iri.Host(),
		"aliases": []string{s.iri.Actor(a.Username), s.iri.Profile(a.Username)},
		"links": []map[string]string{
			{"rel": "self", "type": "application/activity+json", "href": s.iri.Actor(a.Username)},
			{"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": s.iri.Profile(a.Username)},
		},
	})
}

func (s *Server) jrd(c echo.Context, v any) error {
	h := c.Response().Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "public, max-age=3600")
	h.Set(echo.HeaderContentType, "application/jrd+json; charset=utf-8")
	return c.JSON(http.StatusOK, v)
}

// host-meta (RFC 6415) points old clients at the WebFinger template.
func (s *Server) hostMeta(c echo.Context) error {
	tmpl := s.iri.WebFingerTemplate()
	if strings.HasSuffix(c.Request().URL.Path, ".json") || wantsJSON(c.Request()) {
		return s.jrd(c, map[string]any{"links": []map[string]string{{"rel": "lrdd", "template": tmpl}}})
	}
	type link struct {
		Rel      string `xml:"rel,attr"`
		Type     string `xml:"type,attr"`
		Template string `xml:"template,attr"`
	}
	doc := struct {
		XMLName xml.Name `xml:"http://docs.oasis-open.org/ns/xri/xrd-1.0 XRD"`
		Link    link     `xml:"Link"`
	}{Link: link{Rel: "lrdd", Type: "application/xrd+xml", Template: tmpl}}
	out, err := xml.Marshal(doc)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return c.Blob(http.StatusOK, "application/xrd+xml; charset=utf-8", append([]byte(xml.Header), out...))
}

// nodeInfoIndex is /.well-known/nodeinfo: where the NodeInfo documents are.
func (s *Server) nodeInfoIndex(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"links": []map[string]string{
		{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.0", "href": s.iri.NodeInfo("2.0")},
		{"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": s.iri.NodeInfo("2.1")},
	}})
}

// nodeInfo serves NodeInfo 2.0 and 2.1: software, protocols, usage.
func (s *Server) nodeInfo(c echo.Context) error {
	ver := c.Param("version")
	if ver != "2.0" && ver != "2.1" {
		return echo.NewHTTPError(http.StatusNotFound, "NodeInfo 2.0 and 2.1 are served")
	}
	ctx := c.Request().Context()
	actors, err := s.store.ListActors(ctx)
	if err != nil {
		return err
	}
	posts, err := s.store.CountVisible(ctx, "", s.cfg.Now())
	if err != nil {
		return err
	}
	software := map[string]any{"name": "tadamun", "version": s.cfg.Version}
	if ver == "2.1" {
		software["repository"] = "https://github.com/tadamun/tadamun"
		software["homepage"] = "https://github.com/tadamun/tadamun"
	}
	si, err := s.site(ctx)
	if err != nil {
		return err
	}
	// Mastodon, Misskey and the fediverse directories read the node's name
	// and description from these two metadata keys.
	meta := map[string]any{"nodeName": si.Name}
	if si.Description != "" {
		meta["nodeDescription"] = si.Description
	}
	n := len(actors)
	doc := map[string]any{
		"version":           ver,
		"software":          software,
		"protocols":         []string{"activitypub"},
		"services":          map[string][]string{"inbound": {}, "outbound": {"atom1.0", "rss2.0"}},
		"openRegistrations": false,
		"usage": map[string]any{
			"users":      map[string]int{"total": n, "activeMonth": n, "activeHalfyear": n},
			"localPosts": posts,
		},
		"metadata": meta,
	}
	c.Response().Header().Set(echo.HeaderContentType,
		`application/json; profile="http://nodeinfo.diaspora.software/ns/schema/`+ver+`#"`)
	c.Response().Header().Set("Access-Control-Allow-Origin", "*")
	return c.JSON(http.StatusOK, doc)
}

// wellKnownRoutes are the discovery endpoints.
func (s *Server) wellKnownRoutes() {
	e := s.echo
	e.GET(iri.WebFingerPath, s.document("webfinger", s.actorsRoute, s.webfinger))
	e.GET(iri.HostMetaPath, s.hostMeta)
	e.GET(iri.HostMetaJSONPath, s.hostMeta)
	e.GET(iri.NodeInfoPath, s.nodeInfoIndex)
	e.GET(iri.NodeInfoPrefix+":version", s.nodeInfo)
}
