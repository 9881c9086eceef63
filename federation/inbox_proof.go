package federation

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/tadamun/tadamun/federation/proof"
	"github.com/tadamun/tadamun/storage"
)

// Object integrity proofs on what arrives (FEP-8b32).
//
// The policy:
//   - no proof: accepted as before; the HTTP signature authenticates the
//     request, and most servers send no proofs.
//   - a proof of a kind we do not check (another cryptosuite): accepted,
//     noted in the log, as if there were none.
//   - an eddsa-jcs-2022 proof that verifies with a key its actor lists in
//     assertionMethod: accepted, and logged as verified.
//   - an eddsa-jcs-2022 proof that does not verify, or whose key is listed
//     under another controller: refused with 401 and nothing is stored.
//     The document claims a signature that is not there, which means it
//     was altered on the way (or its sender is broken); either way acting
//     on it would be acting on something its author did not say. A 401
//     lets the sender retry once it has fixed its key.
//   - a proof that cannot be checked: its key is not listed by its actor,
//     even in the actor's document fetched again (we may have cached it
//     before the actor had a proof key), or is not an Ed25519 key; or the
//     embedded object's author names no actor, cannot be fetched, or is on
//     a refused domain: accepted, and logged as unchecked. Such a proof
//     proves nothing, but refusing it
//     would gain nothing either: whoever could change the document could
//     as well have removed the proof. So a proof counts only when it
//     verified; "has a proof" never means "is proven".
//
// The activity's own proof must be made by its actor's key: the
// verification method's controller is the activity's actor. An object
// embedded in the activity may carry its author's proof (a relay's
// Announce of a partner's Create or Note): it must verify against its
// author's key, so a relayed copy that was changed is refused.

// proofKeyRefetchAfter: an actor document fetched longer ago than this is
// fetched again when it lacks a proof's key. Shorter means it was fetched
// for this very request.
const proofKeyRefetchAfter = 2 * time.Second

// checkProofs verifies the proofs of an inbound activity whose HTTP
// signature was made by owner, the activity's actor. m is the decoded
// activity.
func (s *Service) checkProofs(ctx context.Context, body []byte, m map[string]any, env *envelope, owner *storage.RemoteActor) error {
	if _, ok := m["proof"]; ok {
		res, err := proof.Verify(ctx, body, s.actorKeys(env.Actor, owner))
		if err := s.proofOutcome(ctx, "activity", env.ID, res, err); err != nil {
			return err
		}
	}
	obj, ok := m["object"].(map[string]any)
	if !ok {
		return nil
	}
	if _, ok := obj["proof"]; !ok {
		return nil
	}
	author := refOf(obj["actor"])
	if author == "" {
		author = refOf(obj["attributedTo"])
	}
	id := stringOf(obj["id"])
	if !validIRI(author) {
		s.log.WarnContext(ctx, "inbox: proof not checked: the embedded object names no author", "id", id)
		return nil
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	var authorDoc *storage.RemoteActor
	if author == env.Actor {
		authorDoc = owner
	} else {
		// The author's key: our copy of its actor document, or fetched
		// (as the worker would, to show the object). Not from a domain we
		// refuse: whether such an object is wanted at all is domain
		// policy's business, not the proof's, and nothing is fetched there.
		if err := s.checkDomain(ctx, author); err != nil {
			s.log.DebugContext(ctx, "inbox: proof not checked: its author's domain is refused", "id", id)
			return nil
		}
		if authorDoc, err = s.ResolveActor(ctx, author, false); err != nil {
			s.log.WarnContext(ctx, "inbox: proof not checked: its author could not be fetched", "id", id, "err", err)
			return nil
		}
	}
	res, err := proof.Verify(ctx, raw, s.actorKeys(author, authorDoc))
	return s.proofOutcome(ctx, "embedded object", id, res, err)
}

// proofOutcome applies the policy above to the result of a verification.
func (s *Service) proofOutcome(ctx context.Context, what, id string, res *proof.Result, err error) error {
	switch {
	case err == nil:
		s.log.InfoContext(ctx, "inbox: object integrity proof verified", "of", what, "id", id,
			"verification_method", res.VerificationMethod, "without_ld_signature", res.WithoutSignature)
		return nil
	case errors.Is(err, proof.ErrUnsupported), errors.Is(err, proof.ErrNoProof):
		s.log.DebugContext(ctx, "inbox: proof of a kind we do not check", "of", what, "id", id)
		return nil
	case errors.Is(err, proof.ErrKeyNotFound), errors.Is(err, proof.ErrUnsupportedKey):
		s.log.WarnContext(ctx, "inbox: proof not checked: its key is not an Ed25519 key its actor lists",
			"of", what, "id", id, "err", err)
		return nil
	}
	var ie *InboxError
	if errors.As(err, &ie) {
		return err
	}
	return refuse(http.StatusUnauthorized, "the "+what+"'s integrity proof does not verify", err)
}

// actorKeys resolves verification methods to the Ed25519 keys that actor
// lists in its assertionMethod. doc is the actor as we have it; when it
// lacks the key and was not fetched just now, it is fetched once more: the
// key may be newer than our copy (an actor gets its proof key when it
// first signs, maybe after we cached it). Only a request whose HTTP
// signature or whose embedding activity's signature verified gets here,
// and the fetch goes to the actor's own server.
func (s *Service) actorKeys(actor string, doc *storage.RemoteActor) proof.Resolver {
	return func(ctx context.Context, vm string) (ed25519.PublicKey, error) {
		if stripFragment(vm) != actor && hostOf(vm) != hostOf(actor) {
			return nil, refuse(http.StatusUnauthorized, "the proof's key is not its actor's",
				fmt.Errorf("verification method %s, actor %s", vm, actor))
		}
		k, pub, err := proof.AssertionKey([]byte(doc.Raw), vm)
		if errors.Is(err, proof.ErrKeyNotFound) && s.clock().Sub(doc.FetchedAt) >= proofKeyRefetchAfter {
			fresh, ferr := s.ResolveActor(ctx, actor, true)
			if ferr != nil {
				return nil, fmt.Errorf("federation: refetch %s for its proof key: %w", actor, ferr)
			}
			k, pub, err = proof.AssertionKey([]byte(fresh.Raw), vm)
		}
		if err != nil {
			return nil, err
		}
		if k.Controller != actor {
			return nil, refuse(http.StatusUnauthorized, "the proof's key is not controlled by its actor",
				fmt.Errorf("controller %s, actor %s", k.Controller, actor))
		}
		return pub, nil
	}
}
