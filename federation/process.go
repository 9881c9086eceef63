package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/go-fed/activity/streams/vocab"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/storage"
)

// The inbox worker: it acts on stored inbound activities, oldest first, with
// go-fed's full parse. A failure is retried (a few times, with the lease as
// the pause); anything unknown is marked done and ignored.

const (
	inboxBatch       = 20
	inboxLease       = 2 * time.Minute
	inboxMaxAttempts = 5
)

// Retention of inbound activities. An activity's body is kept for
// BodyRetention after it arrives (long enough to look into a problem with
// it), then only its id, type, actor, object and times are, until
// DedupeWindow has passed: a redelivery of the same id within the window
// is recognised and changes nothing. Senders give up retrying within days
// (Mastodon after about a week), and a captured request cannot be replayed
// after an hour (its signed Date is then refused), so nothing legitimate
// arrives twice after the window. PruneEvery is how often the inbox worker
// prunes.
const (
	BodyRetention = 7 * 24 * time.Hour
	DedupeWindow  = 30 * 24 * time.Hour
	PruneEvery    = time.Hour
)

// RunInbox processes stored inbound activities until ctx ends, woken by
// Receive or every poll.
func (s *Service) RunInbox(ctx context.Context, poll time.Duration) error {
	for {
		n, err := s.ProcessInbox(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "inbox worker", "err", err)
		}
		// Fan-outs left unfinished are looked for however busy the inbox.
		if now := time.Now(); now.Sub(s.lastFanOuts) >= fanOutStale {
			s.lastFanOuts = now
			s.finishFanOuts(ctx, now.Add(-fanOutStale))
		}
		if n == inboxBatch {
			continue // more waiting
		}
		if now := s.clock(); now.Sub(s.lastPrune) >= PruneEvery {
			s.lastPrune = now
			if err := s.PruneActivities(ctx); err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "inbox worker: prune", "err", err)
			}
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.inboxWake:
		case <-t.C:
		}
		t.Stop()
	}
}

// ProcessInbox acts on one batch of stored inbound activities and returns
// how many it took.
func (s *Service) ProcessInbox(ctx context.Context) (int, error) {
	acts, err := s.store.ClaimInbound(ctx, inboxBatch, inboxLease, inboxMaxAttempts)
	if err != nil {
		return 0, err
	}
	for _, a := range acts {
		perr := s.process(ctx, a)
		if perr != nil {
			s.log.WarnContext(ctx, "inbox: activity failed", "id", a.IRI, "type", a.Type, "attempt", a.Attempts, "err", perr)
		} else {
			s.log.DebugContext(ctx, "inbox: activity done", "id", a.IRI, "type", a.Type)
		}
		if err := s.store.FinishInbound(ctx, a.ID, perr); err != nil {
			return len(acts), err
		}
	}
	return len(acts), nil
}

// PruneActivities applies the retention of inbound activities
// (BodyRetention, DedupeWindow) and of our answers to follows (deleted after
// DedupeWindow once delivered or given up), and bounds partners' posts and
// media copies (SweepPartnerMedia). The inbox worker runs it every
// PruneEvery.
func (s *Service) PruneActivities(ctx context.Context) error {
	now := s.clock()
	bodies, rows, err := s.store.PruneInbound(ctx, now.Add(-BodyRetention), now.Add(-DedupeWindow), inboxMaxAttempts)
	if err != nil {
		return fmt.Errorf("federation: prune activities: %w", err)
	}
	answers, err := s.store.PruneAnswers(ctx, now.Add(-DedupeWindow))
	if err != nil {
		return fmt.Errorf("federation: prune activities: %w", err)
	}
	if bodies > 0 || rows > 0 || answers > 0 {
		s.log.InfoContext(ctx, "activities pruned", "inbound_bodies", bodies, "inbound_rows", rows, "answers", answers)
	}
	// Partners' posts and media copies are bounded on the same round.
	return s.SweepPartnerMedia(ctx)
}

// ignored marks an activity that needs nothing from us; it is logged at
// debug level and counts as done.
type ignored struct{ why string }

