package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
)

// InboxError is a refusal of an inbox request, with the HTTP status to
// answer. Its message is safe to show the sender.
type InboxError struct {
	Status int
	Msg    string
	Err    error // the cause, for the log
}

func (e *InboxError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%d %s: %v", e.Status, e.Msg, e.Err)
	}
	return fmt.Sprintf("%d %s", e.Status, e.Msg)
}

func (e *InboxError) Unwrap() error { return e.Err }

func refuse(status int, msg string, err error) error {
	return &InboxError{Status: status, Msg: msg, Err: err}
}

// envelope is the part of an activity the inbox reads on the request path:
// enough to verify and route it. The full go-fed parse happens later, in
// the worker that acts on the stored activity (it costs far more than the
// signature check). Both read the same strictly decoded map (decodeJSON),
// and the worker acts on these fields as stored, so what was checked at the
// door is what is acted on.
type envelope struct {
	ID     string
	Type   string
	Actor  string
	Object string // the object's id (or the IRI itself); "" if none
	// For an embedded object: its type and author.
	ObjectType     string
	ObjectAuthor   string
	ObjectEmbedded bool
}

// decodeEnvelope reads id, type, actor and object from an activity. Each may
// be given as a string, an object with an id, or a list (the first counts).
func decodeEnvelope(body []byte) (*envelope, error) {
	e, _, err := decodeActivity(body)
	return e, err
}

// decodeActivity decodes an activity strictly and reads its envelope. The
// activity's id and actor, and every object it names, must be absolute
// http(s) URLs.
func decodeActivity(body []byte) (*envelope, map[string]any, error) {
	m, err := decodeJSON(body)
	if err != nil {
		return nil, nil, err
	}
	id, _ := m["id"].(string)
	e := &envelope{ID: id, Type: stringOf(m["type"]), Actor: refOf(m["actor"])}
	if obj, ok := m["object"]; ok {
		e.Object = refOf(obj)
		if o, ok := obj.(map[string]any); ok {
			e.ObjectEmbedded = true
			e.ObjectType = stringOf(o["type"])
			e.ObjectAuthor = refOf(o["attributedTo"])
		}
		if err := checkObjects(obj); err != nil {
			return nil, nil, err
		}
	}
	switch {
	case !validIRI(e.ID):
		return nil, nil, errors.New("activity has no absolute http(s) id")
	case e.Type == "":
		return nil, nil, errors.New("activity has no type")
	case !validIRI(e.Actor):
		return nil, nil, errors.New("activity has no absolute http(s) actor")
	}
	return e, m, nil
}

// checkObjects refuses an object (or list of objects) whose id is not an
// absolute http(s) URL. An embedded object may have no id (a transient
// object); the handlers that need one ask for it.
func checkObjects(v any) error {
	switch x := v.(type) {
	case string:
		if !validIRI(x) {
			return fmt.Errorf("object %.100q is not an absolute http(s) URL", x)
		}
	case map[string]any:
		if id, present := x["id"]; present {
			if s, ok := id.(string); !ok || !validIRI(s) {
				return fmt.Errorf("object id %.100v is not an absolute http(s) URL", id)
			}
		}
	case []any:
		for _, e := range x {
			if err := checkObjects(e); err != nil {
				return err
			}
		}
	default:
		return errors.New("object is neither an IRI nor an object")
	}
	return nil
}

// refID reads an IRI given as "iri", {"id": "iri", ...} or a list of those,
// from raw JSON.
func refID(m json.RawMessage) string {
	if len(m) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(m, &s) == nil {
		return s
	}
	var o struct {
		ID string `json:"id"`
	}
	if m[0] == '{' && json.Unmarshal(m, &o) == nil {
		return o.ID
	}
	var l []json.RawMessage
	if json.Unmarshal(m, &l) == nil && len(l) > 0 {
		return refID(l[0])
	}
	return ""
}

// acceptedContentTypes are the media types an inbox takes, as Mastodon and
// honk do; anything else gets 415.
func acceptedContentType(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "application/activity+json", "application/json":
		return true
	case "application/ld+json":
		p := params["profile"]
		return p == "" || strings.Contains(p, "https://www.w3.org/ns/activitystreams")
	}
	return false
}

// inboxTypes are the activity types the inbox worker acts on. Anything
// else is answered 202 and dropped before the signature is checked: a
// sender gains nothing by it, and we neither fetch its key nor keep it.
var inboxTypes = map[string]bool{
	"Follow": true, "Undo": true, "Accept": true, "Reject": true, "Like": true, "EmojiReact": true,
	"Announce": true, "Create": true, "Update": true, "Delete": true, "Block": true, "Flag": true, "Move": true,
}

