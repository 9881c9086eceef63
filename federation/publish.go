package federation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// Publish stores a statement written by an editor for the actor username.
// With no publish time it is published now: the statement, its Create and
// one delivery per follower inbox are written in one transaction. A future
// time schedules it (invisible, and unfederated, until then: the scheduler
// sends it); Draft keeps it unpublished.
func (s *Service) Publish(ctx context.Context, username string, d *content.Draft) (*storage.Statement, error) {
	actor, err := s.localActor(ctx, username)
	if err != nil {
		return nil, err
	}
	if err := movedAway(actor); err != nil {
		return nil, err
	}
	st := &storage.Statement{ActorID: actor.ID, Slug: d.Slug, InReplyTo: d.InReplyTo}
	if err := s.applyDraft(ctx, st, d); err != nil {
		return nil, err
	}
	imgs, err := readImages(d.Images)
	if err != nil {
		return nil, err
	}
	extra := mentionInboxes(st.Mentions)
	if st.InReplyTo != "" {
		// The author of the post answered gets the reply too (network I/O
		// happens here, before the transaction).
		inbox, err := s.authorInbox(ctx, st.InReplyTo)
		if err != nil {
			return nil, replyRefusal(st.InReplyTo, err)
		}
		extra = append(extra, inbox)
	}
	if st.Slug == "" {
		st.Slug = content.Slugify(d.Title)
	}
	if iri.ReservedSlug(st.Slug) {
		st.Slug += "-statement" // the address is taken by a page of the actor's (iri.ActorPages)
	}
	now := s.clock()
	switch {
	case d.Draft:
		st.State = storage.StateDraft
		st.PublishedAt = d.PublishAt
	case d.PublishAt != nil && d.PublishAt.After(now):
		st.State = storage.StateScheduled
		st.PublishedAt = d.PublishAt
	default:
		st.State = storage.StatePublished
		st.PublishedAt = &now
		if d.PublishAt != nil { // a past time back-dates the statement, e.g. when importing an archive
			st.PublishedAt = d.PublishAt
		}
	}
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		if err := tx.CreateStatement(ctx, st); err != nil {
			return err
		}
		st.ActorUsername = actor.Username
		media, err := s.writeImages(st, imgs, "")
		if err != nil {
			return err
		}
		if err := tx.AddMedia(ctx, media); err != nil {
			return err
		}
		st.Media = media
		// Checked for drafts and scheduled statements too: each will
		// federate later, when nobody is at hand to shorten it.
		if err := s.checkFits(st, actor, now); err != nil {
			return err
		}
		if st.State != storage.StatePublished {
			return nil
		}
		return s.federateCreate(ctx, tx, st, actor, now, extra...)
	})
	if err != nil {
		if st.ID != "" {
			s.removeMedia(st.ID) // the statement was rolled back; its files go too
		}
		return nil, fmt.Errorf("federation: publish: %w", err)
	}
	s.wake()
	s.log.InfoContext(ctx, "statement stored", "actor", username, "id", st.ID, "slug", st.Slug, "state", st.State)
	return st, nil
}

// applyDraft copies what an editor wrote into a statement, validated and
// rendered, with its mentions resolved (network I/O: call it outside
// transactions).
func (s *Service) applyDraft(ctx context.Context, st *storage.Statement, d *content.Draft) error {
	if d.Title == "" {
		return reject("a statement needs a title")
	}
	if err := checkBody("the text", d.Body); err != nil {
		return err
	}
	lang, err := content.NormalizeLanguage(d.Language)
	if err != nil {
		return languageRefusal(d.Language, err)
	}
	if s.client != nil {
		st.Mentions = s.resolveMentions(ctx, d.Body)
	}
	body, err := content.RenderMarkdown(linkMentions(d.Body, st.Mentions))
	if err != nil {
		return err
	}
	st.Language, st.Title, st.Summary, st.BodyMarkdown, st.BodyHTML = lang, d.Title, d.Summary, d.Body, body
	st.ContentWarning, st.ObjectType, st.Pinned, st.RepliesEnabled = d.ContentWarning, d.ObjectType, d.Pinned, d.RepliesEnabled
	st.Tags = nil
	seen := map[string]bool{}
	for _, t := range d.Tags {
		name := content.NormalizeTag(t)
		if name == "" {
			return reject("tag %q: a hashtag is letters, digits and _ only", t)
		}
		if !seen[name] {
			seen[name] = true
			st.Tags = append(st.Tags, storage.Tag{Name: name, Display: t})
		}
	}
	// Hashtags written in the text are linked and federated like those of
	// the front matter (hashtags.go).
	st.BodyHTML = s.linkHashtags(st, st.BodyHTML)
	for _, tr := range st.Translations {
		s.linkHashtags(st, tr.BodyHTML)
	}
	return nil
}