func (i ignored) Error() string { return "ignored: " + i.why }

func (s *Service) process(ctx context.Context, a *storage.Activity) error {
	err := s.dispatch(ctx, a)
	var ig ignored
	if errors.As(err, &ig) {
		s.log.DebugContext(ctx, "inbox: activity ignored", "id", a.IRI, "type", a.Type, "why", ig.why)
		return nil
	}
	return err
}

func (s *Service) dispatch(ctx context.Context, a *storage.Activity) error {
	remote, err := s.ResolveActor(ctx, a.ActorIRI, false)
	if err != nil {
		if a.Type == "Delete" && a.ObjectIRI == a.ActorIRI {
			return ignored{"delete of an actor we cannot fetch"}
		}
		return err
	}
	// EmojiReact (honk, Misskey, snac) has no go-fed type: counted as a like
	// from its plain JSON.
	if a.Type == "EmojiReact" {
		return s.onLike(ctx, a, remote, a.ObjectIRI)
	}
	t, raw, err := parseType(ctx, a.Body)
	if err != nil {
		return ignored{err.Error()}
	}
	// The type, actor and object stored with the activity are those the
	// inbox checked; go-fed, reading the same map, must agree on the type
	// (it could pick another one from a list, or read a prefixed alias).
	if t.GetTypeName() != a.Type {
		return ignored{"go-fed reads type " + t.GetTypeName() + ", the inbox read " + a.Type}
	}
	switch v := t.(type) {
	case vocab.ActivityStreamsFollow:
		return s.onFollow(ctx, a, remote, a.ObjectIRI)
	case vocab.ActivityStreamsUndo:
		return s.onUndo(ctx, a, remote, v)
	case vocab.ActivityStreamsAccept:
		return s.onAnswer(ctx, remote, v.GetActivityStreamsObject(), storage.FollowAccepted)
	case vocab.ActivityStreamsReject:
		return s.onAnswer(ctx, remote, v.GetActivityStreamsObject(), storage.FollowRejected)
	case vocab.ActivityStreamsLike:
		return s.onLike(ctx, a, remote, a.ObjectIRI)
	case vocab.ActivityStreamsAnnounce:
		return s.onAnnounce(ctx, a, remote)
	case vocab.ActivityStreamsCreate:
		return s.onCreate(ctx, remote, raw)
	case vocab.ActivityStreamsUpdate:
		return s.onUpdate(ctx, remote, raw)
	case vocab.ActivityStreamsDelete:
		return s.onDelete(ctx, remote, a.ObjectIRI)
	case vocab.ActivityStreamsBlock:
		return s.onBlock(ctx, remote, a.ObjectIRI)
	case vocab.ActivityStreamsMove:
		return s.onMove(ctx, a, remote, raw)
	case vocab.ActivityStreamsFlag:
		return s.onFlag(ctx, a, remote, iris[vocab.ActivityStreamsObjectPropertyIterator](v.GetActivityStreamsObject()),
			firstText[vocab.ActivityStreamsContentPropertyIterator](v.GetActivityStreamsContent()))
	default:
		return ignored{"type " + t.GetTypeName()}
	}
}

// localByIRI returns our actor with that id, or ignored.
func (s *Service) localByIRI(ctx context.Context, addr string) (*storage.Actor, error) {
	username, ok := s.iri.ParseActor(addr)
	if !ok {
		return nil, ignored{"object " + addr + " is not one of our actors"}
	}
	a, err := s.store.ActorByUsername(ctx, username)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && a.IsInstance) {
		return nil, ignored{"no actor " + username}
	}
	return a, err
}

// statementByIRI returns our visible statement with that id, or ignored.
func (s *Service) statementByIRI(ctx context.Context, addr string) (*storage.Statement, error) {
	_, id, ok := s.iri.ParseStatement(addr)
	if !ok || !storage.ValidID(id) {
		return nil, ignored{"object " + addr + " is not one of our statements"}
	}
	st, err := s.store.StatementByID(ctx, id)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && !st.VisibleAt(s.clock())) {
		return nil, ignored{"no statement " + id}
	}
	return st, err
}