// Receive checks one inbox POST and stores its activity, in the order the
// protocol demands: parse, verify the signature (fetching the key once more
// if it fails, for key rotation), confirm that the key's owner is the
// activity's actor, apply domain policy, check any object integrity proof,
// deduplicate by id, persist. When it returns nil the activity is stored
// (or was already, or is of a type we do not act on) and the caller
// answers 202; the work it asks for happens in the inbox worker. username
// is the personal inbox's owner, or "" for the shared inbox.
func (s *Service) Receive(ctx context.Context, r *http.Request, body []byte, username string) error {
	if !acceptedContentType(r.Header.Get("Content-Type")) {
		return refuse(http.StatusUnsupportedMediaType, "Content-Type must be application/activity+json or application/ld+json", nil)
	}
	var local *storage.Actor
	if username != "" {
		a, err := s.store.ActorByUsername(ctx, username)
		if errors.Is(err, storage.ErrNotFound) {
			return refuse(http.StatusNotFound, "no such inbox", nil)
		}
		if err != nil {
			return err
		}
		local = a
	}
	env, doc, err := decodeActivity(body)
	if err != nil {
		return refuse(http.StatusBadRequest, err.Error(), nil)
	}
	if !inboxTypes[env.Type] {
		s.log.DebugContext(ctx, "inbox: activity of a type we do not act on, dropped", "type", env.Type, "id", env.ID)
		return nil
	}
	sig, err := httpsig.Parse(r, httpsig.Options{Now: s.clock, Scheme: s.iri.Scheme(), Host: s.iri.Host(), RequireDigest: true})
	if err != nil {
		return refuse(http.StatusUnauthorized, "missing or unusable HTTP signature", err)
	}
	if err := httpsig.VerifyDigest(r.Header, body); err != nil {
		return refuse(http.StatusUnauthorized, "body does not match its digest", err)
	}
	// Domain policy comes before the key is fetched: a blocked server must
	// not be able to make us fetch from it (or from anywhere else, by naming
	// a key there).
	// So does a block of the account itself (account_blocks.go). The key
	// is nearly always on the actor's domain; then one look-up answers for
	// both.
	if err := s.admit(ctx, env.Actor); err != nil {
		return err
	}
	if domainOf(sig.KeyID) != domainOf(env.Actor) {
		if err := s.checkDomain(ctx, sig.KeyID); err != nil {
			return err
		}
	}
	owner, err := s.verifiedOwner(ctx, sig)
	if err != nil {
		// A deleted actor's key can no longer be fetched (410). Mastodon then
		// sends Delete{actor} signed with that key; there is nothing to verify
		// against, and nothing to lose by not acting on it when we never knew
		// the actor, so it is accepted and dropped rather than retried for days.
		if env.Type == "Delete" && env.Object == env.Actor && (errors.Is(err, transport.ErrGone) || errors.Is(err, transport.ErrNotFound)) {
			if _, lookErr := s.store.RemoteActorByIRI(ctx, env.Actor); errors.Is(lookErr, storage.ErrNotFound) {
				s.log.DebugContext(ctx, "inbox: Delete of an unknown, gone actor dropped", "actor", env.Actor)
				return nil
			}
		}
		var ie *InboxError
		if errors.As(err, &ie) {
			return err
		}
		return refuse(http.StatusUnauthorized, "signature could not be verified", err)
	}
	if owner.IRI != env.Actor {
		return refuse(http.StatusUnauthorized, "the signing key does not belong to the activity's actor",
			fmt.Errorf("key owner %s, actor %s", owner.IRI, env.Actor))
	}
	if hostOf(env.ID) != hostOf(env.Actor) {
		return refuse(http.StatusBadRequest, "activity id is not on its actor's host", nil)
	}
	if env.ObjectEmbedded && (env.Type == "Create" || env.Type == "Update") {
		if env.Object == "" || hostOf(env.Object) != hostOf(env.Actor) {
			return refuse(http.StatusBadRequest, "object id is not on its actor's host", nil)
		}
		if env.ObjectAuthor != "" && env.ObjectAuthor != env.Actor {
			return refuse(http.StatusBadRequest, "object is attributed to someone else", nil)
		}
	}
	// An object integrity proof, where there is one, must hold
	// (inbox_proof.go). It is checked against the actor's document, which
	// the key cache does not hold.
	if owner.Raw == "" && hasProof(doc) {
		if owner, err = s.store.RemoteActorByIRI(ctx, owner.IRI); err != nil {
			return fmt.Errorf("federation: key owner: %w", err)
		}
	}
	if err := s.checkProofs(ctx, body, doc, env, owner); err != nil {
		return err
	}
	act := &storage.Activity{IRI: env.ID, Direction: storage.Inbound, Type: env.Type, ActorIRI: env.Actor,
		ObjectIRI: env.Object, Body: body}
	if local != nil {
		act.LocalActorID = local.ID
	}
	// Stored is nearly always true: the inbox queue takes a redelivery too,
	// and the worker drops it when it files the queue.
	stored, err := s.store.SaveActivity(ctx, act)
	if err != nil {
		return err
	}
	if stored {
		s.WakeInbox()
	}
	return nil
}