func (s *Service) localActor(ctx context.Context, username string) (*storage.Actor, error) {
	actor, err := s.store.ActorByUsername(ctx, username)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && actor.IsInstance) {
		return nil, invalid("no actor %q: create it with 'tadamun actor create %s --name ...'", username, username)
	}
	if err != nil {
		return nil, fmt.Errorf("federation: %w", err)
	}
	return actor, nil
}

// federateCreate sends a due statement's Create, inside tx: the claim, the
// activity and its deliveries commit together or not at all.
func (s *Service) federateCreate(ctx context.Context, tx *storage.Store, st *storage.Statement, a *storage.Actor, now time.Time, extra ...string) error {
	won, err := tx.ClaimFederation(ctx, st.ID, now)
	if err != nil || !won {
		return err
	}
	st.State, st.FederatedAt = storage.StatePublished, &now
	body, err := s.createDoc(st, a)
	if err != nil {
		return err
	}
	act := &storage.Activity{IRI: s.createIRI(a.Username, st.ID), Direction: storage.Outbound, Type: "Create",
		ActorIRI: s.iri.Actor(a.Username), ObjectIRI: s.iri.Statement(a.Username, st.ID), LocalActorID: a.ID,
		StatementID: st.ID, Body: body}
	if err := s.sendToFollowers(ctx, tx, act, a, extra); err != nil {
		return err
	}
	hash, err := s.federatedHash(st, a)
	if err != nil {
		return err
	}
	return tx.SetFederatedHash(ctx, st.ID, hash, nil)
}

// sendToFollowers stores an outbound activity and queues it for every
// follower inbox (and the extra inboxes given), deduplicated. A Create,
// Update or Announce is stored, and so sent, with a proof by a (proofs.go).
//
// The first followers' rows are written by the database in this
// transaction (storage.Store.StartFanOut), the rest by wake once it has
// committed (fanout.go).
func (s *Service) sendToFollowers(ctx context.Context, tx *storage.Store, act *storage.Activity, a *storage.Actor, extra []string) error {
	if err := s.signActivity(ctx, tx, act, a); err != nil {
		return err
	}
	if _, err := tx.SaveActivity(ctx, act); err != nil {
		return err
	}
	refuse, err := refusedHosts(ctx, tx)
	if err != nil {
		return err
	}
	// The first inboxes now, the rest once this transaction has committed
	// and the workers are posting (wake, fanout.go).
	if _, err := tx.StartFanOut(ctx, act.ID, a.ID, a.ID, refuse); err != nil {
		return err
	}
	// An extra inbox that is also a follower's is skipped by the store.
	return s.enqueue(ctx, tx, act, a, union(extra, nil))
}

// policySource is where refusedHosts reads the policy: a transaction's
// *storage.Store, or the Store.
type policySource interface {
	ListDomainPolicies(ctx context.Context) ([]storage.DomainRule, error)
	FederationMode(ctx context.Context) (string, error)
}

