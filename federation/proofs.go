package federation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/tadamun/tadamun/federation/proof"
	"github.com/tadamun/tadamun/storage"
)

// Object integrity proofs (FEP-8b32). Every Create, Update and Announce we
// send carries an eddsa-jcs-2022 DataIntegrityProof made with the sending
// actor's Ed25519 key, whose public half the actor document publishes as a
// Multikey in assertionMethod. A proof travels with its document: when a
// partner relays one of our statements, its followers can check that the
// statement is ours, unchanged, without fetching it from us. The HTTP
// signature (RSA, per delivery) stays what authenticates each request.

// proofTypes are the activity types we sign.
var proofTypes = map[string]bool{"Create": true, "Update": true, "Announce": true}

// Contexts that define the terms of proofs (proof, DataIntegrityProof,
// cryptosuite, proofValue, ...) and of Multikeys (assertionMethod,
// Multikey, controller, publicKeyMultibase), as Fedify and Mastodon use them.
const (
	dataIntegrityContext = "https://w3id.org/security/data-integrity/v1"
	multikeyContext      = "https://w3id.org/security/multikey/v1"
)

// proofKeyFragment names an actor's Ed25519 Multikey within its document.
const proofKeyFragment = "#ed25519-key"

// proofKeyID is the verification method of an actor's proofs: its
// assertionMethod entry's id.
func (s *Service) proofKeyID(a *storage.Actor) string {
	if a.IsInstance {
		return s.iri.Instance() + proofKeyFragment
	}
	return s.iri.Actor(a.Username) + proofKeyFragment
}

// newProofKeyPEM makes an Ed25519 key as PKCS#8 PEM, the form
// storage.Actor.ProofKeyPEM keeps.
func newProofKeyPEM() (string, error) {
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("federation: generate proof key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", fmt.Errorf("federation: encode proof key: %w", err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// parseProofKeyPEM reads an actor's Ed25519 proof key.
func parseProofKeyPEM(s string) (ed25519.PrivateKey, error) {
	blk, _ := pem.Decode([]byte(s))
	if blk == nil {
		return nil, errors.New("federation: proof key: no PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("federation: proof key: %w", err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("federation: proof key is %T, not Ed25519", k)
	}
	return ek, nil
}

// proofKey returns a's Ed25519 proof key, making and storing one in tx if
// a has none yet (actors created before proofs existed get theirs on first
// use). a.ProofKeyPEM is updated too.
func (s *Service) proofKey(ctx context.Context, tx *storage.Store, a *storage.Actor) (ed25519.PrivateKey, error) {
	k, _, err := s.proofKeyMade(ctx, tx, a)
	return k, err
}

// proofKeyMade is proofKey, and says whether the key was made just now.
func (s *Service) proofKeyMade(ctx context.Context, tx *storage.Store, a *storage.Actor) (_ ed25519.PrivateKey, made bool, err error) {
	if a.ProofKeyPEM == "" {
		// a may have been read before another process gave it a key.
		fresh, err := tx.ActorByID(ctx, a.ID)
		if err != nil {
			return nil, false, err
		}
		if fresh.ProofKeyPEM == "" {
			if fresh.ProofKeyPEM, err = newProofKeyPEM(); err != nil {
				return nil, false, err
			}
			if err := tx.SetActorProofKey(ctx, a.ID, fresh.ProofKeyPEM); err != nil {
				return nil, false, err
			}
			made = true
			s.log.InfoContext(ctx, "proof key made", "actor", a.Username)
		}
		a.ProofKeyPEM = fresh.ProofKeyPEM
	}
	k, err := parseProofKeyPEM(a.ProofKeyPEM)
	return k, made, err
}

// EnsureProofKeys gives every local actor, the instance actor included, an
// Ed25519 proof key if it has none, and says how many it made. serve calls
// it at start so that actor documents list the key before anything signed
// with it is sent; signing makes a missing key too (proofKey).
func (s *Service) EnsureProofKeys(ctx context.Context) (int, error) {
	actors, err := s.store.ListActors(ctx)
	if err != nil {
		return 0, fmt.Errorf("federation: proof keys: %w", err)
	}
	if inst, err := s.store.InstanceActor(ctx); err == nil {
		actors = append(actors, inst)
	} else if !errors.Is(err, storage.ErrNotFound) {
		return 0, fmt.Errorf("federation: proof keys: %w", err)
	}
	made := 0
	for _, a := range actors {
		if a.ProofKeyPEM != "" {
			continue
		}
		err := s.store.Tx(ctx, func(tx *storage.Store) error {
			_, err := s.proofKey(ctx, tx, a)
			return err
		})
		if err != nil {
			return made, fmt.Errorf("federation: proof key of %s: %w", a.Username, err)
		}
		made++
	}
	return made, nil
}

// signActivity adds a proof by a to an outbound Create, Update or Announce
// before it is stored, so that what is delivered, and what the activity's
// address serves later, is the signed document. Other types, and bodies
// that carry a proof already, are left as they are.
func (s *Service) signActivity(ctx context.Context, tx *storage.Store, act *storage.Activity, a *storage.Actor) error {
	if !proofTypes[act.Type] || len(act.Body) == 0 {
		return nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(act.Body, &top); err != nil {
		return fmt.Errorf("federation: sign %s: %w", act.Type, err)
	}
	if _, ok := top["proof"]; ok {
		return nil
	}
	key, made, err := s.proofKeyMade(ctx, tx, a)
	if err != nil {
		return err
	}
	if made && act.Type == "Update" && act.ObjectIRI == s.iri.Actor(a.Username) && !a.IsInstance {
		// An Update of the actor itself, built before its first proof key
		// existed: send the profile as it now is, with the new key in
		// assertionMethod, so that followers learn the key this very
		// activity's proof names.
		doc, err := s.ActorDocument(a)
		if err != nil {
			return err
		}
		if act.Body, err = s.actorUpdateDoc(a, act.IRI, doc); err != nil {
			return err
		}
		top = nil
		if err := json.Unmarshal(act.Body, &top); err != nil {
			return fmt.Errorf("federation: sign %s: %w", act.Type, err)
		}
	}
	body, err := withContext(act.Body, top, dataIntegrityContext)
	if err != nil {
		return fmt.Errorf("federation: sign %s: %w", act.Type, err)
	}
	signed, err := proof.Sign(body, key, s.proofKeyID(a), s.clock())
	if err != nil {
		return fmt.Errorf("federation: sign %s: %w", act.Type, err)
	}
	act.Body = signed
	return nil
}

// withContext adds context IRIs to a document's @context, after the IRIs
// it has and before its term definitions, unless they are there already.
// top is doc split into members.
func withContext(doc []byte, top map[string]json.RawMessage, iris ...string) ([]byte, error) {
	var ctx []any
	if raw, ok := top["@context"]; ok {
		if err := json.Unmarshal(raw, &ctx); err != nil {
			var one any
			if err := json.Unmarshal(raw, &one); err != nil {
				return nil, fmt.Errorf("@context: %w", err)
			}
			ctx = []any{one}
		}
	}
	at := 0
	for i, c := range ctx {
		if _, ok := c.(string); ok {
			at = i + 1
		}
	}
	var add []any
	for _, iri := range iris {
		present := false
		for _, c := range ctx {
			present = present || c == iri
		}
		if !present {
			add = append(add, iri)
		}
	}
	if len(add) == 0 {
		return doc, nil
	}
	ctx = append(ctx[:at:at], append(add, ctx[at:]...)...)
	raw, err := json.Marshal(ctx)
	if err != nil {
		return nil, err
	}
	top["@context"] = raw
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(top); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