// hasProof says whether an activity, or the object it embeds, carries a
// proof.
func hasProof(doc map[string]any) bool {
	if _, ok := doc["proof"]; ok {
		return true
	}
	obj, ok := doc["object"].(map[string]any)
	if !ok {
		return false
	}
	_, ok = obj["proof"]
	return ok
}

// inboxGate is a store that answers the domain policy and the account
// block of an actor in one look-up (*storage.Store).
type inboxGate interface {
	InboxGate(ctx context.Context, host, actorIRI string) (policy string, accountBlocked bool, err error)
}

// admit refuses (403) an actor whose domain is refused (as checkDomain) or
// whose account is blocked (as checkAccount), in that order.
func (s *Service) admit(ctx context.Context, actorIRI string) error {
	g, ok := s.store.(inboxGate)
	if !ok {
		if err := s.checkDomain(ctx, actorIRI); err != nil {
			return err
		}
		return s.checkAccount(ctx, actorIRI)
	}
	policy, blocked, err := g.InboxGate(ctx, domainOf(actorIRI), actorIRI)
	if err != nil {
		return fmt.Errorf("federation: %w", err)
	}
	mode, err := s.FederationMode(ctx)
	if err != nil {
		return err
	}
	if refused(policy, mode) {
		return refuse(http.StatusForbidden, "this server does not accept activities from your domain", nil)
	}
	if blocked {
		return refuse(http.StatusForbidden, "this server does not accept activities from you", nil)
	}
	return nil
}

// checkDomain refuses (403) a URL whose domain, or a parent of it, is
// blocked, or, in the allow-list mode, is not allowed.
func (s *Service) checkDomain(ctx context.Context, rawURL string) error {
	policy, err := s.store.DomainPolicy(ctx, domainOf(rawURL))
	if err != nil {
		return fmt.Errorf("federation: domain policy: %w", err)
	}
	mode, err := s.FederationMode(ctx)
	if err != nil {
		return err
	}
	if refused(policy, mode) {
		return refuse(http.StatusForbidden, "this server does not accept activities from your domain", nil)
	}
	return nil
}

// verifiedOwner finds the owner of the signing key and checks the signature
// with it; if that fails with a cached key it fetches the key once more, in
// case it was rotated, unless the key was fetched within keyRefetchInterval
// (a bad signature naming a real key must not buy a fetch each time).
func (s *Service) verifiedOwner(ctx context.Context, sig *httpsig.Signature) (*storage.RemoteActor, error) {
	if !validIRI(sig.KeyID) {
		// Only an http(s) URL can be fetched, and the length bound keeps the
		// failed-key cache's memory bounded too.
		return nil, refuse(http.StatusUnauthorized, "keyId is not an absolute http(s) URL", nil)
	}
	owner, fetched, err := s.keyOwner(ctx, sig.KeyID, false)
	if err != nil {
		return nil, err
	}
	if err = s.verifyWith(sig, owner); err == nil {
		return owner, nil
	}
	if fetched || s.clock().Sub(owner.FetchedAt) < keyRefetchInterval {
		return nil, err
	}
	if owner, _, err = s.keyOwner(ctx, sig.KeyID, true); err != nil {
		return nil, err
	}
	if err = s.verifyWith(sig, owner); err != nil {
		return nil, err
	}
	return owner, nil
}

func (s *Service) verifyWith(sig *httpsig.Signature, owner *storage.RemoteActor) error {
	pub, err := s.publicKey(owner)
	if err != nil {
		return refuse(http.StatusUnauthorized, "the signing key cannot be read", err)
	}
	if err := sig.Verify(pub); err != nil {
		return refuse(http.StatusUnauthorized, "signature does not verify", err)
	}
	return nil
}

// WakeInbox tells the inbox worker there is work.
func (s *Service) WakeInbox() {
	select {
	case s.inboxWake <- struct{}{}:
	default:
	}
}

// VerifyFetch checks the signature of a GET in authorized-fetch mode: it
// must verify with a key whose owner's domain is not blocked.
func (s *Service) VerifyFetch(ctx context.Context, r *http.Request) error {
	sig, err := httpsig.Parse(r, httpsig.Options{Now: s.clock, Scheme: s.iri.Scheme(), Host: s.iri.Host()})
	if err != nil {
		return err
	}
	if err := s.checkDomain(ctx, sig.KeyID); err != nil {
		return err
	}
	owner, err := s.verifiedOwner(ctx, sig)
	if err != nil {
		return err
	}
	if err := s.checkDomain(ctx, owner.IRI); err != nil {
		return fmt.Errorf("federation: %s is blocked: %w", owner.Host, err)
	}
	if err := s.checkAccount(ctx, owner.IRI); err != nil {
		return fmt.Errorf("federation: %s is blocked: %w", owner.IRI, err)
	}
	return nil
}
