package federation

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-fed/activity/streams"
	"github.com/go-fed/activity/streams/vocab"

	"github.com/tadamun/tadamun/federation/iri"
	"github.com/tadamun/tadamun/storage"
)

// The activities our actors send, built from go-fed types.

// addressed is what every public activity of ours sets: to Public, cc followers.
type addressed interface {
	vocab.Type
	SetActivityStreamsActor(vocab.ActivityStreamsActorProperty)
	SetActivityStreamsTo(vocab.ActivityStreamsToProperty)
	SetActivityStreamsCc(vocab.ActivityStreamsCcProperty)
	SetActivityStreamsPublished(vocab.ActivityStreamsPublishedProperty)
	SetActivityStreamsObject(vocab.ActivityStreamsObjectProperty)
}

func (s *Service) publicActivity(v addressed, id string, a *storage.Actor, at time.Time) {
	v.SetJSONLDId(idProp(id))
	v.SetActivityStreamsActor(actorProp(s.iri.Actor(a.Username)))
	v.SetActivityStreamsTo(toProp(PublicAddress))
	v.SetActivityStreamsCc(ccProp(s.iri.ActorPart(a.Username, iri.Followers)))
	v.SetActivityStreamsPublished(publishedProp(at))
}

// embed puts a Note or Article into an object property.
func embed(o objectVocab) vocab.ActivityStreamsObjectProperty {
	p := streams.NewActivityStreamsObjectProperty()
	switch v := o.(type) {
	case vocab.ActivityStreamsArticle:
		p.AppendActivityStreamsArticle(v)
	case vocab.ActivityStreamsNote:
		p.AppendActivityStreamsNote(v)
	}
	return p
}

// createIRI is the id of a statement's Create: derived from the statement's
// id, so it is stable and never reused.
func (s *Service) createIRI(username, statementID string) string {
	return s.iri.Create(username, statementID)
}

// createDoc is the Create of a statement.
func (s *Service) createDoc(st *storage.Statement, a *storage.Actor) ([]byte, error) {
	v := streams.NewActivityStreamsCreate()
	s.publicActivity(v, s.createIRI(a.Username, st.ID), a, *st.PublishedAt)
	v.SetActivityStreamsObject(embed(s.statementVocab(st, a, 0)))
	return serialize(v)
}

// updateDoc is an Update of a statement; id is a fresh activity id.
func (s *Service) updateDoc(st *storage.Statement, a *storage.Actor, id string, at time.Time, replies int) ([]byte, error) {
	v := streams.NewActivityStreamsUpdate()
	s.publicActivity(v, id, a, at)
	v.SetActivityStreamsObject(embed(s.statementVocab(st, a, replies)))
	return serialize(v)
}

// tombstone is what a deleted statement's address serves, and the object
// of its Delete.
func (s *Service) tombstone(st *storage.Statement, a *storage.Actor) vocab.ActivityStreamsTombstone {
	t := streams.NewActivityStreamsTombstone()
	t.SetJSONLDId(idProp(s.iri.Statement(a.Username, st.ID)))
	ft := streams.NewActivityStreamsFormerTypeProperty()
	ft.AppendXMLSchemaString(objectType(st, a))
	t.SetActivityStreamsFormerType(ft)
	if st.DeletedAt != nil {
		d := streams.NewActivityStreamsDeletedProperty()
		d.Set(st.DeletedAt.UTC().Truncate(time.Second))
		t.SetActivityStreamsDeleted(d)
	}
	return t
}

// TombstoneDocument is served with 410 Gone at a deleted statement's id.
func (s *Service) TombstoneDocument(st *storage.Statement, a *storage.Actor) ([]byte, error) {
	return serialize(s.tombstone(st, a))
}

// deleteDoc is the Delete of a statement.
func (s *Service) deleteDoc(st *storage.Statement, a *storage.Actor, id string, at time.Time) ([]byte, error) {
	v := streams.NewActivityStreamsDelete()
	s.publicActivity(v, id, a, at)
	p := streams.NewActivityStreamsObjectProperty()
	p.AppendActivityStreamsTombstone(s.tombstone(st, a))
	v.SetActivityStreamsObject(p)
	return serialize(v)
}

// followObject is a Follow as the object of an Accept, Reject or Undo: with
// its id, actor and object, which GoToSocial and Mastodon both check.
func followObject(id, actor, object string) vocab.ActivityStreamsFollow {
	f := streams.NewActivityStreamsFollow()
	if id != "" {
		f.SetJSONLDId(idProp(id))
	}
	f.SetActivityStreamsActor(actorProp(actor))
	f.SetActivityStreamsObject(objectIRIProp(object))
	return f
}

// answerDoc is the Accept or Reject of a remote actor's Follow of ours.
func (s *Service) answerDoc(accept bool, a *storage.Actor, id, followIRI, follower string) ([]byte, error) {
	obj := streams.NewActivityStreamsObjectProperty()
	obj.AppendActivityStreamsFollow(followObject(followIRI, follower, s.iri.Actor(a.Username)))
	if accept {
		v := streams.NewActivityStreamsAccept()
		v.SetJSONLDId(idProp(id))
		v.SetActivityStreamsActor(actorProp(s.iri.Actor(a.Username)))
		v.SetActivityStreamsTo(toProp(follower))
		v.SetActivityStreamsObject(obj)
		return serialize(v)
	}
	v := streams.NewActivityStreamsReject()
	v.SetJSONLDId(idProp(id))
	v.SetActivityStreamsActor(actorProp(s.iri.Actor(a.Username)))
	v.SetActivityStreamsTo(toProp(follower))
	v.SetActivityStreamsObject(obj)
	return serialize(v)
}

// followDoc is our actor's Follow of a remote actor.
func (s *Service) followDoc(a *storage.Actor, id, target string) ([]byte, error) {
	v := followObject(id, s.iri.Actor(a.Username), target)
	v.SetActivityStreamsTo(toProp(target))
	return serialize(v)
}

// undoFollowDoc withdraws our Follow.
func (s *Service) undoFollowDoc(a *storage.Actor, id, followIRI, target string) ([]byte, error) {
	v := streams.NewActivityStreamsUndo()
	v.SetJSONLDId(idProp(id))
	v.SetActivityStreamsActor(actorProp(s.iri.Actor(a.Username)))
	v.SetActivityStreamsTo(toProp(target))
	obj := streams.NewActivityStreamsObjectProperty()
	obj.AppendActivityStreamsFollow(followObject(followIRI, s.iri.Actor(a.Username), target))
	v.SetActivityStreamsObject(obj)
	return serialize(v)
}

// federatedHash is a digest of what a follower sees of a statement (the
// object without its updated time and reply count), so that an edit that
// changes nothing visible sends no Update.
func (s *Service) federatedHash(st *storage.Statement, a *storage.Actor) (string, error) {
	m, err := s.statementVocab(st, a, 0).Serialize()
	if err != nil {
		return "", fmt.Errorf("federation: hash statement: %w", err)
	}
	delete(m, "updated")
	delete(m, "replies")
	b, err := json.Marshal(m) // encoding/json sorts map keys: stable
	if err != nil {
		return "", fmt.Errorf("federation: hash statement: %w", err)
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:]), nil
}
