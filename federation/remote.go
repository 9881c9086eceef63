package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-fed/activity/streams/vocab"

	"github.com/tadamun/tadamun/federation/content"
	"github.com/tadamun/tadamun/federation/httpsig"
	"github.com/tadamun/tadamun/federation/transport"
	"github.com/tadamun/tadamun/storage"
)

// ActorTTL is how long a fetched remote actor is trusted before it is
// fetched again (its key, inbox, name).
const ActorTTL = 24 * time.Hour

// asAccept is the Accept header for ActivityStreams documents.
const asAccept = `application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"`

// remoteActorVocab is what the go-fed actor types let us read.
type remoteActorVocab interface {
	vocab.Type
	GetActivityStreamsPreferredUsername() vocab.ActivityStreamsPreferredUsernameProperty
	GetActivityStreamsName() vocab.ActivityStreamsNameProperty
	GetActivityStreamsSummary() vocab.ActivityStreamsSummaryProperty
	GetActivityStreamsUrl() vocab.ActivityStreamsUrlProperty
	GetActivityStreamsInbox() vocab.ActivityStreamsInboxProperty
	GetActivityStreamsOutbox() vocab.ActivityStreamsOutboxProperty
	GetActivityStreamsFollowers() vocab.ActivityStreamsFollowersProperty
	GetActivityStreamsIcon() vocab.ActivityStreamsIconProperty
	GetTootFeatured() vocab.TootFeaturedProperty
	GetW3IDSecurityV1PublicKey() vocab.W3IDSecurityV1PublicKeyProperty
	GetUnknownProperties() map[string]interface{}
}

// errNotActor is returned for a document that is not an actor.
var errNotActor = errors.New("not an actor")

// parseActor reads a remote actor document with go-fed. The terms go-fed
// has no type for (endpoints.sharedInbox, manuallyApprovesFollowers) are
// read from the plain JSON.
func parseActor(ctx context.Context, body []byte) (*storage.RemoteActor, error) {
	t, raw, err := parseType(ctx, body)
	if err != nil {
		return nil, err
	}
	v, ok := t.(remoteActorVocab)
	if !ok {
		return nil, fmt.Errorf("%w: type %s", errNotActor, t.GetTypeName())
	}
	r := &storage.RemoteActor{Type: t.GetTypeName(), Raw: string(body)}
	if id := t.GetJSONLDId(); id != nil && id.Get() != nil {
		r.IRI = id.Get().String()
	}
	r.Host = hostOf(r.IRI)
	if r.IRI == "" || r.Host == "" {
		return nil, errors.New("actor has no id")
	}
	if p := v.GetActivityStreamsPreferredUsername(); p != nil {
		r.Username = p.GetXMLSchemaString()
	}
	r.DisplayName = content.PlainText(firstText[vocab.ActivityStreamsNamePropertyIterator](v.GetActivityStreamsName()))
	r.SummaryHTML = content.SanitizeRemote(firstText[vocab.ActivityStreamsSummaryPropertyIterator](v.GetActivityStreamsSummary()))
	r.URL = link(first[vocab.ActivityStreamsUrlPropertyIterator](v.GetActivityStreamsUrl()))
	r.Inbox = iriOf(v.GetActivityStreamsInbox())
	r.Outbox = iriOf(v.GetActivityStreamsOutbox())
	r.FollowersURL = iriOf(v.GetActivityStreamsFollowers())
	r.FeaturedURL = iriOf(v.GetTootFeatured())
	if icons := v.GetActivityStreamsIcon(); icons != nil && icons.Len() > 0 {
		if it := icons.At(0); it.IsActivityStreamsImage() {
			r.IconURL = link(first[vocab.ActivityStreamsUrlPropertyIterator](it.GetActivityStreamsImage().GetActivityStreamsUrl()))
		} else {
			r.IconURL = link(iriOf(it))
		}
	}
	if keys := v.GetW3IDSecurityV1PublicKey(); keys != nil {
		for i := 0; i < keys.Len(); i++ {
			it := keys.At(i)
			if !it.IsW3IDSecurityV1PublicKey() {
				continue
			}
			k := it.Get()
			if k.GetJSONLDId() == nil || k.GetW3IDSecurityV1PublicKeyPem() == nil {
				continue
			}
			r.PublicKeyID = k.GetJSONLDId().Get().String()
			r.PublicKeyPEM = k.GetW3IDSecurityV1PublicKeyPem().Get()
			break // Mastodon-style actors carry one RSA key; the first wins
		}
	}
	// go-fed v1.0.0 has no endpoints or manuallyApprovesFollowers.
	if ep, ok := raw["endpoints"].(map[string]any); ok {
		r.SharedInbox, _ = ep["sharedInbox"].(string)
	}
	r.ManuallyApproves, _ = raw["manuallyApprovesFollowers"].(bool)
	if r.Inbox == "" {
		return nil, errors.New("actor has no inbox")
	}
	for _, u := range []string{r.Inbox, r.SharedInbox} {
		if u != "" && hostOf(u) == "" {
			return nil, fmt.Errorf("actor inbox %q is not an absolute URL", u)
		}
	}
	return r, nil
}

