package admin

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/tadamun/tadamun/federation"
	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// The Partners page (issue 9): an actor's partners (the accounts it
// follows) with the state of each follow and its relay policy; forms to add
// a partner with a policy, change the policy and remove a partner; and the
// partners' latest posts, each with a button to relay it by hand or stop
// relaying it. Every change goes through the federation.Service method the
// "tadamun partner" command calls, so both have the same effect.

// partnerPostsShown is how many partner posts the page lists.
const partnerPostsShown = 40

// partnerPostsScanned is how many of the node's partner posts are read to
// find the actor's: other actors' partners are skipped.
const partnerPostsScanned = 400

// maxObjectIRI bounds the post address a relay form sends.
const maxObjectIRI = 2048

// registerPartners puts the Partners pages on u, the signed-in group.
func (h *Handler) registerPartners(u *echo.Group) {
	base := iri.AdminActors + ":username" + iri.AdminPartners
	u.GET(iri.AdminPartners, h.partnersIndex)
	u.GET(base, h.partnersPage)
	u.POST(base, h.addPartner)
	u.POST(base+"/policy", h.setPartnerPolicy)
	u.POST(base+"/remove", h.removePartner)
	u.POST(base+"/relay", h.relayPartnerPost)
	u.POST(base+"/unrelay", h.relayPartnerPost)
}

// partnersIndexData lists the actors whose Partners pages the user may see.
type partnersIndexData struct {
	Actors []*storage.Actor
}

// partnersIndex is the Partners entry of the navigation: with one actor it
// goes straight to that actor's page, else it lists them.
func (h *Handler) partnersIndex(c echo.Context) error {
	actors, err := h.actorsFor(c)
	if err != nil {
		return err
	}
	if len(actors) == 1 {
		return c.Redirect(http.StatusSeeOther, h.partnersPath(actors[0].Username))
	}
	return h.render(c, http.StatusOK, "partners_index", h.ui(c).T("Partners"), partnersIndexData{Actors: actors})
}

func (h *Handler) partnersPath(username string) string {
	return iri.AdminPrefix + iri.AdminActors + username + iri.AdminPartners
}

// partnerRow is one partner of the actor: the follow and its policy.
type partnerRow struct {
	*storage.Following
	Tags string // the policy's hashtags as the tags field shows them
}

// adminPartnerPost is a partner post with whether the actor relays it.
type adminPartnerPost struct {
	*storage.RemoteObject
	Body    template.HTML // sanitized when stored
	Dir     string        // of the post's language, "" when it has none
	At      time.Time     // published, else first seen
	Relayed bool
	Manual  bool // relayed by an editor's hand
	// Images are the pictures we hold copies of (served by the node, as
	// the admin's Content-Security-Policy requires); Elsewhere counts the
	// media only at the original.
	Images    []partnerImage
	Elsewhere int
}

// partnerImage is a local copy of a partner's picture.
type partnerImage struct {
	Src, Alt string
}

// partnersData is the content of an actor's Partners page.
type partnersData struct {
	Actor    *storage.Actor
	Partners []partnerRow
	Posts    []adminPartnerPost
	Modes    []string
	Cap      int
}

// partnersPage shows an actor's partners and their latest posts. Only the
// actor's editors see it.
func (h *Handler) partnersPage(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	follows, err := h.store.ListFollowing(ctx, a.ID, 0, networkListCap)
	if err != nil {
		return fmt.Errorf("admin: partners: %w", err)
	}
	d := partnersData{Actor: a, Modes: []string{storage.RelayAll, storage.RelayTags, storage.RelayNone}, Cap: networkListCap}
	accepted := map[string]bool{}
	for _, f := range follows {
		d.Partners = append(d.Partners, partnerRow{Following: f, Tags: tagList(f.Relay.Tags)})
		if f.State == storage.FollowAccepted {
			accepted[f.Remote.ID] = true
		}
	}
	if len(accepted) > 0 {
		relays, err := h.store.ListRelays(ctx, a.ID, networkListCap)
		if err != nil {
			return fmt.Errorf("admin: relays: %w", err)
		}
		relayed := map[string]*storage.Relay{}
		for _, r := range relays {
			relayed[r.RemoteObjectID] = r
		}
		posts, err := h.store.PartnerPosts(ctx, "", nil, partnerPostsScanned)
		if err != nil {
			return fmt.Errorf("admin: partner posts: %w", err)
		}
		for _, o := range posts {
			if !accepted[o.RemoteActorID] {
				continue
			}
			p := adminPartnerPost{RemoteObject: o, Body: template.HTML(o.ContentHTML), At: o.CreatedAt}
			if o.PublishedAt != nil {
				p.At = *o.PublishedAt
			}
			if o.Language != "" {
				p.Dir = content.Direction(o.Language)
			}
			for _, m := range o.Attachments {
				if strings.HasPrefix(m.LocalPath, federation.PartnerMediaFolder+"/") && !strings.Contains(m.LocalPath, "..") {
					p.Images = append(p.Images, partnerImage{Src: iri.MediaPath(m.LocalPath), Alt: m.Alt})
				} else {
					p.Elsewhere++
				}
			}
			if r, ok := relayed[o.ID]; ok {
				p.Relayed, p.Manual = true, r.Manual
			}
			d.Posts = append(d.Posts, p)
			if len(d.Posts) == partnerPostsShown {
				break
			}
		}
	}
	return h.render(c, http.StatusOK, "partners", h.ui(c).T("Partners of @%s", a.Username), d)
}

