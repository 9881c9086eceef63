package admin

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// The network pages (issue 8, "The network"): an actor's followers and
// follows, the replies queue, reports, domain policies and delivery health.
// Every change goes through the same federation.Service (or, where the CLI
// calls the store, storage) method as the matching CLI command, so the
// interface and the CLI have the same effect.

// networkListCap is how many rows one list of the network pages shows.
const networkListCap = 500

// registerNetwork puts the network pages on u, the signed-in group.
func (h *Handler) registerNetwork(u *echo.Group) {
	actor := iri.AdminActors + ":username"
	u.GET(actor+iri.AdminFollowers, h.followersPage)
	u.POST(actor+iri.AdminFollowers+"/approve", h.answerFollower)
	u.POST(actor+iri.AdminFollowers+"/reject", h.answerFollower)
	u.POST(actor+iri.AdminFollowers+"/remove", h.answerFollower)
	u.POST(actor+iri.AdminFollowing, h.follow)
	u.POST(actor+iri.AdminFollowing+"/remove", h.unfollow)

	u.GET(actor+iri.AdminReplies, h.repliesPage)
	u.POST(actor+iri.AdminReplies+"/:id/approve", h.moderateReply)
	u.POST(actor+iri.AdminReplies+"/:id/reject", h.moderateReply)
	u.POST(actor+iri.AdminReplies+"/:id/block-domain", h.blockReplyDomain, h.requireAdmin)
	u.POST(actor+iri.AdminReplies+"/:id/block-author", h.blockReplyAuthor, h.requireAdmin)

	u.GET(iri.AdminReports, h.reportsPage, h.requireAdmin)
	u.POST(iri.AdminReports+"/:id/resolve", h.resolveReport, h.requireAdmin)
	u.POST(iri.AdminReports+"/:id/block-domain", h.blockReportDomain, h.requireAdmin)
	u.POST(iri.AdminReports+"/:id/block-author", h.blockReporter, h.requireAdmin)

	u.GET(iri.AdminDomains, h.domainsPage, h.requireAdmin)
	u.POST(iri.AdminDomains, h.setDomainPolicy, h.requireAdmin)
	u.POST(iri.AdminDomains+"/remove", h.removeDomainPolicy, h.requireAdmin)
	u.POST(iri.AdminDomains+"/mode", h.setFederationMode, h.requireAdmin)
	u.POST(iri.AdminDomains+"/accounts", h.blockAccount, h.requireAdmin)
	u.POST(iri.AdminDomains+"/accounts/remove", h.unblockAccount, h.requireAdmin)

	u.GET(iri.AdminDeliveries, h.deliveriesPage, h.requireAdmin)
	u.POST(iri.AdminDeliveries+"/retry", h.retryDeliveries, h.requireAdmin)
}

// followersData is the content of an actor's followers page.
type followersData struct {
	Actor     *storage.Actor
	Pending   []*storage.Follower
	Accepted  []*storage.Follower
	Following []*storage.Following
	Cap       int
}

// followersPage lists an actor's pending and accepted followers and the
// actors it follows. Only the actor's editors see it: the list is never
// public.
func (h *Handler) followersPage(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	d := followersData{Actor: a, Cap: networkListCap}
	if d.Pending, err = h.store.ListFollowers(ctx, a.ID, storage.FollowPending, 0, networkListCap); err != nil {
		return fmt.Errorf("admin: followers: %w", err)
	}
	if d.Accepted, err = h.store.ListFollowers(ctx, a.ID, storage.FollowAccepted, 0, networkListCap); err != nil {
		return fmt.Errorf("admin: followers: %w", err)
	}
	if d.Following, err = h.store.ListFollowing(ctx, a.ID, 0, networkListCap); err != nil {
		return fmt.Errorf("admin: following: %w", err)
	}
	return h.render(c, http.StatusOK, "network_followers", h.ui(c).T("Followers and follows"), d)
}

// answerFollower approves or rejects a pending follower, or removes an
// accepted one: "tadamun followers approve|reject|remove".
func (h *Handler) answerFollower(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	who, err := whoField(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	accept := strings.HasSuffix(c.Path(), "/approve")
	if _, err := h.fed.AnswerFollower(ctx, a.Username, who, accept); err != nil {
		return networkRefusal(err)
	}
	msg := "The follower is removed."
	switch {
	case accept:
		msg = "The follower is approved."
	case strings.HasSuffix(c.Path(), "/reject"):
		msg = "The follow request is rejected."
	}
	h.log.InfoContext(ctx, "admin follower answered", "user", currentUser(c).Username, "actor", a.Username,
		"follower", who, "accept", accept)
	h.flash(c, msg)
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminActors+a.Username+iri.AdminFollowers)
}

// follow makes the actor follow a remote actor: "tadamun follow".
func (h *Handler) follow(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	who, err := whoField(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.fed.Follow(ctx, a.Username, who, storage.RelayPolicy{}); err != nil {
		if errors.Is(err, federation.ErrInvalid) {
			return networkRefusal(err)
		}
		// Most often the other server did not answer, or not with an
		// actor: say so rather than show a server error.
		h.log.WarnContext(ctx, "admin follow failed", "actor", a.Username, "who", who, "err", err)
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "The account could not be looked up on its server. Check the address and try again.")
	}
	h.log.InfoContext(ctx, "admin follow sent", "user", currentUser(c).Username, "actor", a.Username, "who", who)
	h.flash(c, "The follow is sent. It is active once they accept.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminActors+a.Username+iri.AdminFollowers)
}

// unfollow withdraws the actor's follow: "tadamun unfollow".
func (h *Handler) unfollow(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	who, err := whoField(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.fed.Unfollow(ctx, a.Username, who); err != nil {
		return networkRefusal(err)
	}
	h.log.InfoContext(ctx, "admin unfollow", "user", currentUser(c).Username, "actor", a.Username, "who", who)
	h.flash(c, "The follow is withdrawn.")
	return c.Redirect(http.StatusSeeOther, iri.AdminPrefix+iri.AdminActors+a.Username+iri.AdminFollowers)
}

// maxWho bounds the "who" field: a handle or an actor URL.
const maxWho = 2048

// whoField reads the remote actor a form names (@user@host or an actor
// URL).
func whoField(c echo.Context) (string, error) {
	who := strings.TrimSpace(c.FormValue("who"))
	if who == "" {
		return "", echo.NewHTTPError(http.StatusBadRequest, "Give an account as @user@host or as the URL of its actor.")
	}
	if len(who) > maxWho || strings.IndexFunc(who, unicode.IsControl) >= 0 {
		return "", echo.NewHTTPError(http.StatusBadRequest, "This is not an account's address.")
	}
	return who, nil
}

// networkRefusal turns what the federation service refused
// (federation.ErrInvalid) into a 400 with its reason; other errors stay
// server errors, logged by the node's error handler.
func networkRefusal(err error) error {
	if !errors.Is(err, federation.ErrInvalid) {
		return err
	}
	if m, ok := refusalText(err); ok {
		return echo.NewHTTPError(http.StatusBadRequest, m)
	}
	msg := err.Error()
	if i := strings.Index(msg, federation.ErrInvalid.Error()+": "); i >= 0 {
		msg = msg[i+len(federation.ErrInvalid.Error())+2:]
	}
	msg = strings.TrimSpace(msg)
	if msg == "" {
		msg = "The request is refused."
	} else {
		r := []rune(msg)
		r[0] = unicode.ToUpper(r[0])
		msg = string(r)
		if !strings.HasSuffix(msg, ".") {
			msg += "."
		}
	}
	return echo.NewHTTPError(http.StatusBadRequest, msg)
}
