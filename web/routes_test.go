package web

import (
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/iri"
)

// routedActorPages returns the fixed segments that routes register directly
// below an actor's profile: "follow" for /@:username/follow, but nothing for
// /@:username/:slug.
func routedActorPages(routes []*echo.Route) []string {
	var pages []string
	prefix := iri.ProfilePrefix + ":username/"
	for _, r := range routes {
		rest, ok := strings.CutPrefix(r.Path, prefix)
		if !ok {
			continue
		}
		seg, _, _ := strings.Cut(rest, "/")
		if seg == "" || strings.HasPrefix(seg, ":") || strings.HasPrefix(seg, "*") {
			continue
		}
		if !slices.Contains(pages, seg) {
			pages = append(pages, seg)
		}
	}
	return pages
}

// unreserved returns the routed actor pages that iri does not reserve as
// slugs: each would shadow (or be shadowed by) a statement with that slug.
func unreserved(routes []*echo.Route) []string {
	var out []string
	for _, p := range routedActorPages(routes) {
		if !iri.ReservedSlug(p) {
			out = append(out, p)
		}
	}
	return out
}

func routeTableServer(t *testing.T) *Server {
	t.Helper()
	s, err := New(Config{}, nil, federation.New(federation.Config{Scheme: "https", Host: "node.example"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestActorPagesReserved: every page the route table puts at
// /@:username/NAME is a reserved slug in iri, and every reserved slug is
// routed, so the two lists cannot drift apart.
func TestActorPagesReserved(t *testing.T) {
	s := routeTableServer(t)
	routes := s.echo.Routes()
	if bad := unreserved(routes); len(bad) > 0 {
		t.Errorf("routes under %s:username/ that iri.ActorPages does not reserve: %v", iri.ProfilePrefix, bad)
	}
	routed := routedActorPages(routes)
	for _, p := range iri.ActorPages() {
		if !slices.Contains(routed, p) {
			t.Errorf("iri.ActorPages reserves %q but no route serves %s:username/%s", p, iri.ProfilePrefix, p)
		}
	}
	if len(routed) == 0 {
		t.Fatal("found no actor-level routes: the test no longer sees the route table")
	}

	// The check catches a page added to the table without reserving it.
	s.echo.GET(iri.ProfilePrefix+":username/boosts", func(c echo.Context) error { return c.NoContent(http.StatusOK) })
	if bad := unreserved(s.echo.Routes()); !slices.Equal(bad, []string{"boosts"}) {
		t.Errorf("after adding /@:username/boosts, unreserved = %v, want [boosts]", bad)
	}
}

// TestTemplatesBuildNoAddresses: page templates link to the node's pages
// through the iri path helpers (profilePath, statementPath, tagPath,
// mediaPath, followPath), never by spelling out a route's path, so that a
// route moved in iri moves every link to it.
func TestTemplatesBuildNoAddresses(t *testing.T) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(names) == 0 {
		t.Fatalf("templates: %v, %v", names, err)
	}
	spelled := []string{`"` + iri.ProfilePrefix, `"` + iri.TagsPrefix, `"` + iri.MediaPrefix, "/" + iri.Follow + `"`}
	for _, n := range names {
		b, err := fs.ReadFile(templateFS, n)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			for _, p := range spelled {
				if strings.Contains(line, p) {
					t.Errorf("%s:%d spells out the path %s: use the iri path helpers", n, i+1, strings.Trim(p, `"`))
				}
			}
		}
	}
}
