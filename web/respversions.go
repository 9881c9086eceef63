package web

import (
	"context"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/storage"
)

// The versions of the response cache's selections (respcache.go). Each is
// made of cheap reads, and each covers what its responses show:
//
//   - the visible statements: how many there are now and when the newest
//     of them last changed (an edit, a translation, a deletion, a scheduled
//     statement reaching its time all move one of the two);
//   - the actors: when any of them last changed (items carry their actor's
//     name, so a rename reaches every list);
//   - the node settings (name, description, language), in every page's
//     header;
//   - for one statement, its counts: likes, boosts and approved replies,
//     and the newest change among those replies and their authors
//     (approving, rejecting or deleting a reply moves the last);
//   - for one actor, its follower count (on its profile).
//
// Every read goes through the version gate (respgate.go), which shares one
// read between the requests that arrive while another read runs.
//
// A Like changes the counts of its statement only: it leaves every other
// page's version, and the lists, as they were.

// listsVersion is the version of everything that lists statements, and the
// base of every page's version.
func (s *Server) listsVersion(c echo.Context) (string, error) {
	return s.gate.do(c.Request().Context(), "lists", s.readListsVersion)
}

func (s *Server) readListsVersion(ctx context.Context) (string, error) {
	n, newest, err := s.store.StatementsVersion(ctx, storage.StatementQuery{VisibleAt: s.cfg.Now()})
	if err != nil {
		return "", err
	}
	actors, err := s.store.ActorsChanged(ctx)
	if err != nil {
		return "", err
	}
	si, err := s.site(ctx)
	if err != nil {
		return "", err
	}
	return versionStamp(strconv.Itoa(n), stamp(newest), stamp(actors), si.Name, si.Description, si.Language), nil
}

// listsRoute versions a page or document that depends on the lists only.
func (s *Server) listsRoute(c echo.Context, _ string) (string, string, error) {
	v, err := s.listsVersion(c)
	return v, "", err
}

// actorsRoute versions a document made of an actor alone (actor JSON,
// WebFinger).
func (s *Server) actorsRoute(c echo.Context, _ string) (string, string, error) {
	v, err := s.gate.do(c.Request().Context(), "actors", func(ctx context.Context) (string, error) {
		actors, err := s.store.ActorsChanged(ctx)
		if err != nil {
			return "", err
		}
		si, err := s.site(ctx)
		if err != nil {
			return "", err
		}
		return versionStamp(stamp(actors), si.Name), nil
	})
	return v, "", err
}

// profileRoute versions an actor's profile: the lists and its follower
// count. aux is the actor's id.
func (s *Server) profileRoute(c echo.Context, aux string) (string, string, error) {
	ctx := c.Request().Context()
	if aux == "" {
		a, err := s.store.ActorByUsername(ctx, c.Param("username"))
		if err != nil {
			return "", "", err
		}
		aux = a.ID
	}
	v, err := s.listsVersion(c)
	if err != nil {
		return "", "", err
	}
	f, err := s.gate.do(ctx, "followers:"+aux, func(ctx context.Context) (string, error) {
		n, err := s.store.CountFollowers(ctx, aux)
		return strconv.Itoa(n), err
	})
	if err != nil {
		return "", "", err
	}
	return versionStamp(v, f), aux, nil
}

// statementRoute versions a statement's page or document: the lists (its
// own content changes move them) and its counts. aux is the statement's
// id, found once from the slug or taken from the address.
func (s *Server) statementRoute(c echo.Context, aux string) (string, string, error) {
	ctx := c.Request().Context()
	if aux == "" {
		if id := c.Param("id"); id != "" {
			aux = id
		} else {
			a, err := s.store.ActorByUsername(ctx, c.Param("username"))
			if err != nil {
				return "", "", err
			}
			st, err := s.store.StatementBySlug(ctx, a.ID, c.Param("slug"))
			if err != nil {
				return "", "", err
			}
			aux = st.ID
		}
	}
	// One read for both parts: a statement boosted widely is asked for by
	// hundreds of servers at once, and they share it.
	v, err := s.gate.do(ctx, "statement:"+aux, func(ctx context.Context) (string, error) {
		lists, err := s.readListsVersion(ctx)
		if err != nil {
			return "", err
		}
		n, err := s.store.InteractionCounts(ctx, aux)
		if err != nil {
			return "", err
		}
		return versionStamp(lists, strconv.Itoa(n.Likes), strconv.Itoa(n.Announces), strconv.Itoa(n.Replies), n.RepliesChanged), nil
	})
	return v, aux, err
}

// partnersRoute versions the partners page and feeds.
func (s *Server) partnersRoute(c echo.Context, _ string) (string, string, error) {
	v, err := s.gate.do(c.Request().Context(), "partners", func(ctx context.Context) (string, error) {
		p, err := s.store.PartnerVersion(ctx)
		if err != nil {
			return "", err
		}
		si, err := s.site(ctx)
		if err != nil {
			return "", err
		}
		return versionStamp(p, si.Name, si.Description, si.Language), nil
	})
	return v, "", err
}

// page, negotiated, document and activity name cached routes of each kind:
// a page (HTML with interface words), a URL that serves such a page or
// ActivityStreams JSON, a document without interface words (WebFinger, a
// feed), an ActivityStreams document.
func (s *Server) page(name string, v versionFunc, h echo.HandlerFunc) echo.HandlerFunc {
	return s.cached(cachedRoute{name: name, version: v, words: true}, h)
}

func (s *Server) negotiated(name string, v versionFunc, h echo.HandlerFunc) echo.HandlerFunc {
	return s.cached(cachedRoute{name: name, version: v, negotiated: true, words: true}, h)
}

func (s *Server) document(name string, v versionFunc, h echo.HandlerFunc) echo.HandlerFunc {
	return s.cached(cachedRoute{name: name, version: v}, h)
}

func (s *Server) activity(name string, v versionFunc, h echo.HandlerFunc) echo.HandlerFunc {
	return s.cached(cachedRoute{name: name, version: v, activity: true}, h)
}