// tagList writes a policy's hashtags as an editor types them.
func tagList(tags []string) string {
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = "#" + t
	}
	return strings.Join(out, ", ")
}

// policyFields reads a relay policy from a form: relay (all, tags, none)
// and, for tags, the hashtags as federation.ParseRelayTags reads them.
func policyFields(c echo.Context) (storage.RelayPolicy, error) {
	mode := strings.TrimSpace(c.FormValue("relay"))
	if !storage.ValidRelayMode(mode) {
		return storage.RelayPolicy{}, echo.NewHTTPError(http.StatusBadRequest, "Choose what to relay: everything, posts with given hashtags, or nothing.")
	}
	p := storage.RelayPolicy{Mode: mode}
	if mode != storage.RelayTags {
		return p, nil
	}
	raw := c.FormValue("tags")
	if len(raw) > 4096 || strings.IndexFunc(raw, unicode.IsControl) >= 0 {
		return p, echo.NewHTTPError(http.StatusBadRequest, "These are not hashtags.")
	}
	if strings.TrimSpace(raw) == "" {
		return p, echo.NewHTTPError(http.StatusBadRequest, "Give the hashtags to relay, e.g. #solidarity, حقوق_الإنسان.")
	}
	tags, err := federation.ParseRelayTags(raw)
	if err != nil {
		return p, networkRefusal(err)
	}
	p.Tags = tags
	return p, nil
}

// addPartner follows an account with a relay policy: "tadamun partner add".
func (h *Handler) addPartner(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	who, err := whoField(c)
	if err != nil {
		return err
	}
	p, err := policyFields(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.fed.Follow(ctx, a.Username, who, p); err != nil {
		if errors.Is(err, federation.ErrInvalid) {
			return networkRefusal(err)
		}
		h.log.WarnContext(ctx, "admin partner add failed", "actor", a.Username, "who", who, "err", err)
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "The account could not be looked up on its server. Check the address and try again.")
	}
	h.log.InfoContext(ctx, "admin partner added", "user", currentUser(c).Username, "actor", a.Username, "who", who,
		"relay", p.Mode, "tags", p.Tags)
	h.flash(c, "The follow is sent. It is active once they accept.")
	return c.Redirect(http.StatusSeeOther, h.partnersPath(a.Username))
}

// setPartnerPolicy changes what the actor relays of a partner: "tadamun
// partner set".
func (h *Handler) setPartnerPolicy(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	who, err := whoField(c)
	if err != nil {
		return err
	}
	p, err := policyFields(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.fed.SetPartnerPolicy(ctx, a.Username, who, p); err != nil {
		return networkRefusal(err)
	}
	h.log.InfoContext(ctx, "admin relay policy set", "user", currentUser(c).Username, "actor", a.Username, "who", who,
		"relay", p.Mode, "tags", p.Tags)
	h.flash(c, "The relay policy is changed. It applies to posts that arrive from now on.")
	return c.Redirect(http.StatusSeeOther, h.partnersPath(a.Username))
}

// removePartner unfollows a partner and undoes the actor's relays of its
// posts: "tadamun partner remove".
func (h *Handler) removePartner(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	who, err := whoField(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.fed.RemovePartner(ctx, a.Username, who); err != nil {
		return networkRefusal(err)
	}
	h.log.InfoContext(ctx, "admin partner removed", "user", currentUser(c).Username, "actor", a.Username, "who", who)
	h.flash(c, "The partner is removed, and its posts are no longer relayed.")
	return c.Redirect(http.StatusSeeOther, h.partnersPath(a.Username))
}

// relayPartnerPost relays one partner post by hand, or stops relaying it:
// "tadamun partner relay|unrelay". Only posts of the actor's own partners
// can be relayed from here.
func (h *Handler) relayPartnerPost(c echo.Context) error {
	a, err := h.actorFor(c, c.Param("username"))
	if err != nil {
		return err
	}
	object := strings.TrimSpace(c.FormValue("object"))
	if object == "" || len(object) > maxObjectIRI || strings.IndexFunc(object, unicode.IsControl) >= 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "Name the post to relay.")
	}
	ctx := c.Request().Context()
	relay := strings.HasSuffix(c.Path(), "/relay")
	if relay {
		o, err := h.store.RemoteObjectByIRI(ctx, object)
		if errors.Is(err, storage.ErrNotFound) {
			return echo.NewHTTPError(http.StatusNotFound, "No such partner post.")
		}
		if err != nil {
			return fmt.Errorf("admin: relay: %w", err)
		}
		f, err := h.store.Following(ctx, a.ID, o.RemoteActorID)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && f.State != storage.FollowAccepted) {
			return echo.NewHTTPError(http.StatusBadRequest, "This post is not by one of this actor's partners.")
		}
		if err != nil {
			return fmt.Errorf("admin: relay: %w", err)
		}
		err = h.fed.RelayPost(ctx, a.Username, object)
		if errors.Is(err, storage.ErrConflict) {
			h.flash(c, "This post is relayed already.")
			return c.Redirect(http.StatusSeeOther, h.partnersPath(a.Username))
		}
		if err != nil {
			return networkRefusal(err)
		}
		h.flash(c, "The post is relayed to this actor's followers.")
	} else {
		if err := h.fed.UnrelayPost(ctx, a.Username, object); err != nil {
			return networkRefusal(err)
		}
		h.flash(c, "The post is no longer relayed.")
	}
	h.log.InfoContext(ctx, "admin relay", "user", currentUser(c).Username, "actor", a.Username, "post", object, "relay", relay)
	return c.Redirect(http.StatusSeeOther, h.partnersPath(a.Username))
}
