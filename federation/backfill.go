package federation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
)

// Backfill: when one of our actors starts following a partner, the
// partner's latest posts are read from its outbox, so that the partners
// page is not empty on day one. Only the first page is read, and the work
// is bounded in items, bytes and time: a partner cannot make us crawl.
const (
	// BackfillItems is how many outbox items are looked at.
	BackfillItems = 20
	// BackfillMaxBytes bounds the documents read (the outbox and its first
	// page together).
	BackfillMaxBytes = 1 << 20
	// BackfillTimeout bounds the whole backfill, pictures included.
	BackfillTimeout = 15 * time.Second
)

// Backfill reads the first page of a partner's outbox and stores the posts
// in it that the partner would have delivered to us: Create activities of
// the partner's own public posts (Note, Article, Page, Question), not
// replies, each object on the partner's own origin. Anything else is
// skipped, and so are items given only by IRI (fetching each would make
// the work unbounded; the activity could be anything). A Create whose
// object is given by IRI (GoToSocial) has that object fetched, within the
// same bounds. Posts already stored are left as they are, so a second run
// stores nothing. Backfilled posts are marked so and never relayed. It
// returns how many posts were stored.
//
// Servers shape outboxes differently, and each shape is read: Mastodon,
// Misskey and GoToSocial give a collection whose "first" is the URL of a
// page of Create activities (Mastodon and Misskey embed the objects,
// GoToSocial gives their IRIs; boosts are Announces, skipped); Tadamun
// embeds that first page in the collection itself; small servers (honk)
// list the items in the collection directly.
func (s *Service) Backfill(ctx context.Context, remote *storage.RemoteActor) (int, error) {
	return s.backfill(ctx, remote, BackfillTimeout)
}

