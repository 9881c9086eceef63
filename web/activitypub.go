package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// The HTTP face of ActivityPub: actor, object and collection documents with
// content negotiation, and the inboxes.

// wantsActivity reports whether the client asks for ActivityStreams JSON:
// application/activity+json, or application/ld+json (with the
// ActivityStreams profile, or none).
func wantsActivity(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q := params["q"]; q == "0" || q == "0.0" {
			continue
		}
		switch mt {
		case "application/activity+json":
			return true
		case "application/ld+json":
			if p := params["profile"]; p == "" || strings.Contains(p, "https://www.w3.org/ns/activitystreams") {
				return true
			}
		}
	}
	return false
}

// activityJSON answers an ActivityStreams document. Vary: Accept always,
// because the same URL serves HTML to browsers: a cache that ignored it
// would hand a server HTML and leave follows stuck on "pending".
func activityJSON(c echo.Context, status int, body []byte) error {
	h := c.Response().Header()
	h.Set("Vary", "Accept")
	h.Set("Cache-Control", "public, max-age=60")
	return c.Blob(status, federation.ContentType+"; charset=utf-8", body)
}

// negotiate sets Vary: Accept on a URL that has both an HTML and a JSON face.
func negotiate(c echo.Context) bool {
	c.Response().Header().Add("Vary", "Accept")
	return wantsActivity(c.Request())
}

func (s *Server) activityRoutes() {
	e := s.echo
	u := iri.UsersPrefix + ":username"
	e.GET(u, s.negotiated("actor", s.actorsRoute, s.actorDoc))
	e.GET(u+"/"+iri.Outbox, s.activity("outbox", s.listsRoute, s.actorDocument(s.outbox)))
	e.GET(u+"/"+iri.Followers, s.actorDocument(s.followers))
	e.GET(u+"/"+iri.Following, s.actorDocument(s.following))
	e.GET(u+"/"+iri.Featured, s.actorDocument(s.featured))
	e.GET(u+"/"+iri.Statements+"/:id", s.negotiated("statement-doc", s.statementRoute, s.statementDoc))
	e.GET(u+"/"+iri.Statements+"/:id/"+iri.CreateSuffix, s.createDoc)
	e.GET(u+"/"+iri.Statements+"/:id/"+iri.Replies, s.repliesDoc)
	e.GET(u+"/"+iri.Activities+"/:id", s.activityDoc)
	e.POST(u+"/"+iri.Inbox, s.inbox)
	e.POST(iri.SharedInbox, s.inbox)
	e.GET(iri.InstanceActor, s.instanceActor)
	e.POST(iri.InstanceActor+"/"+iri.Inbox, s.inbox)
	e.GET(iri.InstanceActor+"/"+iri.Outbox, s.instanceOutbox)
}

// authorize enforces authorized-fetch mode (and the allow-list mode, which
// implies it): ActivityPub GETs must be signed by a server we can verify. The instance actor stays open, as others need
// its key to verify us.
func (s *Server) authorize(c echo.Context) error {
	required, err := s.fed.SignedFetchRequired(c.Request().Context())
	if err != nil || !required {
		return err
	}
	if err := s.fed.VerifyFetch(c.Request().Context(), c.Request()); err != nil {
		// A server shut out by domain policy (blocked, or not on the
		// allow-list) learns that it is refused, not that its signature is
		// wrong.
		var ie *federation.InboxError
		if errors.As(err, &ie) && ie.Status == http.StatusForbidden {
			return echo.NewHTTPError(http.StatusForbidden, ie.Msg).SetInternal(err)
		}
		return echo.NewHTTPError(http.StatusUnauthorized, "this server requires signed requests").SetInternal(err)
	}
	return nil
}

func (s *Server) actor(c echo.Context) (*storage.Actor, error) {
	a, err := s.store.ActorByUsername(c.Request().Context(), c.Param("username"))
	if err != nil {
		return nil, notFoundOr(err, "No such account on this node.")
	}
	if a.IsInstance {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such account on this node.")
	}
	return a, nil
}