func (s *Service) onFollow(ctx context.Context, a *storage.Activity, remote *storage.RemoteActor, object string) error {
	local, err := s.localByIRI(ctx, object)
	if err != nil {
		return err
	}
	state := storage.FollowAccepted
	if local.ManuallyApprovesFollowers {
		state = storage.FollowPending
	} else if silenced, err := s.silenced(ctx, remote); err != nil {
		return err
	} else if silenced {
		state = storage.FollowPending // a silenced domain's follows wait for an editor (domains.go)
	}
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		if err := tx.PutFollower(ctx, local.ID, remote.ID, a.IRI, state); err != nil {
			return err
		}
		f, err := tx.Follower(ctx, local.ID, remote.ID)
		if err != nil {
			return err
		}
		if f.State != storage.FollowAccepted {
			return nil
		}
		// (Re)send the Accept: a repeated Follow usually means the first
		// Accept was lost.
		return s.answerFollow(ctx, tx, true, local, remote, a.IRI)
	})
	if err == nil {
		s.wake()
		s.log.InfoContext(ctx, "new follower", "actor", local.Username, "follower", remote.IRI, "state", state)
	}
	return err
}

// answerFollow queues our Accept or Reject of a remote Follow, to the
// follower's own inbox.
func (s *Service) answerFollow(ctx context.Context, tx *storage.Store, accept bool, local *storage.Actor, remote *storage.RemoteActor, followIRI string) error {
	id := storage.NewID()
	body, err := s.answerDoc(accept, local, s.iri.Activity(local.Username, id), followIRI, remote.IRI)
	if err != nil {
		return err
	}
	typ := "Reject"
	if accept {
		typ = "Accept"
	}
	act := &storage.Activity{ID: id, IRI: s.iri.Activity(local.Username, id), Direction: storage.Outbound, Type: typ,
		ActorIRI: s.iri.Actor(local.Username), ObjectIRI: followIRI, LocalActorID: local.ID, Body: body}
	return s.send(ctx, tx, act, local, remote.Inbox)
}

func (s *Service) onUndo(ctx context.Context, a *storage.Activity, remote *storage.RemoteActor, v vocab.ActivityStreamsUndo) error {
	objs := v.GetActivityStreamsObject()
	if objs == nil || objs.Len() == 0 {
		return ignored{"Undo without object"}
	}
	it := objs.At(0)
	innerID := iriOf(it)
	var innerType, innerObject, innerActor string
	if t := it.GetType(); t != nil {
		innerType = t.GetTypeName()
		if o, ok := t.(interface {
			GetActivityStreamsObject() vocab.ActivityStreamsObjectProperty
		}); ok {
			innerObject = first[vocab.ActivityStreamsObjectPropertyIterator](o.GetActivityStreamsObject())
		}
		if o, ok := t.(interface {
			GetActivityStreamsActor() vocab.ActivityStreamsActorProperty
		}); ok {
			innerActor = first[vocab.ActivityStreamsActorPropertyIterator](o.GetActivityStreamsActor())
		}
	} else if stored, err := s.store.ActivityByIRI(ctx, innerID); err == nil && stored.Direction == storage.Inbound {
		innerType, innerObject, innerActor = stored.Type, stored.ObjectIRI, stored.ActorIRI
	} else {
		// EmojiReact is not a go-fed type, so an embedded one arrives as
		// neither; read its type from the JSON.
		var raw struct {
			Object struct {
				Type   string `json:"type"`
				Object string `json:"object"`
			} `json:"object"`
		}
		if json.Unmarshal(a.Body, &raw) == nil && raw.Object.Type != "" {
			innerType, innerObject = raw.Object.Type, raw.Object.Object
		}
	}
	if innerActor != "" && innerActor != remote.IRI {
		return ignored{"Undo of someone else's activity"}
	}
	switch innerType {
	case "Follow":
		local, err := s.localByIRI(ctx, innerObject)
		if err != nil {
			return err
		}
		if err := s.store.RemoveFollower(ctx, local.ID, remote.ID); errors.Is(err, storage.ErrNotFound) {
			return ignored{"Undo of a follow we do not have"}
		} else if err != nil {
			return err
		}
		s.log.InfoContext(ctx, "follower left", "actor", local.Username, "follower", remote.IRI)
		return nil
	case "Like", "EmojiReact", "Announce":
		kind := storage.KindLike
		if innerType == "Announce" {
			kind = storage.KindAnnounce
		}
		stID := ""
		if st, err := s.statementByIRI(ctx, innerObject); err == nil {
			stID = st.ID
		}
		n, err := s.store.RemoveInteraction(ctx, kind, innerID, remote.ID, stID)
		if err == nil && n == 0 {
			return ignored{"Undo of an interaction we do not have"}
		}
		return err
	default:
		return ignored{"Undo of " + innerType}
	}
}