func (s *Service) backfill(ctx context.Context, remote *storage.RemoteActor, timeout time.Duration) (int, error) {
	if remote == nil || remote.Outbox == "" {
		return 0, nil
	}
	if !sameOriginAs(remote.Outbox, remote.IRI) {
		return 0, fmt.Errorf("federation: backfill %s: outbox %s is not on the actor's origin", remote.IRI, remote.Outbox)
	}
	if shut, err := s.domainRefused(ctx, remote.Outbox); err != nil {
		return 0, err
	} else if shut {
		return 0, fmt.Errorf("federation: backfill %s: its domain is blocked, or not allowed", remote.IRI)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	budget := int64(BackfillMaxBytes)
	coll, err := s.backfillFetch(ctx, remote.Outbox, &budget)
	if err != nil {
		return 0, fmt.Errorf("federation: backfill %s: %w", remote.IRI, err)
	}
	items, err := s.firstPageItems(ctx, coll, remote, &budget)
	if err != nil {
		return 0, fmt.Errorf("federation: backfill %s: %w", remote.IRI, err)
	}
	if len(items) > BackfillItems {
		items = items[:BackfillItems]
	}

	// Posts first, with their attachments linked; then the pictures, so
	// that a slow image server costs pictures, not posts.
	type stored struct {
		o   *storage.RemoteObject
		obj map[string]any
	}
	var posts []stored
	skipped, refs := 0, 0
	for _, it := range items {
		act, ok := it.(map[string]any)
		if !ok {
			refs++
			continue
		}
		if done, err := s.derefCreate(ctx, act, remote, &budget); err != nil {
			s.log.DebugContext(ctx, "backfill: object not fetched", "partner", remote.IRI, "err", err)
			if errors.Is(err, transport.ErrTooLarge) || ctx.Err() != nil {
				break // the budget is spent
			}
			continue
		} else if done {
			continue // known already
		}
		o, obj, why := s.backfillPost(act, remote)
		if o == nil {
			if why == "by IRI" {
				refs++
			} else {
				skipped++
				s.log.DebugContext(ctx, "backfill: item skipped", "partner", remote.IRI, "why", why)
			}
			continue
		}
		if _, err := s.store.RemoteObjectByIRI(ctx, o.IRI); err == nil {
			continue // known: delivered or backfilled before
		} else if !errors.Is(err, storage.ErrNotFound) {
			return len(posts), fmt.Errorf("federation: backfill %s: %w", remote.IRI, err)
		}
		o.Attachments = parseAttachments(obj)
		if err := s.store.UpsertRemoteObject(ctx, o); errors.Is(err, storage.ErrConflict) {
			continue // the IRI is another author's post
		} else if err != nil {
			return len(posts), fmt.Errorf("federation: backfill %s: %w", remote.IRI, err)
		}
		if o.Created {
			posts = append(posts, stored{o, obj})
		}
	}
	if refs > 0 {
		s.log.DebugContext(ctx, "backfill: items given only by IRI were not fetched", "partner", remote.IRI, "count", refs)
	}
	for _, p := range posts {
		if len(p.o.Attachments) == 0 || ctx.Err() != nil {
			continue
		}
		p.o.Attachments = s.partnerAttachments(ctx, p.obj)
		// Stored even if the time ran out meanwhile: the copies are made.
		if err := s.store.UpsertRemoteObject(context.WithoutCancel(ctx), p.o); err != nil {
			s.log.WarnContext(ctx, "backfill: pictures not kept", "post", p.o.IRI, "err", err)
		}
	}
	s.log.InfoContext(ctx, "partner backfilled", "partner", remote.IRI, "stored", len(posts), "skipped", skipped, "by_iri", refs)
	return len(posts), nil
}

// derefCreate fetches the object of a Create given by IRI (GoToSocial's
// outbox names each post that way and expects readers to fetch it) and
// puts it in the activity. Only objects on the
// partner's own origin that we do not have are fetched, under the same
// byte budget and time as the rest: at most one fetch an item. known
// reports an object we have already (nothing to do).
func (s *Service) derefCreate(ctx context.Context, act map[string]any, remote *storage.RemoteActor, budget *int64) (known bool, err error) {
	objIRI, ok := act["object"].(string)
	if !ok || stringOf(act["type"]) != "Create" || refOf(act["actor"]) != remote.IRI {
		return false, nil // read as it is (and skipped if it is not a post)
	}
	if !validIRI(objIRI) || !sameOriginAs(objIRI, remote.IRI) {
		return false, fmt.Errorf("object %.200q is not on the partner's origin", objIRI)
	}
	if _, err := s.store.RemoteObjectByIRI(ctx, objIRI); err == nil {
		return true, nil
	} else if !errors.Is(err, storage.ErrNotFound) {
		return false, err
	}
	obj, err := s.backfillFetch(ctx, objIRI, budget)
	if err != nil {
		return false, err
	}
	act["object"] = obj
	return false, nil
}

// backfillPost reads one outbox item as a post to store, or says why not.
func (s *Service) backfillPost(act map[string]any, remote *storage.RemoteActor) (*storage.RemoteObject, map[string]any, string) {
	if t := stringOf(act["type"]); t != "Create" {
		return nil, nil, "type " + t
	}
	if actor := refOf(act["actor"]); actor != remote.IRI {
		return nil, nil, "activity by someone else"
	}
	obj, ok := act["object"].(map[string]any)
	if !ok {
		return nil, nil, "by IRI"
	}
	p, ok := readPost(act)
	if !ok {
		return nil, nil, "not a post"
	}
	if refID(p.AttributedTo) != remote.IRI {
		return nil, nil, "post attributed to someone else"
	}
	// The outbox is trusted for what its own origin says, as a fetched
	// document is: an object of another server could be anything.
	if !validIRI(p.ID) || !sameOriginAs(p.ID, remote.IRI) {
		return nil, nil, "object not on the partner's origin"
	}
	o := s.remoteObject(p, remote)
	if o.InReplyTo != "" {
		return nil, nil, "a reply"
	}
	o.Tags, o.Public = postTags(act), postPublic(act)
	if !o.Public {
		return nil, nil, "not public"
	}
	o.Backfilled = true
	return o, obj, ""
}

// firstPageItems finds the items of an outbox's first page: in the
// collection itself, in an embedded first page, or by fetching first.
func (s *Service) firstPageItems(ctx context.Context, coll map[string]any, remote *storage.RemoteActor, budget *int64) ([]any, error) {
	if items, ok := collectionItems(coll); ok {
		return items, nil
	}
	var pageURL string
	switch f := coll["first"].(type) {
	case string:
		pageURL = f
	case map[string]any:
		if items, ok := collectionItems(f); ok {
			return items, nil
		}
		pageURL = stringOf(f["id"])
		if pageURL == "" {
			pageURL = stringOf(f["href"])
		}
	}
	if pageURL == "" {
		return nil, nil // an empty outbox
	}
	if !sameOriginAs(pageURL, remote.IRI) {
		return nil, fmt.Errorf("first page %.200q is not on the actor's origin", pageURL)
	}
	page, err := s.backfillFetch(ctx, pageURL, budget)
	if err != nil {
		return nil, err
	}
	items, _ := collectionItems(page)
	return items, nil
}

// collectionItems reads orderedItems or items, as a list or a single value.
func collectionItems(m map[string]any) ([]any, bool) {
	for _, k := range []string{"orderedItems", "items"} {
		switch v := m[k].(type) {
		case []any:
			return v, true
		case nil:
		default:
			return []any{v}, true
		}
	}
	return nil, false
}

// backfillFetch fetches one document of the backfill, signed as the
// instance actor, under the fetch caps, and charges it to budget.
func (s *Service) backfillFetch(ctx context.Context, u string, budget *int64) (map[string]any, error) {
	signer, err := s.instanceSigner(ctx)
	if err != nil {
		return nil, err
	}
	release, err := s.fetches.acquire(ctx, domainOf(u), fetchSlotWait)
	if err != nil {
		return nil, err
	}
	doc, err := s.client.Fetch(ctx, u, signer)
	release()
	if err != nil {
		return nil, err
	}
	if *budget -= int64(len(doc.Body)); *budget < 0 {
		return nil, fmt.Errorf("%w: the outbox and its page take more than %d bytes", transport.ErrTooLarge, BackfillMaxBytes)
	}
	return decodeJSON(doc.Body)
}

// sameOriginAs reports whether two absolute URLs share scheme and host
// (with port).
func sameOriginAs(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || ua.Host == "" || ua.User != nil || ub.User != nil {
		return false
	}
	return strings.EqualFold(ua.Scheme, ub.Scheme) && strings.EqualFold(ua.Host, ub.Host)
}
