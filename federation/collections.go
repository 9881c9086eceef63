package federation

import (
	"context"
	"strconv"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// PageSize is how many items a collection page holds.
const PageSize = 20

// orderedCollection is a collection head: its size and where its first page is.
func orderedCollection(id string, total int, firstPage string) vocab.ActivityStreamsOrderedCollection {
	c := streams.NewActivityStreamsOrderedCollection()
	c.SetJSONLDId(idProp(id))
	c.SetActivityStreamsTotalItems(totalItemsProp(total))
	if firstPage != "" {
		f := streams.NewActivityStreamsFirstProperty()
		f.SetIRI(mustIRI(firstPage))
		c.SetActivityStreamsFirst(f)
	}
	return c
}

// orderedPage is one page of a collection.
func orderedPage(id, partOf, next string, items vocab.ActivityStreamsOrderedItemsProperty) vocab.ActivityStreamsOrderedCollectionPage {
	p := streams.NewActivityStreamsOrderedCollectionPage()
	p.SetJSONLDId(idProp(id))
	po := streams.NewActivityStreamsPartOfProperty()
	po.SetIRI(mustIRI(partOf))
	p.SetActivityStreamsPartOf(po)
	if next != "" {
		n := streams.NewActivityStreamsNextProperty()
		n.SetIRI(mustIRI(next))
		p.SetActivityStreamsNext(n)
	}
	p.SetActivityStreamsOrderedItems(items)
	return p
}

// OutboxDocument is an actor's outbox: the head, or with page set one page
// of Create activities of visible statements, newest first. before is the
// cursor ("" for the first page): published time in microseconds and id.
//
// The head embeds its first page (AS2 allows "first" to be a
// CollectionPage as well as a link): one GET gives a follower's server the
// latest statements, with their objects, which is what a partner's backfill
// reads. The embedded page keeps its own id, the URL of the same page, so a
// client that expects "first" to be a link can take the id and fetch it.
func (s *Service) OutboxDocument(ctx context.Context, a *storage.Actor, page bool, before string) ([]byte, error) {
	id := s.iri.ActorPart(a.Username, iri.Outbox)
	if !page {
		n, err := s.countVisible(ctx, a.ID)
		if err != nil {
			return nil, err
		}
		first, err := s.outboxPage(ctx, a, nil, "")
		if err != nil {
			return nil, err
		}
		c := orderedCollection(id, n, "")
		f := streams.NewActivityStreamsFirstProperty()
		f.SetActivityStreamsOrderedCollectionPage(first)
		c.SetActivityStreamsFirst(f)
		return serialize(c)
	}
	var cursor *storage.Cursor
	if before != "" {
		c, err := parseCursor(before)
		if err != nil {
			return nil, err
		}
		cursor = c
	}
	p, err := s.outboxPage(ctx, a, cursor, before)
	if err != nil {
		return nil, err
	}
	return serialize(p)
}

// outboxPage is the page of an actor's outbox after cursor (nil for the
// first); before is the cursor as written in the page's URL.
func (s *Service) outboxPage(ctx context.Context, a *storage.Actor, cursor *storage.Cursor, before string) (vocab.ActivityStreamsOrderedCollectionPage, error) {
	q := storage.StatementQuery{ActorID: a.ID, VisibleAt: s.clock(), Limit: PageSize, Before: cursor}
	list, err := s.store.ListStatements(ctx, q)
	if err != nil {
		return nil, err
	}
	items := streams.NewActivityStreamsOrderedItemsProperty()
	for _, st := range list {
		v := streams.NewActivityStreamsCreate()
		s.publicActivity(v, s.createIRI(a.Username, st.ID), a, *st.PublishedAt)
		v.SetActivityStreamsObject(embed(s.statementVocab(st, a, 0)))
		items.AppendActivityStreamsCreate(v)
	}
	next := ""
	if len(list) == PageSize {
		last := list[len(list)-1]
		next = s.iri.OutboxPage(a.Username, formatCursor(last))
	}
	return orderedPage(s.iri.OutboxPage(a.Username, before), s.iri.ActorPart(a.Username, iri.Outbox), next, items), nil
}

func (s *Service) countVisible(ctx context.Context, actorID string) (int, error) {
	return s.store.CountVisible(ctx, actorID, s.clock())
}

func formatCursor(st *storage.Statement) string {
	return strconv.FormatInt(st.PublishedAt.UnixMicro(), 10) + "_" + st.ID
}

func parseCursor(s string) (*storage.Cursor, error) {
	us, id, ok := cutLast(s, "_")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || !storage.ValidID(id) {
		return nil, invalid("bad page cursor")
	}
	return &storage.Cursor{PublishedAt: time.UnixMicro(n).UTC(), ID: id}, nil
}

func cutLast(s, sep string) (string, string, bool) {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return "", "", false
}

// FollowersDocument is an actor's followers collection. It gives the count
// only: the list of who follows an organisation can put those people at
// risk, so it is not published (as Mastodon's "hide your network").
func (s *Service) FollowersDocument(ctx context.Context, a *storage.Actor) ([]byte, error) {
	n, err := s.store.CountFollowers(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	return serialize(orderedCollection(s.iri.ActorPart(a.Username, iri.Followers), n, ""))
}

// FollowingDocument is whom an actor follows: its partners, which are public
// by nature. page 0 is the head; pages count from 1.
func (s *Service) FollowingDocument(ctx context.Context, a *storage.Actor, page int) ([]byte, error) {
	id := s.iri.ActorPart(a.Username, iri.Following)
	n, err := s.store.CountFollowing(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if page <= 0 {
		return serialize(orderedCollection(id, n, iri.Page(id, 1)))
	}
	list, err := s.store.ListFollowing(ctx, a.ID, (page-1)*PageSize, PageSize)
	if err != nil {
		return nil, err
	}
	items := streams.NewActivityStreamsOrderedItemsProperty()
	for _, f := range list {
		if f.State == storage.FollowAccepted {
			items.AppendIRI(mustIRI(f.Remote.IRI))
		}
	}
	next := ""
	if len(list) == PageSize {
		next = iri.Page(id, page+1)
	}
	return serialize(orderedPage(iri.Page(id, page), id, next, items))
}

// FeaturedDocument lists an actor's pinned statements.
func (s *Service) FeaturedDocument(ctx context.Context, a *storage.Actor) ([]byte, error) {
	list, err := s.store.ListStatements(ctx, storage.StatementQuery{ActorID: a.ID, VisibleAt: s.clock(), Limit: 200})
	if err != nil {
		return nil, err
	}
	c := streams.NewActivityStreamsOrderedCollection()
	c.SetJSONLDId(idProp(s.iri.ActorPart(a.Username, iri.Featured)))
	items := streams.NewActivityStreamsOrderedItemsProperty()
	n := 0
	for _, st := range list {
		if st.Pinned {
			items.AppendIRI(mustIRI(s.iri.Statement(a.Username, st.ID)))
			n++
		}
	}
	c.SetActivityStreamsTotalItems(totalItemsProp(n))
	c.SetActivityStreamsOrderedItems(items)
	return serialize(c)
}

// RepliesDocument is a statement's replies: the approved ones, by id.
func (s *Service) RepliesDocument(ctx context.Context, st *storage.Statement, a *storage.Actor, page bool) ([]byte, error) {
	id := s.iri.StatementReplies(a.Username, st.ID)
	replies, err := s.store.ListReplies(ctx, st.ID, storage.ModerationApproved, 200)
	if err != nil {
		return nil, err
	}
	if !page {
		c := streams.NewActivityStreamsCollection()
		c.SetJSONLDId(idProp(id))
		c.SetActivityStreamsTotalItems(totalItemsProp(len(replies)))
		f := streams.NewActivityStreamsFirstProperty()
		f.SetIRI(mustIRI(iri.Page(id, 1)))
		c.SetActivityStreamsFirst(f)
		return serialize(c)
	}
	p := streams.NewActivityStreamsCollectionPage()
	p.SetJSONLDId(idProp(iri.Page(id, 1)))
	po := streams.NewActivityStreamsPartOfProperty()
	po.SetIRI(mustIRI(id))
	p.SetActivityStreamsPartOf(po)
	items := streams.NewActivityStreamsItemsProperty()
	for _, r := range replies {
		items.AppendIRI(mustIRI(r.IRI))
	}
	p.SetActivityStreamsItems(items)
	return serialize(p)
}

// CreateDocument is the Create of a visible statement, served at its id.
func (s *Service) CreateDocument(st *storage.Statement, a *storage.Actor) ([]byte, error) {
	return s.createDoc(st, a)
}

// EmptyCollection is an ordered collection with nothing in it.
func (s *Service) EmptyCollection(id string) ([]byte, error) {
	return serialize(orderedCollection(id, 0, ""))
}