// onAnswer records the answer (Accept or Reject) to one of our Follows.
func (s *Service) onAnswer(ctx context.Context, remote *storage.RemoteActor, objs vocab.ActivityStreamsObjectProperty, state string) error {
	if objs == nil || objs.Len() == 0 {
		return ignored{"answer without object"}
	}
	it := objs.At(0)
	followIRI := iriOf(it)
	localID := ""
	if it.IsActivityStreamsFollow() {
		f := it.GetActivityStreamsFollow()
		if local, err := s.localByIRI(ctx, first[vocab.ActivityStreamsActorPropertyIterator](f.GetActivityStreamsActor())); err == nil {
			localID = local.ID
		}
	} else if act, err := s.store.ActivityByIRI(ctx, followIRI); err == nil && act.Direction == storage.Outbound {
		localID = act.LocalActorID
	}
	err := s.store.SetFollowingState(ctx, followIRI, localID, remote.ID, state)
	if errors.Is(err, storage.ErrNotFound) {
		return ignored{"answer to a follow we did not send"}
	}
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "follow answered", "partner", remote.IRI, "state", state)
	if state == storage.FollowAccepted {
		// The partner's recent posts, so that its page is not empty on day
		// one (never relayed). A failure is logged: the follow stands all
		// the same.
		if n, err := s.Backfill(ctx, remote); err != nil {
			s.log.WarnContext(ctx, "backfill failed", "partner", remote.IRI, "stored", n, "err", err)
		} else {
			s.log.InfoContext(ctx, "backfilled", "partner", remote.IRI, "posts", n)
		}
	}
	return nil
}

func (s *Service) onLike(ctx context.Context, a *storage.Activity, remote *storage.RemoteActor, object string) error {
	st, err := s.statementByIRI(ctx, object)
	if err != nil {
		return err
	}
	return s.store.AddInteraction(ctx, storage.KindLike, a.IRI, st.ID, remote.ID)
}

func (s *Service) onAnnounce(ctx context.Context, a *storage.Activity, remote *storage.RemoteActor) error {
	st, err := s.statementByIRI(ctx, a.ObjectIRI)
	if err != nil {
		return err
	}
	return s.store.AddInteraction(ctx, storage.KindAnnounce, a.IRI, st.ID, remote.ID)
}

// postObject is the part of a remote Note, Article or Page we keep. go-fed
// gives the standard fields; sensitive and contentMap are extension terms
// read from the JSON.
type postObject struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	AttributedTo json.RawMessage `json:"attributedTo"`
	InReplyTo    json.RawMessage `json:"inReplyTo"`
	URL          json.RawMessage `json:"url"`
	Name         string          `json:"name"`
	Summary      string          `json:"summary"`
	Content      string          `json:"content"`
	ContentMap   map[string]string
	Sensitive    bool       `json:"sensitive"`
	Published    *time.Time `json:"published"`
	Updated      *time.Time `json:"updated"`
}

