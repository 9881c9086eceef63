package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/go-fed/activity/streams"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// authorInbox finds where the author of a remote post receives activities:
// from the post we keep, or by fetching the post and its author.
func (s *Service) authorInbox(ctx context.Context, objectIRI string) (string, error) {
	if o, err := s.store.RemoteObjectByIRI(ctx, objectIRI); err == nil {
		return o.Author.Inbox, nil
	}
	if _, err := s.client.CheckURL(objectIRI); err != nil {
		return "", err
	}
	signer, err := s.instanceSigner(ctx)
	if err != nil {
		return "", err
	}
	doc, err := s.client.Fetch(ctx, objectIRI, signer)
	if err != nil {
		return "", err
	}
	var obj struct {
		AttributedTo json.RawMessage `json:"attributedTo"`
	}
	if err := json.Unmarshal(doc.Body, &obj); err != nil {
		return "", err
	}
	author := refID(obj.AttributedTo)
	if author == "" || hostOf(author) != hostOf(doc.ID) {
		return "", errors.New("the post names no author on its own host")
	}
	r, err := s.ResolveActor(ctx, author, false)
	if err != nil {
		return "", &authorError{err}
	}
	return r.Inbox, nil
}

// authorError is authorInbox's failure to resolve the author of a post it
// did fetch: its text and what it wraps are the cause's, and it tells the
// editor's refusal (replyRefusal) that the post itself was found.
type authorError struct{ err error }

func (e *authorError) Error() string { return e.err.Error() }
func (e *authorError) Unwrap() error { return e.err }

// Interact makes our actor like or boost (Announce, "relay") a post of
// another server. A boost goes to our followers and to the post's author; a
// like to the author only.
func (s *Service) Interact(ctx context.Context, username, kind, objectIRI string) (string, error) {
	local, err := s.localActor(ctx, username)
	if err != nil {
		return "", err
	}
	if s.iri.Local(objectIRI) {
		return "", invalid("%s is on this node", objectIRI)
	}
	inbox, err := s.authorInbox(ctx, objectIRI)
	if err != nil {
		return "", invalid("%s: %v", objectIRI, err)
	}
	id := storage.NewID()
	actIRI := s.iri.Activity(local.Username, id)
	now := s.clock()
	var body []byte
	typ := "Like"
	switch kind {
	case storage.KindLike:
		v := streams.NewActivityStreamsLike()
		v.SetJSONLDId(idProp(actIRI))
		v.SetActivityStreamsActor(actorProp(s.iri.Actor(local.Username)))
		v.SetActivityStreamsObject(objectIRIProp(objectIRI))
		v.SetActivityStreamsPublished(publishedProp(now))
		body, err = serialize(v)
	case storage.KindAnnounce:
		typ = "Announce"
		v := streams.NewActivityStreamsAnnounce()
		v.SetJSONLDId(idProp(actIRI))
		v.SetActivityStreamsActor(actorProp(s.iri.Actor(local.Username)))
		v.SetActivityStreamsObject(objectIRIProp(objectIRI))
		v.SetActivityStreamsPublished(publishedProp(now))
		v.SetActivityStreamsTo(toProp(PublicAddress))
		v.SetActivityStreamsCc(ccProp(s.iri.ActorPart(local.Username, iri.Followers)))
		body, err = serialize(v)
	default:
		return "", fmt.Errorf("federation: unknown interaction %q", kind)
	}
	if err != nil {
		return "", err
	}
	act := &storage.Activity{ID: id, IRI: actIRI, Direction: storage.Outbound, Type: typ,
		ActorIRI: s.iri.Actor(local.Username), ObjectIRI: objectIRI, LocalActorID: local.ID, Body: body}
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		if kind == storage.KindAnnounce {
			return s.sendToFollowers(ctx, tx, act, local, []string{inbox})
		}
		return s.send(ctx, tx, act, local, inbox)
	})
	if err != nil {
		return "", fmt.Errorf("federation: %s: %w", typ, err)
	}
	s.wake()
	return actIRI, nil
}