func (s *Server) actorDoc(c echo.Context) error {
	if !negotiate(c) {
		return c.Redirect(http.StatusFound, s.iri.Profile(c.Param("username")))
	}
	return s.actorJSON(c)
}

func (s *Server) actorJSON(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	if err := s.authorize(c); err != nil {
		return err
	}
	b, err := s.fed.ActorDocument(a)
	if err != nil {
		return err
	}
	return activityJSON(c, http.StatusOK, b)
}

func (s *Server) instanceActor(c echo.Context) error {
	c.Response().Header().Add("Vary", "Accept")
	a, err := s.fed.EnsureInstanceActor(c.Request().Context())
	if err != nil {
		return err
	}
	b, err := s.fed.ActorDocument(a)
	if err != nil {
		return err
	}
	return activityJSON(c, http.StatusOK, b)
}

func (s *Server) instanceOutbox(c echo.Context) error {
	b, err := s.fed.EmptyCollection(s.iri.InstanceOutbox())
	if err != nil {
		return err
	}
	return activityJSON(c, http.StatusOK, b)
}

// actorDocument answers a document about the actor named by :username,
// built by doc, after the authorized-fetch check.
func (s *Server) actorDocument(doc func(ctx context.Context, c echo.Context, a *storage.Actor) ([]byte, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		a, err := s.actor(c)
		if err != nil {
			return err
		}
		if err := s.authorize(c); err != nil {
			return err
		}
		b, err := doc(c.Request().Context(), c, a)
		if errors.Is(err, federation.ErrInvalid) {
			return echo.NewHTTPError(http.StatusBadRequest, "bad page cursor")
		}
		if err != nil {
			return err
		}
		return activityJSON(c, http.StatusOK, b)
	}
}

func (s *Server) outbox(ctx context.Context, c echo.Context, a *storage.Actor) ([]byte, error) {
	return s.fed.OutboxDocument(ctx, a, c.QueryParam(iri.PageParam) != "", c.QueryParam(iri.BeforeParam))
}

func (s *Server) followers(ctx context.Context, _ echo.Context, a *storage.Actor) ([]byte, error) {
	return s.fed.FollowersDocument(ctx, a)
}

func (s *Server) following(ctx context.Context, c echo.Context, a *storage.Actor) ([]byte, error) {
	page := 0 // the collection itself, which links to page 1
	if v := c.QueryParam(iri.PageParam); v != "" {
		var err error
		if page, err = parsePage(v); err != nil {
			return nil, err
		}
	}
	return s.fed.FollowingDocument(ctx, a, page)
}

func (s *Server) featured(ctx context.Context, _ echo.Context, a *storage.Actor) ([]byte, error) {
	return s.fed.FeaturedDocument(ctx, a)
}

// statementFor finds the statement of :username and :id, answering 404 for
// anything not (yet) visible and 410 with a Tombstone for a deleted one.
func (s *Server) statementFor(c echo.Context) (*storage.Statement, *storage.Actor, error) {
	a, err := s.actor(c)
	if err != nil {
		return nil, nil, err
	}
	notFound := echo.NewHTTPError(http.StatusNotFound, "No such statement.")
	id := c.Param("id")
	if !storage.ValidID(id) {
		return nil, nil, notFound
	}
	st, err := s.store.StatementByID(c.Request().Context(), id)
	if err != nil {
		return nil, nil, notFoundOr(err, "No such statement.")
	}
	if st.ActorID != a.ID {
		return nil, nil, notFound
	}
	if st.State == storage.StateDeleted {
		return st, a, nil
	}
	if !st.VisibleAt(s.cfg.Now()) {
		return nil, nil, notFound
	}
	return st, a, nil
}