func readPost(raw map[string]any) (*postObject, bool) {
	obj, ok := raw["object"].(map[string]any)
	if !ok {
		return nil, false
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, false
	}
	var p postObject
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, false
	}
	if cm, ok := obj["contentMap"].(map[string]any); ok {
		p.ContentMap = map[string]string{}
		for k, v := range cm {
			if s, ok := v.(string); ok {
				p.ContentMap[k] = s
			}
		}
	}
	switch p.Type {
	case "Note", "Article", "Page", "Question":
		return &p, p.ID != ""
	}
	return nil, false
}

// onCreate stores a reply to one of our statements (held for moderation,
// its HTML sanitized) or a post of a partner we follow.
func (s *Service) onCreate(ctx context.Context, remote *storage.RemoteActor, raw map[string]any) error {
	p, ok := readPost(raw)
	if !ok {
		return ignored{"Create of something that is not a post"}
	}
	if author := refID(p.AttributedTo); author != "" && author != remote.IRI {
		return ignored{"post attributed to someone else"}
	}
	o := s.remoteObject(p, remote)
	o.Tags, o.Public = postTags(raw), postPublic(raw)
	relay := false
	if st, err := s.statementByIRI(ctx, o.InReplyTo); err == nil {
		if !st.RepliesEnabled {
			return ignored{"replies are closed on " + st.ID}
		}
		o.StatementID, o.Moderation = st.ID, storage.ModerationPending
	} else if partner, err := s.store.IsPartner(ctx, remote.ID); err != nil {
		return err // retried: a failing database is not "not a partner"
	} else if !partner {
		return ignored{"post neither replies to us nor comes from a partner"}
	} else {
		// A partner's post. The media of a public one is copied here,
		// before the transaction (network I/O); a post not addressed to
		// the public is never shown, and nothing of it is copied where the
		// site serves media.
		if obj, ok := raw["object"].(map[string]any); ok && o.Public {
			o.Attachments = s.partnerAttachments(ctx, obj)
		}
		// Relayed only if it is the partner's own public post (not a reply),
		// and its domain is not silenced.
		if o.Public && o.InReplyTo == "" {
			silenced, err := s.silenced(ctx, remote)
			if err != nil {
				return err
			}
			relay = !silenced
		}
	}
	relayed := 0
	err := s.store.Tx(ctx, func(tx *storage.Store) error {
		relayed = 0
		if err := tx.UpsertRemoteObject(ctx, o); err != nil {
			return err
		}
		// Only the first delivery of a post is relayed: a redelivered or
		// repeated Create finds it known. One case of a known post is a
		// first delivery all the same: the backfill that runs when the
		// partner accepts our follow read a post published just then from
		// the outbox, before its Create was processed (autoRelay then
		// checks its time against the follow's).
		if !relay || (!o.Created && !o.Backfilled) {
			return nil
		}
		var err error
		relayed, err = s.autoRelay(ctx, tx, o, remote)
		return err
	})
	if err != nil {
		if errors.Is(err, storage.ErrConflict) {
			return ignored{err.Error()}
		}
		return err
	}
	if relayed > 0 {
		s.wake()
	}
	s.log.InfoContext(ctx, "remote post stored", "id", o.IRI, "reply_to", o.StatementID, "author", remote.IRI, "relayed", relayed)
	return nil
}

