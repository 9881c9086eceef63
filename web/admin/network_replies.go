package admin

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// replyRow is one reply in the queue, with its remote HTML marked safe: it
// was sanitized (content.SanitizeRemote) before it was stored, and is shown
// as the public statement page shows it (web/templates/statement.html).
type replyRow struct {
	*storage.RemoteObject
	Body      template.HTML
	Dir       string // of the reply's language, "" when it has none
	Statement *storage.Statement
	Domain    string
}

// repliesData is the content of an actor's replies page.
type repliesData struct {
	Actor   *storage.Actor
	State   string // the filter: pending, approved, rejected, or "" for all
	States  []string
	Replies []replyRow
	Admin   bool
	Cap     int
}

// repliesPage is the replies queue of an actor: the replies to its
// statements, pending ones by default (?state=approved|rejected|all).
func (h *Handler) repliesPage(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	state := c.QueryParam("state")
	switch state {
	case "":
		state = storage.ModerationPending
	case "all":
		state = ""
	case storage.ModerationPending, storage.ModerationApproved, storage.ModerationRejected:
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "Show pending, approved, rejected or all replies.")
	}
	ctx := c.Request().Context()
	list, err := h.store.ListActorReplies(ctx, a.ID, state, networkListCap)
	if err != nil {
		return fmt.Errorf("admin: replies: %w", err)
	}
	d := repliesData{Actor: a, State: state, Cap: networkListCap, Admin: currentUser(c).Role == storage.RoleAdmin,
		States: []string{storage.ModerationPending, storage.ModerationApproved, storage.ModerationRejected}}
	statements := map[string]*storage.Statement{}
	for _, o := range list {
		st, ok := statements[o.StatementID]
		if !ok {
			if st, err = h.store.StatementByID(ctx, o.StatementID); err != nil {
				return fmt.Errorf("admin: replies: %w", err)
			}
			statements[o.StatementID] = st
		}
		row := replyRow{RemoteObject: o, Body: template.HTML(o.ContentHTML), Statement: st, Domain: authorDomain(o.Author)}
		if o.Language != "" {
			row.Dir = content.Direction(o.Language)
		}
		d.Replies = append(d.Replies, row)
	}
	return h.render(c, http.StatusOK, "network_replies", h.ui(c).T("Replies"), d)
}

// authorDomain is the host name of a remote actor's address, the domain a
// block names.
func authorDomain(r *storage.RemoteActor) string {
	if r == nil {
		return ""
	}
	u, err := url.Parse(r.IRI)
	if err != nil {
		return ""
	}
	return strings.ToLower(u.Hostname())
}

// replyFor returns the reply named by the route if it answers a statement
// of the actor a; a reply to another actor's statement is a 404, as if it
// did not exist, so ids cannot be probed across actors.
func (h *Handler) replyFor(c echo.Context, a *storage.Actor) (*storage.RemoteObject, error) {
	ctx := c.Request().Context()
	o, err := h.store.ReplyByID(ctx, c.Param("id"))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such reply.")
	}
	if err != nil {
		return nil, fmt.Errorf("admin: reply: %w", err)
	}
	st, err := h.store.StatementByID(ctx, o.StatementID)
	if err != nil {
		return nil, fmt.Errorf("admin: reply's statement: %w", err)
	}
	if st.ActorID != a.ID {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such reply.")
	}
	return o, nil
}

// moderateReply approves or rejects a reply: "tadamun replies
// approve|reject ID".
func (h *Handler) moderateReply(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	o, err := h.replyFor(c, a)
	if err != nil {
		return err
	}
	state, msg := storage.ModerationRejected, "The reply is rejected."
	if strings.HasSuffix(c.Path(), "/approve") {
		state, msg = storage.ModerationApproved, "The reply is approved. It is on the public page."
	}
	ctx := c.Request().Context()
	if err := h.store.SetModeration(ctx, o.ID, state); err != nil {
		return fmt.Errorf("admin: moderate reply: %w", err)
	}
	h.log.InfoContext(ctx, "admin reply moderated", "user", currentUser(c).Username, "actor", a.Username,
		"reply", o.ID, "state", state)
	h.flash(c, msg)
	return c.Redirect(http.StatusSeeOther, h.repliesBack(c, a))
}

// blockReplyDomain blocks the domain of a reply's author, as "tadamun
// domain block" does (follows from there end, the queue to there is
// dropped, its inbox POSTs are refused), and rejects the reply. Admins
// only: a domain policy is the whole node's.
func (h *Handler) blockReplyDomain(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	o, err := h.replyFor(c, a)
	if err != nil {
		return err
	}
	d := authorDomain(o.Author)
	ctx := c.Request().Context()
	reason := "reply " + o.IRI
	if _, err := h.fed.SetDomainPolicy(ctx, d, storage.PolicyBlock, reason); err != nil {
		return networkRefusal(err)
	}
	if err := h.store.SetModeration(ctx, o.ID, storage.ModerationRejected); err != nil {
		return fmt.Errorf("admin: reject reply: %w", err)
	}
	h.log.InfoContext(ctx, "admin blocked a reply's domain", "user", currentUser(c).Username, "domain", d, "reply", o.ID)
	h.flash(c, "The domain is blocked and the reply rejected.")
	return c.Redirect(http.StatusSeeOther, h.repliesBack(c, a))
}

// repliesBack is the replies page to return to: the one the form was on.
func (h *Handler) repliesBack(c echo.Context, a *storage.Actor) string {
	back := iri.AdminPrefix + iri.AdminActors + a.Username + iri.AdminReplies
	switch s := c.FormValue("state"); s {
	case storage.ModerationApproved, storage.ModerationRejected, "all":
		back += "?state=" + s
	}
	return back
}

// blockReplyAuthor blocks the reply's author, as "tadamun account block"
// does (its inbox POSTs are refused, its follows end, its pending replies
// are rejected), and rejects this reply too. Admins only: the block is the
// whole node's.
func (h *Handler) blockReplyAuthor(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	o, err := h.replyFor(c, a)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.fed.BlockAccount(ctx, o.Author.IRI, "reply "+o.IRI); err != nil {
		return networkRefusal(err)
	}
	if err := h.store.SetModeration(ctx, o.ID, storage.ModerationRejected); err != nil {
		return fmt.Errorf("admin: reject reply: %w", err)
	}
	h.log.InfoContext(ctx, "admin blocked a reply's author", "user", currentUser(c).Username, "author", o.Author.IRI, "reply", o.ID)
	h.flash(c, "The author is blocked and the reply rejected.")
	return c.Redirect(http.StatusSeeOther, h.repliesBack(c, a))
}