func (s *Server) statementDoc(c echo.Context) error {
	st, a, err := s.statementFor(c)
	if err != nil {
		return err
	}
	if !negotiate(c) {
		if st.State == storage.StateDeleted {
			return echo.NewHTTPError(http.StatusGone, "This statement has been deleted.")
		}
		return c.Redirect(http.StatusFound, s.iri.StatementPage(a.Username, st.Slug, ""))
	}
	return s.statementJSON(c, st, a)
}

func (s *Server) statementJSON(c echo.Context, st *storage.Statement, a *storage.Actor) error {
	if err := s.authorize(c); err != nil {
		return err
	}
	if st.State == storage.StateDeleted {
		b, err := s.fed.TombstoneDocument(st, a)
		if err != nil {
			return err
		}
		return activityJSON(c, http.StatusGone, b)
	}
	counts, err := s.store.InteractionCounts(c.Request().Context(), st.ID)
	if err != nil {
		return err
	}
	b, err := s.fed.StatementDocument(st, a, counts.Replies)
	if err != nil {
		return err
	}
	return activityJSON(c, http.StatusOK, b)
}

func (s *Server) createDoc(c echo.Context) error {
	st, a, err := s.statementFor(c)
	if err != nil {
		return err
	}
	if err := s.authorize(c); err != nil {
		return err
	}
	if st.State == storage.StateDeleted {
		return echo.NewHTTPError(http.StatusGone, "This statement has been deleted.")
	}
	b, err := s.fed.CreateDocument(st, a)
	if err != nil {
		return err
	}
	return activityJSON(c, http.StatusOK, b)
}

func (s *Server) repliesDoc(c echo.Context) error {
	st, a, err := s.statementFor(c)
	if err != nil {
		return err
	}
	if err := s.authorize(c); err != nil {
		return err
	}
	if st.State == storage.StateDeleted {
		return echo.NewHTTPError(http.StatusGone, "This statement has been deleted.")
	}
	b, err := s.fed.RepliesDocument(c.Request().Context(), st, a, c.QueryParam(iri.PageParam) != "")
	if err != nil {
		return err
	}
	return activityJSON(c, http.StatusOK, b)
}

// activityDoc serves an activity we sent, as it was sent, so that its id
// can be dereferenced (Mastodon fetches an Accept's object, for one).
func (s *Server) activityDoc(c echo.Context) error {
	a, err := s.actor(c)
	if err != nil {
		return err
	}
	if err := s.authorize(c); err != nil {
		return err
	}
	id := c.Param("id")
	if !storage.ValidID(id) {
		return echo.NewHTTPError(http.StatusNotFound, "No such activity.")
	}
	act, err := s.store.ActivityByID(c.Request().Context(), id)
	if err != nil {
		return notFoundOr(err, "No such activity.")
	}
	if act.Direction != storage.Outbound || act.LocalActorID != a.ID || act.IRI != s.iri.Activity(a.Username, id) {
		return echo.NewHTTPError(http.StatusNotFound, "No such activity.")
	}
	return activityJSON(c, http.StatusOK, act.Body)
}

// inbox receives activities. The body is capped (1 MiB, 413 beyond) by the
// middleware; federation.Receive does the checks in protocol order and
// persists before we answer 202.
func (s *Server) inbox(c echo.Context) error {
	username := c.Param("username")
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "body too large")
		}
		return echo.NewHTTPError(http.StatusBadRequest, "cannot read body").SetInternal(err)
	}
	if err := s.fed.Receive(c.Request().Context(), c.Request(), body, username); err != nil {
		var ie *federation.InboxError
		if errors.As(err, &ie) {
			s.log.InfoContext(c.Request().Context(), "inbox refused", "status", ie.Status, "reason", ie.Msg,
				"err", ie.Err, "request_id", requestID(c))
			return echo.NewHTTPError(ie.Status, ie.Msg)
		}
		return err
	}
	return c.NoContent(http.StatusAccepted)
}