// postTags reads the hashtags of an activity's object: its tag entries of
// type Hashtag, named "#Tag" (Mastodon, GoToSocial, Fedify, honk, snac) or
// "Tag" (others), normalised.
func postTags(raw map[string]any) []string {
	obj, _ := raw["object"].(map[string]any)
	var entries []any
	switch t := obj["tag"].(type) {
	case []any:
		entries = t
	case map[string]any:
		entries = []any{t}
	}
	var out []string
	seen := map[string]bool{}
	for _, e := range entries {
		m, ok := e.(map[string]any)
		if !ok {
			continue
		}
		if typ, _ := m["type"].(string); typ != "Hashtag" && typ != "as:Hashtag" {
			continue
		}
		name, _ := m["name"].(string)
		if t := content.NormalizeTag(name); t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// publicAddresses are the ways servers write the Public collection: in full,
// and the compacted forms JSON-LD allows (as:Public, Public).
var publicAddresses = map[string]bool{PublicAddress: true, "as:Public": true, "Public": true}

// postPublic reports whether an activity's object is addressed to the
// Public collection (to or cc). The object's own addressing counts; an
// object without any is read by the activity's.
func postPublic(raw map[string]any) bool {
	obj, _ := raw["object"].(map[string]any)
	addressed := false
	for _, m := range []map[string]any{obj, raw} {
		for _, field := range []string{"to", "cc"} {
			var list []any
			switch v := m[field].(type) {
			case string:
				list = []any{v}
			case []any:
				list = v
			case map[string]any:
				list = []any{v["id"]}
			}
			for _, a := range list {
				addressed = true
				if s, ok := a.(string); ok && publicAddresses[s] {
					return true
				}
			}
		}
		if addressed {
			return false
		}
	}
	return false
}

func (s *Service) remoteObject(p *postObject, remote *storage.RemoteActor) *storage.RemoteObject {
	o := &storage.RemoteObject{IRI: p.ID, RemoteActorID: remote.ID, Type: p.Type, InReplyTo: refID(p.InReplyTo),
		URL: link(refID(p.URL)), Name: content.PlainText(p.Name), Summary: content.PlainText(p.Summary),
		ContentHTML: content.SanitizeRemote(p.Content), Sensitive: p.Sensitive, PublishedAt: p.Published, EditedAt: p.Updated,
		Raw: ""}
	for lang, html := range p.ContentMap {
		if html == p.Content || o.ContentHTML == "" {
			o.Language = lang
			if o.ContentHTML == "" {
				o.ContentHTML = content.SanitizeRemote(html)
			}
			break
		}
	}
	if o.URL == "" {
		o.URL = o.IRI
	}
	return o
}

// onUpdate refreshes a remote actor's profile (signed by the actor itself)
// or a post we keep.
func (s *Service) onUpdate(ctx context.Context, remote *storage.RemoteActor, raw map[string]any) error {
	obj, ok := raw["object"].(map[string]any)
	if !ok {
		return ignored{"Update without embedded object"}
	}
	if id, _ := obj["id"].(string); id == remote.IRI {
		b, err := json.Marshal(obj)
		if err != nil {
			return err
		}
		r, err := parseActor(ctx, b)
		if err != nil {
			return ignored{"actor update: " + err.Error()}
		}
		if r.PublicKeyID != remote.PublicKeyID || r.PublicKeyPEM != remote.PublicKeyPEM {
			// A key change is taken only from the actor's own document.
			_, err := s.ResolveActor(ctx, remote.IRI, true)
			return err
		}
		r.ID, r.FetchedAt, r.ExpiresAt = remote.ID, s.clock(), s.clock().Add(ActorTTL)
		return s.store.UpsertRemoteActor(ctx, r)
	}
	p, ok := readPost(raw)
	if !ok {
		return ignored{"Update of something that is not a post or its actor"}
	}
	old, err := s.store.RemoteObjectByIRI(ctx, p.ID)
	if errors.Is(err, storage.ErrNotFound) {
		return ignored{"Update of a post we do not keep"}
	}
	if err != nil {
		return err
	}
	if old.RemoteActorID != remote.ID {
		return ignored{"Update of someone else's post"}
	}
	o := s.remoteObject(p, remote)
	o.ID, o.StatementID, o.Moderation = old.ID, old.StatementID, old.Moderation
	o.Tags, o.Public = postTags(raw), postPublic(raw)
	o.Attachments = old.Attachments
	if old.StatementID == "" {
		// A partner's post: its media read again (copies it already has
		// are kept; network I/O, before the transaction), none if it is
		// no longer public.
		o.Attachments = nil
		if o.Public {
			o.Attachments = s.partnerAttachments(ctx, obj)
		}
	}
	// An edit refreshes our copy and is never announced again; a post that
	// stops being public is no longer relayed.
	undone := 0
	err = s.store.Tx(ctx, func(tx *storage.Store) error {
		undone = 0
		if err := tx.UpsertRemoteObject(ctx, o); err != nil {
			return err
		}
		if o.Public {
			return nil
		}
		o.Author = remote
		var err error
		undone, err = s.undoAllRelays(ctx, tx, o)
		return err
	})
	if err != nil {
		return err
	}
	if undone > 0 {
		s.wake()
	}
	s.log.InfoContext(ctx, "remote post updated", "id", o.IRI, "author", remote.IRI, "relays_undone", undone)
	return nil
}

func (s *Service) onDelete(ctx context.Context, remote *storage.RemoteActor, object string) error {
	if object == remote.IRI {
		// Our Announces of its posts are undone first: forgetting the actor
		// forgets its posts and our record of relaying them.
		undone := 0
		err := s.store.Tx(ctx, func(tx *storage.Store) error {
			var err error
			if undone, err = s.undoRelaysOf(ctx, tx, remote, nil); err != nil {
				return err
			}
			if err := tx.ForgetRemoteActor(ctx, remote.IRI); err != nil && !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
		if undone > 0 {
			s.wake()
		}
		s.log.InfoContext(ctx, "remote actor deleted itself: forgotten with its follows and replies", "actor", remote.IRI, "relays_undone", undone)
		return nil
	}
	// The deletion and the Undo of our Announces of the post commit
	// together.
	undone := 0
	err := s.store.Tx(ctx, func(tx *storage.Store) error {
		undone = 0
		o, err := tx.RemoteObjectByIRI(ctx, object)
		if err != nil {
			return err
		}
		if err := tx.DeleteRemoteObject(ctx, object, remote.ID); err != nil {
			return err
		}
		undone, err = s.undoAllRelays(ctx, tx, o)
		return err
	})
	if errors.Is(err, storage.ErrNotFound) {
		return ignored{"Delete of a post we do not keep"}
	}
	if err != nil {
		return err
	}
	if undone > 0 {
		s.wake()
	}
	s.log.InfoContext(ctx, "remote post deleted", "id", object, "author", remote.IRI, "relays_undone", undone)
	return nil
}

func (s *Service) onBlock(ctx context.Context, remote *storage.RemoteActor, object string) error {
	local, err := s.localByIRI(ctx, object)
	if err != nil {
		return err
	}
	// A block ends the relationship both ways, as on Mastodon.
	if err := s.store.RemoveFollower(ctx, local.ID, remote.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	if err := s.store.RemoveFollowing(ctx, local.ID, remote.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	s.log.InfoContext(ctx, "blocked by remote actor", "actor", local.Username, "by", remote.IRI)
	return nil
}

// A report's size is capped: the comment a moderator reads (Mastodon allows
// 1,000 characters) and the objects it names. Only objects of this node
// are kept; a report is about our actors and statements.
const (
	maxReportContent = 2000 // characters
	maxReportObjects = 20
)

func (s *Service) onFlag(ctx context.Context, a *storage.Activity, remote *storage.RemoteActor, objects []string, text string) error {
	r := &storage.Report{ActivityIRI: a.IRI, RemoteActorID: remote.ID, Content: truncateRunes(content.PlainText(text), maxReportContent)}
	seen := map[string]bool{}
	for _, o := range objects {
		if len(r.ObjectIRIs) == maxReportObjects {
			break
		}
		if seen[o] || !s.iri.Local(o) {
			continue
		}
		seen[o] = true
		r.ObjectIRIs = append(r.ObjectIRIs, o)
		if local, err := s.localByIRI(ctx, o); err == nil {
			r.ActorID = local.ID
		}
	}
	if err := s.store.CreateReport(ctx, r); err != nil {
		return fmt.Errorf("federation: store report: %w", err)
	}
	s.log.WarnContext(ctx, "report received", "from", remote.IRI, "objects", objects)
	return nil
}

// truncateRunes cuts s to at most n characters, marking the cut with "…".
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