// instanceSigner signs the node's own fetches with the instance actor's key.
func (s *Service) instanceSigner(ctx context.Context) (*transport.Signer, error) {
	s.signerMu.Lock()
	defer s.signerMu.Unlock()
	if s.signer != nil {
		return s.signer, nil
	}
	a, err := s.EnsureInstanceActor(ctx)
	if err != nil {
		return nil, err
	}
	k, err := httpsig.ParsePrivateKeyPEM(a.PrivateKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("federation: instance key: %w", err)
	}
	s.signer = &transport.Signer{KeyID: s.iri.InstanceKey(), Key: k}
	return s.signer, nil
}

// ResolveActor returns a remote actor, from the cache while it is fresh,
// otherwise fetched (signed, as the instance actor) and stored.
func (s *Service) ResolveActor(ctx context.Context, actorIRI string, refresh bool) (*storage.RemoteActor, error) {
	if !refresh {
		r, err := s.store.RemoteActorByIRI(ctx, actorIRI)
		if err == nil && s.clock().Before(r.ExpiresAt) {
			return r, nil
		}
	}
	return s.fetchActor(ctx, actorIRI)
}

func (s *Service) fetchActor(ctx context.Context, actorIRI string) (*storage.RemoteActor, error) {
	r, err := s.fetchActorDoc(ctx, actorIRI)
	if err != nil {
		return nil, err
	}
	if err := s.store.UpsertRemoteActor(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// fetchActorDoc fetches and reads an actor document without storing it.
func (s *Service) fetchActorDoc(ctx context.Context, actorIRI string) (*storage.RemoteActor, error) {
	if s.iri.Local(actorIRI) {
		return nil, fmt.Errorf("federation: %s is one of ours", actorIRI)
	}
	signer, err := s.instanceSigner(ctx)
	if err != nil {
		return nil, err
	}
	doc, err := s.client.Fetch(ctx, actorIRI, signer)
	if err != nil {
		return nil, fmt.Errorf("federation: fetch actor %s: %w", actorIRI, err)
	}
	r, err := parseActor(ctx, doc.Body)
	if err != nil {
		return nil, fmt.Errorf("federation: actor %s: %w", actorIRI, err)
	}
	if r.IRI != doc.ID {
		return nil, fmt.Errorf("federation: actor %s: %w", actorIRI, transport.ErrIDMismatch)
	}
	now := s.clock()
	r.FetchedAt, r.ExpiresAt = now, now.Add(ActorTTL)
	return r, nil
}

// keyOwner finds the actor that owns keyID: from the cache, or by fetching
// the key (which may be the actor document itself, a key document with an
// owner, or GoToSocial's stub actor at /main-key) and then the owner's
// actor document, which must list the key. refresh skips the cache (the
// cached key failed: it may have been rotated).
// fetched reports whether the key was fetched just now (so fetching again
// would not help).
//
// The request naming keyID is not authenticated yet, so the fetch is
// guarded: a key that failed lately is not fetched again (keyFailureTTL),
// concurrent requests for one key share one fetch, and fetches wait for a
// slot under the overall and per-host caps.
func (s *Service) keyOwner(ctx context.Context, keyID string, refresh bool) (owner *storage.RemoteActor, fetched bool, err error) {
	if !refresh {
		if r, ok := s.cachedOwner(keyID); ok {
			return r, false, nil
		}
		r, err := s.store.RemoteActorByKeyID(ctx, keyID)
		if err == nil && s.clock().Before(r.ExpiresAt) {
			s.cacheOwner(r)
			return r, false, nil
		}
	}
	if cached, ok := s.keyFailures.get(keyID, s.clock()); ok {
		return nil, true, fmt.Errorf("federation: key %s failed lately: %w", keyID, cached)
	}
	owner, err = s.keyFlight.do(ctx, keyID, func() (*storage.RemoteActor, error) {
		release, err := s.fetches.acquire(ctx, domainOf(keyID), fetchSlotWait)
		if err != nil {
			return nil, err
		}
		defer release()
		r, err := s.fetchKeyOwner(ctx, keyID)
		if err != nil && ctx.Err() == nil {
			s.keyFailures.put(keyID, err, s.clock())
		}
		if err == nil {
			s.cacheOwner(r)
		}
		return r, err
	})
	if errors.Is(err, ErrBusy) {
		return nil, true, refuse(http.StatusServiceUnavailable, "too busy to fetch your key now; try again later", err)
	}
	return owner, true, err
}

// fetchKeyOwner fetches keyID and its owner. The owner is stored only once
// its own document is found to list keyID, on the key's host: a document
// that does not vouch for the key that sent us to it is not kept.
func (s *Service) fetchKeyOwner(ctx context.Context, keyID string) (*storage.RemoteActor, error) {
	if s.iri.Local(keyID) {
		return nil, fmt.Errorf("federation: key %s is one of ours", keyID)
	}
	signer, err := s.instanceSigner(ctx)
	if err != nil {
		return nil, err
	}
	keyURL := stripFragment(keyID)
	body, err := s.client.FetchJSON(ctx, keyURL, asAccept, signer)
	if err != nil {
		return nil, fmt.Errorf("federation: fetch key %s: %w", keyID, err)
	}
	// Only the owner's IRI is taken from the key document; everything that
	// is trusted comes from the owner's own actor document below.
	kd, err := decodeJSON(body)
	if err != nil {
		return nil, fmt.Errorf("federation: key %s: %w", keyID, err)
	}
	owner, _ := kd["owner"].(string)
	if owner == "" {
		owner, _ = kd["id"].(string) // the key id was the actor's, with a fragment
		if pk, ok := kd["publicKey"].(map[string]any); ok {
			if o, _ := pk["owner"].(string); o != "" {
				owner = o
			}
		}
	}
	if !validIRI(owner) || hostOf(owner) != hostOf(keyID) {
		return nil, fmt.Errorf("federation: key %s: owner %.200q is not on the key's host", keyID, owner)
	}
	r, err := s.fetchActorDoc(ctx, owner)
	if err != nil {
		return nil, err
	}
	if r.PublicKeyID != keyID || r.Host != hostOf(keyID) {
		return nil, fmt.Errorf("federation: actor %s does not list key %s", owner, keyID)
	}
	if err := s.store.UpsertRemoteActor(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// normaliseHandle turns "@user@host", "user@host" or "acct:user@host" into
// user and host.
func normaliseHandle(h string) (user, host string, ok bool) {
	h = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(h), "acct:"), "@")
	user, host, ok = strings.Cut(h, "@")
	if !ok || user == "" || host == "" || strings.ContainsAny(host, "/@?# ") {
		return "", "", false
	}
	return user, strings.ToLower(host), true
}

// Lookup finds a remote actor by handle (@user@host, via WebFinger) or by
// actor URL, and stores it.
func (s *Service) Lookup(ctx context.Context, who string) (*storage.RemoteActor, error) {
	if strings.HasPrefix(who, "https://") || strings.HasPrefix(who, "http://") {
		if _, err := s.client.CheckURL(who); err != nil {
			return nil, addressRefusal(who, err)
		}
		return s.ResolveActor(ctx, who, true)
	}
	user, host, ok := normaliseHandle(who)
	if !ok {
		return nil, reject("%q is neither @user@host nor an actor URL", who)
	}
	scheme := "https"
	if s.insecureRemote {
		scheme = "http"
	}
	wf := scheme + "://" + host + "/.well-known/webfinger?resource=" + "acct:" + user + "@" + host
	signer, err := s.instanceSigner(ctx)
	if err != nil {
		return nil, err
	}
	body, err := s.client.FetchJSON(ctx, wf, "application/jrd+json, application/json", signer)
	if err != nil {
		return nil, fmt.Errorf("federation: webfinger %s@%s: %w", user, host, err)
	}
	var jrd struct {
		Links []struct {
			Rel  string `json:"rel"`
			Type string `json:"type"`
			Href string `json:"href"`
		} `json:"links"`
	}
	if err := json.Unmarshal(body, &jrd); err != nil {
		return nil, fmt.Errorf("federation: webfinger %s@%s: not JSON", user, host)
	}
	for _, l := range jrd.Links {
		if l.Rel == "self" && (strings.HasPrefix(l.Type, "application/activity+json") || strings.HasPrefix(l.Type, "application/ld+json")) {
			return s.ResolveActor(ctx, l.Href, true)
		}
	}
	return nil, fmt.Errorf("federation: webfinger %s@%s: no ActivityPub actor link", user, host)
}

// The follow form's look-ups of readers' servers are cached, failures
// included: a reader who submits the form twice costs one fetch.
const (
	subscribeTTL     = 10 * time.Minute
	subscribeEntries = 1024
)

// subscribeRel is the WebFinger link relation of a server's "follow this
// account" page (OStatus remote follow, still served by Mastodon,
// GoToSocial, Pleroma and Misskey).
const subscribeRel = "http://ostatus.org/schema/1.0/subscribe"

// SubscribeURL is where a reader of another server follows one of our
// actors: their server's "ostatus subscribe" template from WebFinger, with
// our actor filled in, or Mastodon's /authorize_interaction if it gives none.
//
// The answer becomes a redirect that anyone can trigger with a link, so it
// must never leave the reader's own server: a template on any other host,
// or over plain http, is refused (ErrInvalid) rather than followed. The
// WebFinger fetch is made over https only (plain http only on a test network
// configured with InsecureRemote), under the same caps as key fetches, and
// its answer is cached per reader.
func (s *Service) SubscribeURL(ctx context.Context, reader, username string) (string, error) {
	user, host, ok := normaliseHandle(reader)
	if !ok {
		return "", invalid("write your address as you@your.server")
	}
	scheme := "https"
	if s.insecureRemote {
		scheme = "http"
	}
	target := "acct:" + username + "@" + s.iri.Host()
	cacheKey := strings.ToLower(user) + "@" + host + " " + target
	if u, ok := s.subscribes.get(cacheKey, s.clock()); ok {
		if u == "" { // the look-up failed lately
			return "", invalid("%s could not be reached to find its follow page; check the address", host)
		}
		return u, nil
	}
	wf := scheme + "://" + host + "/.well-known/webfinger?resource=" + url.QueryEscape("acct:"+user+"@"+host)
	if _, err := s.client.CheckURL(wf); err != nil {
		return "", invalid("%s is not a server we can reach", host)
	}
	release, err := s.fetches.acquire(ctx, domainOf(wf), fetchSlotWait)
	if err != nil {
		return "", fmt.Errorf("federation: webfinger %s: %w", host, err)
	}
	body, err := s.client.FetchJSON(ctx, wf, "application/jrd+json, application/json", nil)
	release()
	if err != nil {
		s.log.DebugContext(ctx, "follow form: webfinger failed", "host", host, "err", err)
		if ctx.Err() == nil {
			s.subscribes.put(cacheKey, "", s.clock()) // a failure is remembered too
		}
		return "", invalid("%s could not be reached to find its follow page; check the address", host)
	}
	jrd, err := decodeJSON(body)
	if err != nil {
		return "", invalid("%s answered with something that is not WebFinger", host)
	}
	u := scheme + "://" + host + "/authorize_interaction?uri=" + url.QueryEscape(target)
	links, _ := jrd["links"].([]any)
	for _, l := range links {
		link, _ := l.(map[string]any)
		rel, _ := link["rel"].(string)
		tmpl, _ := link["template"].(string)
		if rel != subscribeRel || !strings.Contains(tmpl, "{uri}") {
			continue
		}
		u = strings.Replace(tmpl, "{uri}", url.QueryEscape(target), 1)
		if !sameOrigin(u, scheme, host) {
			return "", invalid("%s gave a follow page that is not on %s; it was not followed", host, host)
		}
		break
	}
	s.subscribes.put(cacheKey, u, s.clock())
	return u, nil
}

// sameOrigin reports whether raw is an absolute URL with the scheme and host
// given, without userinfo ("https://a.example@b.example/" goes to b).
func sameOrigin(raw, scheme, host string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil {
		return false
	}
	return u.Scheme == scheme && strings.EqualFold(u.Host, host)
}