// refusedHosts is the domain policy as a test of a delivery host
// (host[:port]), as withoutBlocked applies it to an inbox; nil when no
// domain has a policy and federation is open.
func refusedHosts(ctx context.Context, tx policySource) (func(host string) bool, error) {
	rules, err := tx.ListDomainPolicies(ctx)
	if err != nil {
		return nil, err
	}
	mode, err := tx.FederationMode(ctx)
	if err != nil {
		return nil, err
	}
	if len(rules) == 0 && mode == storage.FederationOpen {
		return nil, nil
	}
	policy := make(map[string]string, len(rules))
	for _, r := range rules {
		policy[r.Domain] = r.Policy
	}
	return func(host string) bool {
		u := url.URL{Host: host}
		return refused(nearestPolicy(policy, u.Hostname()), mode)
	}, nil
}

// send stores an outbound activity and queues it for the given inboxes,
// signed as sendToFollowers signs it.
func (s *Service) send(ctx context.Context, tx *storage.Store, act *storage.Activity, signer *storage.Actor, inboxes ...string) error {
	if err := s.signActivity(ctx, tx, act, signer); err != nil {
		return err
	}
	if _, err := tx.SaveActivity(ctx, act); err != nil {
		return err
	}
	return s.enqueue(ctx, tx, act, signer, inboxes)
}

// enqueue writes one delivery row per inbox, leaving out blocked domains.
func (s *Service) enqueue(ctx context.Context, tx *storage.Store, act *storage.Activity, signer *storage.Actor, inboxes []string) error {
	inboxes, err := withoutBlocked(ctx, tx, inboxes)
	if err != nil || len(inboxes) == 0 {
		return err
	}
	_, err = tx.EnqueueDeliveries(ctx, act.ID, signer.ID, inboxes)
	return err
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range [][]string{a, b} {
		for _, x := range l {
			if x != "" && !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	sort.Strings(out)
	return out
}

// DeleteStatement deletes a statement: its addresses answer 410 Gone from
// now on, and if it had federated a Delete goes to followers and to everyone
// who interacted with it.
func (s *Service) DeleteStatement(ctx context.Context, id string) (*storage.Statement, error) {
	var st *storage.Statement
	sent := false
	err := s.store.Tx(ctx, func(tx *storage.Store) error {
		before, err := tx.StatementByID(ctx, id)
		if errors.Is(err, storage.ErrNotFound) || (err == nil && before.State == storage.StateDeleted) {
			return invalid("no statement %s (or it is already deleted)", id)
		}
		if err != nil {
			return err
		}
		extra, err := tx.InteractorInboxes(ctx, id)
		if err != nil {
			return err
		}
		extra = append(extra, mentionInboxes(before.Mentions)...)
		if st, err = tx.DeleteStatement(ctx, id); err != nil {
			return err
		}
		if _, err := tx.DeleteMediaOf(ctx, id); err != nil {
			return err
		}
		if before.FederatedAt == nil {
			return nil
		}
		a, err := tx.ActorByID(ctx, st.ActorID)
		if err != nil {
			return err
		}
		actID := storage.NewID()
		body, err := s.deleteDoc(st, a, s.iri.Activity(a.Username, actID), s.clock())
		if err != nil {
			return err
		}
		act := &storage.Activity{ID: actID, IRI: s.iri.Activity(a.Username, actID), Direction: storage.Outbound,
			Type: "Delete", ActorIRI: s.iri.Actor(a.Username), ObjectIRI: s.iri.Statement(a.Username, st.ID),
			LocalActorID: a.ID, StatementID: st.ID, Body: body}
		sent = true
		return s.sendToFollowers(ctx, tx, act, a, extra)
	})
	if err != nil {
		return nil, fmt.Errorf("federation: delete statement: %w", err)
	}
	s.removeMedia(id)
	if sent {
		s.wake()
	}
	s.log.InfoContext(ctx, "statement deleted", "id", id, "delete_sent", sent)
	return st, nil
}

// StatementURL is the web address of a statement.
func (s *Service) StatementURL(st *storage.Statement) string {
	return s.iri.StatementPage(st.ActorUsername, st.Slug, "")
}
